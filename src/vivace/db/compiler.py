"""From a QuerySet's state to SQL: joins along relation paths, conditions, order, limits.

``Shape`` walks the where tree once and yields the query's structure (the
cache key) and its values in placeholder order; only a shape seen for the
first time is turned into a SQLAlchemy statement and compiled. Field names
from users are always checked against the model: an unknown name raises
``FieldError``, never reaches SQL.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .compiled import param
from .exceptions import FieldError
from .expressions import Aggregate, CombinedExpression, F, Q
from .lookups import COMPARISONS, LOOKUPS, MAX_IN_VALUES, PATTERNS, RAW_VALUE

if TYPE_CHECKING:
    from .fields import Field
    from .models import Model


@dataclass(frozen=True, slots=True)
class Step:
    """One hop along a relation path: from a table to the related table."""

    relation: Any  # a relation field, reverse relation or many-to-many field
    reverse: bool


@dataclass
class Resolved:
    """A user path (``author__name__icontains``) resolved against the model."""

    steps: tuple[Step, ...]
    field: Field
    lookup: str


def resolve(model: type[Model], path: str, *, allow_lookup: bool = True) -> Resolved:
    """Walk ``path`` through the model's fields and relations to a field and a lookup."""
    parts = path.split("__")
    opts = model._meta
    steps: list[Step] = []
    index = 0
    while True:
        name = parts[index]
        if name == "pk" and opts.pk is not None:
            name = opts.pk.name
        relation = _relation_named(opts, name)
        following = parts[index + 1] if index + 1 < len(parts) else None
        if relation is not None:
            step, related_opts = relation
            ends_in_lookup = (
                following is not None
                and index + 2 == len(parts)
                and following in LOOKUPS
                and not _has_field(related_opts, following)
            )
            if following is not None and not ends_in_lookup:
                steps.append(step)
                opts = related_opts
                index += 1
                continue
            if step.reverse or getattr(step.relation, "many_to_many", False):
                steps.append(step)
                field = related_opts.pk
            else:
                field = step.relation
        else:
            if name not in {f.name for f in opts.fields} and name not in {f.attname for f in opts.fields}:
                raise FieldError(
                    f"{opts.object_name} has no field {name!r} (in {path!r}); "
                    f"its fields are: {', '.join(opts.field_names)}"
                )
            field = opts.get_field(name)
        rest = parts[index + 1 :]
        break
    if not rest:
        lookup = "exact"
    elif len(rest) == 1 and allow_lookup and rest[0] in LOOKUPS:
        lookup = rest[0]
    else:
        raise FieldError(
            f"unsupported lookup {'__'.join(rest)!r} on {opts.object_name}.{field.name} (in {path!r}); "
            f"lookups are: {', '.join(sorted(LOOKUPS))}"
        )
    return Resolved(tuple(steps), field, lookup)


def _has_field(opts: Any, name: str) -> bool:
    return any(f.name == name for f in opts.fields) or _relation_named(opts, name) is not None


def _relation_named(opts: Any, name: str) -> tuple[Step, Any] | None:
    for f in opts.fields:
        if f.name == name and getattr(f, "is_relation", False):
            return Step(f, False), f.related_model._meta
    for f in opts.many_to_many:
        if f.name == name:
            return Step(f, False), f.related_model._meta
    for rel in opts.related_objects:
        if rel.accessor_name == name or rel.query_name == name:
            return Step(rel, True), rel.model._meta
    return None


@dataclass
class Builder:
    """Builds one SELECT (or the WHERE of an UPDATE/DELETE), joining as paths need."""

    model: type[Model]
    table: sa.Table
    joins: dict[tuple[Step, ...], sa.FromClause] = field(default_factory=dict)
    from_clause: sa.FromClause | None = None
    values: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.from_clause = self.table

    def table_for(self, steps: tuple[Step, ...]) -> sa.FromClause:
        if not steps:
            return self.table
        if steps in self.joins:
            return self.joins[steps]
        left = self.table_for(steps[:-1])
        step = steps[-1]
        relation = step.relation
        if getattr(relation, "many_to_many", False) and not step.reverse:
            through = relation.through._meta.table.alias(f"j{len(self.joins)}t")
            target = relation.related_model._meta.table.alias(f"j{len(self.joins)}")
            self.from_clause = self.from_clause.outerjoin(  # type: ignore[union-attr]
                through, left.c[relation.source_pk_column] == through.c[relation.source_column]
            ).outerjoin(target, through.c[relation.target_column] == target.c[relation.target_pk_column])
        elif step.reverse and getattr(relation.field, "many_to_many", False):
            m2m = relation.field
            through = m2m.through._meta.table.alias(f"j{len(self.joins)}t")
            target = relation.model._meta.table.alias(f"j{len(self.joins)}")
            self.from_clause = self.from_clause.outerjoin(  # type: ignore[union-attr]
                through, left.c[m2m.target_pk_column] == through.c[m2m.target_column]
            ).outerjoin(target, through.c[m2m.source_column] == target.c[m2m.source_pk_column])
        elif step.reverse:
            fk = relation.field
            target = relation.model._meta.table.alias(f"j{len(self.joins)}")
            self.from_clause = self.from_clause.outerjoin(  # type: ignore[union-attr]
                target, target.c[fk.column] == left.c[fk.target_field.column]
            )
        else:
            target = relation.related_model._meta.table.alias(f"j{len(self.joins)}")
            self.from_clause = self.from_clause.outerjoin(  # type: ignore[union-attr]
                target, left.c[relation.column] == target.c[relation.target_field.column]
            )
        self.joins[steps] = target
        return target

    def column(self, path: str) -> tuple[Any, Field]:
        resolved = resolve(self.model, path, allow_lookup=False)
        return self.table_for(resolved.steps).c[resolved.field.column], resolved.field

    def bind(self, value: Any) -> sa.BindParameter[Any]:
        self.values.append(value)
        return param(len(self.values) - 1)


