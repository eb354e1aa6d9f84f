"""From a QuerySet's state to SQL: joins along relation paths, conditions, order, limits.

``where_shape`` walks a condition tree once and gives the query's structure
(part of the cache key) and its values in placeholder order; only a shape
seen for the first time is turned into a SQLAlchemy statement and compiled.
Field names from users are always checked against the model: an unknown name
raises ``FieldError`` and never reaches SQL.

Values are bound in the order their placeholders appear in the SQL text
(WHERE, then HAVING, then LIMIT and OFFSET): ``Builder.bind`` numbers them
as the statement is built, and ``where_shape`` lists them in the same order.
"""

from __future__ import annotations

import decimal
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .compiled import param
from .exceptions import FieldError, ValidationError
from .expressions import Aggregate, CombinedExpression, F, Q
from .lookups import COMPARISONS, LOOKUPS, MAX_IN_VALUES, PATTERNS, RAW_VALUE, pattern_condition

if TYPE_CHECKING:
    from .fields import Field
    from .models import Model

Annotations = Mapping[str, Aggregate]


@dataclass(frozen=True, slots=True)
class Step:
    """One hop along a relation path: from a table to the related table."""

    relation: Any  # a relation field, reverse relation or many-to-many field
    reverse: bool


@dataclass(frozen=True, slots=True)
class Resolved:
    """A user path (``author__name__icontains``) resolved against the model."""

    steps: tuple[Step, ...]
    field: Field
    lookup: str


@dataclass(frozen=True, slots=True)
class AnnotationRef:
    """A condition on an annotation (``annotate(n=Count("posts")).filter(n__gt=1)``): a HAVING."""

    alias: str
    aggregate: Aggregate
    lookup: str
    field: Any  # the aggregated field, or None for Count


PATH_CACHE_SIZE = 2000


def resolve(model: type[Model], path: str, *, allow_lookup: bool = True) -> Resolved:
    """Walk ``path`` through the model's fields and relations to a field and a lookup.

    Results are kept on the model's options: a repeated query resolves its
    paths with one dict lookup.
    """
    cache = model._meta.path_cache
    key = (path, allow_lookup)
    found = cache.get(key)
    if found is None:
        found = _resolve(model, path, allow_lookup)
        # Paths can come from users (?order=author__posts__author__...): keep the cache bounded.
        if len(cache) >= PATH_CACHE_SIZE:
            cache.clear()
        cache[key] = found
    return found


