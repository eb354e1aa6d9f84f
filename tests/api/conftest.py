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
