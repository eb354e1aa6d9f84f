"""The operations, how each contender's answer is checked, and how they are timed.

Every operation takes a key drawn from a seeded random sequence (a primary
key, an author, the first post of a page), the same sequence for every
contender, so no contender answers from a cache and all do the same work.
Before anything is timed, each case answers a few keys and every answer is
checked against ``Dataset``; the bulk insert is checked row by row in the
table.

Timing follows ``bench/harness.py`` (calibrated loops, interleaved rounds,
medians, no garbage collection during a measurement) with two differences:

- The CPU clock is the process's (``time.process_time_ns``), not the
  thread's: aiosqlite and Django's async methods do their work in other
  threads, which the thread's clock would not see. The database server is
  another process and is counted by neither clock: on PostgreSQL the CPU
  figures are the client's own work, the wall figures include the server
  and the round trips.
- A case may have a ``reset``, run before each measurement and not timed:
  the bulk insert starts each measurement with an empty ``bulk_post``.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from time import perf_counter_ns, process_time_ns
from typing import Any

from data import AUTHORS, PAGE, POSTS, Admin, Dataset, bulk_checker, check_filter, check_get, check_page
from harness import Case, Plan

KEYS = 4096  # random keys per case, cycled
CHECKED_KEYS = 5  # answers checked per case before timing


@dataclass(frozen=True)
class Operation:
    key: str
    title: str
    draw: Callable[[random.Random], Any]
    # Whether the "within 1.5x of the raw driver" target applies.
    single_row: bool = False


def operations(data: Dataset) -> list[Operation]:
    rows = data.bulk_rows

    def page(rng: random.Random) -> int:
        return rng.randint(1, POSTS - PAGE + 1)

    return [
        Operation("get", "get by primary key", lambda rng: rng.randint(1, POSTS), single_row=True),
        Operation("filter", "filter, 20 rows", lambda rng: rng.randint(1, AUTHORS)),
        Operation("join", f"{PAGE} posts + authors, select_related", page),
        Operation("lazy", f"{PAGE} posts + authors, lazy (N+1)", page),
        Operation("bulk", f"bulk insert, {len(rows):,} rows", lambda rng: rows),
    ]


@dataclass
class DbCase(Case):
    operation: str = ""
    contender: str = ""
    mode: str = ""  # "sync" or "async"
    reset: Callable[[], None] | None = None
    checked: int = 0  # answers checked before timing


def checker(operation: str, data: Dataset, admin: Admin) -> Callable[[Any, Any], None]:
    if operation == "get":
        return lambda key, answer: check_get(data, key, answer)
    if operation == "filter":
        return lambda key, answer: check_filter(data, key, answer)
    if operation in ("join", "lazy"):
        return lambda key, answer: check_page(data, key, answer)
    return bulk_checker(data, admin, len(data.bulk_rows))


def build_cases(
    operation: Operation,
    contenders: Sequence[Any],
    data: Dataset,
    admin: Admin,
    loop: asyncio.AbstractEventLoop,
    seed: int,
) -> list[DbCase]:
    """Check every contender's answers for ``operation``, sync then async, and return the cases."""
    keys = _keys(operation, seed)
    check = checker(operation.key, data, admin)
    reset = admin.reset_bulk if operation.key == "bulk" else None
    checked = keys[:1] if operation.key == "bulk" else keys[:CHECKED_KEYS]
    cases = []
    for mode in ("sync", "async"):
        for contender in contenders:
            if mode == "sync" and not getattr(contender, "sync", True):
                continue
            method = getattr(contender, operation.key if mode == "sync" else "a" + operation.key)
            name = f"{operation.key} {mode} {contender.name}"
            for key in checked:
                if reset is not None:
                    reset()
                answer = method(key) if mode == "sync" else loop.run_until_complete(method(key))
                try:
                    check(key, answer)
                except AssertionError as exc:
                    raise AssertionError(f"{name}: wrong answer: {exc}") from None
            run = _sync_runner(method, keys) if mode == "sync" else _async_runner(loop, method, keys)
            cases.append(
                DbCase(
                    name,
                    run,
                    operation=operation.key,
                    contender=contender.name,
                    mode=mode,
                    reset=reset,
                    checked=len(checked),
                )
            )
    if reset is not None:
        reset()
    return cases


def _keys(operation: Operation, seed: int) -> list[Any]:
    rng = random.Random(f"{seed}-{operation.key}")
    return [operation.draw(rng) for _ in range(1 if operation.key == "bulk" else KEYS)]


def _sync_runner(method: Callable[[Any], Any], keys: list[Any]) -> Callable[[int], None]:
    source = itertools.cycle(keys)

    def run(loops: int) -> None:
        for _ in range(loops):
            method(next(source))

    return run


def _async_runner(
    loop: asyncio.AbstractEventLoop, method: Callable[[Any], Awaitable[Any]], keys: list[Any]
) -> Callable[[int], None]:
    source = itertools.cycle(keys)

    async def many(loops: int) -> None:
        for _ in range(loops):
            await method(next(source))

    def run(loops: int) -> None:
        loop.run_until_complete(many(loops))

    return run


# Timing ----------------------------------------------------------------------------------


def measure(cases: Sequence[DbCase], plan: Plan) -> None:
    """Calibrate each case, then ``plan.rounds`` interleaved rounds, resetting before each measurement."""
    for case in cases:
        case.loops = _calibrate(case, plan.seconds)
    for index in range(plan.rounds):
        ordered = cases if index % 2 == 0 else list(reversed(cases))
        for case in ordered:
            if case.reset is not None:
                case.reset()
            wall, cpu = timed(case.run, case.loops)
            case.samples["wall"].append(wall / case.loops)
            case.samples["cpu"].append(cpu / case.loops)


def _calibrate(case: DbCase, seconds: float) -> int:
    target = seconds * 1e9
    loops = 1
    while True:
        if case.reset is not None:
            case.reset()
        elapsed = max(timed(case.run, loops)[0], 1)
        if elapsed >= target / 10 or loops >= 1 << 24:
            return max(1, round(loops * target / elapsed))
        loops *= 10


def timed(run: Callable[[int], object], loops: int) -> tuple[int, int]:
    """Wall-clock and process CPU nanoseconds of ``run(loops)``, the collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        wall, cpu = perf_counter_ns(), process_time_ns()
        run(loops)
        cpu, wall = process_time_ns() - cpu, perf_counter_ns() - wall
    finally:
        if enabled:
            gc.enable()
    return wall, cpu
