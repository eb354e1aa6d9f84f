"""PostgreSQL through psycopg 3: a sync pool and an async pool, autocommit connections."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ..exceptions import DatabaseError, IntegrityError

if TYPE_CHECKING:
    from ..database import Database, Result


class PostgresBackend:
    vendor = "postgresql"

    def __init__(self, database: Database) -> None:
        from ..database import require

        self.psycopg = require("psycopg", "postgres")
        self.pools = require("psycopg_pool", "postgres")
        self.database = database
        self.dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
        url = database.url.set(drivername="postgresql")
        self.conninfo = url.render_as_string(hide_password=False)
        self._pool: Any = None
        self._apools: dict[asyncio.AbstractEventLoop, Any] = {}

    def make_engine(self) -> sa.Engine:
        url = self.database.url.set(drivername="postgresql+psycopg")
        return sa.create_engine(url, poolclass=sa.pool.NullPool)

    def _kwargs(self) -> dict[str, Any]:
        return {"autocommit": True, "options": "-c TimeZone=UTC"}

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
            self._pool = self.pools.ConnectionPool(
                self.conninfo,
                min_size=1,
                max_size=self.database.pool_size,
                timeout=self.database.pool_timeout,
                kwargs=self._kwargs(),
                open=False,
            )
            self._pool.open(wait=False)
        return self._pool

    def run(self, connection: Any, sql: str, params: Any, many: bool) -> Result:
        from ..database import Result

        try:
            with connection.cursor() as cursor:
                if many:
                    cursor.executemany(sql, params)
                    return Result([], cursor.rowcount)
                cursor.execute(sql, params)
                rows = cursor.fetchall() if cursor.description else []
                return Result(rows, cursor.rowcount if cursor.rowcount >= 0 else len(rows), _names(cursor))
        except Exception as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from None

    def run_autocommit(self, sql: str, params: Any, many: bool) -> Result:
        for attempt in (1, 2):
            try:
                with self._sync_pool().connection() as connection:
                    return self.run(connection, sql, params, many)
            except Exception as exc:
                # A connection that broke (server restarted) is dropped by the pool; try one fresh one.
                if attempt == 1 and self._broken(exc):
                    continue
                if isinstance(exc, self.pools.PoolTimeout):
                    raise self._translate(exc) from None
                raise
        raise AssertionError("unreachable")

    def _broken(self, exc: Exception) -> bool:
        from ..exceptions import DatabaseUnavailable

        return isinstance(exc, DatabaseUnavailable) and "pool_timeout" not in str(exc)

    def acquire(self) -> Any:
        try:
            return self._sync_pool().getconn()
        except Exception as exc:
            raise self._translate(exc) from None

    def release(self, connection: Any) -> None:
        self._sync_pool().putconn(connection)

    def begin(self, connection: Any) -> None:
        self.run(connection, "BEGIN", (), False)

    # Async ---------------------------------------------------------------------------

    async def _async_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        pool = self._apools.get(loop)
        if pool is None:
            pool = self.pools.AsyncConnectionPool(
                self.conninfo,
                min_size=1,
                max_size=self.database.pool_size,
                timeout=self.database.pool_timeout,
                kwargs=self._kwargs(),
                open=False,
            )
            self._apools[loop] = pool
            await pool.open(wait=False)
        return pool

    async def arun(self, connection: Any, sql: str, params: Any, many: bool) -> Result:
        from ..database import Result

        try:
            async with connection.cursor() as cursor:
                if many:
                    await cursor.executemany(sql, params)
                    return Result([], cursor.rowcount)
                await cursor.execute(sql, params)
                rows = await cursor.fetchall() if cursor.description else []
                return Result(rows, cursor.rowcount if cursor.rowcount >= 0 else len(rows), _names(cursor))
        except Exception as exc:
            translated = self._translate(exc)
            if translated is exc:
                raise
            raise translated from None

    async def arun_autocommit(self, sql: str, params: Any, many: bool) -> Result:
        for attempt in (1, 2):
            try:
                pool = await self._async_pool()
                async with pool.connection() as connection:
                    return await self.arun(connection, sql, params, many)
            except Exception as exc:
                if attempt == 1 and self._broken(exc):
                    continue
                if isinstance(exc, self.pools.PoolTimeout):
                    raise self._translate(exc) from None
                raise
        raise AssertionError("unreachable")

    async def aacquire(self) -> Any:
        try:
            return await (await self._async_pool()).getconn()
        except Exception as exc:
            raise self._translate(exc) from None

    async def arelease(self, connection: Any) -> None:
        await (await self._async_pool()).putconn(connection)

    async def abegin(self, connection: Any) -> None:
        await self.arun(connection, "BEGIN", (), False)

    # Life cycle ----------------------------------------------------------------------

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    async def aclose(self) -> None:
        pools, self._apools = self._apools, {}
        for pool in pools.values():
            await pool.close()
        self.close()


def _names(cursor: Any) -> list[str] | None:
    description = cursor.description
    return [column[0] for column in description] if description else None
