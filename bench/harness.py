"""What the benchmarks in bench/ share: timing in interleaved rounds, medians, reports.

A *case* is one operation and a runner: ``run(n)`` performs the operation
``n`` times. Each case is first calibrated so that one measurement lasts about
``seconds``; then every round measures every case once, in forward order on
even rounds and backward on odd ones, so slow drift of the machine (frequency,
a noisy neighbour) spreads over all cases instead of landing on whichever runs
last. The reported figure is the median of the rounds. The garbage collector
is off while a measurement runs, as in ``timeit``.

Each measurement reads two clocks around the same loop: the wall clock
(``time.perf_counter_ns``), the figure a user waits for, and the CPU time of
the running thread (``time.thread_time_ns``), which leaves out the time the
process spent descheduled. On a quiet machine the two agree; on a shared one
the wall clock swings with the neighbours' load while the CPU clock stays put,
so the CPU figures are the ones to compare there.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter_ns, thread_time_ns
from typing import Any, Literal

Runner = Callable[[int], object]
Clock = Literal["wall", "cpu"]
CLOCKS: dict[Clock, str] = {
    "wall": "wall clock, time.perf_counter_ns",
    "cpu": "CPU time of the thread, time.thread_time_ns",
}

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"


@dataclass
class Case:
    """One timed operation and its samples per clock, in nanoseconds per operation."""

    name: str
    run: Runner
    loops: int = 0
    samples: dict[Clock, list[float]] = field(default_factory=lambda: {"wall": [], "cpu": []})

    def median(self, clock: Clock = "wall") -> float:
        return statistics.median(self.samples[clock])

    def spread(self, clock: Clock = "wall") -> float:
        """Half the range of the samples, relative to the median (0.02 is ±2%)."""
        values = self.samples[clock]
        return (max(values) - min(values)) / 2 / self.median(clock)


@dataclass(frozen=True)
class Plan:
    rounds: int
    seconds: float
    quick: bool


def plan_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark shares.

    ``--quick``, ``--rounds``, ``--seconds`` and ``--json``; a script adds its own before parsing.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: check every answer and time each case briefly (its figures are not results)",
    )
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="target length of one measurement in seconds (default 0.2)",
    )
    parser.add_argument("--json", type=Path, default=None, help="where to write the results")
    return parser


def plan_from(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Plan:
    """The plan the shared options ask for: a quick run's defaults differ from a full run's."""
    rounds, seconds = (2, 0.005) if args.quick else (7, 0.2)
    plan = Plan(
        rounds=rounds if args.rounds is None else args.rounds,
        seconds=seconds if args.seconds is None else args.seconds,
        quick=args.quick,
    )
    if plan.rounds < 1 or plan.seconds <= 0:
        parser.error("--rounds must be at least 1 and --seconds above 0")
    return plan


def parse_args(description: str, argv: Sequence[str] | None = None) -> tuple[Plan, Path | None]:
    """The command line of a benchmark with only the shared options."""
    parser = plan_parser(description)
    args = parser.parse_args(argv)
    return plan_from(parser, args), args.json


def calibrate(run: Runner, seconds: float) -> int:
    """How many loops make one measurement of ``run`` last about ``seconds``."""
    target = seconds * 1e9
    loops = 1
    while True:
        elapsed = max(_timed(run, loops)[0], 1)
        if elapsed >= target / 10 or loops >= 1 << 30:
            return max(1, round(loops * target / elapsed))
        loops *= 10


def measure(cases: Sequence[Case], plan: Plan) -> None:
    """Fill each case's samples: calibrate, then ``plan.rounds`` interleaved rounds."""
    for case in cases:
        case.loops = calibrate(case.run, plan.seconds)
    for index in range(plan.rounds):
        ordered = cases if index % 2 == 0 else list(reversed(cases))
        for case in ordered:
            wall, cpu = _timed(case.run, case.loops)
            case.samples["wall"].append(wall / case.loops)
            case.samples["cpu"].append(cpu / case.loops)


def _timed(run: Runner, loops: int) -> tuple[int, int]:
    """Wall-clock and CPU nanoseconds of ``run(loops)``, the collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = perf_counter_ns(), thread_time_ns()
        run(loops)
        cpu, wall = thread_time_ns() - cpu, perf_counter_ns() - wall
    finally:
        if enabled:
            gc.enable()
    return wall, cpu


def machine() -> dict[str, Any]:
    """The CPU, the Python and the vivace commit the numbers come from."""
    return {
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "commit": _git_commit(),
        "load_average": _load_average(),
    }


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        try:
            return subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                check=True,
                timeout=5,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or platform.machine() or "unknown"


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def _git_commit() -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(BENCH_DIR), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None


def describe_machine(info: dict[str, Any]) -> str:
    commit = f", vivace {info['commit']}" if info.get("commit") else ""
    load = info.get("load_average")
    busy = f", load average {load:g} at start" if load is not None else ""
    return f"{info['cpu']} ({info['cpus']} CPUs), {info['python']}, {info['platform']}{commit}{busy}"


def noise_warning(cases: Sequence[Case], limit: float) -> str | None:
    """A warning when the wall-clock rounds disagree by more than ``limit`` (a busy machine)."""
    worst = max(cases, key=lambda case: case.spread("wall"))
    spread = worst.spread("wall")
    if spread <= limit:
        return None
    return (
        f"warning: the wall-clock rounds of {worst.name!r} differ by ±{spread * 100:.0f}%, "
        f"more than ±{limit * 100:.0f}%: the machine was busy; compare the CPU-time figures, "
        "or rerun on a quiet machine"
    )


def describe_plan(plan: Plan) -> str:
    mode = "quick smoke run, numbers not meaningful" if plan.quick else "full run"
    return f"{mode}: median of {plan.rounds} interleaved rounds, ~{plan.seconds * 1000:g} ms per measurement"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table, numeric-looking columns aligned right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    right = [all(_looks_numeric(row[i]) for row in rows) if rows else False for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(cells, widths, right, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "| "
        + " | ".join(
            "-" * (width - 1) + ":" if align else "-" * width
            for width, align in zip(widths, right, strict=True)
        )
        + " |"
    )
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _looks_numeric(cell: str) -> bool:
    text = cell.replace(",", "").replace("±", "").replace("%", "").replace("x", "").strip()
    try:
        float(text)
    except ValueError:
        return False
    return True


def ns(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def case_record(case: Case) -> dict[str, Any]:
    record: dict[str, Any] = {"loops": case.loops}
    for clock in CLOCKS:
        record[clock] = {
            "median_ns": round(case.median(clock), 2),
            "spread": round(case.spread(clock), 4),
            "samples_ns": [round(sample, 2) for sample in case.samples[clock]],
        }
    return record


def stopwatch() -> Callable[[], float]:
    """Seconds since this call, for the total time of a run."""
    start = perf_counter_ns()
    return lambda: (perf_counter_ns() - start) / 1e9
