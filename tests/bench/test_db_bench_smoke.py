"""The data-layer benchmark in bench/db still runs and every contender answers every case correctly.

``test_every_case_is_checked`` runs ``run.py --quick`` on SQLite and on a
throwaway PostgreSQL cluster: each contender's answers to each operation, sync
and async, are checked against the data set before anything is timed (a wrong
answer stops the run). It fails when a case is missing, was not checked, or has
no measurement. No timing is asserted.

It needs the PostgreSQL server binaries (Debian's ``postgresql-15``) and the
peers (``pip install -r bench/db/requirements.txt``). The other tests feed the
checks wrong answers, so checks that pass everything cannot hide behind a
green smoke run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SUITE = Path(__file__).resolve().parents[2] / "bench" / "db"
sys.path.insert(0, str(SUITE))

from data import POST_COLUMNS, WrongAnswer, check_filter, check_get, make_dataset  # noqa: E402

DATABASES = ("sqlite", "postgres")
OPERATIONS = ("get", "filter", "join", "lazy", "bulk")
CONTENDERS = {
    "sqlite": {"raw": ("sync", "async"), "aiosqlite": ("async",)},
    "postgres": {"raw": ("sync", "async")},
}
ORMS = ("vivace", "django", "sqlalchemy")
CHECKED = {"bulk": 1}  # answers checked per case; 5 for the others
TIME_LIMIT = 120


def expected_cases(database: str) -> set[tuple[str, str, str]]:
    modes = {**CONTENDERS[database], **dict.fromkeys(ORMS, ("sync", "async"))}
    return {
        (operation, mode, contender)
        for operation in OPERATIONS
        for contender, contender_modes in modes.items()
        for mode in contender_modes
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench-db") / "db.json"
    command = [
        sys.executable,
        str(SUITE / "run.py"),
        "--quick",
        "--rounds", "1",
        "--seconds", "0.002",
        "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=TIME_LIMIT, env=os.environ.copy(), check=False
    )
    if done.returncode:
        pytest.fail(
            f"bench/db/run.py --quick failed ({done.returncode}):\n{done.stderr[-4000:]}", pytrace=False
        )
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("database", DATABASES)
def test_every_case_is_checked(results: dict[str, Any], database: str) -> None:
    cases = results["databases"][database]["cases"]
    found = {(case["operation"], case["mode"], case["contender"]) for case in cases.values()}
    missing = expected_cases(database) - found
    assert not missing, f"{database}: cases missing from the run: {sorted(missing)}"
    for name, case in cases.items():
        wanted = CHECKED.get(case["operation"], 5)
        assert case["checked"] == wanted, (
            f"{database} {name}: {case['checked']} answers checked, not {wanted}"
        )
        assert case["loops"] >= 1 and case["cpu"]["median_ns"] > 0, f"{database} {name}: not measured"


def test_run_names_its_servers(results: dict[str, Any]) -> None:
    servers = {name: result["server"] for name, result in results["databases"].items()}
    assert servers["sqlite"].startswith("SQLite 3.")
    assert servers["postgres"].startswith("PostgreSQL ")


# The checks themselves: each refuses a wrong answer ----------------------------------------


@pytest.fixture(scope="module")
def data() -> Any:
    return make_dataset(bulk_rows=10)


def post(data: Any, pk: int) -> dict[str, Any]:
    """Post ``pk`` as the raw drivers answer it: a dict per row."""
    return dict(zip(POST_COLUMNS, data.post(pk), strict=True))


def test_get_check_refuses_another_post(data: Any) -> None:
    check_get(data, 1, post(data, 1))
    with pytest.raises(WrongAnswer):
        check_get(data, 1, {**post(data, 1), "title": "changed"})
    with pytest.raises(WrongAnswer):
        check_get(data, 1, post(data, 2))


def test_filter_check_refuses_a_missing_post(data: Any) -> None:
    posts = [post(data, pk) for pk in data.by_author[1]]
    check_filter(data, 1, posts)
    with pytest.raises(WrongAnswer):
        check_filter(data, 1, posts[:-1])
