"""The data layer's fixtures: every test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is a throwaway cluster that the session starts in a temp
folder (Debian's binaries), or the server named by ``VIVACE_TEST_POSTGRES_URL``.
A missing server is a failure, never a skip. Each test gets a clean database:
a SQLite file in its ``tmp_path``, or on PostgreSQL a role of its own whose
schema (PostgreSQL's default ``"$user"`` search path) starts empty, which is
much faster than a ``CREATE DATABASE`` per test. Each test also gets its own
``Registry()``, so models never leak from one test to the next.

``db`` is what tests use::

    def test_x(db):
        class Note(db.Model):
            title = fields.String(max_length=20)
        db.create_all()
        with db.queries() as sql:
            Note.objects.create(title="a")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from vivace import App
from vivace.db import Registry
from vivace.db.models import Model

from .blog import Blog, declare

T = TypeVar("T")

PG_BIN = Path(os.environ.get("VIVACE_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
VENDORS = ("sqlite", "postgres")


# The PostgreSQL server -------------------------------------------------------------------


class PostgresServer:
    """A server the tests may create roles on; ``fresh_url()`` gives an empty schema."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = sa.engine.make_url(admin_url).set(drivername="postgresql")
        self.prefix = f"vivace_{secrets.token_hex(3)}"
        self._ids = itertools.count(1)
        self._roles: list[str] = []
        self._admin: Any = None

    def admin(self) -> Any:
        import psycopg

        if self._admin is None or self._admin.closed:
            conninfo = self.admin_url.render_as_string(hide_password=False)
            self._admin = psycopg.connect(conninfo, autocommit=True)
        return self._admin

    def fresh_url(self) -> str:
        role = f"{self.prefix}_{next(self._ids)}"
        self.admin().execute(
            f"CREATE ROLE {role} LOGIN PASSWORD '{role}'; CREATE SCHEMA {role} AUTHORIZATION {role}"
        )
        self._roles.append(role)
        url = self.admin_url.set(username=role, password=role)
        return url.render_as_string(hide_password=False)

    def close(self) -> None:
        """Drop what the session created (matters on a server that outlives the session)."""
        if self._admin is None:
            return
        with contextlib.suppress(Exception):
            connection = self.admin()
            for role in self._roles:
                connection.execute(f"DROP SCHEMA IF EXISTS {role} CASCADE")
                connection.execute(f"DROP ROLE IF EXISTS {role}")
        self._admin.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    """``initdb`` refuses to run as root: run the server's tools as the ``postgres`` user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def _throwaway_cluster() -> Iterator[str]:
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not initdb.exists() or not pg_ctl.exists():
        pytest.fail(
            f"PostgreSQL binaries not found in {PG_BIN} (apt-get install postgresql-15); the data "
            "layer's tests need a real server: install it, or set VIVACE_TEST_POSTGRES_URL",
            pytrace=False,
        )
    # Not below pytest's temp folder: that one is private to root and the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="vivace-pg-"))
    data = folder / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        _run(
            _as_postgres(
                str(initdb),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            )
        )
        port = _free_port()
        options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        options += " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        log = folder / "server.log"
        try:
            _run(_as_postgres(str(pg_ctl), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"))
        except RuntimeError as exc:
            server_log = log.read_text() if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {exc}\n{server_log}", pytrace=False)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(_as_postgres(str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = os.environ.get("VIVACE_TEST_POSTGRES_URL")
    with contextlib.ExitStack() as stack:
        url = external or stack.enter_context(_throwaway_cluster())
        server = PostgresServer(url)
        try:
            server.admin()
        except Exception as exc:
            pytest.fail(f"cannot reach the PostgreSQL server at {url}: {exc}", pytrace=False)
        try:
            yield server
        finally:
            server.close()


# One clean database per test ---------------------------------------------------------


@dataclass
class DB:
    """One test's app, registry and database; ``vendor`` is ``"sqlite"`` or ``"postgresql"``."""

    app: App
    registry: Registry
    vendor: str
    statements: list[str] = field(default_factory=list)

    @property
    def Model(self) -> type[Model]:
        return self.registry.Model

    @property
    def database(self) -> Any:
        return self.app.db.database

    def create_all(self) -> None:
        self.app.db.create_all()

    @contextlib.contextmanager
    def queries(self) -> Iterator[list[str]]:
        """The SQL text of every statement run inside the block."""
        captured: list[str] = []

        def listen(*, sql: str, **_: Any) -> None:
            captured.append(sql)

        unsubscribe = self.app.events.subscribe("db.query", listen)
        try:
            yield captured
        finally:
            unsubscribe()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run async test code in a fresh event loop, closing the loop's connections after it."""
        database = self.database

        async def main() -> T:
            try:
                return await coroutine
            finally:
                await database.aclose()

        return asyncio.run(main())


_vendor_of: dict[str, str] = {}


@pytest.fixture(params=VENDORS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DB]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_server").fresh_url()
    app = App("t", root=tmp_path, database_url=url)
    registry = Registry("t")
    app.db.use(registry)
    harness = DB(app, registry, app.db.database.vendor)
    try:
        yield harness
    finally:
        app.db.database.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("db") in VENDORS:
            _vendor_of[item.nodeid] = callspec.params["db"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _vendor_of:
        return
    counts = {vendor: {"passed": 0, "failed": 0, "xfailed": 0} for vendor in VENDORS}
    for outcome in ("passed", "failed", "xfailed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            vendor = _vendor_of.get(getattr(report, "nodeid", ""))
            if vendor is None or (outcome == "passed" and report.when != "call"):
                continue
            key = "failed" if outcome == "error" else outcome
            counts[vendor][key] += 1
    line = ", ".join(
        f"{vendor} {c['passed']} passed"
        + (f" {c['failed']} failed" if c["failed"] else "")
        + (f" {c['xfailed']} xfailed" if c["xfailed"] else "")
        for vendor, c in counts.items()
    )
    terminalreporter.write_line(f"db tests: {line}")


@pytest.fixture
def blog(db: DB) -> Blog:
    """The blog schema, its tables created, no rows."""
    schema = declare(db.registry)
    db.create_all()
    return schema
