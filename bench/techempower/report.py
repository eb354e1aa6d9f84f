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
    def cpu_us(self) -> float | None:
        values = [s.cpu_us for s in self.samples if s.cpu_us is not None]
        return statistics.median(values) if values else None

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.samples)

    @property
    def acceptable(self) -> bool:
        """What the smoke test demands: every case implemented and passing its checks."""
        return self.status == "ok"

    def verdict(self) -> str:
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
            "acceptable": self.acceptable,
            "problems": self.problems,
            "rps": round(self.rps, 1) if self.rps is not None else None,
            "p99_ms": round(self.p99_ms, 3) if self.p99_ms is not None else None,
            "cpu_us": round(self.cpu_us, 2) if self.cpu_us is not None else None,
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
        return "MISSING"
    if result.status == "failed":
        return "FAILED"
    if result.rps is None:
        return "not timed"
    return None


def _both(a: Result | None, b: Result | None) -> str:
    """``a``'s rate over ``b``'s, then ``b``'s CPU per response over ``a``'s: above 1.00x favours ``a``."""
    if a is None or b is None:
        return ""
    rate = _ratio(a.rps, b.rps)
    cpu = _ratio(b.cpu_us, a.cpu_us)
    return f"{rate} ({cpu})" if rate and cpu else rate


def _groups(results: list[Result]) -> list[tuple[str, str]]:
    return list(dict.fromkeys((r.case.test, r.case.database or "-") for r in results))


def case_tables(results: list[Result], entries: tuple[Entry, ...]) -> list[str]:
    """One table per test and database: every entry, its rate, CPU cost, latency and ratios."""
    out = []
    by_key = {result.case.key: result for result in results}
    vivace_entries = [e for e in entries if e.role == "vivace"]
    for test, database in _groups(results):
        title = test if database == "-" else f"{test} · {database}"
        pipeline = TESTS[test].pipeline
        if pipeline > 1:
            title += f" (pipelined {pipeline} deep)"
        header = ["app", "server", "req/s", "CPU µs/req", "p99 ms", "errors", "÷ ceiling (CPU)"]
        header += [f"{v.name} ÷ this (CPU)" for v in vivace_entries]
        rows = []
        for entry in entries:
            result = by_key.get((entry.name, test, database))
            status = _cell(result)
            ceiling = ceiling_for(entry, entries)
            ceiling_result = by_key.get((ceiling.name, test, database)) if ceiling else None
            row = [entry.name, entry.server_label]
            if status is not None or result is None:
                row += [status or "", "", "", "", ""] + ["" for _ in vivace_entries]
            else:
                latency = result.p99_ms
                row += [
                    _rate(result.rps),
                    f"{result.cpu_us:,.1f}" if result.cpu_us is not None else "",
                    "n/a" if pipeline > 1 else f"{latency:.2f}" if latency is not None else "",
                    str(result.errors),
                    _both(result, ceiling_result if _cell(ceiling_result) is None else None),
                ]
                for v in vivace_entries:
                    vivace = by_key.get((v.name, test, database))
                    usable = v is not entry and _cell(vivace) is None
                    row.append(_both(vivace, result) if usable else "")
            rows.append(row)
        out.append(f"### {title}\n\n{markdown_table(header, rows)}")
    return out


def summary_table(results: list[Result], entries: tuple[Entry, ...]) -> str:
    """vivace's rate and its ratio to the ceiling and to each peer, one row per test and database."""
    by_key = {result.case.key: result for result in results}
    vivace_entries = [e for e in entries if e.role == "vivace"]
    others = [e for e in entries if e.role != "vivace"]
    header = ["vivace", "test", "database", "req/s", "CPU µs/req", *(f"÷ {e.name} (CPU)" for e in others)]
    rows = []
    for v in vivace_entries:
        for test, database in _groups(results):
            vivace = by_key.get((v.name, test, database))
            status = _cell(vivace)
            if status is not None or vivace is None:
                rows.append([v.name, test, database, status or "", ""] + ["" for _ in others])
                continue
            row = [
                v.name,
                test,
                database,
                _rate(vivace.rps),
                f"{vivace.cpu_us:,.1f}" if vivace.cpu_us is not None else "",
            ]
            for other in others:
                peer = by_key.get((other.name, test, database))
                row.append(_cell(peer) or _both(vivace, peer))
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
        "Each ratio `÷ X` reads `a (b)`: `a` is this rate over X's, `b` is X's server CPU time "
        "per response over this one's; above 1.00x favours this row either way. req/s counts 2xx "
        "responses only. CPU µs/req is the user and system time of the server's processes during "
        "the load over the responses: on a busy machine req/s swings with the neighbours while "
        "CPU per response stays put, so compare `b` there. p99 is wrk's 99th percentile latency "
        "(n/a when pipelined: wrk times a whole batch of 16 and its correction for coordinated "
        "omission then gives no usable figure). Every figure is the median over rounds.",
        "",
        "## vivace against the ceiling and each peer",
        "",
        summary_table(results, entries),
        "",
        "## Each test",
        "",
    ]
    lines += [table + "\n" for table in case_tables(results, entries)]
    problems = [r for r in results if r.status != "ok"]
    if problems:
        lines += ["## Cases not timed", ""]
        for result in problems:
            key = " · ".join(part for part in result.case.key if part != "-")
            lines.append(f"- {key}: {result.verdict()}")
        lines.append("")
    return "\n".join(lines)


def run_record(*, profile: str, smoke: bool, method: str, databases: dict[str, str]) -> dict[str, Any]:
    installed = versions()
    return {
        "profile": profile,
        "smoke": smoke,
        "machine": machine(),
        "versions": installed,
        "pin_mismatches": pin_mismatches(installed),
        "method": method,
        "databases": databases,
    }
