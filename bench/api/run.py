"""Typed JSON endpoints: decode + validate + encode of a 20-line order, vivace vs FastAPI vs Litestar.

Run from the repository root (peers from bench/api/requirements.txt):

    python bench/api/run.py             # full run, ~15 s; writes bench/results/api.json
    python bench/api/run.py --quick     # smoke run: checks every app, times briefly

Method: each app is driven in process, as an ASGI application, by the same
loop: ``await app(scope, receive, send)`` for ``POST /orders`` with a 2.9 KB
JSON body (an order with 20 line items, each with tags and options), where
``receive`` hands over the whole body at once and ``send`` drops the
messages. No server, no socket: the same fake I/O for all three, so the
figures are the frameworks' own cost per request (routing, body reading,
JSON decoding, validation, the handler, encoding, the response). Each app's
lifespan is started first. Every app is checked before timing: status 201,
``application/json``, and the same decoded answer. Rounds are interleaved
and the figure is the median (see bench/README.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec
from apps import BODY, fastapi_app, litestar_app, vivace_app
from harness import (
    RESULTS_DIR,
    Case,
    case_record,
    describe_machine,
    describe_plan,
    machine,
    markdown_table,
    measure,
    noise_warning,
    ns,
    parse_args,
    stopwatch,
    write_json,
)

SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 51234),
    "scheme": "http",
    "method": "POST",
    "root_path": "",
    "path": "/orders",
    "raw_path": b"/orders",
    "query_string": b"",
    "headers": [
        (b"host", b"localhost"),
        (b"user-agent", b"bench/1.0"),
        (b"accept", b"application/json"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}

_MESSAGE = {"type": "http.request", "body": BODY, "more_body": False}


async def receive() -> dict[str, Any]:
    return _MESSAGE


async def discard(message: dict[str, Any]) -> None:
    return None


def request_scope() -> dict[str, Any]:
    # A new scope per request, as a server makes one: frameworks may write into it.
    return {**SCOPE, "state": {}}


class Lifespan:
    """An app's lifespan, started before timing and stopped after."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[Any] | None = None

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.task = asyncio.get_running_loop().create_task(self.app(scope, self.inbox.get, self.outbox.put))
        await self.inbox.put({"type": "lifespan.startup"})
        message = await self.outbox.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"start-up failed: {message}")

    async def stop(self) -> None:
        await self.inbox.put({"type": "lifespan.shutdown"})
        await self.outbox.get()
        if self.task is not None:
            await self.task


async def answer(app: Any) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def record(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(request_scope(), receive, record)
    head = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return head["status"], dict(head["headers"]), body


def check(loop: asyncio.AbstractEventLoop, apps: dict[str, Any]) -> None:
    answers = {}
    for name, app in apps.items():
        status, headers, body = loop.run_until_complete(answer(app))
        content_type = headers.get(b"content-type", b"")
        if status != 201 or not content_type.startswith(b"application/json"):
            raise AssertionError(f"{name}: status {status}, content-type {content_type!r}: {body[:300]!r}")
        answers[name] = msgspec.json.decode(body)
    expected = answers["vivace"]
    if len(expected["lines"]) != 20:
        raise AssertionError("vivace: the confirmation should have 20 lines")
    for name, decoded in answers.items():
        if decoded != expected:
            raise AssertionError(f"{name} answers differently from vivace:\n{decoded}\n{expected}")


def runner(loop: asyncio.AbstractEventLoop, app: Any) -> Any:
    async def requests(loops: int) -> None:
        for _ in range(loops):
            await app(request_scope(), receive, discard)

    def run(loops: int) -> None:
        loop.run_until_complete(requests(loops))

    return run


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("vivace", "fastapi", "pydantic", "litestar", "msgspec")}


def main() -> int:
    plan, json_path = parse_args("Typed JSON endpoint: vivace vs FastAPI vs Litestar, in process.")
    if json_path is None and not plan.quick:
        json_path = RESULTS_DIR / "api.json"
    elapsed = stopwatch()
    info = machine()
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as root:
        apps = {"vivace": vivace_app(root), "FastAPI": fastapi_app(), "Litestar": litestar_app()}
        lifespans = [Lifespan(app) for app in apps.values()]
        for lifespan in lifespans:
            loop.run_until_complete(lifespan.start())
        check(loop, apps)
        cases = [Case(name, runner(loop, app)) for name, app in apps.items()]
        measure(cases, plan)
        for lifespan in lifespans:
            loop.run_until_complete(lifespan.stop())
    loop.close()

    base = cases[0].median("cpu")
    rows = [
        [
            case.name,
            ns(case.median("wall")),
            f"{1e9 / case.median('wall'):,.0f}",
            f"±{case.spread('wall') * 100:.1f}%",
            ns(case.median("cpu")),
            f"±{case.spread('cpu') * 100:.1f}%",
            f"{case.median('cpu') / base:.2f}x",
        ]
        for case in cases
    ]
    header = ["framework", "wall ns/req", "req/s", "spread", "CPU ns/req", "CPU spread", "CPU vs vivace"]
    print(f"Typed endpoint benchmark (POST /orders, {len(BODY):,} byte body) — {describe_plan(plan)}")
    print(f"Machine: {describe_machine(info)}")
    print("Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    print()
    print(markdown_table(header, rows))
    print()
    print("In-process ASGI, the same receive/send for every app; figures are medians of interleaved rounds.")
    warning = noise_warning(cases, 0.05)
    if warning is not None and not plan.quick:
        print(warning)
    if json_path is not None:
        write_json(
            json_path,
            {
                "machine": info,
                "versions": versions(),
                "plan": {"rounds": plan.rounds, "seconds": plan.seconds},
                "cases": [case_record(case) for case in cases],
            },
        )
        print(f"Wrote {json_path}")
    print(f"Total {elapsed():.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
