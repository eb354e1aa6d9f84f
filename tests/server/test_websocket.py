"""A WebSocket upgrade leaves the HTTP deadlines behind."""

from __future__ import annotations

import os
import socket
import time

from .servers import Running
from .wire import HOST


def masked_text_frame(text: bytes) -> bytes:
    mask = os.urandom(4)
    payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(text))
    return bytes([0x81, 0x80 | len(text)]) + mask + payload


def test_websocket_outlives_the_http_timeouts(server: Running) -> None:
    with socket.create_connection((HOST, server.port), timeout=3) as sock:
        # A plain request first, so the upgrade follows a finished HTTP cycle.
        sock.sendall(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b"GET /first "):
            first += sock.recv(4096)
        sock.sendall(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 101 ")
        time.sleep(1.5)  # past header_timeout and body_timeout (1 s each)
        sock.sendall(masked_text_frame(b"still here"))
        frame = sock.recv(4096)
        assert frame == b"\x81\x0astill here"
