"""The data layer's fixtures: every test runs on SQLite and on a real PostgreSQL server.

The PostgreSQL server is a throwaway cluster that the session starts in a temp
folder (Debian's binaries), or the server named by ``VIVACE_TEST_POSTGRES_URL``.
A missing server is a failure, never a skip. Each test gets a clean database:
a SQLite file in its ``tmp_path``, or on PostgreSQL a role of its own whose
schema (its only search path) starts empty, which is much faster than a
``CREATE DATABASE`` per test; a schema whose tables were created is emptied
and reused by a later test that declares the same tables (see ``Recycler``).
Each test also gets its own ``Registry()``, so models never leak from one test
to the next.

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
import hashlib
import itertools
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from vivace import App
from vivace.db import Registry
from vivace.db.models import Model

from .blog import Blog, declare
from .multidb import (
    listening,
    multi,  # noqa: F401  (the fixture of the routing tests)
)

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
            f"CREATE ROLE {role} LOGIN PASSWORD '{role}'; CREATE SCHEMA {role} AUTHORIZATION {role}; "
            f"ALTER ROLE {role} SET search_path = {role}"
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
#
# Creating tables is most of a test's cost on PostgreSQL (and much of it on SQLite), and
# many tests declare the same models. So a database whose tables a test created is kept
# for the next test that declares the same tables: on PostgreSQL the schema is emptied
# (every row deleted, the id sequences restarted at 1), on SQLite a copy of the file
# taken right after create_all() is the next test's starting file. create_all() still
# runs in every test, and still creates every table the first time a schema is seen.


def schema_signature(registry: Registry, dialect: Any) -> str:
    """The DDL of a registry's tables: equal signatures, interchangeable databases."""
    parts = []
    for table in registry.metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        parts.extend(sorted(str(CreateIndex(index).compile(dialect=dialect)) for index in table.indexes))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class Recycler:
    """Databases with tables, emptied, by schema signature."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.schemas: dict[str, list[str]] = {}  # PostgreSQL: signature -> urls of empty schemas
        self.files: dict[str, Path] = {}  # SQLite: signature -> a file with the empty tables


@pytest.fixture(scope="session")
def recycler(tmp_path_factory: pytest.TempPathFactory) -> Recycler:
    return Recycler(tmp_path_factory.mktemp("schemas"))


class DB:
    """One test's app, registry and database; ``vendor`` is ``"sqlite"`` or ``"postgresql"``.

    The app is made when first needed: by ``create_all()``, which can then start from a
    database that already has the tables, or by any use of ``app``.
    """

    def __init__(self, request: pytest.FixtureRequest, tmp_path: Path, recycler: Recycler, kind: str) -> None:
        self.request = request
        self.tmp_path = tmp_path
        self.recycler = recycler
        self.kind = kind
        self.vendor = "sqlite" if kind == "sqlite" else "postgresql"
        self.registry = Registry("t")
        self.created = False
        self._app: App | None = None

    @property
    def Model(self) -> type[Model]:
        return self.registry.Model

    @property
    def app(self) -> App:
        if self._app is None:
            self._make_app(None)
        assert self._app is not None
        return self._app

    @property
    def database(self) -> Any:
        return self.app.db.database

    def _dialect(self) -> Any:
        if self.kind == "sqlite":
            return sqlite_dialect.dialect(paramstyle="qmark")
        return postgresql.psycopg.dialect()  # type: ignore[attr-defined]

    def _make_app(self, signature: str | None) -> None:
        file = self.tmp_path / "test.sqlite3"
        if self.kind == "sqlite":
            template = self.recycler.files.get(signature) if signature else None
            if template is not None:
                shutil.copyfile(template, file)
            url = f"sqlite:///{file}"
        else:
            reusable = self.recycler.schemas.get(signature, []) if signature else []
            url = reusable.pop() if reusable else self.request.getfixturevalue("postgres_server").fresh_url()
        self._app = App("t", root=self.tmp_path, database_url=url)
        self._app.db.use(self.registry)

    def create_all(self) -> None:
        if self._app is None:
            self._make_app(schema_signature(self.registry, self._dialect()))
        self.app.db.create_all()
        if self.kind == "sqlite" and not self.created:
            signature = schema_signature(self.registry, self._dialect())
            if signature not in self.recycler.files:
                template = self.recycler.folder / f"{signature}.sqlite3"
                source = sqlite3.connect(self.database.url.database)
                target = sqlite3.connect(template)
                with contextlib.closing(source), contextlib.closing(target):
                    source.backup(target)
                self.recycler.files[signature] = template
        self.created = True

    def release(self) -> None:
        """Close the database; an emptied PostgreSQL schema goes back for reuse."""
        if self._app is None:
            return
        database = self._app.db.database
        tables = [t.name for t in self.registry.metadata.sorted_tables]
        try:
            # A schema that cannot be emptied (a broken connection...) is simply not reused.
            with contextlib.suppress(Exception):
                if self.kind == "postgres" and self.created and tables and database._current() is None:
                    self._empty(database)
                    signature = schema_signature(self.registry, self._dialect())
                    url = database.url.render_as_string(hide_password=False)
                    self.recycler.schemas.setdefault(signature, []).append(url)
        finally:
            database.close()

    def _empty(self, database: Any) -> None:
        """Delete every row and restart the id sequences: cheaper than TRUNCATE for small tables.

        A key without a sequence (a UUID) gives NULL, and setval(NULL, ...) does nothing.
        """
        tables = self.registry.metadata.sorted_tables
        statements = [f"DELETE FROM {table.name}" for table in reversed(tables)]
        serials = [
            f"pg_get_serial_sequence('{table.name}', '{column.name}')"
            for table in tables
            for column in table.primary_key.columns
        ]
        if serials:
            statements.append("SELECT " + ", ".join(f"setval({s}, 1, false)" for s in serials))
        database.execute("; ".join(statements), None)

    @contextlib.contextmanager
    def queries(self) -> Iterator[list[str]]:
        """The SQL text of every statement run inside the block."""
        captured: list[str] = []
        with listening(self.app, lambda *, sql, **_: captured.append(sql)):
            yield captured

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
def db(request: pytest.FixtureRequest, tmp_path: Path, recycler: Recycler) -> Iterator[DB]:
    harness = DB(request, tmp_path, recycler, request.param)
    try:
        yield harness
    finally:
        harness.release()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        vendor = callspec.params.get("db", callspec.params.get("multi")) if callspec is not None else None
        if vendor in VENDORS:
            _vendor_of[item.nodeid] = vendor


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line with the data layer's pass count per database."""
    counts = {vendor: {"passed": 0, "failed": 0, "xfailed": 0} for vendor in (*VENDORS, "other")}
    seen = False
    for outcome in ("passed", "failed", "xfailed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            nodeid = getattr(report, "nodeid", "")
            if not nodeid.startswith("tests/db/") or (outcome == "passed" and report.when != "call"):
                continue
            seen = True
            vendor = _vendor_of.get(nodeid, "other")
            counts[vendor]["failed" if outcome == "error" else outcome] += 1
    if not seen:
        return
    line = ", ".join(
        f"{vendor} {c['passed']} passed"
        + (f" {c['failed']} failed" if c["failed"] else "")
        + (f" {c['xfailed']} xfailed" if c["xfailed"] else "")
        for vendor, c in counts.items()
        if vendor in VENDORS or any(c.values())
    )
    terminalreporter.write_line(f"db tests: {line}")


@pytest.fixture
def blog(db: DB) -> Blog:
    """The blog schema, its tables created, no rows."""
    schema = declare(db.registry)
    db.create_all()
    return schema
