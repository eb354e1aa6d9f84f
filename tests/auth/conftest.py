"""Fixtures of the auth tests: an app with cheap hashing and a memory mailer, on a SQLite file.

``make_app(**settings)`` builds the app (tables created, default registry
released after the test); ``AuthClient`` adds ``csrf()`` and ``login()`` to
the TestClient. ``redis_url`` starts a real ``redis-server`` (Debian's) on a
free port, without persistence, for the session.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import vivace.auth  # noqa: F401 - offers app.auth
from vivace import App
from vivace.db import default_registry
from vivace.testing import TestClient

SECRET = "test-secret-key-for-the-auth-tests-0123456789"
CHEAP = {"password_hash_cost": 1, "password_hash_memory": 8, "password_hash_parallelism": 1}
PASSWORD = "correct horse battery staple"
TOKEN_INPUT = re.compile(r'name="csrf_token" value="([^"]*)"')


class AuthClient(TestClient):
    def csrf(self, path: str = "/auth/login/") -> str:
        """The CSRF token of the form on ``path`` (a GET; the session cookie comes with it)."""
        page = self.get(path)
        found = TOKEN_INPUT.search(page.text)
        assert found is not None, page.text
        return found.group(1)

    @contextlib.contextmanager
    def other_browser(self, cookies: dict[str, str] | None = None) -> Iterator[AuthClient]:
        """This client with another cookie jar, for a second visitor of the same running app.

        (A second TestClient would stop the app when it closes.)
        """
        saved = httpx.Cookies(self.cookies)
        self.cookies = httpx.Cookies(cookies or {})
        try:
            yield self
        finally:
            self.cookies = saved

    @property
    def origin(self) -> str:
        return f"{self.base_url.scheme}://{self.base_url.netloc.decode()}"

    def login(self, username: str, password: str = PASSWORD, **extra: str) -> Any:
        """Log in through the login form, as a browser does (it sends Origin with a POST)."""
        token = self.csrf()
        return self.post(
            "/auth/login/",
            data={"username": username, "password": password, "csrf_token": token, **extra},
            headers={"origin": self.origin},
        )


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., App]]:
    apps: list[App] = []

    def make(**settings: Any) -> App:
        options = {"secret_key": SECRET, "mail_url": "memory:", **CHEAP, **settings}
        app = App("authtests", root=tmp_path, **options)
        apps.append(app)
        return app

    yield make
    for app in apps:
        layer = app.__dict__.get("db")
        if layer is not None and default_registry.database is layer.database:
            default_registry.database = None
            layer.database.close()


def serve(app: App, *, tables: bool = True, **options: Any) -> AuthClient:
    """A client of ``app``, whose auth tables are created first."""
    if tables:
        app.db.create_all()
    return AuthClient(app, **options)


def user(app: App, username: str = "alice", password: str = PASSWORD, **extra: Any) -> Any:
    return app.auth.create_user(username, password, **extra)


def session_cookie(response: Any, name: str = "session") -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return str(header.split(";", 1)[0].split("=", 1)[1])
    return None


# A real Redis server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)", pytrace=False)
    port = free_port()
    folder = tempfile.mkdtemp(prefix="vivace-redis-")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("redis-server did not start", pytrace=False)
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


# PostgreSQL (the data layer's throwaway server) -----------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[Callable[[], str]]:
    """``fresh()`` gives the URL of an empty schema on a real PostgreSQL server."""
    import os

    from db.conftest import PostgresServer, _throwaway_cluster

    with contextlib.ExitStack() as stack:
        url = os.environ.get("VIVACE_TEST_POSTGRES_URL") or stack.enter_context(_throwaway_cluster())
        server = PostgresServer(url)
        try:
            yield server.fresh_url
        finally:
            server.close()
