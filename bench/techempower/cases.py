"""The matrix: which apps run on which servers, for which tests and databases.

An *entry* is one app on one server (Django appears twice, on gunicorn and on
uvicorn). A *case* is an entry, a test and a database; plaintext and json
use no database and are measured once, on the first database's servers.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from spec import TESTS

APPS_DIR = Path(__file__).resolve().parent / "apps"
DATABASES = ("sqlite", "postgres")


@dataclass(frozen=True)
class Entry:
    """One app on one server."""

    name: str  # how the results name it
    framework: str  # the framework, whatever its server
    server: str  # "uvicorn", "gunicorn", "granian" or "vivace-run"
    target: str  # module:attribute, imported from APPS_DIR
    role: str  # "vivace", "ceiling", "peer" or "reference"
    workers: int = 1
    options: tuple[str, ...] = ()  # more command-line options for the server

    @property
    def server_label(self) -> str:
        label = {
            "uvicorn": "uvicorn (httptools, uvloop)",
            "gunicorn": "gunicorn (sync worker)",
            "granian": "granian (asgi)",
            "vivace-run": "vivace run (uvicorn, vivace's protocols)",
        }[self.server]
        label = " ".join([label, *self.options])
        return f"{label}, {self.workers} workers" if self.workers > 1 else label

    def command(self, port: int) -> list[str]:
        return [*self._command(port), *self.options]

    def _command(self, port: int) -> list[str]:
        python = sys.executable
        host, workers = "127.0.0.1", str(self.workers)
        if self.server == "uvicorn":
            return [
                python,
                "-m",
                "uvicorn",
                self.target,
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                workers,
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
                "--backlog",
                "2048",
            ]
        if self.server == "gunicorn":
            return [
                python,
                "-m",
                "gunicorn",
                self.target,
                "--bind",
                f"{host}:{port}",
                "--workers",
                workers,
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--backlog",
                "2048",
            ]
        if self.server == "granian":
            return [
                granian_path() or "granian",
                "--interface",
                "asgi",
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                workers,
                "--loop",
                "uvloop",
                "--log-level",
                "warning",
                "--no-access-log",
                self.target,
            ]
        if self.server == "vivace-run":
            return [
                python,
                "-m",
                "vivace.cli",
                "run",
                "--app",
                self.target,
                "--host",
                host,
                "--port",
                str(port),
                "--workers",
                workers,
            ]
        raise ValueError(f"unknown server {self.server!r}")


PEERS: tuple[Entry, ...] = (
    Entry("vivace", "vivace", "uvicorn", "vivace_app:app", "vivace"),
    Entry("raw-asgi", "raw-asgi", "uvicorn", "raw_asgi:app", "ceiling"),
    Entry("starlette", "starlette", "uvicorn", "starlette_app:app", "peer"),
    Entry("fastapi", "fastapi", "uvicorn", "fastapi_app:app", "peer"),
    Entry("litestar", "litestar", "uvicorn", "litestar_app:app", "peer"),
    Entry("flask", "flask", "gunicorn", "flask_app:app", "peer"),
    Entry("django-gunicorn", "django", "gunicorn", "django_app.wsgi:application", "peer"),
    Entry("django-uvicorn", "django", "uvicorn", "django_app.asgi:application", "peer"),
)

# Apps run only when named with --frameworks: measures that explain a result, not rivals.
REFERENCES: tuple[Entry, ...] = (
    Entry("raw-asgi+headers", "raw-asgi", "uvicorn", "raw_asgi_headers:app", "reference"),
)


def production_entries(workers: int) -> tuple[Entry, ...]:
    """vivace end to end on its production servers, each beside the raw ASGI app on the same server."""
    entries = [
        Entry("vivace @ vivace run", "vivace", "vivace-run", "vivace_app:app", "vivace", workers),
        # Production without the access log is vivace run's default; with it, the line per response costs.
        Entry(
            "vivace @ vivace run --access-log",
            "vivace",
            "vivace-run",
            "vivace_app:app",
            "vivace",
            workers,
            ("--access-log",),
        ),
        Entry("vivace @ uvicorn", "vivace", "uvicorn", "vivace_app:app", "vivace", workers),
        Entry("raw-asgi @ uvicorn", "raw-asgi", "uvicorn", "raw_asgi:app", "ceiling", workers),
    ]
    if granian_path() is not None:
        entries += [
            Entry("vivace @ granian", "vivace", "granian", "vivace_app:app", "vivace", workers),
            Entry("raw-asgi @ granian", "raw-asgi", "granian", "raw_asgi:app", "ceiling", workers),
        ]
    return tuple(entries)


def granian_path() -> str | None:
    beside = Path(sys.executable).with_name("granian")
    return str(beside) if beside.exists() else shutil.which("granian")


def ceiling_for(entry: Entry, entries: tuple[Entry, ...]) -> Entry | None:
    """The raw ASGI app on the same server as ``entry`` (on uvicorn for WSGI servers)."""
    ceilings = [e for e in entries if e.role == "ceiling"]
    same = [e for e in ceilings if e.server == entry.server]
    if same:
        return same[0]
    return next((e for e in ceilings if e.server == "uvicorn"), None)


@dataclass(frozen=True)
class Case:
    entry: Entry
    test: str
    database: str | None  # None for plaintext and json

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.entry.name, self.test, self.database or "-")


def matrix(entries: tuple[Entry, ...], tests: list[str], databases: list[str]) -> list[Case]:
    """Every case, in the order the tables show them."""
    cases = []
    for test in tests:
        targets: list[str | None] = list(databases) if TESTS[test].uses_database else [None]
        for database in targets:
            cases.extend(Case(entry, test, database) for entry in entries)
    return cases
