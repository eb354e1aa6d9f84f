"""Checking every endpoint by TechEmpower's rules before anything is timed.

A case is ``ok``, ``missing`` (the endpoint answers 404: not implemented) or
``failed``, with the list of problems found. The checks:

- every response: status 200, the ``Server``, ``Date``, ``Content-Type`` and
  ``Content-Length`` headers, no chunked encoding, a ``Content-Length`` equal
  to the body, and TechEmpower's content type for the test;
- plaintext and json: the exact body (json compared as parsed JSON);
- db: one ``{"id", "randomNumber"}`` object whose values are the row in the
  database, and different rows over several requests;
- queries: each edge case of ``queries`` (missing, empty, ``foo``, 0, -1, 1,
  2, 20, 500, 501) gives the right number of rows, each one the database's;
- fortunes: the page is byte-equal to ``spec.expected_fortunes_page()`` once
  the character references are spelled one way (``spec.canonical_references``);
- updates: the same edge cases, then the database is read back: every row
  returned holds the returned value, no other row changed, and the rows did
  change (at least 90% of all rows asked for across the edge cases; a new
  random value may equal the old one).
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from databases import Database
from spec import (
    ACCEPT,
    CONTENT_TYPES,
    HELLO,
    JSON_MESSAGE,
    QUERIES_EDGE_CASES,
    REQUIRED_HEADERS,
    TESTS,
    WORLD_ROWS,
    canonical_references,
    expected_fortunes_page,
)

TIMEOUT = 30.0


@dataclass
class Verdict:
    status: str = "ok"  # "ok", "missing" or "failed"
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.status = "failed"
        self.problems.append(problem)


@dataclass
class Reply:
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


class Problem(Exception):
    pass


def fetch(port: int, path: str, accept: str) -> Reply:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request("GET", path, headers={"Accept": accept})
        response = connection.getresponse()
        return Reply(path, response.status, response.getheaders(), response.read())
    finally:
        connection.close()


def check(port: int, test_name: str, database: Database | None) -> Verdict:
    """Check one test of the server listening on ``port``."""
    test = TESTS[test_name]
    verdict = Verdict()
    base = test.path.partition("?")[0]
    try:
        first = fetch(port, test.path, ACCEPT[test.body])
        if first.status == 404:
            return Verdict("missing", [f"GET {test.path} answers 404: not implemented"])
        CHECKERS[test_name](port, first, database, verdict)
    except Problem as problem:
        verdict.fail(str(problem))
    except (OSError, http.client.HTTPException) as exc:
        verdict.fail(f"GET {base}: {type(exc).__name__}: {exc}")
    return verdict


def check_headers(reply: Reply, body_kind: str) -> None:
    where = f"GET {reply.path}"
    if reply.status != 200:
        raise Problem(f"{where}: status {reply.status}, body {reply.body[:200]!r}")
    for name in REQUIRED_HEADERS:
        values = reply.header(name)
        if len(values) != 1:
            raise Problem(f"{where}: {len(values)} {name} headers, expected one")
    if reply.header("Transfer-Encoding"):
        encoding = reply.header("Transfer-Encoding")[0]
        raise Problem(f"{where}: Transfer-Encoding {encoding!r}, expected none")
    length = reply.header("Content-Length")[0]
    if not length.isdigit() or int(length) != len(reply.body):
        raise Problem(f"{where}: Content-Length {length!r} for a body of {len(reply.body)} bytes")
    content_type = reply.header("Content-Type")[0]
    pattern = CONTENT_TYPES[body_kind]
    if not pattern.match(content_type):
        raise Problem(f"{where}: Content-Type {content_type!r} does not match {pattern.pattern}")
    try:
        parsedate_to_datetime(reply.header("Date")[0])
    except (TypeError, ValueError):
        raise Problem(f"{where}: Date {reply.header('Date')[0]!r} is not an HTTP date") from None


def parse_json(reply: Reply) -> Any:
    try:
        return json.loads(reply.body)
    except ValueError as exc:
        raise Problem(f"GET {reply.path}: not JSON ({exc}): {reply.body[:200]!r}") from None


def check_plaintext(port: int, reply: Reply, database: Database | None, verdict: Verdict) -> None:
    check_headers(reply, "text")
    if reply.body != HELLO:
        raise Problem(f"GET /plaintext: body {reply.body[:200]!r}, expected {HELLO!r}")


def check_json(port: int, reply: Reply, database: Database | None, verdict: Verdict) -> None:
    check_headers(reply, "json")
    data = parse_json(reply)
    if data != JSON_MESSAGE:
        raise Problem(f"GET /json: {data!r}, expected {JSON_MESSAGE!r}")


def world_row(path: str, item: Any) -> tuple[int, int]:
    """``(id, randomNumber)`` of one returned object, checked for shape and range."""
    if not isinstance(item, dict) or set(item) != {"id", "randomNumber"}:
        raise Problem(f"GET {path}: {item!r} is not an object with exactly 'id' and 'randomNumber'")
    id_, number = item["id"], item["randomNumber"]
    for name, value in (("id", id_), ("randomNumber", number)):
        if type(value) is not int or not 1 <= value <= WORLD_ROWS:
            raise Problem(f"GET {path}: {name} {value!r} is not an integer from 1 to {WORLD_ROWS}")
    return id_, number


def match_database(path: str, rows: list[tuple[int, int]], world: dict[int, int]) -> None:
    for id_, number in rows:
        if world[id_] != number:
            raise Problem(f"GET {path}: row {id_} has randomNumber {number}, the database {world[id_]}")


def check_db(port: int, reply: Reply, database: Database | None, verdict: Verdict) -> None:
    assert database is not None
    replies = [reply, *(fetch(port, "/db", ACCEPT["json"]) for _ in range(4))]
    world = database.world()
    ids = set()
    for each in replies:
        check_headers(each, "json")
        data = parse_json(each)
        if isinstance(data, list):
            raise Problem(f"GET /db: a list, expected one object: {each.body[:200]!r}")
        row = world_row("/db", data)
        match_database("/db", [row], world)
        ids.add(row[0])
    if len(ids) == 1:
        raise Problem(f"GET /db: five requests all returned row {ids.pop()}; rows must be random")


def rows_of(reply: Reply, expected: int) -> list[tuple[int, int]]:
    check_headers(reply, "json")
    data = parse_json(reply)
    if not isinstance(data, list):
        raise Problem(f"GET {reply.path}: expected a JSON array, got {reply.body[:200]!r}")
    if len(data) != expected:
        raise Problem(f"GET {reply.path}: {len(data)} rows, expected {expected}")
    return [world_row(reply.path, item) for item in data]


def check_queries(port: int, reply: Reply, database: Database | None, verdict: Verdict) -> None:
    assert database is not None
    world = database.world()
    for suffix, expected in QUERIES_EDGE_CASES:
        path = "/queries" + suffix
        match_database(path, rows_of(fetch(port, path, ACCEPT["json"]), expected), world)


def check_fortunes(port: int, reply: Reply, database: Database | None, verdict: Verdict) -> None:
    check_headers(reply, "html")
    expected = expected_fortunes_page()
    got = canonical_references(reply.body)
    if got != expected:
        at = next(
            (i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
            min(len(got), len(expected)),
        )
        raise Problem(
            f"GET /fortunes: the page differs from the expected one at byte {at}: "
            f"got {got[max(0, at - 40) : at + 60]!r}, expected {expected[max(0, at - 40) : at + 60]!r}"
        )


def check_updates(port: int, reply: Reply, database: Database | None, verdict: Verdict) -> None:
    assert database is not None
    asked = changed_total = 0
    for suffix, expected in QUERIES_EDGE_CASES:
        path = "/updates" + suffix
        before = database.world()
        rows = rows_of(fetch(port, path, ACCEPT["json"]), expected)
        after = database.world()
        returned = dict(rows)
        for id_, number in returned.items():
            if after[id_] != number:
                raise Problem(
                    f"GET {path}: row {id_} was returned with randomNumber {number}, "
                    f"but the database holds {after[id_]}"
                )
        changed = {id_ for id_, number in after.items() if before[id_] != number}
        stray = changed - returned.keys()
        if stray:
            raise Problem(f"GET {path}: rows not returned were changed too: {sorted(stray)[:10]}")
        asked += len(returned)
        changed_total += len(changed)
    if changed_total < 0.9 * asked:
        raise Problem(f"GET /updates: only {changed_total} of {asked} rows asked for changed in the database")


CHECKERS = {
    "plaintext": check_plaintext,
    "json": check_json,
    "db": check_db,
    "queries": check_queries,
    "fortunes": check_fortunes,
    "updates": check_updates,
}