def _resolve(model: type[Model], path: str, allow_lookup: bool) -> Resolved:
    if not isinstance(path, str) or not path:
        raise FieldError(f"invalid field name {path!r}; its fields are: {', '.join(model._meta.field_names)}")
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
            field = opts.get_field(name, context=path)
            if not field.concrete:
                raise FieldError(f"{opts.object_name}.{name} is not a column (in {path!r})")
        rest = parts[index + 1 :]
        break
    if not rest:
        lookup = "exact"
    elif len(rest) == 1 and allow_lookup and rest[0] in LOOKUPS:
        lookup = rest[0]
    else:
        what = "lookup" if allow_lookup else "field (lookups are not allowed here)"
        raise FieldError(
            f"unsupported {what} {'__'.join(rest)!r} on {opts.object_name}.{field.name} (in {path!r}); "
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


def resolve_condition(model: type[Model], path: str, annotations: Annotations) -> Resolved | AnnotationRef:
    """A condition's path: a field of the model, or an annotation of the query."""
    if annotations:
        alias, _, lookup = path.partition("__")
        aggregate = annotations.get(alias)
        if aggregate is not None:
            lookup = lookup or "exact"
            if lookup not in LOOKUPS:
                raise FieldError(
                    f"unsupported lookup {lookup!r} on annotation {alias!r}; "
                    f"lookups are: {', '.join(sorted(LOOKUPS))}"
                )
            source = None if aggregate.function == "COUNT" else _aggregate_field(model, aggregate)
            return AnnotationRef(alias, aggregate, lookup, source)
    return resolve(model, path)


def _aggregate_field(model: type[Model], aggregate: Aggregate) -> Any:
    if aggregate.field == "*":
        return None
    return resolve(model, aggregate.field, allow_lookup=False).field


def refers_to(node: Q, names: Annotations) -> bool:
    """Whether a condition tree names one of ``names`` (annotations), so belongs in HAVING."""
    for child in node.children:
        if isinstance(child, Q):
            if refers_to(child, names):
                return True
        elif child[0].partition("__")[0] in names:
            return True
    return False


@dataclass
class Builder:
    """Builds one statement, joining tables as the paths it meets need."""

    model: type[Model]
    table: Any  # the model's table, or an alias of it in a subquery
    vendor: str = "sqlite"
    annotations: Annotations = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    joins: dict[tuple[Any, ...], sa.FromClause] = field(default_factory=dict)
    from_clause: sa.FromClause | None = None
    count: int = 0
    # Which filter() call the conditions being built come from: each call that crosses a
    # multi-valued relation (reverse foreign key, many-to-many) joins it anew, as in Django.
    scope: int = 0
    # How many negations enclose the condition being built (see _build_leaf).
    negations: int = 0

    def __post_init__(self) -> None:
        self.from_clause = self.table

    def table_for(self, steps: tuple[Step, ...]) -> Any:
        if not steps:
            return self.table
        key: tuple[Any, ...] = steps
        if self.scope and any(multi_valued(step) for step in steps):
            key = (*steps, self.scope)
        joined = self.joins.get(key)
        if joined is not None:
            return joined
        left = self.table_for(steps[:-1])
        step = steps[-1]
        relation = step.relation
        alias = f"j{len(self.joins)}"
        current: Any = self.from_clause
        if getattr(relation, "many_to_many", False) and not step.reverse:
            through = relation.through._meta.table.alias(f"{alias}t")
            target = relation.related_model._meta.table.alias(alias)
            current = current.outerjoin(
                through, left.c[relation.source_pk_column] == through.c[relation.source_column]
            ).outerjoin(target, through.c[relation.target_column] == target.c[relation.target_pk_column])
        elif step.reverse and getattr(relation.field, "many_to_many", False):
            m2m = relation.field
            through = m2m.through._meta.table.alias(f"{alias}t")
            target = relation.model._meta.table.alias(alias)
            current = current.outerjoin(
                through, left.c[m2m.target_pk_column] == through.c[m2m.target_column]
            ).outerjoin(target, through.c[m2m.source_column] == target.c[m2m.source_pk_column])
        elif step.reverse:
            fk = relation.field
            target = relation.model._meta.table.alias(alias)
            current = current.outerjoin(target, target.c[fk.column] == left.c[fk.target_field.column])
        else:
            target = relation.related_model._meta.table.alias(alias)
            condition = left.c[relation.column] == target.c[relation.target_field.column]
            # Every row has its match along a chain of non-null foreign keys: an INNER JOIN keeps
            # them all and lets the planner start from either table. From the first nullable
            # link on, a LEFT OUTER JOIN keeps the rows without one.
            if all_required(steps):
                current = current.join(target, condition)
            else:
                current = current.outerjoin(target, condition)
        self.from_clause = current
        self.joins[key] = target
        return target

    def column(self, path: str) -> Any:
        """The column of a field path (``author__name``), or the label of an annotation."""
        label = self.labels.get(path)
        if label is not None:
            return label
        resolved = resolve(self.model, path, allow_lookup=False)
        return self.table_for(resolved.steps).c[resolved.field.column]

    def bind(self) -> sa.BindParameter[Any]:
        """The next placeholder, numbered in the order of the statement's values."""
        bound = param(self.count)
        self.count += 1
        return bound

    def annotate(self, annotations: Annotations) -> None:
        self.annotations = annotations
        for alias, aggregate in annotations.items():
            self.labels[alias] = aggregate_column(self, aggregate).label(alias)


# Conditions --------------------------------------------------------------------------------


def where_shape(
    model: type[Model],
    node: Q,
    vendor: str,
    out_values: list[Any],
    annotations: Annotations = {},  # noqa: B006
) -> Hashable:
    """The cache key of a condition tree, appending its values in placeholder order."""
    parts: list[Hashable] = [node.connector, node.negated]
    for child in node.children:
        if isinstance(child, Q):
            parts.append(where_shape(model, child, vendor, out_values, annotations))
            continue
        path, value = child
        target = resolve_condition(model, path, annotations)
        parts.append((path, _value_shape(model, target, path, value, vendor, out_values)))
    return tuple(parts)


def _value_shape(
    model: type[Model], target: Resolved | AnnotationRef, path: str, value: Any, vendor: str, out: list[Any]
) -> Hashable:
    lookup = target.lookup
    if isinstance(value, F):
        if lookup not in ("exact", "iexact", "gt", "gte", "lt", "lte"):
            raise FieldError(f"{path}: an F() expression works with exact, iexact, gt, gte, lt and lte only")
        check_expression(model, value)
        _collect_expression(value, out, vendor)
        return ("F", _expression_shape(value))
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise ValidationError({path: ["An isnull lookup takes True or False."]})
        return ("isnull", value)
    if value is None:
        if lookup in ("exact", "iexact"):
            return ("isnull", True)
        raise ValidationError({path: [f"A {lookup} lookup cannot compare with None; use isnull."]})
    if lookup == "in":
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise ValidationError({path: ["An in lookup takes a list of values."]})
        items = list(value)
        if len(items) > MAX_IN_VALUES:
            raise ValidationError(
                {path: [f"An in lookup takes at most {MAX_IN_VALUES} values, got {len(items)}."]}
            )
        items = [item for item in items if item is not None]
        out.extend(_to_db(target, path, item, vendor) for item in items)
        return ("in", len(items))
    if lookup == "range":
        try:
            low, high = value
        except (TypeError, ValueError):
            raise ValidationError({path: ["A range lookup takes two values: (low, high)."]}) from None
        out.append(_to_db(target, path, low, vendor))
        out.append(_to_db(target, path, high, vendor))
        return "range"
    if lookup in PATTERNS:
        if not isinstance(value, str):
            value = str(_to_python(target, path, value))
        out.append(PATTERNS[lookup].pattern(value, vendor))
        return lookup
    if lookup in RAW_VALUE:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise ValidationError({path: ["Enter a whole number."]}) from None
        return lookup
    out.append(_to_db(target, path, value, vendor))
    return lookup


def _to_python(target: Resolved | AnnotationRef, path: str, value: Any) -> Any:
    field = target.field
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        relation = getattr(field, "is_relation", False)
        expected: Any = getattr(field, "related_model", None) if relation else field.model
        if not isinstance(value, expected):
            raise ValidationError({path: [f"Expected a {expected.__name__}, not a {type(value).__name__}."]})
        if value.pk is None:
            raise ValidationError(
                {path: [f"This {type(value).__name__} is not saved yet: it has no primary key."]}
            )
        value = value.pk
        field = getattr(field, "target_field", field)
    try:
        if isinstance(target, AnnotationRef):
            return _annotation_value(target, field, value)
        return field.to_python(value)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise ValidationError({path: [str(exc) or "Enter a valid value."]}) from None


def _annotation_value(target: AnnotationRef, field: Any, value: Any) -> Any:
    function = target.aggregate.function
    if function == "COUNT" or field is None:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("Enter a number.")
        return int(value)
    if function == "AVG" and field.python_type is not decimal.Decimal:
        return float(value)
    return field.to_python(value)


def _to_db(target: Resolved | AnnotationRef, path: str, value: Any, vendor: str) -> Any:
    field = target.field
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        field = getattr(field, "target_field", field)
    value = _to_python(target, path, value)
    if value is None or field is None:
        return value
    if isinstance(target, AnnotationRef) and isinstance(value, (int, float, decimal.Decimal)):
        # An aggregate has no column affinity on SQLite: compare it with a number, never text.
        return float(value) if vendor == "sqlite" and isinstance(value, decimal.Decimal) else value
    writer = getattr(field, "target_field", field).db_writer(vendor)
    return writer(value) if writer is not None else value


def build_wheres(builder: Builder, nodes: Iterable[Q]) -> list[Any]:
    """The conditions of a query's filter() calls, each call in its own join scope."""
    conditions = []
    for scope, node in enumerate(nodes):
        builder.scope = scope
        conditions.append(build_where(builder, node))
    builder.scope = 0
    return conditions


def build_where(builder: Builder, node: Q) -> Any:
    """The SQLAlchemy condition for ``node``, binding values in the same order as ``where_shape``.

    A negated condition on a multi-valued relation means "no related row matches":
    ``exclude(tags__name="web")`` keeps the posts without that tag, so it becomes
    ``pk NOT IN (SELECT pk ... WHERE <condition>)`` rather than a test on each joined row.
    """
    if node.negated and _crosses_many(builder.model, node, builder.annotations):
        return sa.not_(_matching_keys(builder, Q._node(node.children, node.connector, False)))
    clauses = []
    builder.negations += node.negated
    for child in node.children:
        if isinstance(child, Q):
            clauses.append(build_where(builder, child))
            continue
        path, value = child
        clauses.append(_build_leaf(builder, path, value))
    builder.negations -= node.negated
    if not clauses:
        condition: Any = sa.true()
    elif len(clauses) == 1:
        condition = clauses[0]
    elif node.connector == Q.AND:
        condition = sa.and_(*clauses)
    else:
        condition = sa.or_(*clauses)
    return sa.not_(condition) if node.negated else condition


def all_required(steps: tuple[Step, ...]) -> bool:
    """Whether each step follows a foreign key (or one-to-one) that cannot be null."""
    for step in steps:
        relation = step.relation
        if step.reverse or getattr(relation, "many_to_many", False) or relation.null:
            return False
    return True


def multi_valued(step: Step) -> bool:
    relation = step.relation
    return bool(getattr(relation, "many_to_many", False) or (step.reverse and not relation.one_to_one))


def _crosses_many(model: type[Model], node: Q, annotations: Annotations) -> bool:
    for child in node.children:
        if isinstance(child, Q):
            if _crosses_many(model, child, annotations):
                return True
            continue
        target = resolve_condition(model, child[0], annotations)
        if isinstance(target, Resolved) and any(multi_valued(step) for step in target.steps):
            return True
    return False


def _matching_keys(builder: Builder, node: Q) -> Any:
    """``pk IN (SELECT pk FROM model ... WHERE node)``, its placeholders numbered in place."""
    model = builder.model
    table = model._meta.table
    assert table is not None
    inner = Builder(model, table.alias(f"s{builder.count}_{len(builder.joins)}"), builder.vendor)
    inner.count = builder.count
    condition = build_where(inner, node)
    builder.count = inner.count
    pk = model._meta.pk.column  # type: ignore[union-attr]
    keys = sa.select(inner.table.c[pk]).select_from(inner.from_clause).where(condition)  # type: ignore[arg-type]
    return builder.table.c[pk].in_(keys.scalar_subquery())


def _build_leaf(builder: Builder, path: str, value: Any) -> Any:
    target = resolve_condition(builder.model, path, builder.annotations)
    nullable = True
    if isinstance(target, AnnotationRef):
        column = builder.labels[target.alias].element
    else:
        column = builder.table_for(target.steps).c[target.field.column]
        nullable = target.field.null or bool(target.steps)
    lookup = target.lookup
    if lookup == "isnull" or (value is None and lookup in ("exact", "iexact")):
        is_null = bool(value) if lookup == "isnull" else True
        return column.is_(None) if is_null else column.is_not(None)
    if isinstance(value, F):
        condition = COMPARISONS[lookup](column, build_expression(builder, value))
    elif lookup == "in":
        items = [item for item in value if item is not None]
        if not items:
            return sa.false()
        condition = column.in_([builder.bind() for _ in items])
    elif lookup == "range":
        condition = column.between(builder.bind(), builder.bind())
    elif lookup in PATTERNS:
        if target.field is None or target.field.python_type is not str:
            column = sa.cast(column, sa.String())
        condition = pattern_condition(lookup, column, builder.bind(), builder.vendor)
    else:
        condition = COMPARISONS[lookup](column, builder.bind())
    if builder.negations % 2 and nullable:
        # exclude(email="x") keeps the rows without an email, as in Django: NOT (NULL = 'x') is
        # NULL, which would drop them, so the condition also asks for a value.
        return sa.and_(condition, column.is_not(None))
    return condition


# Expressions and aggregates ----------------------------------------------------------------


def _expression_shape(expression: Any) -> Hashable:
    if isinstance(expression, CombinedExpression):
        return (_expression_shape(expression.lhs), expression.op, _expression_shape(expression.rhs))
    if isinstance(expression, F):
        return ("F", expression.name)
    return "value"


def _collect_expression(expression: Any, out: list[Any], vendor: str) -> None:
    if isinstance(expression, CombinedExpression):
        _collect_expression(expression.lhs, out, vendor)
        _collect_expression(expression.rhs, out, vendor)
    elif not isinstance(expression, F):
        if isinstance(expression, bool) or not isinstance(expression, (int, float, decimal.Decimal)):
            raise ValidationError(
                {"__all__": [f"F() expressions combine with numbers only, not {expression!r}."]}
            )
        # SQLite's driver takes no Decimal; its arithmetic is in floats anyway.
        out.append(
            float(expression)
            if vendor == "sqlite" and isinstance(expression, decimal.Decimal)
            else expression
        )


def check_expression(model: type[Model], expression: Any) -> None:
    """Check every field an F() expression names, now rather than when the query runs."""
    if isinstance(expression, CombinedExpression):
        check_expression(model, expression.lhs)
        check_expression(model, expression.rhs)
    elif isinstance(expression, F):
        resolve(model, expression.name, allow_lookup=False)


def build_expression(builder: Builder, expression: Any) -> Any:
    if isinstance(expression, CombinedExpression):
        lhs = build_expression(builder, expression.lhs)
        rhs = build_expression(builder, expression.rhs)
        return {"+": lhs + rhs, "-": lhs - rhs, "*": lhs * rhs, "/": lhs / rhs}[expression.op]
    if isinstance(expression, F):
        return builder.column(expression.name)
    return builder.bind()


def expression_shape_and_values(expression: Any, out: list[Any], vendor: str) -> Hashable:
    _collect_expression(expression, out, vendor)
    return _expression_shape(expression)


def aggregate_column(builder: Builder, aggregate: Aggregate) -> Any:
    if aggregate.field == "*":
        column: Any = sa.literal_column("*")
    else:
        column = builder.column(aggregate.field)
    if aggregate.distinct:
        column = column.distinct()
    return getattr(sa.func, aggregate.function.lower())(column)


def order_columns(builder: Builder, ordering: tuple[str, ...]) -> list[Any]:
    columns = []
    for name in ordering:
        if not isinstance(name, str) or name in ("", "-", "?"):
            raise FieldError(f"invalid order_by value {name!r}; use a field name, optionally with '-'")
        descending = name.startswith("-")
        column = builder.column(name[1:] if descending else name)
        columns.append(column.desc() if descending else column.asc())
    return columns


def check_ordering(model: type[Model], ordering: tuple[str, ...], annotations: Annotations) -> None:
    """Check sort names now: each a field path or an annotation, optionally after a '-'."""
    for name in ordering:
        if not isinstance(name, str) or name in ("", "-", "?"):
            raise FieldError(f"invalid order_by value {name!r}; use a field name, optionally with '-'")
        bare = name[1:] if name.startswith("-") else name
        if bare not in annotations:
            resolve(model, bare, allow_lookup=False)
