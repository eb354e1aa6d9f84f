from __future__ import annotations

from .servers import Running
from .wire import exchange, get


def test_normal_request(server: Running) -> None:
    reply = get(server.port, "/hello")
    assert reply.status == 200
    assert reply.body == b"GET /hello "
    assert server.app.calls == 1


def test_body_echo(server: Running) -> None:
    reply = exchange(
        server.port,
        b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    assert (reply.status, reply.body) == (200, b"POST /e hello")
