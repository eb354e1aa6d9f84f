"""A database: its dialect, its connections (sync and async), and statement execution.

Statements arrive compiled (``compiled.py``) and run on the driver's own
cursor, so a query costs what the driver costs plus a little bookkeeping.
The backends differ in how they hold connections:

- SQLite: one connection per thread for sync code; for async code, a small set
  of connections used on the event loop's thread. A statement that finds the
  file locked is retried in a worker thread, which waits ``busy_timeout``
  there, so the loop never blocks on a lock.
- PostgreSQL: psycopg 3 pools (sync and async), connections in autocommit
  mode with explicit transactions; a connection that broke is dropped and the
  statement retried once on a new one, so the pool recovers when the server
  is back.

Every statement is announced to listeners (SQL with placeholders, duration,
row count, database name) when there are any; with none it costs one check.
"""

from __future__ import annotations

import contextvars
import time
from asyncio import _get_running_loop
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..core.exceptions import ConfigError, MissingDependency
from .compiled import StatementCache
from .exceptions import DatabaseUnavailable, SyncInAsyncError

QueryListener = Callable[..., None]


@dataclass(slots=True)
class Result:
    rows: list[tuple[Any, ...]]
    rowcount: int
    columns: list[str] | None = None


# The connection of the innermost atomic() block, per database, in this context.
current_connections: contextvars.ContextVar[dict[int, Any] | None] = contextvars.ContextVar(
    "vivace_db_connections", default=None
)


def in_event_loop() -> bool:
    # _get_running_loop() answers None where get_running_loop() raises: no exception per statement.
    return _get_running_loop() is not None


class Database:
    """One database, named (``"default"``), reached through ``url``."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "default",
        pool_size: int = 10,
        pool_timeout: float = 10.0,
        busy_timeout: float = 5.0,
        max_lifetime: float = 3600.0,
    ) -> None:
        try:
            self.url = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise ConfigError(f"database url {url!r} is not a valid URL: {exc}") from None
        self.name = name
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.busy_timeout = busy_timeout
        # PostgreSQL: a connection older than this is closed and replaced when next released or taken.
        self.max_lifetime = max_lifetime
        backend = self.url.get_backend_name()
        if backend == "sqlite":
            from .backends.sqlite import SQLiteBackend

            self.backend: Any = SQLiteBackend(self)
        elif backend in ("postgresql", "postgres"):
            from .backends.postgres import PostgresBackend

            self.backend = PostgresBackend(self)
        else:
            raise ConfigError(
                f"database url {self.url_for_display}: unsupported database {backend!r}; "
                "use sqlite:///path or postgresql://user@host/name"
            )
        self.vendor: str = self.backend.vendor
        self.dialect: sa.engine.Dialect = self.backend.dialect
        self.statements = StatementCache(self.dialect)
        self.listeners: list[QueryListener] = []
        self._engine: sa.Engine | None = None
        # True while an app that uses this database is running (between start-up and shut-down).
        self.serving = False

    @property
    def url_for_display(self) -> str:
        return self.url.render_as_string(hide_password=True)

    # Schema and tools -----------------------------------------------------------

    @property
    def engine(self) -> sa.Engine:
        """A SQLAlchemy engine for schema work and migrations (not the query path)."""
        if self._engine is None:
            self._engine = self.backend.make_engine()
        return self._engine

    def create_all(self, metadata: sa.MetaData, tables: Sequence[sa.Table] | None = None) -> None:
        self._guard()
        metadata.create_all(self.engine, tables=tables)

    def drop_all(self, metadata: sa.MetaData, tables: Sequence[sa.Table] | None = None) -> None:
        self._guard()
        metadata.drop_all(self.engine, tables=tables)

    # Statements ------------------------------------------------------------------

    def execute(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] = (),
        *,
        many: bool = False,
        raw: bool = False,
    ) -> Result:
        """Run one statement from sync code (never on the event loop's thread).

        ``raw=True`` marks SQL written by hand (``Model.objects.raw``): its placeholders are
        the driver's own, and the result carries the column names. Compiled statements need
        neither, and reading names costs a few µs per statement on PostgreSQL.
        """
        if _get_running_loop() is not None:
            self._guard()
        connections = current_connections.get()
        connection = connections.get(id(self)) if connections else None
        started = time.perf_counter() if self.listeners else 0.0
        if connection is not None:
            result = self.backend.run(connection, sql, params, many, raw)
        else:
            result = self.backend.run_autocommit(sql, params, many, raw)
        if self.listeners:
            self._announce(sql, started, result.rowcount)
        return result

    async def aexecute(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] = (),
        *,
        many: bool = False,
        raw: bool = False,
    ) -> Result:
        """Run one statement from async code."""
        connections = current_connections.get()
        connection = connections.get(id(self)) if connections else None
        started = time.perf_counter() if self.listeners else 0.0
        if connection is not None:
            result = await self.backend.arun(connection, sql, params, many, raw)
        else:
            result = await self.backend.arun_autocommit(sql, params, many, raw)
        if self.listeners:
            self._announce(sql, started, result.rowcount)
        return result

    def _current(self) -> Any:
        connections = current_connections.get()
        if connections is None:
            return None
        return connections.get(id(self))

    def _guard(self) -> None:
        if in_event_loop():
            raise SyncInAsyncError(
                "a blocking database call was made on the event loop's thread; in async code use "
                "the async form (await Model.objects.aget(...), acount(), acreate(), asave(), "
                "async for ...), or make the handler a plain def to run it in the thread pool"
            )

    def _announce(self, sql: str, started: float, rowcount: int) -> None:
        duration = time.perf_counter() - started
        for listener in self.listeners:
            listener(sql=sql, duration=duration, rowcount=rowcount, database=self.name)

    # Life cycle --------------------------------------------------------------------

    def close(self) -> None:
        self.backend.close()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    async def aclose(self) -> None:
        await self.backend.aclose()

    def unavailable(self, reason: str) -> DatabaseUnavailable:
        return DatabaseUnavailable(f"the database {self.name!r} is unavailable: {reason}")

    def __repr__(self) -> str:
        return f"<Database {self.name} {self.url_for_display}>"


def require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(module, extra) from None
