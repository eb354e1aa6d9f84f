"""Django's lookups (``title__icontains``), each turned into a SQLAlchemy condition.

A lookup takes the column and the already converted value placeholders and
returns the condition. ``arity`` says how many values it binds: ``in`` binds
one per item, ``range`` two, ``isnull`` none (its True/False is part of the
query's shape, not a value).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

LIKE_ESCAPE = "\\"


def escape_like(value: str) -> str:
    """Make ``%`` and ``_`` in user text literal inside a LIKE pattern."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(pattern: Callable[[str], str], insensitive: bool) -> Any:
    def build(column: Any, value: Any) -> Any:
        if insensitive:
            return sa.func.lower(column).like(sa.func.lower(value), escape=LIKE_ESCAPE)
        return column.like(value, escape=LIKE_ESCAPE)

    build.pattern = pattern  # type: ignore[attr-defined]
    return build


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

PATTERNS: dict[str, Any] = {
    "contains": _like(lambda v: f"%{escape_like(v)}%", False),
    "icontains": _like(lambda v: f"%{escape_like(v)}%", True),
    "startswith": _like(lambda v: f"{escape_like(v)}%", False),
    "istartswith": _like(lambda v: f"{escape_like(v)}%", True),
    "endswith": _like(lambda v: f"%{escape_like(v)}", False),
    "iendswith": _like(lambda v: f"%{escape_like(v)}", True),
}

# Lookups whose value is not of the field's own type.
RAW_VALUE = frozenset({"year", "month", "day", "isnull"})

LOOKUPS = frozenset({*COMPARISONS, *PATTERNS, "in", "range", "isnull"})

MAX_IN_VALUES = 1000
