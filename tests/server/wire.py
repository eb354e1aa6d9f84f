"""Raw-socket client helpers: the tests speak bytes, never a client library."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Reply:
    status: int | None  # None: no response came back
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""
    closed: bool = False  # the server closed the connection
    elapsed: float = 0.0  # seconds from the first byte sent to the end of reading
    rest: bytes = b""  # bytes after the first response (pipelining)


def parse(raw: bytes, closed: bool = False, elapsed: float = 0.0) -> Reply:
    """The first response in ``raw``; what follows it is kept in ``rest``."""
    head, found, after = raw.partition(b"\r\n\r\n")
    if not found:
        return Reply(None, closed=closed, elapsed=elapsed, rest=raw)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get(b"content-length", b"0"))
    return Reply(status, headers, after[:length], closed, elapsed, after[length:])


def exchange(
    port: int,
    pieces: bytes | Iterable[bytes],
    *,
    pause: float = 0.0,
    timeout: float = 2.0,
) -> Reply:
    """Send ``pieces`` (``pause`` seconds apart), then read until the server
    closes or ``timeout`` passes since the last piece; parse the first response."""
    if isinstance(pieces, bytes):
        pieces = [pieces]
    raw = b""
    closed = False
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        start = time.monotonic()
        for index, piece in enumerate(pieces):
            if index and pause:
                time.sleep(pause)
            try:
                sock.sendall(piece)
            except (BrokenPipeError, ConnectionResetError):
                break  # refused mid-send: read what the server answered
        raw, closed = read_until_closed(sock, timeout)
        elapsed = time.monotonic() - start
    return parse(raw, closed, elapsed)


def read_until_closed(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Everything the server sends within ``timeout``, and whether it closed."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return b"".join(chunks), True
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
    return b"".join(chunks), False


def get(port: int, path: str = "/", *, timeout: float = 2.0) -> Reply:
    """A normal request on a new connection, answered and closed."""
    request = f"GET {path} HTTP/1.1\r\nHost: testserver\r\nConnection: close\r\n\r\n"
    return exchange(port, request.encode(), timeout=timeout)
