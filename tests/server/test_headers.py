"""ATTACKS case 3: header abuse, answered 400 or 431 by both parsers."""

from __future__ import annotations

import pytest

from .servers import SMALL_LIMITS, Running
from .wire import exchange, get

LIMIT = SMALL_LIMITS["max_header_size"]


def head(*lines: bytes, request_line: bytes = b"GET / HTTP/1.1") -> bytes:
    return b"\r\n".join([request_line, *lines]) + b"\r\n\r\n"


CASES = [
    ("64 KiB single header", head(b"Host: x", b"X-Big: " + b"a" * 65536), 431),
    ("500 headers", head(b"Host: x", *[b"X-%d: 1" % i for i in range(500)]), 431),
    ("header count over the limit", head(b"Host: x", *[b"X-%d: 1" % i for i in range(51)]), 431),
    (
        "request line over the size limit",
        head(b"Host: x", request_line=b"GET /" + b"a" * LIMIT + b" HTTP/1.1"),
        431,
    ),
    ("space before colon", head(b"Host: x", b"X-Name : v"), 400),
    ("obs-fold line", head(b"Host: x", b"X-Folded: a", b" b"), 400),
    ("obs-fold with tab", head(b"Host: x", b"X-Folded: a", b"\tb"), 400),
    ("NUL in value", head(b"Host: x", b"X-Nul: a\x00b"), 400),
    ("CR in value", head(b"Host: x", b"X-Cr: a\rb"), 400),
    ("ESC in value", head(b"Host: x", b"X-Esc: \x1b[31m"), 400),
    ("DEL in value", head(b"Host: x", b"X-Del: a\x7fb"), 400),
    ("empty header name", head(b"Host: x", b": v"), 400),
    ("line without colon", head(b"Host: x", b"X-No-Colon"), 400),
    ("bare LF line end", b"GET / HTTP/1.1\nHost: x\nX-A: 1\n\n", 400),
    ("bare LF after a header", b"GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", 400),
    ("missing Host on HTTP/1.1", head(b"X-A: 1"), 400),
    ("two Host headers", head(b"Host: x", b"Host: y"), 400),
    ("HTTP/0.9 request", b"GET /\r\n\r\n", None),
    ("HTTP/2.0 request line", head(b"Host: x", request_line=b"GET / HTTP/2.0"), 505),
]


@pytest.mark.parametrize(("request_bytes", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_and_closed(shared_server: Running, request_bytes: bytes, status: int | None) -> None:
    before = shared_server.app.calls
    reply = exchange(shared_server.port, request_bytes)
    if status is None:  # not even a request: an answer is optional, closing is not
        assert reply.status in (None, 400, 505)
    else:
        assert reply.status == status
    assert reply.closed
    assert shared_server.app.calls == before
    assert get(shared_server.port).status == 200


def test_answer_does_not_echo_the_request(shared_server: Running) -> None:
    reply = exchange(shared_server.port, head(b"Host: x", b"X-Nul: secret\x00value"))
    assert reply.status == 400
    assert b"secret" not in reply.body


def test_large_head_sent_in_pieces_is_cut_off(shared_server: Running) -> None:
    # 64 KiB of header sent 4 KiB at a time: refused once past the limit,
    # without waiting for (or buffering) the rest.
    pieces = [b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "] + [b"a" * 4096] * 16
    reply = exchange(shared_server.port, pieces, pause=0.01)
    assert reply.status == 431
    assert reply.closed


def test_unterminated_head_in_one_piece_is_refused(shared_server: Running) -> None:
    reply = exchange(shared_server.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2 * LIMIT)
    assert reply.status == 431
    assert reply.closed


def test_head_just_under_the_limit_is_served(shared_server: Running) -> None:
    request = head(b"Host: x", b"Connection: close", b"X-Pad: ")
    padding = LIMIT - len(request) - 64
    reply = exchange(shared_server.port, request[:-4] + b"a" * padding + b"\r\n\r\n")
    assert reply.status == 200
