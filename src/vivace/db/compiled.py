"""SQL compiled once per query shape, run many times with new values.

SQLAlchemy builds and compiles the statement; the compiled text and the order
of its placeholders are kept, keyed by the shape of the query (which fields,
which lookups, how many values), so a repeated query costs a dict lookup and
a driver call.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import sqlalchemy as sa

# Values are bound as p0, p1, ... in the order the query layer lists them.
PARAM_PREFIX = "p"


def param(index: int) -> sa.BindParameter[Any]:
    return sa.bindparam(f"{PARAM_PREFIX}{index}")


class Compiled:
    """SQL text plus how to lay out the values for the driver."""

    __slots__ = ("constants", "in_order", "named", "order", "sql")

    def __init__(self, statement: sa.ClauseElement, dialect: sa.engine.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.named = dialect.paramstyle in ("named", "pyformat")
        names = list(compiled.positiontup or []) if not self.named else list(compiled.binds)
        # Placeholders SQLAlchemy made itself (an OFFSET 0, a literal) keep their own value.
        self.constants: dict[str, Any] = {}
        self.order: list[tuple[str, int | None]] = []
        for name in names:
            if name.startswith(PARAM_PREFIX) and name[len(PARAM_PREFIX) :].isdigit():
                self.order.append((name, int(name[len(PARAM_PREFIX) :])))
            else:
                self.constants[name] = compiled.binds[name].effective_value
                self.order.append((name, None))
        # Placeholders p0, p1, ... appearing in that order: the values go to the driver as they are.
        self.in_order = all(index == position for position, (_, index) in enumerate(self.order))

    def binds_as_given(self, count: int) -> bool:
        """Whether ``bind`` hands ``count`` values to the driver as they are."""
        return not self.named and self.in_order and len(self.order) == count

    def bind(self, values: Sequence[Any]) -> Sequence[Any] | dict[str, Any]:
        if self.named:
            return {
                name: (values[index] if index is not None else self.constants[name])
                for name, index in self.order
            }
        if self.in_order and len(values) == len(self.order):
            return values
        return [values[index] if index is not None else self.constants[name] for name, index in self.order]


class StatementCache:
    """Compiled statements by shape; bounded, so odd shapes cannot grow it forever."""

    def __init__(self, dialect: sa.engine.Dialect, size: int = 2000) -> None:
        self.dialect = dialect
        self.size = size
        self._cache: dict[Hashable, Compiled] = {}

    def get(self, key: Hashable, build: Callable[[], sa.ClauseElement]) -> Compiled:
        compiled = self._cache.get(key)
        if compiled is None:
            compiled = Compiled(build(), self.dialect)
            if len(self._cache) >= self.size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = compiled
        return compiled
