"""Calling an ASGI app by hand, for tests that need control over each message."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Message = dict[str, Any]


def http_scope(
    method: str = "GET", path: str = "/", headers: Iterable[tuple[bytes, bytes]] = (), query: bytes = b""
) -> Message:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


def call(
    app: Callable[..., Awaitable[None]], scope: Message, receive: Callable[[], Awaitable[Message]]
) -> tuple[list[Message], int]:
    """Run one request; returns the messages sent and the number of receive() calls."""
    sent: list[Message] = []
    calls = 0

    async def counting_receive() -> Message:
        nonlocal calls
        calls += 1
        return await receive()

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, counting_receive, send))
    return sent, calls


def chunks(*parts: bytes) -> Callable[[], Awaitable[Message]]:
    """A receive() that yields ``parts`` as body chunks, then disconnects."""
    queue = list(parts)

    async def receive() -> Message:
        if queue:
            body = queue.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(queue)}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    return receive


def endless(chunk: bytes) -> Callable[[], Awaitable[Message]]:
    async def receive() -> Message:
        return {"type": "http.request", "body": chunk, "more_body": True}

    return receive


def status_of(sent: list[Message]) -> int:
    return int(sent[0]["status"])


def body_of(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
