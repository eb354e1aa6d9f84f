"""Helpers of the api tests: a bare app per test and a client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import vivace.api  # noqa: F401 - app.api
from vivace import App
from vivace.testing import TestClient


@pytest.fixture
def app(tmp_path: Path) -> App:
    return App("t", root=tmp_path)


@pytest.fixture
def client(app: App) -> Iterator[Callable[[], TestClient]]:
    """``client()`` starts the app once every route is declared."""
    made: list[TestClient] = []

    def start() -> TestClient:
        if not made:
            made.append(TestClient(app).__enter__())
        return made[0]

    yield start
    for test_client in made:
        test_client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """A throwaway PostgreSQL server (or ``VIVACE_TEST_POSTGRES_URL``) for the tests that use a database."""
    import contextlib
    import os

    from db.conftest import PostgresServer, _throwaway_cluster

    with contextlib.ExitStack() as stack:
        url = os.environ.get("VIVACE_TEST_POSTGRES_URL") or stack.enter_context(_throwaway_cluster())
        server = PostgresServer(url)
        try:
            yield server
        finally:
            server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on SQLite, then on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return str(request.getfixturevalue("postgres_server").fresh_url())
