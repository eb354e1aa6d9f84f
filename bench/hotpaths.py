"""Hot-path micro-benchmarks: a whole request in process, request parsing, JSON, templates, model rows.

Run from the repository root:

    python bench/hotpaths.py            # full run, ~15 s; writes bench/results/hotpaths.json
    python bench/hotpaths.py --quick    # smoke run for CI, a few hundred ms, writes nothing

The cases, each in nanoseconds per operation:

    asgi plaintext   ``await app(scope, receive, send)`` for ``GET /plaintext`` (an async
                     handler returning a ``PlainTextResponse``) on a bare ``App``
                     with its defaults on (Host check, security headers); receive and
                     send are in-process coroutines, no server and no network
    asgi json        the same for ``GET /json``, a handler returning a dict
    request headers  ``Request(scope, ...)`` and three lookups in ``request.headers``
                     (two present, one absent) among eleven browser-like headers
    request query    ``Request(scope, ...)`` and ``request.query_params``: parse a
                     six-field query string, read one value and one repeated key
    json message     ``JSONResponse({"message": "Hello, World!"})``, the TechEmpower
                     JSON test body
    json 20 rows     ``JSONResponse`` of 20 ``{"id", "randomNumber"}`` objects, the
                     shape of the TechEmpower queries test
    template         ``Templates(app).render_string("fortunes.html", fortunes=rows)``:
                     a fortunes-like Jinja2 table of 12 rows, autoescaped
    rows sqlite3     ``connection.execute(sql).fetchall()`` of 20 ``world`` rows from a
                     SQLite file: the driver alone
    rows models      ``list(World.objects.order_by("id")[:20])``: the same statement
                     through vivace's query API, each row made a model instance; the
                     difference with ``rows sqlite3`` is the data layer's own cost
    call overhead    an empty function called the same way as the cases above; it is
                     included in every figure, subtract it to get the bare cost

Every case is checked (status, headers, body, parsed values, escaped HTML)
before any timing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import (
    RESULTS_DIR,
    Case,
    Runner,
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

from vivace import App
from vivace.core.requests import Request
from vivace.core.responses import JSONResponse, PlainTextResponse
from vivace.core.types import Message
from vivace.db import Registry, fields
from vivace.templates import Templates

BROWSER_HEADERS: list[tuple[bytes, bytes]] = [
    (b"host", b"localhost"),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"accept-language", b"en-GB,en;q=0.5"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"connection", b"keep-alive"),
    (b"upgrade-insecure-requests", b"1"),
    (b"sec-fetch-dest", b"document"),
    (b"sec-fetch-mode", b"navigate"),
    (b"sec-fetch-site", b"none"),
    (b"priority", b"u=0, i"),
]

QUERY = b"page=3&per_page=25&sort=-created&q=caf%C3%A9+au+lait&tag=python&tag=web"

FORTUNES_TEMPLATE = """<!DOCTYPE html>
<html><head><title>Fortunes</title></head><body><table>
<tr><th>id</th><th>message</th></tr>
{% for fortune in fortunes %}<tr><td>{{ fortune.id }}</td><td>{{ fortune.message }}</td></tr>
{% endfor %}</table></body></html>
"""

MESSAGES = (
    "Premature optimization is a fine excuse for a long lunch.",
    "The cache was warm; the coffee was not.",
    "<script>alert('every input is hostile')</script>",
    "A benchmark without a median is an anecdote.",
    "Fish & chips & 404s.",
    "Ein Router, tausend Routen, eine Wörterbuchsuche.",
    "Le chemin le plus court passe par le cache.",
    "インデックスを作れば、検索は速くなる。",
    "There are two hard things: naming, caching and off-by-one errors.",
    "Measure twice, optimise once.",
    'He said "it works on my machine" and shipped the machine.',
    "Additional fortune added at request time.",
)

# 20 ``world`` rows as (id, randomNumber): the JSON case's objects and the table the row cases read.
WORLD = [(index, (index * 7919) % 10000 + 1) for index in range(1, 21)]


@dataclass(frozen=True)
class Fortune:
    id: int
    message: str


def scope_for(
    path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """An HTTP scope as uvicorn builds it."""
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
        "query_string": query,
        "headers": headers if headers is not None else [(b"host", b"localhost")],
    }


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message: Message) -> None:
    return None


def build_app(root: str) -> App:
    app = App("bench_hotpaths", root=root)

    async def plaintext(request: Request) -> PlainTextResponse:
        return PlainTextResponse(b"Hello, World!")

    async def json(request: Request) -> dict[str, str]:
        return {"message": "Hello, World!"}

    app.add_route("/plaintext", plaintext)
    app.add_route("/json", json)
    return app


# Runners ------------------------------------------------------------------------


def world_rows(root: str) -> tuple[App, Callable[[], list[Any]], Callable[[], list[Any]]]:
    """20 ``world`` rows in a SQLite file, read by the driver alone and as vivace models."""
    registry = Registry("hotpaths")

    class World(registry.Model):  # type: ignore[name-defined,misc]
        random_number = fields.Integer()

        class Meta:
            label = "hotpaths"
            table_name = "world"

    path = Path(root, "world.sqlite3")
    app = App("rows", root=root, database_url=f"sqlite:///{path}")
    app.db.use(registry)
    app.db.create_all()
    World.objects.bulk_create([World(random_number=number) for _, number in WORLD])
    connection = sqlite3.connect(path)
    sql = "SELECT id, random_number FROM world ORDER BY id LIMIT 20"
    return app, lambda: connection.execute(sql).fetchall(), lambda: list(World.objects.order_by("id")[:20])


def repeat(op: Callable[[], object]) -> Runner:
    def run(loops: int) -> None:
        for _ in range(loops):
            op()

    return run


def asgi_runner(loop: asyncio.AbstractEventLoop, app: App, scope: dict[str, Any]) -> Runner:
    """``await app(scope, receive, send)`` ``loops`` times, inside one running loop."""

    async def requests(loops: int) -> None:
        for _ in range(loops):
            await app(scope, receive, discard)

    def run(loops: int) -> None:
        loop.run_until_complete(requests(loops))

    return run


# Checks ------------------------------------------------------------------------


def check_asgi(
    loop: asyncio.AbstractEventLoop, app: App, path: str, content_type: bytes, body: bytes
) -> None:
    sent: list[Message] = []

    async def record(message: Message) -> None:
        sent.append(message)

    loop.run_until_complete(app(scope_for(path), receive, record))
    start, end = sent
    headers = dict(start["headers"])
    problems = []
    if start["status"] != 200:
        problems.append(f"status {start['status']}")
    if headers.get(b"content-type") != content_type:
        problems.append(f"content-type {headers.get(b'content-type')!r}")
    if b"x-content-type-options" not in headers:
        problems.append("no security headers")
    if end["body"] != body:
        problems.append(f"body {end['body']!r}")
    if problems:
        raise AssertionError(f"GET {path}: " + ", ".join(problems))


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def read_headers(app: App, scope: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    headers = Request(scope, receive, app).headers
    return headers.get("user-agent"), headers.get("accept-language"), headers.get("cookie")


def read_query(app: App, scope: dict[str, Any]) -> tuple[str, list[str]]:
    query = Request(scope, receive, app).query_params
    return query["q"], query.getlist("tag")


def nothing() -> None:
    return None


def main() -> int:
    plan, json_path = parse_args("Hot paths: in-process ASGI requests, parsing, JSON, templates, model rows.")
    if json_path is None and not plan.quick:
        json_path = RESULTS_DIR / "hotpaths.json"
    elapsed = stopwatch()
    info = machine()

    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as root:
        templates_dir = Path(root, "templates")
        templates_dir.mkdir()
        (templates_dir / "fortunes.html").write_text(FORTUNES_TEMPLATE, encoding="utf-8")
        app = build_app(root)
        templates = Templates(app)
        fortunes = sorted(
            (Fortune(index, message) for index, message in enumerate(MESSAGES, 1)),
            key=lambda fortune: fortune.message,
        )
        rows = [{"id": id_, "randomNumber": number} for id_, number in WORLD]
        rows_app, driver_rows, model_rows = world_rows(root)
        header_scope = scope_for("/", headers=BROWSER_HEADERS)
        query_scope = scope_for("/search", query=QUERY)

        check_asgi(loop, app, "/plaintext", b"text/plain; charset=utf-8", b"Hello, World!")
        check_asgi(loop, app, "/json", b"application/json", b'{"message":"Hello, World!"}')
        check(
            read_headers(app, header_scope)[1:] == ("en-GB,en;q=0.5", None),
            "request.headers lookups",
        )
        check(read_query(app, query_scope) == ("café au lait", ["python", "web"]), "query_params")
        check(
            JSONResponse({"message": "Hello, World!"}).body == b'{"message":"Hello, World!"}',
            "JSONResponse body",
        )
        check(JSONResponse(rows).body.count(b'"randomNumber"') == 20, "JSONResponse rows")
        html = templates.render_string("fortunes.html", fortunes=fortunes)
        check(html.count("<tr>") == 13, "fortunes: 12 rows and a header row")
        check("&lt;script&gt;" in html and "<script>" not in html, "fortunes: autoescape")
        check("インデックス" in html, "fortunes: non-ASCII text")
        check(driver_rows() == WORLD, "rows: the driver's rows")
        check([(world.pk, world.random_number) for world in model_rows()] == WORLD, "rows: models")

        cases = [
            Case("asgi plaintext", asgi_runner(loop, app, scope_for("/plaintext"))),
            Case("asgi json", asgi_runner(loop, app, scope_for("/json"))),
            Case("request headers", repeat(lambda: read_headers(app, header_scope))),
            Case("request query", repeat(lambda: read_query(app, query_scope))),
            Case("json message", repeat(lambda: JSONResponse({"message": "Hello, World!"}))),
            Case("json 20 rows", repeat(lambda: JSONResponse(rows))),
            Case(
                "template (12 rows)",
                repeat(lambda: templates.render_string("fortunes.html", fortunes=fortunes)),
            ),
            Case("rows sqlite3 (20)", repeat(driver_rows)),
            Case("rows models (20)", repeat(model_rows)),
            Case("call overhead", repeat(nothing)),
        ]
        measure(cases, plan)
        rows_app.db.database.close()
    loop.close()

    table = [
        [
            case.name,
            ns(case.median("wall")),
            f"{1e9 / case.median('wall'):,.0f}",
            f"±{case.spread('wall') * 100:.1f}%",
            ns(case.median("cpu")),
            f"±{case.spread('cpu') * 100:.1f}%",
        ]
        for case in cases
    ]
    header = ["case", "wall ns/op", "ops/s", "spread", "CPU ns/op", "CPU spread"]
    print(f"Hot paths benchmark — {describe_plan(plan)}")
    print(f"Machine: {describe_machine(info)}")
    print()
    print(markdown_table(header, table))
    print()
    print("wall: time.perf_counter_ns; CPU: time.thread_time_ns (leaves out time descheduled).")
    print("spread: half the range of the rounds, relative to the median.")
    warning = noise_warning(cases, 0.05)
    if warning is not None and not plan.quick:
        print(warning)
    if json_path is not None:
        write_json(
            json_path,
            {
                "benchmark": "hotpaths",
                "unit": "ns per operation",
                "machine": info,
                "rounds": plan.rounds,
                "seconds_per_measurement": plan.seconds,
                "cases": {case.name: case_record(case) for case in cases},
            },
        )
        print(f"Wrote {json_path}")
    print(f"Total {elapsed():.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
