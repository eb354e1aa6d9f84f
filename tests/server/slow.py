"""asyncio clients that hold connections open: slowloris, slow bodies, idlers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from .wire import HOST, Reply, parse


@dataclass
class Outcome:
    reply: Reply
    closed_after: float  # seconds from connecting until the server closed


async def drip(
    port: int, first: bytes, *, byte: bytes = b"a", every: float = 0.3, give_up: float = 5.0
) -> Outcome:
    """Send ``first``, then one ``byte`` every ``every`` seconds until the server closes."""
    reader, writer = await asyncio.open_connection(HOST, port)
    start = time.monotonic()
    try:
        if first:
            writer.write(first)
        reading = asyncio.ensure_future(_read_all(reader))
        while time.monotonic() - start < give_up:
            done, _ = await asyncio.wait([reading], timeout=every)
            if done:
                break
            if byte:
                with contextlib.suppress(ConnectionError):
                    writer.write(byte)
                    await writer.drain()
        else:
            reading.cancel()
            raise AssertionError(f"server kept the connection open for {give_up} s")
        raw, closed = reading.result()
        return Outcome(parse(raw, closed), time.monotonic() - start)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _read_all(reader: asyncio.StreamReader) -> tuple[bytes, bool]:
    chunks = []
    try:
        while chunk := await reader.read(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks), True


async def timed_get(port: int, path: str = "/") -> Reply:
    """A normal request; ``elapsed`` is how long its answer took."""
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        raw, closed = await asyncio.wait_for(_read_all(reader), 5)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return parse(raw, closed, time.monotonic() - start)
