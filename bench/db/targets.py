"""Where a run measures: a SQLite file and a throwaway PostgreSQL cluster, both made by the run.

A ``Target`` says how each contender reaches one database (vivace's URL,
SQLAlchemy's sync and async URLs, Django's settings, the raw driver's
arguments). ``sqlite_target`` makes a file in a temporary folder;
``postgres_cluster`` runs ``initdb`` and ``pg_ctl`` in a temporary folder,
yields the target and stops and removes the cluster when the block ends,
whatever happened inside.

PostgreSQL refuses to run as root: as root, the folder is given to the
``postgres`` user and the server binaries run through ``runuser``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PG_BIN = Path(os.environ.get("VIVACE_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
PG_DATABASE = "bench"
SQLITE_PRAGMAS = ("PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA busy_timeout = 5000")


@dataclass(frozen=True)
class Target:
    """One database, as each contender names it."""

    name: str  # "sqlite" or "postgres"
    path: Path | None = None  # the SQLite file
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def is_sqlite(self) -> bool:
        return self.name == "sqlite"

    @property
    def vivace_url(self) -> str:
        if self.is_sqlite:
            return f"sqlite:///{self.path}"
        return f"postgresql://{PG_USER}@{self.host}:{self.port}/{PG_DATABASE}"

    def sqlalchemy_url(self, *, asynchronous: bool) -> str:
        if self.is_sqlite:
            return f"sqlite+aiosqlite:///{self.path}" if asynchronous else f"sqlite:///{self.path}"
        return f"postgresql+psycopg://{PG_USER}@{self.host}:{self.port}/{PG_DATABASE}"

    @property
    def conninfo(self) -> str:
        """What ``psycopg.connect`` takes."""
        return f"host={self.host} port={self.port} user={PG_USER} dbname={PG_DATABASE}"

    def django_database(self) -> dict[str, Any]:
        if self.is_sqlite:
            # Django turns foreign keys on itself; the rest matches what the other contenders set.
            init = "; ".join(p for p in SQLITE_PRAGMAS if "foreign_keys" not in p)
            return {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(self.path),
                "OPTIONS": {"init_command": init},
            }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": PG_DATABASE,
            "USER": PG_USER,
            "HOST": self.host,
            "PORT": str(self.port),
        }

    def to_args(self) -> list[str]:
        if self.is_sqlite:
            return ["--target", self.name, "--path", str(self.path)]
        return ["--target", self.name, "--host", self.host, "--port", str(self.port)]


def sqlite_target(folder: Path) -> Target:
    return Target("sqlite", path=folder / "bench.sqlite3")


@contextlib.contextmanager
def postgres_cluster(folder: Path) -> Iterator[Target]:
    """A PostgreSQL 15 cluster in ``folder``/pg, listening on 127.0.0.1 and a free port."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(
            f"PostgreSQL binaries not found in {PG_BIN}: install Debian's postgresql package "
            "(or set VIVACE_PG_BIN), or run with --databases sqlite"
        )
    data = folder / "pg"
    data.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        shutil.chown(folder, PG_USER)
        shutil.chown(data, PG_USER)
    port = _free_port()
    log = data / "server.log"

    def server(*args: str) -> list[str]:
        command = [str(PG_BIN / args[0]), *args[1:]]
        return ["runuser", "-u", PG_USER, "--", *command] if as_root else command

    _run(server("initdb", "-D", str(data), "-A", "trust", "-U", PG_USER, "-E", "UTF8", "--no-sync"))
    options = f"-k {data} -p {port} -c listen_addresses=127.0.0.1"
    _run(server("pg_ctl", "-D", str(data), "-o", options, "-l", str(log), "-w", "start"))
    try:
        target = Target("postgres", port=port)
        _create_database(target)
        yield target
    finally:
        _run(server("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"), check=False)


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    """A temporary folder that any user can enter (the cluster lives below it)."""
    folder = Path(tempfile.mkdtemp(prefix="vivace-bench-db-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def server_version(target: Target) -> str:
    if target.is_sqlite:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    with psycopg.connect(target.conninfo, autocommit=True) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def stop_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so the finally blocks stop the cluster and remove the folder."""

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def _create_database(target: Target) -> None:
    import psycopg

    conninfo = f"host={target.host} port={target.port} user={PG_USER} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {PG_DATABASE}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str], *, check: bool = True) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        output = result.stderr or result.stdout
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{output}")
