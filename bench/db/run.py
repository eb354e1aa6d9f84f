"""Data-layer benchmark: vivace's models against the raw drivers, Django's ORM and SQLAlchemy's ORM.

Run from the repository root:

    python bench/db/run.py                   # full run, a few minutes; writes bench/results/db.json
    python bench/db/run.py --quick           # CI smoke run: checks every case, times briefly, no JSON
                                             # (unless --json names a file)
    python bench/db/run.py --databases sqlite

The run makes its own data: a SQLite file in a temporary folder and a
throwaway PostgreSQL cluster (``initdb`` + ``pg_ctl``), both removed at the
end. Each database is measured in a process of its own (``worker.py``).

Operations, sync and async, on each database (``cases.py``, ``data.py``):

    get      one post by a random primary key
    filter   the 20 posts of a random author, by the index on author_id
    join     100 consecutive posts with their authors in one query (select_related)
    lazy     the same 100 posts, then each author on access: 1 + 100 queries (N+1)
    bulk     10,000 new posts in one transaction, each object given its primary key

Contenders (``contenders/``): the raw driver doing the same work and building
a dict per row (the ceiling: sqlite3, psycopg 3), vivace, Django's ORM and
SQLAlchemy's ORM; on SQLite also aiosqlite, the usual async SQLite driver.

Targets (issue 3): vivace within 1.5x of the raw driver on single-row reads,
and ahead of Django's ORM on every operation measured.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import (
    RESULTS_DIR,
    Plan,
    describe_machine,
    describe_plan,
    machine,
    markdown_table,
    plan_from,
    plan_parser,
    stopwatch,
    write_json,
)
from targets import Target, postgres_cluster, scratch_folder, sqlite_target, stop_on_sigterm

DATABASES = ("sqlite", "postgres")
OPERATIONS = ("get", "filter", "join", "lazy", "bulk")
CONTENDERS = ("raw", "aiosqlite", "vivace", "django", "sqlalchemy")
LABELS = {
    "raw": "raw",
    "aiosqlite": "aiosqlite",
    "vivace": "vivace",
    "django": "Django",
    "sqlalchemy": "SQLAlchemy",
}
PACKAGES = ("vivace", "Django", "SQLAlchemy", "psycopg", "psycopg-pool", "aiosqlite", "asgiref", "greenlet")
MISSING = "-"
CLOCK_TITLES = {
    "cpu": "CPU time of the process (time.process_time_ns)",
    "wall": "wall clock (time.perf_counter_ns)",
}
SINGLE_ROW_GOAL = 1.5
NOISE_LIMIT = 0.10


def parse_args(argv: Sequence[str] | None) -> tuple[Plan, Path | None, list[str], list[str]]:
    parser = plan_parser("vivace's data layer against the raw drivers and peer ORMs")
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite, postgres or both")
    parser.add_argument(
        "--operations", default=",".join(OPERATIONS), help="a subset of " + ", ".join(OPERATIONS)
    )
    args = parser.parse_args(argv)
    plan = plan_from(parser, args)
    databases = _names(parser, args.databases, DATABASES, "--databases")
    operations = _names(parser, args.operations, OPERATIONS, "--operations")
    return plan, args.json, databases, operations


def _names(parser: argparse.ArgumentParser, text: str, known: Sequence[str], option: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        wrong = ", ".join(unknown) or "empty list"
        parser.error(f"{option}: unknown {wrong}; choose from {', '.join(known)}")
    return names


def versions() -> dict[str, str]:
    import vivace

    found = {"vivace source": str(Path(vivace.__file__).resolve().parent)}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def run_worker(target: Target, plan: Plan, operations: list[str], folder: Path) -> dict[str, Any]:
    out = folder / f"{target.name}.json"
    command = [
        sys.executable,
        str(Path(__file__).resolve().parent / "worker.py"),
        *target.to_args(),
        "--rounds",
        str(plan.rounds),
        "--seconds",
        str(plan.seconds),
        "--operations",
        ",".join(operations),
        "--out",
        str(out),
    ]
    if plan.quick:
        command.append("--quick")
    subprocess.run(command, check=True)
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def measure_all(plan: Plan, databases: list[str], operations: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with scratch_folder() as folder:
        if "sqlite" in databases:
            results["sqlite"] = run_worker(sqlite_target(folder), plan, operations, folder)
        if "postgres" in databases:
            with postgres_cluster(folder) as target:
                results["postgres"] = run_worker(target, plan, operations, folder)
    return results


# Report ------------------------------------------------------------------------------------


def _us(ns: float) -> str:
    us = ns / 1000
    if us >= 1000:
        return f"{us:,.0f}"
    return f"{us:.1f}" if us >= 10 else f"{us:.2f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}x"


def table(cases: dict[str, Any], clock: str) -> str:
    """Rows: operation x mode; columns: each contender in µs, then vivace's ratios."""
    present = [c for c in CONTENDERS if any(case["contender"] == c for case in cases.values())]
    header = ["operation", "mode", *(f"{LABELS[c]} µs" for c in present), "vivace / raw"]
    header += [f"{LABELS[c]} / vivace" for c in ("django", "sqlalchemy") if c in present]
    header.append(f"{clock} spread")
    rows = []
    for operation in OPERATIONS:
        for mode in ("sync", "async"):
            found = {
                case["contender"]: case
                for case in cases.values()
                if case["operation"] == operation and case["mode"] == mode
            }
            if not found:
                continue
            median = {name: case[clock]["median_ns"] for name, case in found.items()}
            title = next(iter(found.values()))["title"]
            row = [title, mode, *(_us(median[c]) if c in median else MISSING for c in present)]
            vivace = median.get("vivace")
            row.append(_ratio(vivace / median["raw"]) if vivace and "raw" in median else MISSING)
            for peer in ("django", "sqlalchemy"):
                if peer in present:
                    row.append(_ratio(median[peer] / vivace) if vivace and peer in median else MISSING)
            worst = max(case[clock]["spread"] for case in found.values())
            row.append(f"±{worst * 100:.0f}%")
            rows.append(row)
    return markdown_table(header, rows)


