"""PostgreSQL through psycopg 3: a sync pool and an async pool per event loop, autocommit connections.

An event loop's pool is closed with the loop, whether or not the app is shut down: see
``PostgresBackend._close_with_loop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from time import monotonic
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..database import Result
from ..exceptions import DatabaseError, IntegrityError

if TYPE_CHECKING:
    from ..database import Database

# libpq's PGRES_TUPLES_OK: the statement returned rows (a SELECT, or a write with RETURNING).
TUPLES_OK = 2
# libpq's PQTRANS_IDLE: no transaction open on the connection.
IDLE = 0
NEVER = float("inf")
# The attribute of a psycopg connection that holds its kept raw cursor.
KEPT_CURSOR = "_vivace_raw_cursor"


class LoopPool:
    """One event loop's async pool, the connections it made, and the task that closes them."""

    closer: asyncio.Task[None]  # set once made: it runs _close_with_loop(loop, this)

    def __init__(self, pool: Any, connections: weakref.WeakSet[Any]) -> None:
        self.pool = pool
        self.connections = connections


class PostgresBackend:
    vendor = "postgresql"

    def __init__(self, database: Database) -> None:
        from ..database import require

        self.psycopg = require("psycopg", "postgres")
        self.pools = require("psycopg_pool", "postgres")
        self.database = database
        # Compiled statements use PostgreSQL's own $1, $2... and run on psycopg's RawCursor, which
        # sends them as they are: psycopg parses %(name)s queries on every execution past 4 KB
        # (most of a bulk insert's time); raw() SQL keeps psycopg's %s on a plain cursor.
        self.dialect = postgresql.psycopg.dialect(paramstyle="numeric_dollar")  # type: ignore[attr-defined]
        url = database.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self._pool: Any = None
        self._apools: dict[asyncio.AbstractEventLoop, LoopPool] = {}
        # Connections that ran an autocommit statement and are idle, kept out of the pool between
        # statements: taking one is a pop, where the pool's checkout costs 8-20 µs per statement.
        self._idle: deque[Any] = deque()
        self._aidle: dict[asyncio.AbstractEventLoop, list[Any]] = {}

    def make_engine(self) -> sa.Engine:
        url = self.database.url.set(drivername="postgresql+psycopg")
        return sa.create_engine(url, poolclass=sa.pool.NullPool)

    def _kwargs(self) -> dict[str, Any]:
        return {"autocommit": True, "options": "-c TimeZone=UTC"}

    def _pool_options(self) -> dict[str, Any]:
        """The options of the sync pool and of every loop's async pool."""
        return {
            "min_size": 1,
            "max_size": self.database.pool_size,
            "timeout": self.database.pool_timeout,
            "max_lifetime": self.database.max_lifetime,
            "kwargs": self._kwargs(),
            "open": False,
        }

    # Errors --------------------------------------------------------------------------

    def _translate(self, exc: Exception) -> Exception:
        errors = self.psycopg.errors
        if isinstance(exc, errors.IntegrityError):
            diag = getattr(exc, "diag", None)
            constraint = getattr(diag, "constraint_name", None)
            return IntegrityError(f"integrity error: {exc}".strip(), constraint)
        if isinstance(exc, self.pools.PoolTimeout):
            return self.database.unavailable(
                f"no connection free within pool_timeout ({self.database.pool_timeout:g}s)"
            )
        if isinstance(exc, self.psycopg.OperationalError):
            return self.database.unavailable(str(exc).splitlines()[0] if str(exc) else "connection failed")
        if isinstance(exc, self.psycopg.Error):
            return DatabaseError(str(exc).strip() or type(exc).__name__)
        return exc

    # Sync ----------------------------------------------------------------------------

    def _sync_pool(self) -> Any:
        if self._pool is None:
            self._pool = self.pools.ConnectionPool(self.conninfo, **self._pool_options())
            self._pool.open(wait=False)
        return self._pool

    def run(self, connection: Any, sql: str, params: Any, many: bool, raw: bool = False) -> Result:
        try:
            if raw:
                with connection.cursor() as cursor:
                    return _run(cursor, sql, params, many, raw)
            return _run(self._kept_cursor(connection), sql, params, many, raw)
        except Exception as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from None

    def _kept_cursor(self, connection: Any, kind: Any = None) -> Any:
        """The raw cursor that lives with ``connection``: making one per statement costs ~12 µs.

        It is kept on the connection itself, so it goes wherever the connection goes: a connection
        that broke or outlived max_lifetime is closed by the pool, its cursor with it, and its
        replacement makes a cursor of its own. A client-side cursor holds no server state; its
        last result is held until the connection's next statement.
        """
        cursor = getattr(connection, KEPT_CURSOR, None)
        if cursor is None or cursor.closed:
            cursor = (kind or self.psycopg.RawCursor)(connection)
            setattr(connection, KEPT_CURSOR, cursor)
        return cursor

    def run_autocommit(self, sql: str, params: Any, many: bool, raw: bool = False) -> Result:
        for attempt in (1, 2):
            try:
                connection = self.acquire()
                try:
                    result = self.run(connection, sql, params, many, raw)
                except BaseException:
                    self._sync_pool().putconn(connection)  # the pool drops it if it broke
                    raise
                self.release(connection)
                return result
            except Exception as exc:
                # A connection that broke (server restarted) is dropped by the pool; so are the idle
                # ones, which broke with it. Try one fresh one.
                if attempt == 1 and self._broken(exc):
                    while self._idle:
                        stale = self._idle.pop()
                        stale.close()
                        self._sync_pool().putconn(stale)
                    continue
                if isinstance(exc, self.pools.PoolTimeout):
                    raise self._translate(exc) from None
                raise
        raise AssertionError("unreachable")

    def _broken(self, exc: Exception) -> bool:
        from ..exceptions import DatabaseUnavailable

        return isinstance(exc, DatabaseUnavailable) and "pool_timeout" not in str(exc)

    def acquire(self) -> Any:
        idle = self._idle
        while idle:
            try:
                connection = idle.pop()
            except IndexError:  # another thread took the last one
                break
            if _reusable(connection):
                return connection
            # Past max_lifetime, or closed: the pool closes it and opens a replacement.
            self._sync_pool().putconn(connection)
        try:
            return self._sync_pool().getconn()
        except Exception as exc:
            raise self._translate(exc) from None

    def release(self, connection: Any) -> None:
        # Kept idle even if it expired meanwhile: acquire() checks, once per statement.
        if connection.pgconn.transaction_status == IDLE:
            self._idle.append(connection)
        else:
            self._sync_pool().putconn(connection)

    def begin(self, connection: Any) -> None:
        self.run(connection, "BEGIN", (), False)

    # Async ---------------------------------------------------------------------------

    async def _async_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        held = self._apools.get(loop)
        if held is None:
            held = self._new_async_pool(loop)
            await held.pool.open(wait=False)
        return held.pool

    def _new_async_pool(self, loop: asyncio.AbstractEventLoop) -> LoopPool:
        self._forget_closed_loops()
        made: weakref.WeakSet[Any] = weakref.WeakSet()

        async def remember(connection: Any) -> None:
            made.add(connection)

        pool = self.pools.AsyncConnectionPool(self.conninfo, configure=remember, **self._pool_options())
        held = self._apools[loop] = LoopPool(pool, made)
        self._aidle[loop] = []
        held.closer = loop.create_task(self._close_with_loop(loop, held), name="vivace-postgres-closer")
        return held

    async def _close_with_loop(self, loop: asyncio.AbstractEventLoop, held: LoopPool) -> None:
        """Close a loop's pool and its connections when the loop ends, or sooner for ``aclose()``.

        ``asyncio.run()`` and ``asyncio.Runner`` (hence uvicorn, ``uvloop.run`` and pytest-asyncio)
        cancel every task of the loop once the main coroutine is done, then finalize async generators
        and close the loop: this task's cancellation is the first sign of the end, and it comes while
        the loop still runs. Nothing later would do: a pool worker cancelled while connecting
        swallows its cancellation and waits for work forever, and ``asyncio.run()`` waits for it;
        closing the pool sends it its stop. A loop closed without cancelling its tasks never runs
        this: see ``_forget_closed_loops``.
        """
        with contextlib.suppress(asyncio.CancelledError):
            await loop.create_future()  # never done
        self._apools.pop(loop, None)
        self._aidle.pop(loop, None)
        cancels = held.closer.cancelling()
        try:
            await held.pool.close()
        except asyncio.CancelledError:
            # The loop's end cancelled the pool's workers too: close() sent them their stop (which
            # ends one that swallowed its cancellation), then gave up on the cancelled ones before
            # closing the pool's connections.
            if held.closer.cancelling() > cancels:  # this task was cancelled again
                raise
        for connection in list(held.connections):
            # One in a transaction or a statement is its task's to finish: the closed pool closes
            # it when that task gives it back.
            if connection.pgconn.transaction_status == IDLE:
                await connection.close()

    async def _stop(self, held: LoopPool) -> None:
        """Have ``held``'s closer close it now, on its loop; closing twice is harmless."""
        if not held.closer.cancelling():  # the loop's end may have asked already
            held.closer.cancel()
        await asyncio.shield(held.closer)

    def _forget_closed_loops(self) -> None:
        """Drop the pools of loops closed without cancelling their tasks (``asyncio.run()`` cancels them).

        Nothing runs on such a loop any more: its connections' sockets are closed directly.
        """
        for loop in [loop for loop in list(self._apools) if loop.is_closed()]:
            self._aidle.pop(loop, None)
            held = self._apools.pop(loop, None)
            if held is not None:
                for connection in list(held.connections):
                    connection.pgconn.finish()

    async def _putconn(self, connection: Any) -> None:
        held = self._apools.get(asyncio.get_running_loop())
        if held is None:  # its pool is closed (aclose(), or the loop's end): close it too
            await connection.close()
        else:
            await held.pool.putconn(connection)

    async def arun(self, connection: Any, sql: str, params: Any, many: bool, raw: bool = False) -> Result:
        try:
            if raw:
                async with connection.cursor() as cursor:
                    return await _arun(cursor, sql, params, many, raw)
            return await _arun(
                self._kept_cursor(connection, self.psycopg.AsyncRawCursor), sql, params, many, raw
            )
        except Exception as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from None

    async def arun_autocommit(self, sql: str, params: Any, many: bool, raw: bool = False) -> Result:
        for attempt in (1, 2):
            try:
                connection = await self.aacquire()
                try:
                    result = await self.arun(connection, sql, params, many, raw)
                except BaseException:
                    await self._putconn(connection)  # the pool drops it if it broke
                    raise
                await self.arelease(connection)
                return result
            except Exception as exc:
                if attempt == 1 and self._broken(exc):
                    idle = self._aidle.get(asyncio.get_running_loop()) or []
                    while idle:
                        stale = idle.pop()
                        await stale.close()
                        await self._putconn(stale)
                    continue
                if isinstance(exc, self.pools.PoolTimeout):
                    raise self._translate(exc) from None
                raise
        raise AssertionError("unreachable")

    async def aacquire(self) -> Any:
        idle = self._aidle.get(asyncio.get_running_loop())
        while idle:
            connection = idle.pop()
            if _reusable(connection):
                return connection
            await self._putconn(connection)
        try:
            return await (await self._async_pool()).getconn()
        except Exception as exc:
            raise self._translate(exc) from None

    async def arelease(self, connection: Any) -> None:
        idle = self._aidle.get(asyncio.get_running_loop())
        if idle is not None and connection.pgconn.transaction_status == IDLE:
            idle.append(connection)
        else:
            await self._putconn(connection)

    async def abegin(self, connection: Any) -> None:
        await self.arun(connection, "BEGIN", (), False)

    # Life cycle ----------------------------------------------------------------------

    def close(self) -> None:
        if self._pool is not None:
            while self._idle:
                self._pool.putconn(self._idle.pop())
            self._pool.close()
            self._pool = None

    async def aclose(self) -> None:
        """Close every loop's pool: this loop's here, a running loop's on that loop; drop a closed loop's."""
        current = asyncio.get_running_loop()
        for loop, held in list(self._apools.items()):
            if loop is current:
                await self._stop(held)
            elif loop.is_running():
                done = asyncio.run_coroutine_threadsafe(self._stop(held), loop)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.wrap_future(done), 5)
        self._forget_closed_loops()
        self.close()


