"""SQLite: connections per thread for sync code, a few on the event loop for async code."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from ..database import Result
from ..exceptions import DatabaseError, IntegrityError

if TYPE_CHECKING:
    from ..database import Database


def _is_locked(exc: sqlite3.Error) -> bool:
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    message = str(exc)
    return "locked" in message or "busy" in message


class SQLiteBackend:
    vendor = "sqlite"

    def __init__(self, database: Database) -> None:
        self.database = database
        path = database.url.database or ":memory:"
        if path == ":memory:":
            # Every connection must see the same in-memory database; a keeper holds it open.
            self.target = f"file:vivace-memory-{id(self)}?mode=memory&cache=shared"
        else:
            self.target = "file:" + path
        self.dialect = sqlite_dialect.dialect(paramstyle="qmark")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[sqlite3.Connection] = []
        self._keeper = self._connect(busy=0) if path == ":memory:" else None
        self._loop_free: list[sqlite3.Connection] = []
        self._loop_count = 0
        self._loop_wait: asyncio.Condition | None = None
        self._shared: sqlite3.Connection | None = None

    def make_engine(self) -> sa.Engine:
        def creator() -> sqlite3.Connection:
            return self._connect(busy=self.database.busy_timeout, track=False)

        return sa.create_engine("sqlite://", creator=creator, poolclass=sa.pool.NullPool)

    def _connect(self, busy: float, track: bool = True) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.target, uri=True, isolation_level=None, check_same_thread=False, timeout=busy
        )
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(f"PRAGMA busy_timeout = {int(busy * 1000)}")
        if "mode=memory" not in self.target:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        if track:
            with self._lock:
                self._opened.append(connection)
        return connection

    # Sync ------------------------------------------------------------------------

    def _thread_connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect(busy=self.database.busy_timeout)
            self._local.connection = connection
        return connection

    def acquire(self) -> sqlite3.Connection:
        return self._thread_connection()

    def release(self, connection: sqlite3.Connection) -> None:
        pass

    def run(
        self, connection: sqlite3.Connection, sql: str, params: Any, many: bool, raw: bool = False
    ) -> Result:
        try:
            return _result(connection, sql, params, many, raw)
        except sqlite3.Error as exc:
            raise self._translate(exc, sql) from _cause(exc)

    def _translate(self, exc: sqlite3.Error, sql: str) -> Exception:
        if isinstance(exc, sqlite3.IntegrityError):
            return IntegrityError(f"integrity error: {exc}", _constraint(exc))
        if _is_locked(exc):
            return self.database.unavailable(f"locked for longer than busy_timeout ({exc})")
        return DatabaseError(f"{exc} (in: {sql[:200]})")

    def run_autocommit(self, sql: str, params: Any, many: bool, raw: bool = False) -> Result:
        connection = getattr(self._local, "connection", None) or self._thread_connection()
        # run()'s body, one call fewer on the path of every statement outside a transaction.
        try:
            return _result(connection, sql, params, many, raw)
        except sqlite3.Error as exc:
            raise self._translate(exc, sql) from _cause(exc)

    def begin(self, connection: sqlite3.Connection) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction never fails halfway on upgrade.
        self.run(connection, "BEGIN IMMEDIATE", (), False)

    # Async: statements run on the loop's thread without waiting on locks ----------

    def _loop_connection(self) -> sqlite3.Connection:
        if self._shared is None:
            self._shared = self._connect(busy=0)
        return self._shared

    async def _run_or_wait(
        self, connection: sqlite3.Connection, sql: str, params: Any, many: bool, raw: bool = False
    ) -> Result:
        try:
            return self._run_fast(connection, sql, params, many, raw)
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise
        # Locked: wait for the lock in a worker thread, never on the loop.
        return await asyncio.to_thread(self._run_patient, connection, sql, params, many, raw)

    def _run_fast(
        self, connection: sqlite3.Connection, sql: str, params: Any, many: bool, raw: bool = False
    ) -> Result:
        try:
            return _result(connection, sql, params, many, raw)
        except sqlite3.Error as exc:
            if _is_locked(exc):
                raise
            raise self._translate(exc, sql) from _cause(exc)

    def _run_patient(
        self, connection: sqlite3.Connection, sql: str, params: Any, many: bool, raw: bool
    ) -> Result:
        busy_ms = int(self.database.busy_timeout * 1000)
        connection.execute(f"PRAGMA busy_timeout = {busy_ms}")
        try:
            return self.run(connection, sql, params, many, raw)
        finally:
            connection.execute("PRAGMA busy_timeout = 0")

    async def arun_autocommit(self, sql: str, params: Any, many: bool, raw: bool = False) -> Result:
        # _run_fast()'s work, one call fewer on the path of every statement outside a transaction.
        try:
            return _result(self._shared or self._loop_connection(), sql, params, many, raw)
        except sqlite3.Error as exc:
            if not _is_locked(exc):
                raise self._translate(exc, sql) from _cause(exc)
        # The shared connection must stay free for the loop: wait on a worker thread's own.
        return await asyncio.to_thread(self.run_autocommit, sql, params, many, raw)

    async def arun(
        self, connection: sqlite3.Connection, sql: str, params: Any, many: bool, raw: bool = False
    ) -> Result:
        return await self._run_or_wait(connection, sql, params, many, raw)

    async def aacquire(self) -> sqlite3.Connection:
        if self._loop_wait is None:
            self._loop_wait = asyncio.Condition()
        async with self._loop_wait:
            while not self._loop_free and self._loop_count >= self.database.pool_size:
                try:
                    await asyncio.wait_for(self._loop_wait.wait(), self.database.pool_timeout)
                except TimeoutError:
                    raise self.database.unavailable(
                        f"no connection free within pool_timeout ({self.database.pool_timeout:g}s)"
                    ) from None
            if self._loop_free:
                return self._loop_free.pop()
            self._loop_count += 1
        return self._connect(busy=0)

    async def arelease(self, connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        assert self._loop_wait is not None
        async with self._loop_wait:
            self._loop_free.append(connection)
            self._loop_wait.notify()

    async def abegin(self, connection: sqlite3.Connection) -> None:
        await self._run_or_wait(connection, "BEGIN IMMEDIATE", (), False)

    # Life cycle ----------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            if connection is not self._keeper:
                connection.close()
        self._local = threading.local()
        self._loop_free.clear()
        self._loop_count = 0
        self._shared = None
        self._loop_wait = None

    async def aclose(self) -> None:
        self.close()


def _constraint(exc: sqlite3.IntegrityError) -> str | None:
    # "UNIQUE constraint failed: blog_post.slug" -> "blog_post.slug"
    message = str(exc)
    _, sep, rest = message.partition("failed: ")
    return rest or None if sep else None


def _cause(exc: sqlite3.Error) -> BaseException | None:
    # Integrity and lock errors stand alone; other errors keep the driver's as their cause.
    if isinstance(exc, sqlite3.IntegrityError) or _is_locked(exc):
        return None
    return exc


def _result(connection: sqlite3.Connection, sql: str, params: Any, many: bool, raw: bool) -> Result:
    cursor = connection.executemany(sql, params) if many else connection.execute(sql, params)
    rows = cursor.fetchall()
    rowcount = cursor.rowcount
    # sqlite3 builds cursor.description on each access: read only for a raw statement's column names.
    description = cursor.description if raw else None
    columns = [column[0] for column in description] if description else None
    return Result(rows, rowcount if rowcount >= 0 else len(rows), columns)
