"""PostgreSQL connections kept idle between statements still honour max_lifetime, and broken ones go."""

from __future__ import annotations

import asyncio
import time

import pytest

from vivace import App
from vivace.core.exceptions import ConfigError
from vivace.db import Database, DatabaseError, atomic
from vivace.db.backends.postgres import KEPT_CURSOR

from .conftest import PostgresServer

LIFETIME = 0.6


def backend_pid(database: Database) -> int:
    return int(database.execute("SELECT pg_backend_pid()").rows[0][0])


async def abackend_pid(database: Database) -> int:
    return int((await database.aexecute("SELECT pg_backend_pid()")).rows[0][0])


def test_idle_connection_is_reused_within_its_lifetime(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url(), max_lifetime=60)
    try:
        first = backend_pid(database)
        assert [backend_pid(database) for _ in range(5)] == [first] * 5
    finally:
        database.close()


def server_pids(postgres_server: PostgresServer) -> set[int]:
    return {row[0] for row in postgres_server.admin().execute("SELECT pid FROM pg_stat_activity").fetchall()}


def test_idle_connection_past_max_lifetime_is_replaced(postgres_server: PostgresServer) -> None:
    # One connection in the pool, so every statement after the sleep needs a replacement.
    database = Database(postgres_server.fresh_url(), max_lifetime=LIFETIME, pool_size=1)
    try:
        first = backend_pid(database)
        time.sleep(LIFETIME + 0.2)
        second = backend_pid(database)
        assert second != first
        # The old server process is gone: the pool closed the connection, not just set it aside.
        # (The server process ends a moment after the client hangs up: wait for it, bounded.)
        deadline = time.monotonic() + 5
        while first in server_pids(postgres_server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first not in server_pids(postgres_server)
        # The replacement is fresh, so it is kept idle and serves again.
        assert backend_pid(database) == second
    finally:
        database.close()


def test_async_idle_connection_past_max_lifetime_is_replaced(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url(), max_lifetime=LIFETIME, pool_size=1)

    async def main() -> list[int]:
        try:
            pids = [await abackend_pid(database), await abackend_pid(database)]
            await asyncio.sleep(LIFETIME + 0.2)
            return [*pids, await abackend_pid(database), await abackend_pid(database)]
        finally:
            await database.aclose()

    first, same, later, again = asyncio.run(main())
    assert same == first
    assert later != first
    assert again == later


def test_connection_killed_by_the_server_is_discarded(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url())
    try:
        first = backend_pid(database)
        postgres_server.admin().execute("SELECT pg_terminate_backend(%s)", [first])
        # The idle connection is dead: the statement runs again on a new one, and the dead one is gone.
        second = backend_pid(database)
        assert second != first
        assert all(not c.closed for c in database.backend._idle)
        assert backend_pid(database) == second
    finally:
        database.close()


def test_async_connection_killed_by_the_server_is_discarded(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url())

    async def main() -> tuple[int, int]:
        try:
            first = await abackend_pid(database)
            postgres_server.admin().execute("SELECT pg_terminate_backend(%s)", [first])
            return first, await abackend_pid(database)
        finally:
            await database.aclose()

    first, second = asyncio.run(main())
    assert second != first


def test_max_lifetime_setting_reaches_the_database(postgres_server: PostgresServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = App("t", root=tmp_path, database_url=postgres_server.fresh_url(), database_max_lifetime=LIFETIME)
    try:
        assert app.db.database.max_lifetime == LIFETIME
        first = backend_pid(app.db.database)
        time.sleep(LIFETIME + 0.2)
        assert backend_pid(app.db.database) != first
    finally:
        app.db.database.close()


@pytest.mark.parametrize("value", [0, -1, "soon"])
def test_bad_max_lifetime_is_refused(tmp_path, value: object) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="database_max_lifetime"):
        App("t", root=tmp_path, database_max_lifetime=value)


def kept_cursor(connection: object) -> object:
    return getattr(connection, KEPT_CURSOR, None)


def test_idle_connection_keeps_one_raw_cursor(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url(), pool_size=1)
    try:
        pid = backend_pid(database)
        (connection,) = database.backend._idle
        cursor = kept_cursor(connection)
        assert cursor is not None
        assert [backend_pid(database) for _ in range(3)] == [pid] * 3
        assert database.backend._idle[0] is connection
        assert kept_cursor(database.backend._idle[0]) is cursor
        # A transaction runs on the same connection and cursor; a failed statement leaves it usable.
        with atomic(database):
            assert database.execute("SELECT 2").rows == [(2,)]
        with pytest.raises(DatabaseError):
            database.execute("SELECT no_such_column")
        assert database.execute("SELECT 3").rows == [(3,)]
        assert kept_cursor(database.backend._idle[0]) is cursor
    finally:
        database.close()


def test_kept_cursor_is_not_reused_after_the_connection_broke(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url(), pool_size=1)
    try:
        first = backend_pid(database)
        old_cursor = kept_cursor(database.backend._idle[0])
        postgres_server.admin().execute("SELECT pg_terminate_backend(%s)", [first])
        assert backend_pid(database) != first
        (connection,) = database.backend._idle
        assert kept_cursor(connection) not in (None, old_cursor)
    finally:
        database.close()


def test_kept_cursor_is_not_reused_after_max_lifetime(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url(), max_lifetime=LIFETIME, pool_size=1)
    try:
        first = backend_pid(database)
        old_cursor = kept_cursor(database.backend._idle[0])
        time.sleep(LIFETIME + 0.2)
        assert backend_pid(database) != first
        assert kept_cursor(database.backend._idle[0]) not in (None, old_cursor)
    finally:
        database.close()


def test_async_kept_cursor_follows_its_connection(postgres_server: PostgresServer) -> None:
    database = Database(postgres_server.fresh_url(), pool_size=1)

    async def main() -> None:
        try:
            first = await abackend_pid(database)
            idle = database.backend._aidle[asyncio.get_running_loop()]
            cursor = kept_cursor(idle[0])
            assert cursor is not None
            await abackend_pid(database)
            assert kept_cursor(idle[0]) is cursor
            postgres_server.admin().execute("SELECT pg_terminate_backend(%s)", [first])
            assert await abackend_pid(database) != first
            idle = database.backend._aidle[asyncio.get_running_loop()]
            assert kept_cursor(idle[0]) not in (None, cursor)
        finally:
            await database.aclose()

    asyncio.run(main())
