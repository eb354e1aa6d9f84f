"""Support for the migration and fixture tests: a PostgreSQL server, and the default registry kept apart.

A throwaway PostgreSQL server, one per test process:

Debian's binaries start a cluster in a temp folder owned by ``postgres``
(``initdb`` refuses to run as root); ``VIVACE_TEST_POSTGRES_URL`` names a
server to use instead. Missing binaries are a failure, never a skip. Each
test gets an empty database of its own, dropped afterwards.

Both ``tests/migrations`` and ``tests/cli/test_db_commands.py`` take the
server from ``shared_server()``: the first session fixture starts it, the
last one to finish stops it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from vivace.db import Database, default_registry

PG_BIN = Path("/usr/lib/postgresql/15/bin")
URL_VARIABLE = "VIVACE_TEST_POSTGRES_URL"


class Server:
    """A server the tests create databases on."""

    def __init__(self, url: str) -> None:
        self.url = sa.engine.make_url(url).set(drivername="postgresql")
        self.prefix = f"vivace_mig_{secrets.token_hex(3)}"
        self.names = itertools.count(1)
        self._admin: Any = None

    def admin(self) -> Any:
        import psycopg

        if self._admin is None or self._admin.closed:
            conninfo = self.url.set(database="postgres").render_as_string(hide_password=False)
            self._admin = psycopg.connect(conninfo, autocommit=True)
        return self._admin

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """The URL of an empty database, dropped when the block ends.

        It is a role with a schema of its own (PostgreSQL's ``"$user"`` search
        path puts its tables there): much faster than a ``CREATE DATABASE``.
        """
        role = f"{self.prefix}_{next(self.names)}"
        self.admin().execute(f"CREATE ROLE {role} LOGIN; CREATE SCHEMA {role} AUTHORIZATION {role}")
        try:
            yield self.url.set(username=role, password=None).render_as_string(hide_password=False)
        finally:
            self.admin().execute(f"DROP SCHEMA IF EXISTS {role} CASCADE; DROP ROLE IF EXISTS {role}")

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")


@contextlib.contextmanager
def _cluster() -> Iterator[str]:
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not (initdb.exists() and pg_ctl.exists()):
        pytest.fail(
            f"PostgreSQL's binaries are not in {PG_BIN}: install postgresql-15, or set {URL_VARIABLE}",
            pytrace=False,
        )
    folder = Path(tempfile.mkdtemp(prefix="vivace-migrations-pg-"))
    data = folder / "data"
    try:
        if os.geteuid() == 0:
            shutil.chown(folder, "postgres")
        _run(_as_postgres(str(initdb), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"))
        port = _free_port()
        options = f"-k {folder} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = folder / "server.log"
        try:
            _run(_as_postgres(str(pg_ctl), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"))
        except RuntimeError as exc:
            pytest.fail(f"PostgreSQL did not start: {exc}\n{log.read_text() if log.exists() else ''}")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(_as_postgres(str(pg_ctl), "-D", str(data), "-m", "immediate", "-w", "stop"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_shared: dict[str, Any] = {"server": None, "stack": None, "users": 0}


@contextlib.contextmanager
def shared_server() -> Iterator[Server]:
    """The process's server, started on first use and stopped when its last user is done."""
    if _shared["server"] is None:
        stack = contextlib.ExitStack()
        url = os.environ.get(URL_VARIABLE) or stack.enter_context(_cluster())
        server = Server(url)
        try:
            server.admin()
        except Exception as exc:
            stack.close()
            pytest.fail(f"cannot reach PostgreSQL at {url}: {exc}", pytrace=False)
        stack.callback(server.close)
        _shared.update(server=server, stack=stack)
    _shared["users"] += 1
    try:
        yield _shared["server"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared["stack"].close()
            _shared.update(server=None, stack=None)


@contextlib.contextmanager
def default_models_elsewhere() -> Iterator[None]:
    """Keep the models of vivace's default registry out of the test's apps.

    An app takes the default registry's models (auth's, once any test has
    imported ``vivace.auth``) when no other app has them yet. The apps here
    use their own ``Registry``; for the test, the default one is bound to an
    unused database marked as serving, as if another running app had it.
    """
    if not default_registry.models or default_registry.database is not None:
        yield
        return
    elsewhere = Database("sqlite://")
    elsewhere.serving = True
    default_registry.database = elsewhere
    try:
        yield
    finally:
        default_registry.database = None
        elsewhere.close()
