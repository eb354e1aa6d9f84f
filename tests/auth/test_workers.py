"""Two worker processes behind one Redis: a login on one is a login on the other.

Each worker is a real uvicorn process serving ``worker_app.py``; users live in
a shared SQLite file, sessions and login throttling in a real ``redis-server``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from vivace import App
from vivace.db import default_registry

from .conftest import CHEAP, PASSWORD, SECRET, free_port

HERE = Path(__file__).parent
TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def start_worker(root: Path, redis_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "WORKER_ROOT": str(root),
        "REDIS_URL": redis_url,
        "VIVACE_SECRET_KEY": SECRET,
        "VIVACE_LOGIN_THROTTLE_ATTEMPTS": "3",
        **{f"VIVACE_{key.upper()}": str(value) for key, value in CHEAP.items()},
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "worker_app:app",
            "--app-dir",
            str(HERE),
            "--port",
            str(port),
            "--host",
            "127.0.0.1",
            "--log-level",
            "warning",
            "--lifespan",
            "on",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return process, f"http://127.0.0.1:{port}"


def wait_ready(process: subprocess.Popen[bytes], url: str) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"worker exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            return int(httpx.get(url + "/", timeout=1).json()["pid"])
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"worker at {url} did not start")


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[tuple[str, str]]:
    tmp_path = tmp_path_factory.mktemp("workers")
    setup = App("setup", root=tmp_path, secret_key=SECRET, **CHEAP)
    setup.db.create_all()
    setup.auth.create_user("alice", PASSWORD)
    default_registry.database = None
    setup.db.database.close()
    started = [start_worker(tmp_path, redis_url) for _ in range(2)]
    try:
        pids = {wait_ready(process, url) for process, url in started}
        assert len(pids) == 2
        yield started[0][1], started[1][1]
    finally:
        for process, _ in started:
            process.terminate()
        for process, _ in started:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            if process.stderr is not None:
                process.stderr.close()


def login_form(client: httpx.Client, base: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get(base + "/auth/login/")
    found = TOKEN.search(page.text)
    assert found is not None
    return client.post(
        base + "/auth/login/",
        data={"username": "alice", "password": password, "csrf_token": found.group(1)},
        headers={"Origin": base},
    )


@pytest.fixture
def fresh_redis(redis_url: str) -> None:
    with redis.Redis.from_url(redis_url) as connection:
        connection.flushdb()


@pytest.mark.usefixtures("fresh_redis")
def test_a_login_on_one_worker_is_served_by_the_other(workers: tuple[str, str]) -> None:
    first, second = workers
    with httpx.Client(timeout=10) as browser:
        assert login_form(browser, first).status_code == 303
        cookie = browser.cookies["session"]
        on_first = browser.get(first + "/me").json()
        on_second = httpx.get(second + "/me", cookies={"session": cookie}, timeout=10).json()
        assert on_first["user"] == on_second["user"] == "alice"
        assert on_first["pid"] != on_second["pid"]
        # Logging out on the second ends the session for the first too.
        page = httpx.get(second + "/auth/logout/", cookies={"session": cookie}, timeout=10)
        token = TOKEN.search(page.text)
        assert token is not None
        out = httpx.post(
            second + "/auth/logout/",
            data={"csrf_token": token.group(1)},
            cookies={"session": cookie},
            headers={"Origin": second},
            timeout=10,
        )
        assert out.status_code == 303
        refused = httpx.get(
            first + "/me", cookies={"session": cookie}, headers={"Accept": "application/json"}
        )
        assert refused.status_code == 401


@pytest.mark.usefixtures("fresh_redis")
def test_login_throttling_is_shared_by_the_workers(workers: tuple[str, str]) -> None:
    first, second = workers
    with httpx.Client(timeout=10) as browser:
        assert login_form(browser, first, "wrong").status_code == 400
        assert login_form(browser, second, "wrong").status_code == 400
        assert login_form(browser, first, "wrong").status_code == 400
        blocked = login_form(browser, second)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
