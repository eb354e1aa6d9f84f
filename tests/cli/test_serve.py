"""``vivace run`` and ``vivace demo`` as real processes, fetched over a socket."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from click.testing import CliRunner

from vivace.cli import cli

START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def vivace(args: list[str], cwd: Path, log: Path) -> Iterator[str]:
    """Run ``vivace ARGS`` in its own process group; yield its URL once it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIVACE_", "PYTEST_"))}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vivace.cli", *args, "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise AssertionError(f"vivace exited with {process.returncode}:\n{log.read_text()}")
                try:
                    httpx.get(url + "/", timeout=1.0)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"vivace did not answer:\n{log.read_text()}") from None
                    time.sleep(0.05)
            yield url
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Interrupt the process group (server, reloader and workers), then kill what remains."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        with suppress(subprocess.TimeoutExpired):
            process.wait(10)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


def test_run_serves_a_new_project_with_reloading(runner: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "site"
    assert runner.invoke(cli, ["new", "site", "--dir", str(project)]).exit_code == 0
    with vivace(["run"], project, tmp_path / "run.log") as url:
        page = httpx.get(url + "/hello/Ada")
        assert page.status_code == 200
        assert "<h1>Hello, Ada!</h1>" in page.text
        assert httpx.get(url + "/static/style.css").status_code == 200
    output = (tmp_path / "run.log").read_text()
    assert f"Open {url}/" in output
    assert "(debug on, reloading on changes)" in output


def test_run_with_workers(runner: CliRunner, tmp_path: Path) -> None:
    project = tmp_path / "site"
    assert runner.invoke(cli, ["new", "site", "--dir", str(project)]).exit_code == 0
    with vivace(["run", "--workers", "2"], project, tmp_path / "run.log") as url:
        assert httpx.get(url + "/about").status_code == 200
        missing = httpx.get(url + "/missing")
        assert missing.status_code == 404
        assert "Traceback" not in missing.text
    log = (tmp_path / "run.log").read_text()
    assert "(debug off, 2 workers, no access log)" in log
    assert '"GET /about HTTP/1.1" 200' not in log


def test_demo_serves(tmp_path: Path) -> None:
    with vivace(["demo", "--no-reload"], tmp_path, tmp_path / "demo.log") as url:
        page = httpx.get(url + "/")
        assert page.status_code == 200
        assert "Sign the guestbook" in page.text
        signed = httpx.post(url + "/sign", data={"name": "Ada", "message": "<b>hi</b>"})
        assert signed.status_code == 303
        assert httpx.get(url + "/api/entries").json()["entries"][0]["message"] == "<b>hi</b>"
    assert f"Open {url}/" in (tmp_path / "demo.log").read_text()
