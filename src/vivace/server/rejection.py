"""A request the server answers by itself, and the bytes of that answer.

The protocols raise ``Rejected`` from inside parser callbacks; the answer is
written straight to the transport with ``Connection: close``, because after a
framing error nothing later on the connection can be trusted.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus


class Rejected(Exception):
    """Refuse the request with ``status``; ``reason`` is a fixed, safe text."""

    def __init__(self, status: int, reason: str, headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.headers = list(headers)


def render(rejected: Rejected, default_headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The full HTTP/1.1 response for ``rejected``; the body never echoes the request."""
    body = f"{HTTPStatus(rejected.status).phrase}: {rejected.reason}\n".encode("ascii")
    lines = [b"HTTP/1.1 %d %s" % (rejected.status, HTTPStatus(rejected.status).phrase.encode())]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [name + b": " + value for name, value in rejected.headers]
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: %d" % len(body),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