def where_shape(model: type[Model], node: Q, vendor: str, out_values: list[Any]) -> Hashable:
    """The cache key of a condition tree, appending its values in placeholder order."""
    parts: list[Hashable] = [node.connector, node.negated]
    for child in node.children:
        if isinstance(child, Q):
            parts.append(where_shape(model, child, vendor, out_values))
            continue
        path, value = child
        resolved = resolve(model, path)
        parts.append((path, _value_shape(resolved, value, vendor, out_values)))
    return tuple(parts)


def _value_shape(resolved: Resolved, value: Any, vendor: str, out: list[Any]) -> Hashable:
    lookup = resolved.lookup
    if isinstance(value, F):
        _collect_expression(value, out)
        return ("F", _expression_shape(value))
    if lookup == "isnull":
        return ("isnull", bool(value))
    if value is None and lookup in ("exact", "iexact"):
        return ("isnull", True)
    if lookup == "in":
        items = list(value)
        if len(items) > MAX_IN_VALUES:
            raise FieldError(f"an 'in' lookup takes at most {MAX_IN_VALUES} values, got {len(items)}")
        out.extend(_to_db(resolved, item, vendor) for item in items)
        return ("in", len(items))
    if lookup == "range":
        low, high = value
        out.append(_to_db(resolved, low, vendor))
        out.append(_to_db(resolved, high, vendor))
        return "range"
    if lookup in PATTERNS:
        out.append(PATTERNS[lookup].pattern(str(value)))
        return lookup
    if lookup in RAW_VALUE:
        out.append(int(value))
        return lookup
    out.append(_to_db(resolved, value, vendor))
    return lookup


def _to_db(resolved: Resolved, value: Any, vendor: str) -> Any:
    field = resolved.field
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        value = value.pk
        field = getattr(field, "target_field", field)
    if value is None:
        return None
    try:
        value = field.to_python(value)
    except (ValueError, TypeError) as exc:
        raise FieldError(f"invalid value {value!r} for {field.name}: {exc}") from None
    writer = getattr(field, "target_field", field).db_writer(vendor)
    return writer(value) if writer is not None else value


def build_where(builder: Builder, node: Q) -> Any:
    """The SQLAlchemy condition for ``node``, binding values in the same order as ``where_shape``."""
    clauses = []
    for child in node.children:
        if isinstance(child, Q):
            clauses.append(build_where(builder, child))
            continue
        path, value = child
        clauses.append(_build_leaf(builder, path, value))
    if not clauses:
        condition: Any = sa.true()
    elif node.connector == Q.AND:
        condition = sa.and_(*clauses)
    else:
        condition = sa.or_(*clauses)
    return sa.not_(condition) if node.negated else condition


def _build_leaf(builder: Builder, path: str, value: Any) -> Any:
    resolved = resolve(builder.model, path)
    column = builder.table_for(resolved.steps).c[resolved.field.column]
    lookup = resolved.lookup
    if isinstance(value, F):
        rhs = build_expression(builder, value)
        return COMPARISONS.get(lookup, COMPARISONS["exact"])(column, rhs)
    if lookup == "isnull" or (value is None and lookup in ("exact", "iexact")):
        is_null = bool(value) if lookup == "isnull" else True
        return column.is_(None) if is_null else column.is_not(None)
    if lookup == "in":
        items = list(value)
        if not items:
            return sa.false()
        return column.in_([builder.bind(None) for _ in items])
    if lookup == "range":
        return column.between(builder.bind(None), builder.bind(None))
    if lookup in PATTERNS:
        return PATTERNS[lookup](column, builder.bind(None))
    return COMPARISONS[lookup](column, builder.bind(None))


def _expression_shape(expression: Any) -> Hashable:
    if isinstance(expression, CombinedExpression):
        return (_expression_shape(expression.lhs), expression.op, _expression_shape(expression.rhs))
    if isinstance(expression, F):
        return ("F", expression.name)
    return "value"


def _collect_expression(expression: Any, out: list[Any]) -> None:
    if isinstance(expression, CombinedExpression):
        _collect_expression(expression.lhs, out)
        _collect_expression(expression.rhs, out)
    elif not isinstance(expression, F):
        out.append(expression)


def build_expression(builder: Builder, expression: Any) -> Any:
    if isinstance(expression, CombinedExpression):
        lhs = build_expression(builder, expression.lhs)
        rhs = build_expression(builder, expression.rhs)
        return {"+": lhs + rhs, "-": lhs - rhs, "*": lhs * rhs, "/": lhs / rhs}[expression.op]
    if isinstance(expression, F):
        return builder.column(expression.name)[0]
    return builder.bind(None)


def expression_shape_and_values(expression: Any, out: list[Any]) -> Hashable:
    _collect_expression(expression, out)
    return _expression_shape(expression)


def aggregate_column(builder: Builder, aggregate: Aggregate) -> Any:
    if aggregate.field == "*":
        column: Any = sa.literal_column("*")
    else:
        column = builder.column(aggregate.field)[0]
    if aggregate.distinct:
        column = column.distinct()
    return getattr(sa.func, aggregate.function.lower())(column)


def order_columns(builder: Builder, ordering: tuple[str, ...]) -> list[Any]:
    columns = []
    for name in ordering:
        if not isinstance(name, str) or not name or name in ("-", "?"):
            raise FieldError(f"invalid order_by value {name!r}; use a field name, optionally with '-'")
        descending = name.startswith("-")
        column, _ = builder.column(name.lstrip("-"))
        columns.append(column.desc() if descending else column.asc())
    return columns
