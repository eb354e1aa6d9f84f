"""examples/conduit against the official RealWorld API suite, on a real server, on SQLite and PostgreSQL.

The example is copied to a temp folder and started as its README says, from
that folder: ``vivace migrate``, then ``vivace run``, with ``DATABASE_URL``
naming a temp SQLite file or a database of the throwaway PostgreSQL server
(``tests/migrations/support.py``). The suite is the unmodified Bruno
collection in ``../shared/realworld/bruno``, copied to a temp folder and run
folder by folder with Bruno's CLI from npm (``npx`` installs it on first use).
All 154 requests must pass, and the server must answer no 500.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from migrations.support import shared_server

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "conduit"
SUITE = Path(os.environ.get("REALWORLD_SUITE", REPO.parent / "shared" / "realworld")) / "bruno"
BRUNO = "@usebruno/cli@4.1.0"
FOLDERS = [
    "articles",
    "auth",
    "comments",
    "errors-articles",
    "errors-auth",
    "errors-authorization",
    "errors-comments",
    "errors-profiles",
    "favorites",
    "feed",
    "pagination",
    "profiles",
    "tags",
]
EXPECTED_REQUESTS = 154
OPTIONS = ["--env", "local", "--sandbox", "safe", "--reporter-json"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def vivace(*args: str) -> list[str]:
    return [sys.executable, "-m", "vivace.cli", *args]


@contextlib.contextmanager
def conduit(tmp_path: Path, database_url: str) -> Iterator[tuple[str, Path]]:
    """The example served from a copy of its folder: ``(origin, server log)``."""
    folder = tmp_path / "conduit"
    shutil.copytree(
        EXAMPLE, folder, ignore=shutil.ignore_patterns("*.sqlite3", ".vivace-secret", "__pycache__")
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VIVACE_SECRET_KEY": secrets.token_urlsafe(48),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("VIVACE_APP", "VIVACE_DEBUG", "VIVACE_DATABASE_URL"):
        env.pop(name, None)
    migrated = subprocess.run(
        vivace("migrate"), cwd=folder, env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            vivace("run", "--port", str(port), "--no-reload", "--no-debug"),
            cwd=folder,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"the server stopped:\n{log.read_text()}"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            assert time.monotonic() < deadline, f"the server did not start:\n{log.read_text()}"
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", log
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def bru() -> str:
    """Bruno's CLI, installed by npx on first use; found once, so each folder's run skips npx's start."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx is not installed: the RealWorld suite runs with Bruno's CLI from npm (Node 18+)")
    found = subprocess.run(
        [npx, "--yes", f"--package={BRUNO}", "-c", "command -v bru"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert found.returncode == 0 and found.stdout.strip(), found.stdout + found.stderr
    return found.stdout.strip()


def run_suite(bru: str, host: str, tmp_path: Path) -> tuple[int, list[str]]:
    """Run every folder of the suite: the number of requests that passed, and what failed."""
    if not SUITE.is_dir():
        pytest.fail(f"the RealWorld suite is not at {SUITE} (set REALWORLD_SUITE to its folder)")
    collection = tmp_path / "bruno"
    shutil.copytree(SUITE, collection)
    passed, failed = 0, []
    for folder in FOLDERS:
        report = tmp_path / f"report-{folder}.json"
        done = subprocess.run(
            [bru, "run", folder, "--env-var", f"host={host}", *OPTIONS, str(report)],
            cwd=collection,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if not report.exists():
            failed.append(
                f"{folder}: no report (exit {done.returncode})\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
            continue
        for iteration in json.loads(report.read_text()):
            summary = iteration["summary"]
            passed += summary["passedRequests"]
            for result in iteration["results"]:
                problems = [
                    check
                    for key in ("assertionResults", "testResults", "postResponseTestResults")
                    for check in result.get(key) or ()
                    if check.get("status") != "pass"
                ]
                if result.get("error") or result.get("status") != "pass" or problems:
                    status = (result.get("response") or {}).get("status")
                    failed.append(
                        f"{result['test']['filename']} (HTTP {status}): {result.get('error')} {problems}"
                    )
    return passed, failed


@pytest.fixture(scope="module")
def postgres() -> Iterator[object]:
    with shared_server() as server:
        yield server


@pytest.mark.timeout(900)
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_realworld_suite_passes(
    database: str, bru: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    with contextlib.ExitStack() as stack:
        if database == "sqlite":
            url = f"sqlite:///{tmp_path / 'conduit.sqlite3'}"
        else:
            url = stack.enter_context(request.getfixturevalue("postgres").database())
        host, log = stack.enter_context(conduit(tmp_path, url))
        passed, failed = run_suite(bru, host, tmp_path)
    errors = [line for line in log.read_text().splitlines() if '" 500 ' in line or "Traceback" in line]
    assert not failed, f"{len(failed)} failed on {database}:\n" + "\n".join(failed)
    assert passed == EXPECTED_REQUESTS, (
        f"{passed} requests passed on {database}, expected {EXPECTED_REQUESTS}"
    )
    assert not errors, f"the server answered 500 on {database}:\n{log.read_text()[-5000:]}"
