"""Results: per-case records, the verdict of a run, and the markdown and JSON written at the end."""

from __future__ import annotations

import importlib.metadata
import shutil
import sqlite3
import statistics
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cases import Case, Entry, ceiling_for
from harness import describe_machine, machine, markdown_table
from load import Sample
from spec import TESTS

PACKAGES = (
    "vivace",
    "uvicorn",
    "uvloop",
    "httptools",
    "gunicorn",
    "granian",
    "starlette",
    "fastapi",
    "pydantic",
    "litestar",
    "flask",
    "flask-sqlalchemy",
    "django",
    "jinja2",
    "msgspec",
    "orjson",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "psycopg-pool",
)
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"


@dataclass
class Result:
    case: Case
    status: str = "ok"  # "ok", "missing" or "failed"
    problems: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.status = "failed"
        self.problems.append(problem)

    @property
    def rps(self) -> float | None:
        return statistics.median(s.rps for s in self.samples) if self.samples else None

    @property
    def p99_ms(self) -> float | None:
        return statistics.median(s.p99_ms for s in self.samples) if self.samples else None

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.samples)

    @property
    def acceptable(self) -> bool:
        """What the smoke test demands: ok, or missing where PENDING says so."""
        return self.status == ("missing" if self.case.pending else "ok")

    def verdict(self) -> str:
        if self.case.pending and self.status == "ok":
            return "passes while listed in PENDING: remove it from PENDING in cases.py"
        if self.case.pending and self.status == "missing":
            return "pending (PENDING in cases.py)"
        if self.status == "missing":
            return "MISSING: " + "; ".join(self.problems)
        if self.status == "failed":
            return "FAILED: " + "; ".join(self.problems)
        return "ok"

    def record(self) -> dict[str, Any]:
        entry = self.case.entry
        return {
            "entry": entry.name,
            "framework": entry.framework,
            "server": entry.server_label,
            "workers": entry.workers,
            "role": entry.role,
            "test": self.case.test,
            "database": self.case.database,
            "status": self.status,
            "pending": self.case.pending,
            "acceptable": self.acceptable,
            "problems": self.problems,
            "rps": round(self.rps, 1) if self.rps is not None else None,
            "p99_ms": round(self.p99_ms, 3) if self.p99_ms is not None else None,
            "errors": self.errors,
            "samples": [sample.record() for sample in self.samples],
        }


def versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "not installed"
    found["sqlite"] = sqlite3.sqlite_version
    wrk = shutil.which("wrk")
    if wrk:
        result = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
        first = (result.stdout or result.stderr).splitlines()
        found["wrk"] = first[0].split(" [")[0].removeprefix("wrk ") if first else "unknown"
    return found


def pin_mismatches(installed: dict[str, str]) -> list[str]:
    """Packages whose installed version differs from requirements.txt."""
    mismatches = []
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        spec = line.split("#")[0].strip()
        if "==" not in spec:
            continue
        name, _, pinned = spec.partition("==")
        name = name.split("[")[0].strip().lower()
        try:
            have = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            have = "not installed"
        if have != pinned.strip():
            mismatches.append(f"{name} {have} (requirements.txt pins {pinned.strip()})")
    return mismatches


def _rate(value: float | None) -> str:
    return f"{value:,.0f}" if value is not None else ""


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a and b else ""


def _cell(result: Result | None) -> str | None:
    """The status word that stands in for a number, or None when there is a number."""
    if result is None:
        return "MISSING"
    if result.status == "missing":
        return "MISSING (pending)" if result.case.pending else "MISSING"
    if result.status == "failed":
        return "FAILED"
    if result.rps is None:
        return "not timed"
    return None


