"""The TechEmpower suite in bench/techempower still runs and every case passes its checks.

``test_every_case_passes`` runs ``run.py --smoke``: every app (the opt-in
references included), test and database is started, checked by TechEmpower's
rules and loaded by wrk for about a second. It fails when any case is missing
(answers 404) or fails its checks, vivace's own included. No timing is asserted.

It needs what the suite needs: ``wrk`` and the PostgreSQL server binaries
(Debian packages ``wrk`` and ``postgresql-15``) and the peers
(``pip install -r bench/techempower/requirements.txt``).

The other tests point the checker at a deliberately wrong app, so a checker
that passes everything cannot hide behind a green smoke run.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import importlib.util
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

SUITE = Path(__file__).resolve().parents[2] / "bench" / "techempower"
sys.path.insert(0, str(SUITE))

from cases import DATABASES, PEERS, REFERENCES, matrix  # noqa: E402
from checks import check  # noqa: E402
from databases import SQLiteDatabase, find_postgres_bin  # noqa: E402
from run import parse_args  # noqa: E402
from spec import TESTS, expected_fortunes_page  # noqa: E402

from vivace import App  # noqa: E402
from vivace.core.responses import PlainTextResponse  # noqa: E402

PEER_MODULES = (
    "starlette",
    "fastapi",
    "litestar",
    "flask",
    "flask_sqlalchemy",
    "django",
    "gunicorn",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "psycopg",
    "psycopg_pool",
    "orjson",
)


def missing_prerequisites() -> list[str]:
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (apt-get install wrk)")
    if shutil.which("taskset") is None:
        missing.append("taskset (apt-get install util-linux)")
    try:
        find_postgres_bin()
    except RuntimeError:
        missing.append("PostgreSQL server binaries (apt-get install postgresql-15)")
    absent = [name for name in PEER_MODULES if importlib.util.find_spec(name) is None]
    if absent:
        missing.append(f"{', '.join(absent)} (pip install -r bench/techempower/requirements.txt)")
    return missing


ALL_APPS = ",".join(entry.name for entry in (*PEERS, *REFERENCES))


def test_references_run_only_when_named() -> None:
    assert REFERENCES and not {e.name for e in REFERENCES} & {e.name for e in PEERS}
    done = subprocess.run(
        [sys.executable, str(SUITE / "run.py"), "--frameworks", "raw-asgi,nope"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown app(s) ['nope']" in done.stderr and "raw-asgi+headers" in done.stderr
    _, default_entries, *_ = parse_args([])
    assert not set(REFERENCES) & set(default_entries)
    _, named_entries, *_ = parse_args(["--frameworks", "raw-asgi," + REFERENCES[0].name])
    assert [e.name for e in named_entries] == ["raw-asgi", REFERENCES[0].name]


def start_headers(app: Any, path: str) -> dict[bytes, bytes]:
    """The headers ``app`` starts its response to ``GET path`` with, called in process."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 51234),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return dict(sent[0]["headers"])


