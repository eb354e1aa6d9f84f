"""An event loop's PostgreSQL pool closes with the loop: no shut-down needed, no hang, nothing left behind.

``asyncio.run()`` (like ``asyncio.Runner``, ``uvloop.run``, uvicorn and pytest-asyncio) cancels every
task of its loop before closing it. The pool's workers are among them, and one that was connecting
swallows its cancellation: unless the pool is closed then, the loop never ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vivace import App
from vivace.db import Database

from .conftest import PostgresServer

Runner = Callable[[Coroutine[Any, Any, Any]], Any]

# A script that uses the ORM in asyncio.run() and never closes anything. Its second loop ends while
# the pool is still making its first connection: the case that hung.
SCRIPT = """
import asyncio
import sys

from vivace import App
from vivace.db import Registry, fields

registry = Registry("t")


class World(registry.Model):
    randomnumber = fields.Integer()

    class Meta:
        table_name = "world"


app = App("t", root=sys.argv[2], database_url=sys.argv[1])
app.db.use(registry)
pools = app.db.database.backend._apools


async def main() -> None:
    print((await World.objects.aget(pk=1)).randomnumber)


async def end_while_connecting() -> None:
    asyncio.get_running_loop().create_task(World.objects.aget(pk=1))
    # A few turns of the loop: the pool's worker starts connecting, and the server needs far longer
    # (a process to start) to answer.
    for _ in range(5):
        await asyncio.sleep(0)


if sys.argv[3] == "uvloop":
    import uvloop

    run = uvloop.run
else:
    run = asyncio.run
run(main())
run(end_while_connecting())
print(len(pools))
"""


@pytest.fixture(autouse=True)
def quiet_pool_warnings(caplog: pytest.LogCaptureFixture) -> None:
    """Keep psycopg_pool's warning about a connection attempt the loop's end cancelled out of the log.

    Its record holds the cancellation, whose traceback holds the half-made connection: captured by
    pytest, it would keep that connection open until the test ends.
    """
    caplog.set_level(logging.ERROR, logger="psycopg.pool")


@pytest.fixture(params=["asyncio", "uvloop"])
def runner(request: pytest.FixtureRequest) -> str:
    # uvloop comes with uvicorn[standard], a dependency of vivace: never a skip.
    return str(request.param)


@pytest.fixture
def run(runner: str) -> Runner:
    if runner == "uvloop":
        import uvloop

        return uvloop.run
    return asyncio.run


def server_pids(postgres_server: PostgresServer, url: str) -> set[int]:
    role = sa.engine.make_url(url).username
    rows = postgres_server.admin().execute("SELECT pid FROM pg_stat_activity WHERE usename = %s", [role])
    return {row[0] for row in rows.fetchall()}


def left_open(postgres_server: PostgresServer, url: str, pids: set[int] | None = None) -> set[int]:
    """Which of ``pids`` (all of ``url``'s role by default) the server still runs, once closed ones end.

    A server process ends a moment after its client hangs up: wait for it, bounded.
    """
    deadline = time.monotonic() + 5
    while True:
        left = server_pids(postgres_server, url)
        if pids is not None:
            left &= pids
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


async def pool_in_use(database: Database) -> Any:
    """Run a statement; answer this loop's pool."""
    assert (await database.aexecute("SELECT 1")).rows == [(1,)]
    return database.backend._apools[asyncio.get_running_loop()].pool


def test_a_script_that_never_closes_ends_promptly_and_leaves_no_connection(
    postgres_server: PostgresServer, runner: str, tmp_path: Path
) -> None:
    url = postgres_server.fresh_url()
    database = Database(url)
    try:
        database.execute("CREATE TABLE world (id serial PRIMARY KEY, randomnumber integer NOT NULL)")
        database.execute("INSERT INTO world (randomnumber) VALUES (42)")
    finally:
        database.close()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url, str(tmp_path), runner],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["42", "0"]
    # psycopg_pool notes the connection attempt the loop's end cancelled; nothing else is said.
    assert [line for line in done.stderr.splitlines() if "error connecting in" not in line] == []
    assert left_open(postgres_server, url) == set()


def test_the_loop_end_closes_its_pool_and_the_next_loop_gets_a_fresh_one(
    postgres_server: PostgresServer, run: Runner
) -> None:
    url = postgres_server.fresh_url()
    database = Database(url)
    backend = database.backend
    try:
        first = run(pool_in_use(database))
        assert first.closed
        assert backend._apools == {} and backend._aidle == {}
        assert left_open(postgres_server, url) == set()
        second = run(pool_in_use(database))
        assert second is not first and second.closed
        assert backend._apools == {} and backend._aidle == {}
        assert left_open(postgres_server, url) == set()
    finally:
        database.close()


def test_aclose_inside_the_loop_works_and_the_loop_end_after_it_is_harmless(
    postgres_server: PostgresServer, run: Runner, tmp_path: Path
) -> None:
    url = postgres_server.fresh_url()
    app = App("t", root=tmp_path, database_url=url)
    database = app.db.database
    backend = database.backend

    async def main() -> tuple[Any, Any]:
        loop = asyncio.get_running_loop()
        closed = await pool_in_use(database)
        await app.db.database.aclose()
        assert closed.closed
        assert loop not in backend._apools and loop not in backend._aidle
        await app.db.database.aclose()  # nothing left to close
        # A statement after aclose() gets a new pool, which the loop's end closes in turn.
        return closed, await pool_in_use(database)

    try:
        closed, reopened = run(main())
        assert reopened is not closed and reopened.closed
        assert backend._apools == {} and backend._aidle == {}
        run(database.aclose())  # after the loop's end, nothing either
        assert left_open(postgres_server, url) == set()
    finally:
        database.close()


def test_aclose_closes_the_pool_of_a_loop_running_in_another_thread(postgres_server: PostgresServer) -> None:
    url = postgres_server.fresh_url()
    database = Database(url)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever)
    thread.start()
    try:
        pool = asyncio.run_coroutine_threadsafe(pool_in_use(database), loop).result(10)
        asyncio.run(database.aclose())
        assert pool.closed
        assert database.backend._apools == {} and database.backend._aidle == {}
        assert left_open(postgres_server, url) == set()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
        database.close()


@contextlib.contextmanager
def collected_here() -> Iterator[None]:
    """Collect the block's garbage at its end, dropping the errors its finalizers cannot report."""
    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()
        sys.unraisablehook = previous


def test_a_loop_closed_without_cancelling_its_tasks_is_forgotten(postgres_server: PostgresServer) -> None:
    url = postgres_server.fresh_url()
    database = Database(url)
    backend = database.backend
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(pool_in_use(database))
    finally:
        loop.close()  # its tasks are left pending, the pool's workers and its closer among them
    # The connections its pool made; one still being made lives in a pending task.
    made = {connection.pgconn.backend_pid for connection in backend._apools[loop].connections}
    assert made

    async def main() -> set[int]:
        await pool_in_use(database)
        assert loop not in backend._apools and loop not in backend._aidle
        return left_open(postgres_server, url, made)

    try:
        # The next pool drops the closed loop's and closes its connections' sockets. The tasks left
        # pending on the closed loop cannot end cleanly: asyncio and psycopg_pool complain when
        # they are collected, which is done here rather than in a later test.
        with collected_here():
            assert asyncio.run(main()) == set()
        assert left_open(postgres_server, url) == set()
    finally:
        database.close()
