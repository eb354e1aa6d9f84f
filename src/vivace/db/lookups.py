"""Django's lookups (``title__icontains``), each turned into a SQLAlchemy condition.

Comparisons take the column and the value's placeholder. Pattern lookups
(``contains``, ``startswith``...) also turn the user's text into a pattern
first, with its wildcards made literal: ``%`` and ``_`` match themselves.

The case-sensitive ones mean the same on both databases: PostgreSQL's
``LIKE`` is case-sensitive, SQLite's is not (for ASCII), so on SQLite they use
``GLOB``, whose wildcards are escaped the same way. The case-insensitive ones
are ``ILIKE`` on PostgreSQL and ``LIKE`` on SQLite (ASCII case folding, like
SQLite's ``lower()``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

LIKE_ESCAPE = "\\"


def escape_like(value: str) -> str:
    """Make ``%`` and ``_`` in user text literal inside a LIKE pattern."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def escape_glob(value: str) -> str:
    """Make ``*``, ``?`` and ``[`` in user text literal inside a SQLite GLOB pattern."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in value)


class Pattern:
    """A pattern lookup: where the text goes (``"%s%"``...) and whether case matters."""

    def __init__(self, before: bool, after: bool, insensitive: bool) -> None:
        self.before = before
        self.after = after
        self.insensitive = insensitive

    def _glob(self, vendor: str) -> bool:
        return vendor == "sqlite" and not self.insensitive

    def pattern(self, value: str, vendor: str) -> str:
        if self._glob(vendor):
            any_text, text = "*", escape_glob(value)
        else:
            any_text, text = "%", escape_like(value)
        return f"{any_text if self.before else ''}{text}{any_text if self.after else ''}"

    def condition(self, column: Any, value: Any, vendor: str) -> Any:
        if self._glob(vendor):
            return column.op("GLOB", is_comparison=True)(value)
        if self.insensitive:
            return column.ilike(value, escape=LIKE_ESCAPE)
        return column.like(value, escape=LIKE_ESCAPE)


def _date_part(part: str) -> Callable[[Any, Any], Any]:
    def build(column: Any, value: Any) -> Any:
        return sa.extract(part, column) == value

    return build


COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "exact": lambda column, value: column == value,
    "gt": lambda column, value: column > value,
    "gte": lambda column, value: column >= value,
    "lt": lambda column, value: column < value,
    "lte": lambda column, value: column <= value,
    "iexact": lambda column, value: sa.func.lower(column) == sa.func.lower(value),
    "year": _date_part("year"),
    "month": _date_part("month"),
    "day": _date_part("day"),
}

PATTERNS: dict[str, Pattern] = {
    "contains": Pattern(True, True, False),
    "icontains": Pattern(True, True, True),
    "startswith": Pattern(False, True, False),
    "istartswith": Pattern(False, True, True),
    "endswith": Pattern(True, False, False),
    "iendswith": Pattern(True, False, True),
}


def pattern_condition(lookup: str, column: Any, value: Any, vendor: str) -> Any:
    return PATTERNS[lookup].condition(column, value, vendor)


# Lookups whose value is not of the field's own type.
RAW_VALUE = frozenset({"year", "month", "day"})

LOOKUPS = frozenset({*COMPARISONS, *PATTERNS, "in", "range", "isnull"})

MAX_IN_VALUES = 1000
