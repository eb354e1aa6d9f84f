"""ATTACKS case 31, scaled down: slow heads and slow bodies are cut off on time,
while normal requests keep being served."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .servers import Running
from .slow import drip, timed_get
from .wire import exchange

HEAD = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "


def test_slowloris(start_server: Callable[..., Running]) -> None:
    server = start_server(header_timeout=1.0)

    async def scenario() -> None:
        slow = [asyncio.ensure_future(drip(server.port, HEAD)) for _ in range(50)]
        await asyncio.sleep(0.4)
        normal = await timed_get(server.port)
        assert normal.status == 200
        assert normal.elapsed < 1.0
        for outcome in await asyncio.gather(*slow):
            assert outcome.reply.status == 408
            assert outcome.reply.closed
            assert 0.9 < outcome.closed_after < 2.0

    asyncio.run(scenario())
    assert server.app.calls == 1


def test_slow_body(start_server: Callable[..., Running]) -> None:
    server = start_server(body_timeout=1.0)
    first = b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"

    async def scenario() -> None:
        slow = [asyncio.ensure_future(drip(server.port, first)) for _ in range(10)]
        await asyncio.sleep(0.4)
        normal = await timed_get(server.port)
        assert normal.status == 200
        assert normal.elapsed < 1.0
        for outcome in await asyncio.gather(*slow):
            assert outcome.reply.status == 408
            assert outcome.reply.closed
            assert 0.9 < outcome.closed_after < 2.0

    asyncio.run(scenario())


def test_body_keeping_pace_may_take_longer_than_the_timeout(
    start_server: Callable[..., Running],
) -> None:
    # 6 KiB, 2 KiB every 0.4 s: 1.2 s in all, but never 1 s without progress.
    server = start_server(body_timeout=1.0)
    head = b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 6144\r\nConnection: close\r\n\r\n"
    reply = exchange(server.port, [head] + [b"x" * 2048] * 3, pause=0.4)
    assert reply.status == 200
    assert reply.body == b"POST /e " + b"x" * 6144


def test_app_reading_late_is_not_cut_off(start_server: Callable[..., Running]) -> None:
    # The app sleeps 1.5 s before reading a 256 KiB body: the server stops
    # reading (flow control), so the client is not to blame.
    server = start_server(body_timeout=1.0)
    head = b"POST /hold?1.5 HTTP/1.1\r\nHost: x\r\nContent-Length: 262144\r\nConnection: close\r\n\r\n"
    reply = exchange(server.port, [head, b"x" * 262144], timeout=4)
    assert (reply.status, reply.body) == (200, b"held 262144")


def test_expect_continue_waits_for_the_app(start_server: Callable[..., Running]) -> None:
    server = start_server(body_timeout=1.0)

    async def scenario() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"POST /hold?1.5 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 4)
        assert interim.startswith(b"HTTP/1.1 100 ")
        writer.write(b"hello")
        final = await asyncio.wait_for(reader.read(), 4)
        writer.close()
        await writer.wait_closed()
        assert final.startswith(b"HTTP/1.1 200 ")
        assert final.endswith(b"held 5")

    asyncio.run(scenario())


def test_idle_connections_are_closed(start_server: Callable[..., Running]) -> None:
    server = start_server(header_timeout=1.0, keepalive_timeout=0.5)
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"

    async def scenario() -> None:
        fresh, kept_alive, stalled = await asyncio.gather(
            # connects and never sends a byte: closed silently
            drip(server.port, b"", byte=b""),
            # one request, then silence: closed after the keep-alive timeout
            drip(server.port, request, byte=b""),
            # one request, then half of the next head: 408 after the header timeout
            drip(server.port, request + b"GET / HTTP/1.1\r\nHo", byte=b""),
        )
        assert fresh.reply.status is None and fresh.reply.rest == b""
        assert 0.9 < fresh.closed_after < 2.0
        assert kept_alive.reply.status == 200 and kept_alive.reply.rest == b""
        assert 0.4 < kept_alive.closed_after < 1.5
        second = stalled.reply.rest
        assert stalled.reply.status == 200 and second.startswith(b"HTTP/1.1 408 ")
        assert 0.9 < stalled.closed_after < 2.0

    asyncio.run(scenario())
