"""ATTACKS case 32, scaled down: pipelining, the concurrency limit, many idle
keep-alive connections."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable

from .servers import Running
from .slow import timed_get
from .wire import HOST, get, parse, read_until_closed


def test_pipelining_16_deep(server: Running) -> None:
    requests = [b"GET /p%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(15)]
    requests.append(b"GET /p15 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    with socket.create_connection((HOST, server.port)) as sock:
        sock.sendall(b"".join(requests))
        raw, closed = read_until_closed(sock, 3)
    assert closed
    bodies = []
    while raw:
        reply = parse(raw)
        assert reply.status == 200
        bodies.append(reply.body)
        raw = reply.rest
    assert bodies == [b"GET /p%d " % i for i in range(16)]
    assert server.app.calls == 16


def test_pipelined_post_bodies_keep_their_framing(server: Running) -> None:
    requests = b"".join(
        b"POST /b%d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nx%02d" % (i, i) for i in range(8)
    )
    with socket.create_connection((HOST, server.port)) as sock:
        sock.sendall(requests + b"GET /end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw, _ = read_until_closed(sock, 3)
    bodies = []
    while raw:
        reply = parse(raw)
        bodies.append(reply.body)
        raw = reply.rest
    assert bodies == [b"POST /b%d x%02d" % (i, i) for i in range(8)] + [b"GET /end "]


def test_over_the_concurrency_limit_is_503_at_once(start_server: Callable[..., Running]) -> None:
    server = start_server(limit_concurrency=4)
    idle = [socket.create_connection((HOST, server.port)) for _ in range(4)]
    try:
        time.sleep(0.2)  # let the server accept them
        reply = get(server.port)
        assert reply.status == 503
        assert reply.headers[b"retry-after"] == b"1"
        assert reply.closed
        assert reply.elapsed < 0.5
        assert server.app.calls == 0
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    assert get(server.port).status == 200


def test_burst_above_the_limit_then_recovery(start_server: Callable[..., Running]) -> None:
    server = start_server(limit_concurrency=4)

    async def scenario() -> None:
        replies = await asyncio.gather(*[timed_get(server.port, "/hold?0.5") for _ in range(12)])
        # uvicorn counts open connections too, so how many get through depends
        # on how the burst is accepted; every one is answered either way.
        refused = [r for r in replies if r.status == 503]
        assert all(r.status in (200, 503) for r in replies)
        assert refused
        assert all(r.elapsed < 0.4 and r.headers[b"retry-after"] == b"1" for r in refused)
        after = await timed_get(server.port)
        assert after.status == 200

    asyncio.run(scenario())


def test_500_idle_keepalive_connections(start_server: Callable[..., Running]) -> None:
    server = start_server(keepalive_timeout=10.0)

    async def scenario() -> None:
        streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        try:
            for _ in range(500):
                reader, writer = await asyncio.open_connection(HOST, server.port)
                streams.append((reader, writer))
                writer.write(b"GET /idle HTTP/1.1\r\nHost: x\r\n\r\n")
            for reader, _ in streams:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                assert head.startswith(b"HTTP/1.1 200 ")
            normal = await timed_get(server.port)
            assert normal.status == 200
            assert normal.elapsed < 1.0
        finally:
            for _, writer in streams:
                writer.close()
            for _, writer in streams:
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()

    asyncio.run(scenario())
    assert server.app.calls == 501