def verdicts(results: dict[str, Any], clock: str) -> list[str]:
    """The issue's two targets, case by case, by one clock."""
    lines = []
    for database, result in results.items():
        cases = result["cases"]
        for operation in OPERATIONS:
            for mode in ("sync", "async"):
                found = {
                    case["contender"]: case[clock]["median_ns"]
                    for case in cases.values()
                    if case["operation"] == operation and case["mode"] == mode
                }
                vivace = found.get("vivace")
                if vivace is None:
                    continue
                where = f"{database} {operation} {mode}"
                single = any(case["single_row"] for case in cases.values() if case["operation"] == operation)
                if single and "raw" in found:
                    ratio = vivace / found["raw"]
                    state = "met" if ratio <= SINGLE_ROW_GOAL else "MISSED"
                    lines.append(f"- {where}: vivace / raw = {ratio:.2f} (goal ≤ {SINGLE_ROW_GOAL}): {state}")
                if "django" in found:
                    ahead = found["django"] / vivace
                    state = "met" if ahead > 1 else "MISSED"
                    lines.append(f"- {where}: Django / vivace = {ahead:.2f} (goal > 1): {state}")
    return lines


def noisy(results: dict[str, Any]) -> str | None:
    worst_name, worst = "", 0.0
    for database, result in results.items():
        for name, case in result["cases"].items():
            if case["wall"]["spread"] > worst:
                worst_name, worst = f"{database} {name}", case["wall"]["spread"]
    if worst <= NOISE_LIMIT:
        return None
    return (
        f"warning: the wall-clock rounds of {worst_name!r} differ by ±{worst * 100:.0f}%, more than "
        f"±{NOISE_LIMIT * 100:.0f}%: the machine was busy; compare the CPU-time figures"
    )


def report(info: dict[str, Any], results: dict[str, Any], plan: Plan) -> str:
    lines = [
        f"machine: {describe_machine(info['machine'])}",
        "versions: " + ", ".join(f"{name} {version}" for name, version in info["versions"].items()),
        "servers: " + ", ".join(f"{name}: {result['server']}" for name, result in results.items()),
        describe_plan(plan),
        "",
    ]
    for database, result in results.items():
        for clock in ("cpu", "wall"):
            title = f"### {database}, µs per operation, {CLOCK_TITLES[clock]}"
            lines += [title, "", table(result["cases"], clock), ""]
    lines += ["### targets, by CPU time", "", *verdicts(results, "cpu"), ""]
    lines += ["### targets, by wall clock", "", *verdicts(results, "wall"), ""]
    warning = noisy(results)
    if warning:
        lines.append(warning)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    stop_on_sigterm()
    plan, json_path, databases, operations = parse_args(argv)
    elapsed = stopwatch()
    info = {"machine": machine(), "versions": versions()}
    print(f"machine: {describe_machine(info['machine'])}", file=sys.stderr, flush=True)
    results = measure_all(plan, databases, operations)
    print(report(info, results, plan))
    print(f"\n{elapsed():.1f} s")
    # A quick run writes JSON only when asked (the CI smoke test reads it).
    if not plan.quick or json_path is not None:
        path = json_path or RESULTS_DIR / "db.json"
        write_json(
            path,
            {
                **info,
                "plan": {"rounds": plan.rounds, "seconds": plan.seconds},
                "clocks": CLOCK_TITLES,
                "databases": results,
            },
        )
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