def _reusable(connection: Any) -> bool:
    """Whether an idle connection may serve again: open, and within the pool's max_lifetime.

    psycopg_pool stamps each connection it opens with its expiry (``_expire_at``, jittered so
    connections do not all expire at once) and checks it only when a connection is returned.
    """
    return not connection.closed and getattr(connection, "_expire_at", NEVER) > monotonic()


def _run(cursor: Any, sql: str, params: Any, many: bool, raw: bool) -> Result:
    if many:
        cursor.executemany(sql, params)
        return Result([], cursor.rowcount)
    cursor.execute(sql, params)
    # cursor.description builds a Column per column on each access (~7 µs for five):
    # the result's status says whether there are rows.
    result = cursor.pgresult
    if result is None or result.status != TUPLES_OK:
        return Result([], max(cursor.rowcount, 0))
    rows = cursor.fetchall()
    return Result(rows, len(rows), _names(cursor) if raw else None)


async def _arun(cursor: Any, sql: str, params: Any, many: bool, raw: bool) -> Result:
    if many:
        await cursor.executemany(sql, params)
        return Result([], cursor.rowcount)
    await cursor.execute(sql, params)
    result = cursor.pgresult
    if result is None or result.status != TUPLES_OK:
        return Result([], max(cursor.rowcount, 0))
    rows = await cursor.fetchall()
    return Result(rows, len(rows), _names(cursor) if raw else None)


def _names(cursor: Any) -> list[str] | None:
    description = cursor.description
    return [column[0] for column in description] if description else None
