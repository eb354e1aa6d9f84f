"""ATTACKS 33: PostgreSQL goes away and comes back; the app answers 503 meanwhile and recovers alone."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vivace import App
from vivace.db import DatabaseUnavailable, Registry, atomic, fields

from .conftest import PostgresServer


class Outage:
    """A TCP relay in front of the server that can drop every connection and refuse new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.port = 0
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def outage(postgres_server: PostgresServer) -> Iterator[tuple[Outage, str]]:
    url = sa.engine.make_url(postgres_server.fresh_url())
    relay = Outage(url.host or "127.0.0.1", url.port or 5432)
    relay.up()
    try:
        yield relay, url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    finally:
        relay.down()


def eventually(check: Any, seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return check()
        except DatabaseUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_database_down_then_back(outage: tuple[Outage, str], tmp_path: Path) -> None:
    relay, url = outage
    registry = Registry("outage")

    class Item(registry.Model):
        name = fields.String(max_length=20)

    app = App("outage", root=tmp_path, database_url=url, database_pool_timeout=1.0)
    app.db.use(registry)
    app.db.create_all()
    try:
        Item.objects.create(name="before")
        relay.down()
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as caught:
            Item.objects.count()
        assert time.monotonic() - started < 10
        assert caught.value.status_code == 503
        assert ("retry-after", "5") in [(k.lower(), v) for k, v in caught.value.headers]
        relay.up()
        assert eventually(Item.objects.count) == 1
        # A transaction cut off in the middle commits nothing.
        with pytest.raises(DatabaseUnavailable), atomic(app):
            Item.objects.create(name="half")
            relay.down()
            Item.objects.create(name="written")
        relay.up()
        assert eventually(lambda: sorted(Item.objects.values_list("name", flat=True))) == ["before"]
        Item.objects.create(name="after")
        assert Item.objects.count() == 2
    finally:
        app.db.database.close()


def test_database_down_then_back_async(outage: tuple[Outage, str], tmp_path: Path) -> None:
    import asyncio

    relay, url = outage
    registry = Registry("outage_async")

    class Item(registry.Model):
        name = fields.String(max_length=20)

    app = App("outage", root=tmp_path, database_url=url, database_pool_timeout=1.0)
    app.db.use(registry)
    app.db.create_all()

    async def main() -> list[str]:
        await Item.objects.acreate(name="before")
        relay.down()
        with pytest.raises(DatabaseUnavailable):
            await Item.objects.acount()
        with pytest.raises(DatabaseUnavailable):
            async with atomic(app):
                await Item.objects.acreate(name="never")  # pragma: no cover
        relay.up()
        deadline = time.monotonic() + 20
        while True:
            try:
                await Item.objects.acreate(name="after")
                break
            except DatabaseUnavailable:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
        return sorted(await Item.objects.values_list("name", flat=True))

    async def run() -> list[str]:
        try:
            return await main()
        finally:
            await app.db.database.aclose()

    try:
        assert asyncio.run(run()) == ["after", "before"]
    finally:
        app.db.database.close()
