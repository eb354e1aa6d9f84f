"""The TechEmpower test types as data: paths, rules, the seed rows, the expected pages.

Everything a checker needs to decide whether a response is right lives here,
so ``checks.py`` compares and ``databases.py`` seeds from one source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORLD_ROWS = 10_000
MAX_QUERIES = 500
TIMED_QUERIES = 20
HELLO = b"Hello, World!"
JSON_MESSAGE = {"message": "Hello, World!"}
ADDED_FORTUNE = (0, "Additional fortune added at request time.")

# The twelve rows of TechEmpower's fortune table.
FORTUNES: tuple[tuple[int, str], ...] = (
    (1, "fortune: No such file or directory"),
    (2, "A computer scientist is someone who fixes things that aren't broken."),
    (3, "After enough decimal places, nobody gives a damn."),
    (4, "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1"),
    (5, "A computer program does what you tell it to do, not what you want it to do."),
    (6, "Emacs is a nice operating system, but I prefer UNIX. \u2014 Tom Christaensen"),
    (7, "Any program that runs right is obsolete."),
    (8, "A list is only as strong as its weakest link. \u2014 Donald Knuth"),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (11, '<script>alert("This should not be displayed in a browser alert box.");</script>'),
    (12, "\u30d5\u30ec\u30fc\u30e0\u30ef\u30fc\u30af\u306e\u30d9\u30f3\u30c1\u30de\u30fc\u30af"),
)

# TechEmpower's accepted Content-Type values, per kind of body.
CONTENT_TYPES = {
    "text": re.compile(r"^text/plain(; ?charset=utf-8)?$", re.IGNORECASE),
    "json": re.compile(r"^application/json(; ?charset=utf-8)?$", re.IGNORECASE),
    "html": re.compile(r"^text/html; ?charset=utf-8$", re.IGNORECASE),
}

# Headers every response must carry (TechEmpower's general requirements).
REQUIRED_HEADERS = ("Server", "Date", "Content-Type", "Content-Length")

# What ``wrk`` sends as Accept, as TechEmpower's load generator does.
ACCEPT = {
    "text": "text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
    "json": "application/json,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
    "html": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}


@dataclass(frozen=True)
class TestType:
    """One TechEmpower test: where it is served, how it is loaded, whether it needs a database."""

    name: str
    path: str
    body: str  # "text", "json" or "html": selects CONTENT_TYPES and ACCEPT
    uses_database: bool
    pipeline: int = 1


TESTS: dict[str, TestType] = {
    test.name: test
    for test in (
        TestType("plaintext", "/plaintext", "text", uses_database=False, pipeline=16),
        TestType("json", "/json", "json", uses_database=False),
        TestType("db", "/db", "json", uses_database=True),
        TestType("queries", f"/queries?queries={TIMED_QUERIES}", "json", uses_database=True),
        TestType("fortunes", "/fortunes", "html", uses_database=True),
        TestType("updates", f"/updates?queries={TIMED_QUERIES}", "json", uses_database=True),
    )
}

# The ``queries`` parameter and the row count each value must give: missing,
# empty, not a number, below 1 and above 500 are all answered, never refused.
QUERIES_EDGE_CASES: tuple[tuple[str, int], ...] = (
    ("", 1),
    ("?queries=", 1),
    ("?queries=foo", 1),
    ("?queries=0", 1),
    ("?queries=-1", 1),
    ("?queries=1", 1),
    ("?queries=2", 2),
    ("?queries=20", 20),
    ("?queries=500", 500),
    ("?queries=501", 500),
)


def expected_fortunes_page() -> bytes:
    """The fortunes page every app must send: all rows plus the added one, sorted, escaped."""
    rows = sorted([*FORTUNES, ADDED_FORTUNE], key=lambda row: row[1])
    cells = "".join(f"<tr><td>{id_}</td><td>{_escape(message)}</td></tr>" for id_, message in rows)
    return (
        "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
        f"<tr><th>id</th><th>message</th></tr>{cells}</table></body></html>"
    ).encode()


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


# Template engines spell the same escaped character differently (Jinja2
# writes &#34; and &#39;, Django &quot; and &#x27;); each spelling is
# rewritten to the one _escape uses before the pages are compared byte for byte.
_REFERENCE = re.compile(rb"&(#34|#x22|quot|#39|#x27|apos|#60|#x3c|#62|#x3e|#38|#x26);", re.IGNORECASE)
_CANONICAL = {
    b"#34": b"&quot;",
    b"#x22": b"&quot;",
    b"quot": b"&quot;",
    b"#39": b"&#39;",
    b"#x27": b"&#39;",
    b"apos": b"&#39;",
    b"#60": b"&lt;",
    b"#x3c": b"&lt;",
    b"#62": b"&gt;",
    b"#x3e": b"&gt;",
    b"#38": b"&amp;",
    b"#x26": b"&amp;",
}


def canonical_references(page: bytes) -> bytes:
    """``page`` with every character reference for ``" ' < > &`` spelled one way."""
    return _REFERENCE.sub(lambda match: _CANONICAL[match.group(1).lower()], page)


def clamp_queries(raw: str | None) -> int:
    """The row count for a ``queries`` value, by TechEmpower's rule (reference for the checker)."""
    try:
        count = int(raw) if raw is not None else 1
    except ValueError:
        return 1
    return min(max(count, 1), MAX_QUERIES)
