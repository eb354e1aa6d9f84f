"""Fixtures that start real servers: one per test, or one per module and parser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from vivace.server import ServerLimits

from .servers import HTTP_IMPLEMENTATIONS, SMALL_LIMITS, Running, running_server


@pytest.fixture(params=HTTP_IMPLEMENTATIONS)
def http(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def start_server(http: str) -> Iterator[Callable[..., Running]]:
    """Start a server with ``SMALL_LIMITS``, overridden by keyword; stopped after the test."""
    with ExitStack() as stack:

        def start(log_level: str = "warning", access_log: bool = True, **overrides: Any) -> Running:
            limits = ServerLimits(**{**SMALL_LIMITS, **overrides})
            return stack.enter_context(running_server(http, limits, log_level, access_log))

        yield start


@pytest.fixture
def server(start_server: Callable[..., Running]) -> Running:
    return start_server()


@pytest.fixture(scope="module", params=HTTP_IMPLEMENTATIONS)
def shared_server(request: pytest.FixtureRequest) -> Iterator[Running]:
    """One server per module and parser, for cases that each end with a closed
    connection; count handler calls as a difference."""
    with running_server(str(request.param), ServerLimits(**SMALL_LIMITS)) as running:
        yield running