def test_the_headers_reference_adds_exactly_a_bare_vivace_apps_headers(tmp_path: Path) -> None:
    app = App("bare", root=str(tmp_path))

    async def plaintext(request: Any) -> PlainTextResponse:
        return PlainTextResponse(b"Hello, World!")

    app.add_route("/plaintext", plaintext)
    framing = {b"content-type", b"content-length"}
    vivace_extra = {k: v for k, v in start_headers(app, "/plaintext").items() if k not in framing}
    # raw_asgi_headers changes raw_asgi's header lists on import: keep it out of this process.
    program = (
        "import asyncio, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])\n"
        "from test_techempower_smoke import start_headers\n"
        "import raw_asgi_headers\n"
        "for path in ('/plaintext', '/json'):\n"
        "    print(path, sorted(start_headers(raw_asgi_headers.app, path).items()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(SUITE / "apps"), str(Path(__file__).parent)],
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2, done.stdout
    for line in lines:
        path, _, headers = line.partition(" ")
        reference = dict(ast.literal_eval(headers))
        assert b"content-type" in reference, path
        assert {k: v for k, v in reference.items() if k not in framing} == vivace_extra, path


@pytest.mark.timeout(600)
def test_every_case_passes(tmp_path: Path) -> None:
    missing = missing_prerequisites()
    assert not missing, "the TechEmpower smoke run needs: " + "; ".join(missing)
    prefix = tmp_path / "techempower"
    process = subprocess.Popen(
        [sys.executable, str(SUITE / "run.py"), "--smoke", "--frameworks", ALL_APPS, "--output", str(prefix)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=540)
    except BaseException:
        # SIGTERM lets the run stop its servers and its PostgreSQL cluster.
        process.terminate()
        process.communicate(timeout=60)
        raise
    completed = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert prefix.with_suffix(".json").exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    record = json.loads(prefix.with_suffix(".json").read_text(encoding="utf-8"))
    expected = {case.key for case in matrix((*PEERS, *REFERENCES), list(TESTS), list(DATABASES))}
    reported = {(c["entry"], c["test"], c["database"] or "-") for c in record["cases"]}
    assert reported == expected, f"cases not reported: {sorted(expected - reported)}"
    bad = [
        f"{c['entry']} · {c['test']} · {c['database'] or '-'}: {c['status']} {c['problems']}"
        for c in record["cases"]
        if not c["acceptable"]
    ]
    assert not bad, "\n".join(bad)
    untimed = [
        c["entry"] + " · " + c["test"] for c in record["cases"] if c["status"] == "ok" and not c["samples"]
    ]
    assert not untimed, f"checked but never loaded: {untimed}"
    assert completed.returncode == 0, completed.stderr[-3000:]


# The checker against a wrong app ----------------------------------------------------

WRONG_FORTUNES = (
    expected_fortunes_page().replace(b"&lt;script&gt;", b"<script>").replace(b"&lt;/script&gt;", b"</script>")
)


def wrong_app(database: SQLiteDatabase) -> Any:
    """An ASGI app whose every TechEmpower endpoint breaks one rule (and /plaintext two ways)."""
    world = database.world()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        path, query = scope["path"], scope["query_string"]
        headers = [(b"content-type", b"application/json")]
        if path == "/plaintext":
            status, body, headers = 200, b"Hello, World!", [(b"content-type", b"text/html")]
        elif path == "/json":
            status, body = 200, b'{"message": "Hello, world!"}'
        elif path == "/db":
            id_ = random.randint(1, 10000)
            status, body = 200, json.dumps({"id": id_, "randomNumber": world[id_] % 10000 + 1}).encode()
        elif path == "/queries":
            raw = query.partition(b"=")[2]
            count = int(raw) if raw.isdigit() else 1  # 0 gives no row: not clamped
            rows = [{"id": i, "randomNumber": world[i]} for i in range(1, count + 1)]
            status, body = 200, json.dumps(rows).encode()
        elif path == "/fortunes":
            status, body, headers = 200, WRONG_FORTUNES, [(b"content-type", b"text/html; charset=utf-8")]
        elif path == "/updates":
            rows = [{"id": 1, "randomNumber": (world[1] % 10000) + 1}]
            status, body = 200, json.dumps(rows).encode()
        else:
            status, body = 404, b"Not Found"
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture(scope="module")
def wrong_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, SQLiteDatabase]]:
    database = SQLiteDatabase.create(tmp_path_factory.mktemp("tfb"))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        wrong_app(database), host="127.0.0.1", port=port, lifespan="off", ws="none", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the wrong app did not start"
    try:
        yield port, database
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.parametrize(
    ("test", "problem"),
    [
        ("plaintext", "Content-Type 'text/html'"),
        ("json", "expected {'message': 'Hello, World!'}"),
        ("db", "the database"),
        ("queries", "?queries=0: 0 rows, expected 1"),
        ("fortunes", "differs from the expected one"),
        ("updates", "but the database holds"),
    ],
)
def test_checks_catch_a_wrong_app(wrong_server: tuple[int, SQLiteDatabase], test: str, problem: str) -> None:
    port, database = wrong_server
    verdict = check(port, test, database)
    assert verdict.status == "failed"
    assert any(problem in text for text in verdict.problems), verdict.problems


def test_checks_report_a_404_as_missing(
    wrong_server: tuple[int, SQLiteDatabase], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _ = wrong_server
    monkeypatch.setitem(TESTS, "json", dataclasses.replace(TESTS["json"], path="/not-here"))
    verdict = check(port, "json", None)
    assert verdict.status == "missing"
