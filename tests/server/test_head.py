"""The pure head checks, without a server."""

from __future__ import annotations

import pytest

from vivace.server.head import check_head, check_raw_head, head_size
from vivace.server.limits import ServerLimits
from vivace.server.rejection import Rejected, render

LIMITS = ServerLimits(max_header_size=1024, max_header_count=10)
HOST = (b"host", b"example.com")


def status_of(http_version: str, *headers: tuple[bytes, bytes], size: int = 100) -> int | None:
    try:
        check_head(http_version, list(headers), size, LIMITS)
    except Rejected as rejected:
        return rejected.status
    return None


def test_plain_heads_pass() -> None:
    assert status_of("1.1", HOST) is None
    assert status_of("1.0") is None
    assert status_of("1.1", HOST, (b"content-length", b" 12 ")) is None
    assert status_of("1.1", HOST, (b"transfer-encoding", b"Chunked")) is None
    assert status_of("1.1", HOST, (b"x-latin", b"caf\xe9\tok")) is None


@pytest.mark.parametrize(
    ("version", "headers", "status"),
    [
        ("0.9", [], 505),
        ("2.0", [HOST], 505),
        ("1.1", [], 400),
        ("1.1", [HOST, HOST], 400),
        ("1.0", [HOST, HOST], 400),
        ("1.1", [HOST, (b"content-length", b"1"), (b"content-length", b"1")], 400),
        ("1.1", [HOST, (b"content-length", b"+1")], 400),
        ("1.1", [HOST, (b"content-length", b"")], 400),
        ("1.1", [HOST, (b"content-length", b"1"), (b"transfer-encoding", b"chunked")], 400),
        ("1.1", [HOST, (b"transfer-encoding", b"gzip, chunked")], 400),
        ("1.1", [HOST, (b"transfer-encoding", b"chunked"), (b"transfer-encoding", b"chunked")], 400),
        ("1.0", [(b"transfer-encoding", b"chunked")], 400),
        ("1.1", [HOST, (b"x", b"a\x1bb")], 400),
        ("1.1", [HOST, (b"x", b"a\nb")], 400),
        ("1.1", [HOST] + [(b"x", b"1")] * 10, 431),
    ],
)
def test_refused_heads(version: str, headers: list[tuple[bytes, bytes]], status: int) -> None:
    assert status_of(version, *headers) == status


def test_size_limit() -> None:
    assert status_of("1.1", HOST, size=1024) is None
    assert status_of("1.1", HOST, size=1025) == 431


def test_head_size_counts_what_goes_on_the_wire() -> None:
    raw = b"GET /a HTTP/1.1\r\nhost: example.com\r\n\r\n"
    assert head_size(b"GET", b"/a", [HOST]) == len(raw)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", None),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Unfinished: ", None),
        (b"GET / HTTP/1.1\nHost: x\n\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 1100, 431),
    ],
)
def test_raw_head(raw: bytes, status: int | None) -> None:
    try:
        check_raw_head(raw[:1028], 1024)
    except Rejected as rejected:
        assert rejected.status == status
    else:
        assert status is None


def test_rendered_answer_closes_and_never_echoes() -> None:
    answer = render(Rejected(431, "too big", [(b"x-extra", b"1")]), [(b"server", b"vivace")])
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert b"\r\nconnection: close" in head
    assert b"\r\nx-extra: 1" in head and b"\r\nserver: vivace" in head
    assert body == b"Request Header Fields Too Large: too big\n"
    assert b"content-length: %d" % len(body) in head
