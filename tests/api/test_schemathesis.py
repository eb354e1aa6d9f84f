"""Schemathesis 4 against the sample app, served for real by uvicorn on 127.0.0.1.

Every operation of the sample app's OpenAPI document is exercised with
generated valid and invalid requests (``--mode all``), bounded in examples
and time. The checks ``not_a_server_error``, ``response_schema_conformance``
and ``status_code_conformance`` must all pass.

Needs ``schemathesis>=4,<5`` (and the ``api`` extra for the docs page).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.api.sample_app", str(tmp_path), str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the sample app did not start:\n{server_log(tmp_path)}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def server_log(folder: Path) -> str:
    return (folder / "server.log").read_text("utf-8", "replace")[-20000:]


@pytest.mark.timeout(600)
def test_schemathesis_finds_nothing(server: str, tmp_path: Path) -> None:
    cli = shutil.which("schemathesis") or shutil.which("st")
    if cli is None:
        pytest.fail("schemathesis is not installed: pip install 'schemathesis>=4,<5'")
    report = tmp_path / "report"
    command = [
        cli,
        "run",
        server + "/openapi.json",
        "--checks",
        CHECKS,
        "--mode",
        "all",
        "--max-examples",
        os.environ.get("VIVACE_SCHEMATHESIS_EXAMPLES", "30"),
        "--seed",
        os.environ.get("VIVACE_SCHEMATHESIS_SEED", "1"),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(report),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=540, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:] + "\n\nserver log:\n" + server_log(tmp_path)
    assert "No issues found" in output or "passed" in output, output[-5000:]