def case_tables(results: list[Result], entries: tuple[Entry, ...]) -> list[str]:
    """One table per test and database: every entry, its rate, latency and ratios."""
    out = []
    by_key = {result.case.key: result for result in results}
    groups: dict[tuple[str, str], None] = {}
    for result in results:
        groups[(result.case.test, result.case.database or "-")] = None
    vivace_entries = [e for e in entries if e.role == "vivace"]
    for test, database in groups:
        title = test if database == "-" else f"{test} · {database}"
        pipeline = TESTS[test].pipeline
        if pipeline > 1:
            title += f" (pipelined {pipeline} deep)"
        header = ["app", "server", "req/s", "p99 ms", "errors", "÷ ceiling"]
        header += [f"{v.name} ÷ this" for v in vivace_entries]
        rows = []
        for entry in entries:
            result = by_key.get((entry.name, test, database))
            status = _cell(result)
            ceiling = ceiling_for(entry, entries)
            ceiling_result = by_key.get((ceiling.name, test, database)) if ceiling else None
            row = [entry.name, entry.server_label]
            if status is not None:
                row += [status, "", "", ""] + ["" for _ in vivace_entries]
            else:
                assert result is not None
                row += [
                    _rate(result.rps),
                    "n/a" if pipeline > 1 else f"{result.p99_ms:.2f}" if result.p99_ms is not None else "",
                    str(result.errors),
                    _ratio(result.rps, ceiling_result.rps if ceiling_result else None),
                ]
                for v in vivace_entries:
                    vivace = by_key.get((v.name, test, database))
                    row.append("" if v is entry else _ratio(vivace.rps if vivace else None, result.rps))
            rows.append(row)
        out.append(f"### {title}\n\n{markdown_table(header, rows)}")
    return out


def summary_table(results: list[Result], entries: tuple[Entry, ...]) -> str:
    """vivace's rate and its ratio to the ceiling and to each peer, one row per test and database."""
    by_key = {result.case.key: result for result in results}
    vivace_entries = [e for e in entries if e.role == "vivace"]
    others = [e for e in entries if e.role != "vivace"]
    header = ["vivace", "test", "database", "req/s", *(f"÷ {e.name}" for e in others)]
    rows = []
    seen: dict[tuple[str, str], None] = {}
    for result in results:
        seen[(result.case.test, result.case.database or "-")] = None
    for v in vivace_entries:
        for test, database in seen:
            vivace = by_key.get((v.name, test, database))
            status = _cell(vivace)
            row = [v.name, test, database, status or _rate(vivace.rps if vivace else None)]
            for other in others:
                peer = by_key.get((other.name, test, database))
                if status is not None:
                    row.append("")
                elif _cell(peer) is not None:
                    row.append(_cell(peer) or "")
                else:
                    row.append(_ratio(vivace.rps if vivace else None, peer.rps if peer else None))
            rows.append(row)
    return markdown_table(header, rows)


def markdown(run: dict[str, Any], results: list[Result], entries: tuple[Entry, ...]) -> str:
    info = run["machine"]
    lines = [
        f"# TechEmpower-style benchmarks ({run['profile']} profile)",
        "",
        f"- machine: {describe_machine(info)}",
        f"- method: {run['method']}",
    ]
    lines += [f"- database: {text}" for text in run["databases"].values()]
    lines.append("- versions: " + ", ".join(f"{k} {v}" for k, v in run["versions"].items()))
    if run["pin_mismatches"]:
        lines.append("- not the pinned versions: " + "; ".join(run["pin_mismatches"]))
    if run["smoke"]:
        lines.append("- **smoke run: about a second per case, the numbers are not results**")
    lines += [
        "",
        "Ratios: `÷ X` is this rate over X's rate (above 1.00x is faster than X). "
        "req/s counts 2xx responses only; p99 is wrk's 99th percentile latency, the median over rounds "
        "(n/a when pipelined: wrk times a whole batch of 16 and its correction for coordinated "
        "omission then gives no usable figure).",
        "",
        "## vivace against the ceiling and each peer",
        "",
        summary_table(results, entries),
        "",
        "## Each test",
        "",
    ]
    lines += [table + "\n" for table in case_tables(results, entries)]
    problems = [r for r in results if r.status != "ok" or (r.case.pending and r.status == "ok")]
    if problems:
        lines += ["## Cases not timed", ""]
        for result in problems:
            key = " · ".join(part for part in result.case.key if part != "-")
            lines.append(f"- {key}: {result.verdict()}")
        lines.append("")
    return "\n".join(lines)


def run_record(
    *, profile: str, smoke: bool, method: str, databases: dict[str, str], pending: list[list[str]]
) -> dict[str, Any]:
    installed = versions()
    return {
        "profile": profile,
        "smoke": smoke,
        "machine": machine(),
        "versions": installed,
        "pin_mismatches": pin_mismatches(installed),
        "method": method,
        "databases": databases,
        "pending": pending,
    }
