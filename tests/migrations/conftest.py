"""Fixtures of the migration and fixture tests: every test runs on SQLite and on PostgreSQL.

``project`` is a folder standing for a project (``migrations/`` goes in it),
with a clean database; ``project.migrations(registry)`` builds an app over
that folder and database using ``registry``'s models, and returns its
``Migrations``. Each version of a test's models is a fresh ``Registry``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import vivace.db  # noqa: F401 - provides app.db
from vivace import App
from vivace.db import Registry
from vivace.db.migrations import Migrations

from .support import Server, default_models_elsewhere, shared_server

VENDORS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    with shared_server() as server:
        yield server


@pytest.fixture(autouse=True)
def own_models_only() -> Iterator[None]:
    with default_models_elsewhere():
        yield


@pytest.fixture(params=VENDORS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    server: Server = request.getfixturevalue("postgres")
    with server.database() as url:
        yield url


@dataclass
class Project:
    """A project folder and its database."""

    root: Path
    url: str
    apps: list[App] = field(default_factory=list)
    _engine: sa.Engine | None = None

    @property
    def vendor(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    def app(self, *registries: Registry) -> App:
        app = App("project", root=self.root, database_url=self.url)
        for registry in registries:
            app.db.use(registry)
        self.apps.append(app)
        return app

    def migrations(self, *registries: Registry, **options: Any) -> Migrations:
        return Migrations.for_app(self.app(*registries), **options)

    @property
    def engine(self) -> sa.Engine:
        """A plain engine, to look at the database from outside vivace."""
        if self._engine is None:
            url = sa.engine.make_url(self.url)
            if self.vendor == "postgresql":
                url = url.set(drivername="postgresql+psycopg")
            self._engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        return self._engine

    def tables(self) -> set[str]:
        return set(sa.inspect(self.engine).get_table_names())

    def columns(self, table: str) -> dict[str, bool]:
        """Column name → nullable."""
        return {c["name"]: c["nullable"] for c in sa.inspect(self.engine).get_columns(table)}

    def indexes(self, table: str) -> set[str]:
        return {str(index["name"]) for index in sa.inspect(self.engine).get_indexes(table)}

    def execute(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.begin() as connection:
            result = connection.execute(sa.text(sql), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    def close(self) -> None:
        for app in self.apps:
            app.db.database.close()
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture
def project(tmp_path: Path, database_url: str) -> Iterator[Project]:
    root = tmp_path / "project"
    root.mkdir()
    found = Project(root, database_url)
    try:
        yield found
    finally:
        found.close()
