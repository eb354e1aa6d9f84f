"""Query expressions: ``Q`` conditions, ``F`` column references, aggregates."""

from __future__ import annotations

import contextlib
from typing import Any


class Q:
    """A condition tree: ``Q(a=1) | ~Q(b__gt=2)``; keyword conditions are ANDed."""

    AND = "AND"
    OR = "OR"

    __slots__ = ("children", "connector", "negated")

    def __init__(self, *args: Q, **conditions: Any) -> None:
        # Every keyword is a condition: none sets the connector or negation, so a query string
        # turned into keywords (?_connector=OR) cannot change what the query means.
        for arg in args:
            if not isinstance(arg, Q):
                raise TypeError(f"Q() takes Q objects and keyword conditions, not {arg!r}")
        items = sorted(conditions.items())
        for index, (key, value) in enumerate(items):
            # The items of "in" are read when the query is built and again when it first runs:
            # keep them as they are now (a generator is read once; a list may change meanwhile).
            if key.endswith("__in") and not isinstance(value, (tuple, str, bytes, F)):
                with contextlib.suppress(TypeError):
                    items[index] = (key, tuple(value))
        self.children: list[Q | tuple[str, Any]] = [*args, *items]
        self.connector = self.AND
        self.negated = False

    @classmethod
    def _node(cls, children: list[Q | tuple[str, Any]], connector: str, negated: bool) -> Q:
        node = cls.__new__(cls)
        node.children, node.connector, node.negated = children, connector, negated
        return node

    def _combine(self, other: Q, connector: str) -> Q:
        if not isinstance(other, Q):
            raise TypeError(f"cannot combine Q with {other!r}")
        return Q._node([self, other], connector, False)

    def __and__(self, other: Q) -> Q:
        return self._combine(other, self.AND)

    def __or__(self, other: Q) -> Q:
        return self._combine(other, self.OR)

    def __invert__(self) -> Q:
        return Q._node([self], self.AND, True)

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(repr(c) for c in self.children)
        return f"{'NOT ' if self.negated else ''}({inner})"


class F:
    """A reference to a field of the row: ``F("views") + 1``, ``filter(a__gt=F("b"))``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _op(self, op: str, other: Any, reverse: bool = False) -> CombinedExpression:
        return CombinedExpression(other, op, self) if reverse else CombinedExpression(self, op, other)

    def __add__(self, other: Any) -> CombinedExpression:
        return self._op("+", other)

    def __radd__(self, other: Any) -> CombinedExpression:
        return self._op("+", other, True)

    def __sub__(self, other: Any) -> CombinedExpression:
        return self._op("-", other)

    def __rsub__(self, other: Any) -> CombinedExpression:
        return self._op("-", other, True)

    def __mul__(self, other: Any) -> CombinedExpression:
        return self._op("*", other)

    def __rmul__(self, other: Any) -> CombinedExpression:
        return self._op("*", other, True)

    def __truediv__(self, other: Any) -> CombinedExpression:
        return self._op("/", other)

    def __repr__(self) -> str:
        return f"F({self.name!r})"


class CombinedExpression(F):
    __slots__ = ("lhs", "op", "rhs")

    def __init__(self, lhs: Any, op: str, rhs: Any) -> None:
        super().__init__("")
        self.lhs, self.op, self.rhs = lhs, op, rhs

    def __repr__(self) -> str:
        return f"({self.lhs!r} {self.op} {self.rhs!r})"


class Aggregate:
    """Base of ``Count``, ``Sum``, ``Avg``, ``Min``, ``Max``."""

    function = ""

    def __init__(self, field: str, *, distinct: bool = False) -> None:
        self.field = field
        self.distinct = distinct

    def default_alias(self) -> str:
        return f"{self.field.replace('__', '_')}__{self.function.lower()}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field!r})"


class Count(Aggregate):
    function = "COUNT"


class Sum(Aggregate):
    function = "SUM"


class Avg(Aggregate):
    function = "AVG"


class Min(Aggregate):
    function = "MIN"


class Max(Aggregate):
    function = "MAX"
