"""The micro-benchmarks in bench/ still run, check their answers and measure every case.

Each script runs in its ``--quick`` mode, as a user runs it from the repository
root: it checks every case's answer before timing it and exits non-zero when
one is wrong. No timing is asserted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPTS = {
    "bench/routing.py": ["last (GET)", "static (GET)", "404 (GET)", "405 (DELETE)"],
    "bench/hotpaths.py": [
        "asgi plaintext",
        "asgi json",
        "request headers",
        "request query",
        "json message",
        "json 20 rows",
        "template (12 rows)",
        "rows sqlite3 (20)",
        "rows models (20)",
        "call overhead",
    ],
    "bench/api/run.py": ["vivace", "FastAPI", "Litestar"],
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_quick_run_checks_and_measures_every_case(script: str) -> None:
    done = subprocess.run(
        [sys.executable, script, "--quick"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for case in SCRIPTS[script]:
        assert any(line.startswith(f"| {case} ") for line in rows), f"{script}: no row for {case!r}"
