"""The apps' own cost per request, without a server: each ASGI app called in a loop, in process.

    python bench/techempower/inprocess.py                       # every ASGI app, plaintext and json
    python bench/techempower/inprocess.py --apps vivace,raw-asgi --tests json
    python bench/techempower/inprocess.py --apps vivace --tests json --cprofile 30
    DATABASE_URL=sqlite:///tmp/hello.sqlite3 python bench/techempower/inprocess.py --tests db,fortunes

Each request is ``await app(scope, receive, send)`` with the scope uvicorn
builds for wrk's request (Host, Accept, Connection), on uvloop, ``receive``
and ``send`` being in-process coroutines. What is left is the framework's work
per request; the server's (parsing, writing to the socket), which ``run.py``
includes, is not. The figure is the median of interleaved rounds of CPU time
per request, in microseconds, counted for the whole process, so that work a
driver does in its own threads (aiosqlite, psycopg's pool) counts too.
``--cprofile N`` runs the first app under cProfile instead and prints its N
most expensive functions.

Each app's lifespan start-up runs first, so the database tests work too:
``DATABASE_URL`` names a database holding the TechEmpower tables (without one,
a SQLite file is made and seeded in a temporary folder).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cases import APPS_DIR
from spec import ACCEPT, HELLO, TESTS

APPS = {
    "raw-asgi": "raw_asgi:app",
    "vivace": "vivace_app:app",
    "starlette": "starlette_app:app",
    "fastapi": "fastapi_app:app",
    "litestar": "litestar_app:app",
}


def scope_for(test: str) -> dict[str, Any]:
    path, _, query = TESTS[test].path.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 51234),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"accept", ACCEPT[TESTS[test].body].encode()),
            (b"connection", b"keep-alive"),
        ],
        "state": {},
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def start_up(app: Any) -> None:
    """Run ``app``'s lifespan start-up; its task waits for ``shut_down()``."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    inbox.put_nowait({"type": "lifespan.startup"})

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set_result(None)
        elif message["type"] == "lifespan.startup.failed":
            started.set_exception(RuntimeError(message.get("message", "start-up failed")))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.ensure_future(app(scope, inbox.get, send))
    await asyncio.wait([task, started], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # an app that ends its lifespan at once has nothing to start
    else:
        await started
        LIFESPANS.append((task, inbox))


async def shut_down() -> None:
    """End every lifespan ``start_up`` began (closing the apps' database connections)."""
    for task, inbox in LIFESPANS:
        inbox.put_nowait({"type": "lifespan.shutdown"})
        await task
    LIFESPANS.clear()


LIFESPANS: list[tuple[asyncio.Future[None], asyncio.Queue[dict[str, Any]]]] = []


def load_app(name: str) -> Any:
    module, _, attr = APPS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def runner(app: Any, test: str) -> Callable[[int], Any]:
    scope = scope_for(test)
    # Only the last body is kept: keeping them all would make every response a
    # fresh allocation, and page faults would be timed instead of the app.
    last: dict[str, Any] = {}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            last["body"] = message["body"]

    async def requests(count: int) -> None:
        for _ in range(count):
            await app(dict(scope), receive, send)
        if test == "plaintext" and last["body"] != HELLO:
            raise AssertionError(f"{test}: body {last['body']!r}")

    return requests


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--tests", default="plaintext,json")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20_000, help="requests per measurement")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="profile the first app")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        from databases import SQLiteDatabase

        os.environ["DATABASE_URL"] = SQLiteDatabase.create(Path(tempfile.mkdtemp(prefix="vivace-tfb-"))).url
    sys.path.insert(0, str(APPS_DIR))
    import uvloop

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    names, tests = args.apps.split(","), args.tests.split(",")
    apps = {name: load_app(name) for name in names}
    for app in apps.values():
        loop.run_until_complete(start_up(app))

    if args.cprofile:
        run = runner(apps[names[0]], tests[0])
        loop.run_until_complete(run(2000))
        profiler = cProfile.Profile()
        profiler.enable()
        loop.run_until_complete(run(args.requests))
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.cprofile)
        stats.sort_stats("cumulative").print_stats(args.cprofile)
        loop.run_until_complete(shut_down())
        return

    cases = [(name, test, runner(apps[name], test)) for test in tests for name in names]
    for _, _, run in cases:
        loop.run_until_complete(run(2000))
    samples: dict[tuple[str, str], list[float]] = {(name, test): [] for name, test, _ in cases}
    for index in range(args.rounds):
        for name, test, run in cases if index % 2 == 0 else list(reversed(cases)):
            started = time.process_time_ns()
            loop.run_until_complete(run(args.requests))
            samples[(name, test)].append((time.process_time_ns() - started) / args.requests / 1000)
    print(f"CPU µs per request, median of {args.rounds} rounds of {args.requests:,} requests")
    for test in tests:
        ceiling = statistics.median(samples[("raw-asgi", test)]) if "raw-asgi" in names else None
        for name in names:
            value = statistics.median(samples[(name, test)])
            ratio = f"  ceiling ÷ this {ceiling / value:.2f}x" if ceiling else ""
            print(f"{test:10} {name:10} {value:8.2f}{ratio}")
    loop.run_until_complete(shut_down())


if __name__ == "__main__":
    main()
