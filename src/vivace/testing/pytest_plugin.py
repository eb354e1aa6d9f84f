"""pytest fixtures for vivace apps.

A project's ``conftest.py`` defines an ``app`` fixture returning its app;
the ``client`` fixture then gives a ``TestClient`` with the lifespan run.
Without such a fixture, ``app`` is a fresh empty ``App`` in a temp folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def app(tmp_path: Path) -> Any:
    from vivace import App

    return App("tests", root=tmp_path)


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from vivace.testing import TestClient

    with TestClient(app) as test_client:
        yield test_client
