"""Where vivace's time goes on a query, next to the raw driver doing the same work.

Run from the repository root:

    python bench/db/hotspots.py                     # get and filter, sync and async, both databases
    python bench/db/hotspots.py --databases sqlite --operations get --modes sync
    python bench/db/hotspots.py --tool pyinstrument # a sampled call tree instead of cProfile

For each database, operation and mode it prints:

- vivace's and the raw driver's cost per operation, unprofiled (CPU time of
  the process, median of a few measurements), and the difference: vivace's
  own work;
- under cProfile, the share of the profiled time spent in each area (the
  driver's C calls, vivace's query building, compiling, running, turning
  rows into objects, the connection pool, the event loop...) and the
  functions with the most time of their own. cProfile reads the process's
  CPU clock unless ``--timer wall``, so waiting for the server is left out.

cProfile adds a fixed cost to every Python call, so it exaggerates code made
of many small calls; the areas' shares are a map, the unprofiled figures the
measure. ``--tool pyinstrument`` samples instead (pyinstrument must be
installed, see requirements.txt).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cases import DbCase, build_cases, operations, timed
from data import Admin, make_dataset
from targets import Target, postgres_cluster, scratch_folder, sqlite_target, stop_on_sigterm

SEED = 11
# Areas by the path of the code (first match wins); C functions go by their name.
AREAS: tuple[tuple[str, str], ...] = (
    ("vivace/db/query.py", "vivace query.py (QuerySet, Manager)"),
    ("vivace/db/select.py", "vivace select.py (SELECT, rows to objects)"),
    ("vivace/db/compiler.py", "vivace compiler.py (shapes, resolve)"),
    ("vivace/db/compiled.py", "vivace compiled.py (cache, bind)"),
    ("vivace/db/runner.py", "vivace runner.py"),
    ("vivace/db/database.py", "vivace database.py"),
    ("vivace/db/backends/", "vivace backends"),
    ("vivace/db/models.py", "vivace models.py (instances)"),
    ("vivace/db/fields.py", "vivace fields.py (converters)"),
    ("vivace/db/expressions.py", "vivace expressions.py (Q)"),
    ("vivace/db/relations.py", "vivace relations.py"),
    ("vivace/db/", "vivace, other"),
    ("sqlalchemy/", "SQLAlchemy (expressions built per call)"),
    ("psycopg_pool", "psycopg_pool"),
    ("psycopg", "psycopg (Python side)"),
    ("asyncio", "asyncio"),
    ("contextvars", "contextvars"),
    ("bench/db", "benchmark loop"),
)
DRIVER_CALLS = ("sqlite3.", "psycopg", "socket", "select", "poll", "epoll", "send", "recv")


def area(path: str, function: str) -> str:
    if path == "~":
        if any(name in function for name in DRIVER_CALLS):
            return "driver and I/O (C)"
        return "builtins (C)"
    for marker, name in AREAS:
        if marker in path:
            return name
    return "other Python"


def profile_case(case: DbCase, loops: int, timer: str) -> pstats.Stats:
    case.run(max(1, loops // 10))  # warm
    # On the CPU clock, time spent waiting for the server is left out of the shares.
    profiler = cProfile.Profile(time.process_time) if timer == "cpu" else cProfile.Profile()
    profiler.enable()
    case.run(loops)
    profiler.disable()
    return pstats.Stats(profiler)


def cost_us(case: DbCase, loops: int, repeats: int = 5) -> float:
    """CPU µs per operation, median of ``repeats`` measurements, unprofiled."""
    case.run(max(1, loops // 10))
    return statistics.median(timed(case.run, loops)[1] / loops for _ in range(repeats)) / 1000


def report_stats(stats: pstats.Stats, loops: int, top: int) -> list[str]:
    entries: Any = stats.stats  # type: ignore[attr-defined]
    total = sum(own for (_calls, _prim, own, _cum, _callers) in entries.values()) or 1.0
    by_area: dict[str, float] = defaultdict(float)
    rows = []
    for (path, line, function), (_calls, primitive, own, cumulative, _callers) in entries.items():
        by_area[area(path, function)] += own
        rows.append((own, cumulative, primitive, path, line, function))
    per_operation = total / loops * 1e6
    lines = [f"  profiled: {per_operation:.1f} µs per operation (inflated by cProfile)", "", "  by area:"]
    for name, own in sorted(by_area.items(), key=lambda item: -item[1]):
        if own / total >= 0.005:
            lines.append(f"    {own / total * 100:5.1f}%  {name}")
    lines += ["", f"  top {top} functions by own time (share, calls per operation, cumulative share):"]
    for own, cumulative, calls, path, line, function in sorted(rows, reverse=True)[:top]:
        where = function if path == "~" else f"{_short(path)}:{line} {function}"
        share, cumulative_share = own / total * 100, cumulative / total * 100
        lines.append(f"    {share:5.1f}%  x{calls / loops:<4g} cum {cumulative_share:5.1f}%  {where}")
    return lines


def _short(path: str) -> str:
    for marker in ("src/vivace/", "site-packages/", "bench/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def pyinstrument_tree(case: DbCase, loops: int) -> list[str]:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return ["  pyinstrument is not installed: pip install -r bench/db/requirements.txt"]
    case.run(max(1, loops // 10))
    profiler = Profiler(interval=0.0001, async_mode="disabled")
    profiler.start()
    case.run(loops)
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    return ["  " + line for line in text.splitlines()]


def profile_target(target: Target, args: argparse.Namespace) -> list[str]:
    from contenders.raw import RawPostgres, RawSQLite
    from contenders.vivace_orm import Vivace

    data = make_dataset(bulk_rows=1_000)
    admin = Admin(target)
    admin.create(data)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    raw: Any = RawSQLite(target) if target.is_sqlite else RawPostgres(target)
    vivace = Vivace(target)
    for contender in (raw, vivace):
        opener = getattr(contender, "aopen", None)
        if opener is not None:
            loop.run_until_complete(opener())
    out = []
    try:
        for operation in operations(data):
            if operation.key not in args.operations:
                continue
            cases = build_cases(operation, [raw, vivace], data, admin, loop, SEED)
            for mode in args.modes:
                by_contender = {c.contender: c for c in cases if c.mode == mode}
                mine, ceiling = by_contender["vivace"], by_contender["raw"]
                loops = _loops(mine, args.seconds)
                ours, theirs = cost_us(mine, loops), cost_us(ceiling, _loops(ceiling, args.seconds))
                out += [
                    f"## {target.name}, {operation.title}, {mode}",
                    "",
                    f"  vivace {ours:.1f} µs, raw {theirs:.1f} µs per operation (CPU, unprofiled): "
                    f"vivace / raw {ours / theirs:.2f}, vivace's own work {ours - theirs:.1f} µs",
                    "",
                ]
                if args.tool == "pyinstrument":
                    out += pyinstrument_tree(mine, loops)
                else:
                    out += report_stats(profile_case(mine, loops, args.timer), loops, args.top)
                out.append("")
    finally:
        for contender in (raw, vivace):
            loop.run_until_complete(contender.aclose())
        loop.close()
        admin.close()
    return out


def _loops(case: DbCase, seconds: float) -> int:
    """Loops that take about ``seconds`` of CPU time."""
    probe = 10
    elapsed = max(timed(case.run, probe)[1], 1)
    return max(10, round(probe * seconds * 1e9 / elapsed))


def split(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="profile vivace's query path next to the raw driver")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--operations", default="get,filter")
    parser.add_argument("--modes", default="sync,async")
    parser.add_argument("--tool", choices=("cprofile", "pyinstrument"), default="cprofile")
    parser.add_argument(
        "--timer", choices=("cpu", "wall"), default="cpu", help="cProfile's clock (default: process CPU time)"
    )
    parser.add_argument("--seconds", type=float, default=1.0, help="profiled time per case (default 1 s)")
    parser.add_argument("--top", type=int, default=20, help="functions listed per case")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    args.operations, args.modes = split(args.operations), split(args.modes)
    databases = split(args.databases)
    import vivace

    lines: list[str] = [f"vivace source: {Path(vivace.__file__).resolve().parent}", ""]
    with scratch_folder() as folder:
        if "sqlite" in databases:
            lines += profile_target(sqlite_target(folder), args)
        if "postgres" in databases:
            with postgres_cluster(folder) as target:
                lines += profile_target(target, args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
