"""The two databases a run measures on: a SQLite file and a throwaway PostgreSQL cluster.

Both hold TechEmpower's schema, ``world(id, randomnumber)`` with 10,000 rows and
``fortune(id, message)`` with the twelve standard rows, and both are made and
removed by the run itself. Each gives the apps a ``DATABASE_URL`` and the
checker a way to read rows back.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from spec import FORTUNES, WORLD_ROWS

PG_USER = "benchmarkdbuser"
PG_PASSWORD = "benchmarkdbpass"
PG_DATABASE = "hello_world"
PG_CORE = 0
CLUSTER_PREFIX = "vivace-tfb-pg-"
RUNNER_PID = "runner.pid"

SCHEMA = (
    "CREATE TABLE world (id integer NOT NULL PRIMARY KEY, randomnumber integer NOT NULL DEFAULT 0)",
    "CREATE TABLE fortune (id integer NOT NULL PRIMARY KEY, message varchar(2048) NOT NULL)",
)


class Database(Protocol):
    name: str
    url: str

    def world(self) -> dict[int, int]:
        """Every row of ``world``, id to randomnumber."""
        ...

    def describe(self) -> str: ...

    def pids(self) -> set[int]:
        """Processes of the database server, whose work counts when waiting for quiet."""
        ...


def seed_rows(seed: int = 1) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(id_, rng.randint(1, WORLD_ROWS)) for id_ in range(1, WORLD_ROWS + 1)]


@dataclass
class SQLiteDatabase:
    """A SQLite file in write-ahead-log mode, so readers never wait for the writer."""

    path: Path
    name: str = "sqlite"

    @classmethod
    def create(cls, folder: Path) -> SQLiteDatabase:
        path = folder / "hello_world.sqlite3"
        with contextlib.closing(sqlite3.connect(path)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            for statement in SCHEMA:
                connection.execute(statement)
            connection.executemany("INSERT INTO world VALUES (?, ?)", seed_rows())
            connection.executemany("INSERT INTO fortune VALUES (?, ?)", FORTUNES)
            connection.commit()
        return cls(path)

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def world(self) -> dict[int, int]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=10)) as connection:
            return dict(connection.execute("SELECT id, randomnumber FROM world").fetchall())

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (file in WAL mode)"

    def pids(self) -> set[int]:
        return set()


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster made with ``initdb`` in a temporary folder, pinned to core 0.

    As root the server runs as the ``postgres`` user (``runuser``); otherwise as
    the current user. ``stop()`` shuts it down and removes the folder.
    """

    folder: Path
    port: int
    bin_dir: Path
    version: str = ""
    name: str = "postgres"
    _log: Path = field(init=False)

    def __post_init__(self) -> None:
        self._log = self.folder / "server.log"

    @classmethod
    def create(cls, cores: str = str(PG_CORE)) -> PostgresCluster:
        bin_dir = find_postgres_bin()
        sweep_abandoned(bin_dir)
        folder = Path(tempfile.mkdtemp(prefix=CLUSTER_PREFIX))
        (folder / RUNNER_PID).write_text(str(os.getpid()))
        cluster = cls(folder, free_port(), bin_dir)
        try:
            cluster._init_and_start(cores)
            cluster._seed()
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @property
    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _init_and_start(self, cores: str) -> None:
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
        data = self.folder / "data"
        _run(
            [
                *self._as_owner,
                str(self.bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ]
        )
        options = (
            f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 "
            "-c max_connections=300 -c synchronous_commit=off"
        )
        _run(
            [
                "taskset",
                "-c",
                cores,
                *self._as_owner,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self._log),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self.version = _run([str(self.bin_dir / "postgres"), "--version"]).strip()

    def _seed(self) -> None:
        import psycopg

        admin = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"CREATE ROLE {PG_USER} LOGIN PASSWORD '{PG_PASSWORD}'")
            connection.execute(f"CREATE DATABASE {PG_DATABASE} OWNER {PG_USER} ENCODING 'UTF8'")
        with psycopg.connect(self.url) as connection:
            for statement in SCHEMA:
                connection.execute(statement)
            with connection.cursor() as cursor:
                cursor.executemany("INSERT INTO world VALUES (%s, %s)", seed_rows())
                cursor.executemany("INSERT INTO fortune VALUES (%s, %s)", FORTUNES)
            connection.execute("ANALYZE")

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.port}/{PG_DATABASE}"

    def world(self) -> dict[int, int]:
        import psycopg

        with psycopg.connect(self.url) as connection:
            return dict(connection.execute("SELECT id, randomnumber FROM world").fetchall())

    def describe(self) -> str:
        return f"{self.version or 'PostgreSQL'} (on core {PG_CORE}, the web server's core)"

    def pids(self) -> set[int]:
        """The postmaster's process id; its children are the backends."""
        try:
            return {int((self.folder / "data" / "postmaster.pid").read_text().split()[0])}
        except (OSError, ValueError, IndexError):
            return set()

    def stop(self) -> None:
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                _run(
                    [
                        *self._as_owner,
                        str(self.bin_dir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        "30",
                        "stop",
                    ]
                )
        shutil.rmtree(self.folder, ignore_errors=True)


def sweep_abandoned(bin_dir: Path) -> None:
    """Stop and remove clusters of earlier runs whose runner is gone (killed before it cleaned up)."""
    for folder in Path(tempfile.gettempdir()).glob(CLUSTER_PREFIX + "*"):
        try:
            runner = int((folder / RUNNER_PID).read_text())
        except (OSError, ValueError):
            continue  # not ours to judge: no record of the run that made it
        if _alive(runner):
            continue
        data = folder / "data"
        if (data / "postmaster.pid").exists():
            owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
                _run([*owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_postgres_bin() -> Path:
    """``$PG_BIN``, else the newest ``/usr/lib/postgresql/N/bin`` holding ``initdb``."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        raise RuntimeError(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): "
            "apt-get install postgresql-15, or set PG_BIN"
        )
    return candidates[-1].parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        output = result.stderr or result.stdout
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{output}")
    return result.stdout


@contextlib.contextmanager
def databases(names: list[str], folder: Path) -> Iterator[dict[str, Database]]:
    """The databases named (``sqlite``, ``postgres``), made on entry and removed on exit."""
    made: dict[str, Database] = {}
    cluster: PostgresCluster | None = None
    try:
        for name in names:
            if name == "sqlite":
                made[name] = SQLiteDatabase.create(folder)
            elif name == "postgres":
                cluster = PostgresCluster.create()
                made[name] = cluster
            else:
                raise ValueError(f"unknown database {name!r}")
        yield made
    finally:
        if cluster is not None:
            cluster.stop()
