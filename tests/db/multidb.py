"""An app with two named databases for the routing tests: "default" and "other".

On SQLite both are files; on PostgreSQL "default" is a fresh schema on the test
server and "other" a SQLite file, so a statement compiled for the wrong
database fails loudly. A "replica" (the default database under a second name,
as a streaming replica would be) is added when asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from vivace import App
from vivace.db import Registry, Router

T = TypeVar("T")


@contextlib.contextmanager
def listening(app: App, listener: Any) -> Iterator[None]:
    """``listener`` called with every statement's db.query event inside the block."""
    unsubscribe = app.events.subscribe("db.query", listener)
    try:
        yield
    finally:
        unsubscribe()


class ReplicaRouter(Router):
    """Reads from "replica", writes to "default"."""

    def db_for_read(self, model: Any) -> str | None:
        return "replica"

    def db_for_write(self, model: Any) -> str | None:
        return "default"


class Setup:
    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> None:
        self.request = request
        self.tmp_path = tmp_path
        self.kind = kind
        self.registry = Registry("multi")
        self._app: App | None = None
        self.settings: dict[str, Any] = {}

    @property
    def Model(self) -> Any:
        return self.registry.Model

    def default_url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.tmp_path / 'default.sqlite3'}"
        return str(self.request.getfixturevalue("postgres_server").fresh_url())

    def start(self, *, replica: bool = False, **settings: Any) -> App:
        default = self.default_url()
        databases = {"other": f"sqlite:///{self.tmp_path / 'other.sqlite3'}"}
        if replica:
            databases["replica"] = default
        self._app = App("t", root=self.tmp_path, database_url=default, databases=databases, **settings)
        self._app.db.use(self.registry)
        self._app.db.create_all()
        return self._app

    @property
    def app(self) -> App:
        assert self._app is not None, "call start() first"
        return self._app

    @contextlib.contextmanager
    def queries(self) -> Iterator[list[tuple[str, str]]]:
        """(database name, SQL) of every statement run inside the block."""
        captured: list[tuple[str, str]] = []
        with listening(self.app, lambda *, sql, database, **_: captured.append((database, sql))):
            yield captured

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        databases = list(self.app.db.databases.values())

        async def main() -> T:
            try:
                return await coroutine
            finally:
                for database in databases:
                    await database.aclose()

        return asyncio.run(main())

    def close(self) -> None:
        if self._app is not None:
            for database in self._app.db.databases.values():
                database.close()
            self.registry.unbind()


@pytest.fixture(params=["sqlite", "postgres"])
def multi(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    setup = Setup(request, tmp_path, request.param)
    try:
        yield setup
    finally:
        setup.close()


def where(captured: list[tuple[str, str]]) -> list[str]:
    """The database of each captured statement."""
    return [name for name, _ in captured]
