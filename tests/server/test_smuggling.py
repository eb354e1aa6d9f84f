"""ATTACKS case 2: framing shapes that two servers could read differently.

Each request carries a second request after the ambiguous body, so a server
that misreads the framing would run the handler twice.
"""

from __future__ import annotations

import pytest

from .servers import Running
from .wire import exchange, get

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def post(headers: bytes, body: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    return b"POST /upload " + version + b"\r\nHost: x\r\n" + headers + b"\r\n" + body


# (case, request, whether the head is valid so the handler may run once)
CASES = [
    (
        "content-length and transfer-encoding",
        post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + SMUGGLED),
        False,
    ),
    (
        "transfer-encoding and content-length",
        post(b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"0\r\n\r\n" + SMUGGLED),
        False,
    ),
    (
        "two different content-lengths",
        post(b"Content-Length: 5\r\nContent-Length: 40\r\n", b"hello" + SMUGGLED),
        False,
    ),
    (
        "two equal content-lengths",
        post(b"Content-Length: 5\r\nContent-Length: 5\r\n", b"hello" + SMUGGLED),
        False,
    ),
    ("content-length list", post(b"Content-Length: 5, 5\r\n", b"hello" + SMUGGLED), False),
    (
        "chunked, identity",
        post(b"Transfer-Encoding: chunked, identity\r\n", b"0\r\n\r\n" + SMUGGLED),
        False,
    ),
    ("xchunked", post(b"Transfer-Encoding: xchunked\r\n", b"0\r\n\r\n" + SMUGGLED), False),
    (
        "chunked twice in one header",
        post(b"Transfer-Encoding: chunked, chunked\r\n", b"0\r\n\r\n" + SMUGGLED),
        False,
    ),
    (
        "chunked in two headers",
        post(b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + SMUGGLED),
        False,
    ),
    ("gzip, chunked", post(b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n" + SMUGGLED), False),
    (
        "transfer-encoding on HTTP/1.0",
        post(b"Transfer-Encoding: chunked\r\n", b"0\r\n\r\n" + SMUGGLED, b"HTTP/1.0"),
        False,
    ),
    (
        "chunk size line ending in bare LF",
        post(b"Transfer-Encoding: chunked\r\n", b"5\nhello\r\n0\r\n\r\n" + SMUGGLED),
        True,
    ),
    (
        "chunk extension with bare LF",
        post(b"Transfer-Encoding: chunked\r\n", b"5;a=b\nc\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
        True,
    ),
    ("content-length +5", post(b"Content-Length: +5\r\n", b"hello" + SMUGGLED), False),
    ("content-length -1", post(b"Content-Length: -1\r\n", b"hello" + SMUGGLED), False),
    ("content-length 1e3", post(b"Content-Length: 1e3\r\n", b"hello" + SMUGGLED), False),
    ("content-length 0x5", post(b"Content-Length: 0x5\r\n", b"hello" + SMUGGLED), False),
]


@pytest.mark.parametrize(("request_bytes", "head_valid"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_and_closed(shared_server: Running, request_bytes: bytes, head_valid: bool) -> None:
    before = shared_server.app.calls
    reply = exchange(shared_server.port, request_bytes)
    assert reply.status == 400
    assert reply.closed
    assert reply.headers[b"connection"] == b"close"
    assert b"smuggled" not in reply.body
    calls = shared_server.app.calls - before
    assert calls <= (1 if head_valid else 0)
    assert get(shared_server.port).status == 200


def test_valid_chunked_body_still_works(shared_server: Running) -> None:
    reply = exchange(
        shared_server.port,
        post(b"Transfer-Encoding: chunked\r\nConnection: close\r\n", b"5\r\nhello\r\n0\r\n\r\n"),
    )
    assert (reply.status, reply.body) == (200, b"POST /upload hello")


def test_content_length_with_spaces_is_fine(shared_server: Running) -> None:
    reply = exchange(shared_server.port, post(b"Content-Length:  5 \r\nConnection: close\r\n", b"hello"))
    assert (reply.status, reply.body) == (200, b"POST /upload hello")
