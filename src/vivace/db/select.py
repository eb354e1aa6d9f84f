"""The SELECT of a QuerySet, and its rows turned into results.

``select_statement`` lists the query's values and looks its compiled SQL up
by shape; only a new shape is built (``build_select``) and compiled. A
statement is one of four kinds:

- ``rows``: the instances (or values) themselves;
- ``exists``: ``SELECT 1 ... LIMIT 1``;
- ``count``: ``SELECT count(*)``, around a subquery when the rows are
  distinct, grouped or sliced, so the count is the number of rows a fetch
  would return;
- ``aggregate``: ``aggregate(total=Sum(...))``, also around a subquery when
  the query is distinct, grouped or sliced.

Grouping: ``annotate()`` groups by the model's primary key (PostgreSQL takes
the other columns of that table as determined by it), or by the fields of
``values()`` when ``annotate()`` follows ``values()``, as Django does; every
other selected or ordered column is added to the GROUP BY.
"""

from __future__ import annotations

import decimal
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .compiled import param
from .compiler import Builder, Step, build_where, build_wheres, order_columns, resolve, where_shape
from .exceptions import FieldError, ValidationError
from .expressions import Aggregate
from .fields import INT64_MAX, INT64_MIN, Integer
from .instances import InstanceBuilder, field_reader, instance_builder
from .runner import Statement

if TYPE_CHECKING:
    from .database import Database
    from .models import Model
    from .query import QuerySet


def select_statement(query: QuerySet[Any], database: Database, kind: str = "rows") -> Statement:
    where_key, values = query._where_values(database)
    having_key: Hashable = ()
    if query._having:
        having_key = tuple(
            where_shape(query.model, q, database.vendor, values, query._annotations) for q in query._having
        )
    limit = None if query._high is None else query._high - query._low
    if kind == "exists":
        limit = 1 if limit is None else min(limit, 1)
    offset = query._low or None
    if limit is not None:
        values.append(limit)
    if offset is not None:
        values.append(offset)
    ordering = query._ordering() if kind == "rows" else ()
    key = (
        query.model,
        kind,
        where_key,
        having_key,
        ordering,
        limit is not None,
        offset is not None,
        query._fields,
        query._mode is not None,
        query._distinct,
        query._related,
        _annotations_key(query._annotations),
        query._group,
    )
    compiled = database.statements.get(
        key,
        lambda: build_select(
            query, database.vendor, kind, ordering, has_limit=limit is not None, has_offset=offset is not None
        ),
    )
    return Statement(compiled.sql, compiled.bind(values))


def _annotations_key(annotations: dict[str, Aggregate]) -> Hashable:
    if not annotations:
        return ()
    return tuple((alias, type(a), a.field, a.distinct) for alias, a in annotations.items())


def build_select(
    query: QuerySet[Any],
    vendor: str,
    kind: str,
    ordering: tuple[str, ...],
    *,
    has_limit: bool,
    has_offset: bool,
    extra: Sequence[str] = (),
) -> Any:
    """The statement for ``query``; placeholders numbered as ``select_statement`` lists values."""
    model = query.model
    table = model._meta.table
    assert table is not None
    builder = Builder(model, table, vendor)
    grouped = bool(query._annotations)
    if grouped:
        builder.annotate(query._annotations)
    conditions = build_wheres(builder, query._where)
    having = [build_where(builder, q) for q in query._having]
    limit = builder.bind() if has_limit else None
    offset = builder.bind() if has_offset else None
    wrapped = query._distinct or grouped or has_limit or has_offset
    if kind == "count" and not wrapped:
        return _finish(sa.select(sa.func.count()), builder, conditions)
    # A cheap existence test, unless the distinct or grouped rows are what an offset skips.
    cheap_exists = kind == "exists" and not having and not (has_offset and (query._distinct or grouped))
    if cheap_exists:
        columns: list[Any] = [sa.literal_column("1")]
    else:
        columns = _columns(query, builder, inner=kind != "rows")
    columns.extend(builder.column(path).label(f"x{index}") for index, path in enumerate(extra))
    order = order_columns(builder, ordering) if ordering else []
    if query._distinct and order:
        # PostgreSQL wants a DISTINCT query's ORDER BY columns in its select list.
        columns.extend(c.element for c in order if not _contains(columns, c.element))
    statement = sa.select(*columns)
    if grouped and not cheap_exists:
        statement = statement.group_by(*_group_columns(query, builder, columns, order))
    if query._distinct and not cheap_exists:
        statement = statement.distinct()
    if order:
        statement = statement.order_by(*order)
    statement = _finish(statement, builder, conditions)
    if having:
        statement = statement.having(*having)
    if limit is not None:
        statement = statement.limit(limit)
    if offset is not None:
        statement = statement.offset(offset)
    if kind == "count":
        return sa.select(sa.func.count()).select_from(statement.subquery("counted"))
    return statement


def _finish(statement: Any, builder: Builder, conditions: list[Any]) -> Any:
    statement = statement.select_from(builder.from_clause)
    return statement.where(*conditions) if conditions else statement


def _contains(columns: Iterable[Any], column: Any) -> bool:
    return any(c is column or getattr(c, "element", None) is column for c in columns)


def _columns(query: QuerySet[Any], builder: Builder, *, inner: bool) -> list[Any]:
    """The select list: instances (with select_related and annotations) or values."""
    if query._mode is not None:
        return [
            builder.labels[name] if name in builder.labels else builder.column(name).label(f"c{index}")
            for index, name in enumerate(query._names())
        ]
    table = builder.table
    opts = query.model._meta
    if inner:
        # Counting or aggregating: the primary key keeps the rows apart, no related rows needed.
        return [table.c[opts.pk.column], *builder.labels.values()]
    columns: list[Any] = [table.c[f.column] for f in opts.concrete_fields]
    for steps, related in related_hops(query):
        joined = builder.table_for(steps)
        columns.extend(joined.c[f.column] for f in related._meta.concrete_fields)
    columns.extend(builder.labels.values())
    return columns


def _group_columns(query: QuerySet[Any], builder: Builder, columns: list[Any], order: list[Any]) -> list[Any]:
    table = builder.table
    if query._group is not None:
        group = [builder.column(name) for name in query._group]
    else:
        group = [table.c[query.model._meta.pk.column]]
    labels = list(builder.labels.values())
    pk_grouped = query._group is None
    for column in [*columns, *(c.element for c in order)]:
        if _contains(labels, column):
            continue
        bare = getattr(column, "element", column) if isinstance(column, sa.sql.elements.Label) else column
        if pk_grouped and getattr(bare, "table", None) is table:
            continue
        if not _contains(group, bare):
            group.append(bare)
    return group


# Aggregates ------------------------------------------------------------------------------


def aggregate_statement(
    query: QuerySet[Any], database: Database, aggregates: dict[str, Aggregate]
) -> Statement:
    where_key, values = query._where_values(database)
    having_key: Hashable = ()
    if query._having:
        having_key = tuple(
            where_shape(query.model, q, database.vendor, values, query._annotations) for q in query._having
        )
    limit = None if query._high is None else query._high - query._low
    offset = query._low or None
    if limit is not None:
        values.append(limit)
    if offset is not None:
        values.append(offset)
    wrapped = bool(query._distinct or query._annotations or limit is not None or offset is not None)
    # Which rows a slice holds depends on their order.
    ordering = query._ordering() if limit is not None or offset is not None else ()
    key = (
        query.model,
        "aggregate",
        ordering,
        where_key,
        having_key,
        limit is not None,
        offset is not None,
        query._fields,
        query._mode is not None,
        query._distinct,
        _annotations_key(query._annotations),
        query._group,
        _annotations_key(aggregates),
    )

    def build() -> Any:
        if not wrapped:
            table = query.model._meta.table
            assert table is not None
            builder = Builder(query.model, table, database.vendor)
            conditions = build_wheres(builder, query._where)
            builder.annotate(aggregates)
            return _finish(sa.select(*builder.labels.values()), builder, conditions)
        # Aggregate the rows the query would return: its statement becomes a subquery.
        paths = [a.field for a in aggregates.values() if a.field != "*" and a.field not in query._annotations]
        paths = list(dict.fromkeys(paths))
        inner = build_select(
            query,
            database.vendor,
            "aggregate",
            ordering,
            has_limit=limit is not None,
            has_offset=offset is not None,
            extra=paths,
        ).subquery("inner")
        columns = []
        for alias, aggregate in aggregates.items():
            if aggregate.field == "*":
                column: Any = sa.literal_column("*")
            elif aggregate.field in query._annotations:
                column = inner.c[aggregate.field]
            else:
                column = inner.c[f"x{paths.index(aggregate.field)}"]
            if aggregate.distinct:
                column = column.distinct()
            columns.append(getattr(sa.func, aggregate.function.lower())(column).label(alias))
        return sa.select(*columns).select_from(inner)

    compiled = database.statements.get(key, build)
    return Statement(compiled.sql, compiled.bind(values))


def check_aggregates(
    model: type[Model], aggregates: dict[str, Any], annotations: dict[str, Aggregate]
) -> None:
    for alias, aggregate in aggregates.items():
        if not isinstance(aggregate, Aggregate):
            raise TypeError(f"{alias}=...: expected Count, Sum, Avg, Min or Max, not {aggregate!r}")
        if aggregate.field != "*" and aggregate.field not in annotations:
            resolve(model, aggregate.field, allow_lookup=False)
        elif aggregate.field == "*" and aggregate.function != "COUNT":
            raise FieldError(f"{alias}: only Count takes '*'")


def aggregate_reader(
    model: type[Model], aggregate: Aggregate, vendor: str, annotations: dict[str, Aggregate] | None = None
) -> Any:
    """How to read an aggregate's value: the type of the field it sums, averages or compares."""
    function = aggregate.function
    if function == "COUNT":
        return _int
    if annotations and aggregate.field in annotations:
        source = annotations[aggregate.field]
        if function == "AVG":
            return _optional(float)
        return aggregate_reader(model, source, vendor, None)
    field = resolve(model, aggregate.field, allow_lookup=False).field
    target = getattr(field, "target_field", field) if getattr(field, "is_relation", False) else field
    python_type = target.python_type
    if function == "AVG":
        return _optional(_to_decimal) if python_type is decimal.Decimal else _optional(float)
    if function == "SUM" and python_type is int:
        return _optional(int)
    if function == "SUM" and python_type is float:
        return _optional(float)
    return target.db_reader(vendor)


def _int(value: Any) -> int:
    return 0 if value is None else int(value)


def _to_decimal(value: Any) -> decimal.Decimal:
    return value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))


def _optional(convert: Any) -> Any:
    def convert_or_none(value: Any) -> Any:
        return None if value is None else convert(value)

    return convert_or_none


# Rows to results -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PkPlan:
    """``Model.objects.get(pk=value)``: the SQL, compiled once per vendor, and how to read its row."""

    sql: str
    bind: Any  # Compiled.bind, or None when the value goes to the driver as it is
    names: frozenset[str]  # the keywords that name the primary key: pk, id, id__exact...
    field: Any
    to_python: Any
    writer: Any
    instance: InstanceBuilder  # instance(row, db)
    whole_number: bool  # an Integer key read by Integer.to_python and bound with no writer

    def params(self, value: Any) -> Any:
        if self.whole_number and type(value) is int and INT64_MIN <= value <= INT64_MAX:
            # What Integer.to_python would return, and no writer: the value is bound as it is.
            return [value] if self.bind is None else self.bind([value])
        try:
            value = self.to_python(value)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ValidationError({self.field.name: [str(exc) or "Enter a valid value."]}) from None
        writer = self.writer
        values = [value if writer is None else writer(value)]
        return values if self.bind is None else self.bind(values)


def pk_plan(model: type[Model], database: Database) -> PkPlan:
    cache = model._meta.path_cache
    key = ("get by pk", database.vendor)
    plan = cache.get(key)
    if plan is None:
        opts = model._meta
        pk, table = opts.pk, opts.table
        assert pk is not None and table is not None
        columns = [table.c[f.column] for f in opts.concrete_fields]
        compiled = database.statements.get(
            (model, "get by pk"), lambda: sa.select(*columns).where(table.c[pk.column] == param(0))
        )
        names = {"pk", "pk__exact", pk.name, f"{pk.name}__exact", pk.attname, f"{pk.attname}__exact"}
        writer = pk.db_writer(database.vendor)
        build = instance_builder(model, database.vendor)
        bind = None if compiled.binds_as_given(1) else compiled.bind
        whole_number = isinstance(pk, Integer) and type(pk).to_python is Integer.to_python and writer is None
        plan = PkPlan(compiled.sql, bind, frozenset(names), pk, pk.to_python, writer, build, whole_number)
        cache[key] = plan
    return plan


def rows_to_results(query: QuerySet[Any], rows: list[Any], database: Database) -> list[Any]:
    vendor = database.vendor
    if query._mode is not None:
        return _values(query, rows, vendor)
    model = query.model
    build = instance_builder(model, vendor)
    db_name = database.name
    if not query._related and not query._annotations:
        return [build(row, db_name) for row in rows]
    width = len(model._meta.concrete_fields)
    related = _related_plans(query, width, vendor) if query._related else ()
    annotations = _annotation_plan(query, width, related, vendor) if query._annotations else ()
    results: list[Any] = []
    append = results.append
    for row in rows:
        instance = build(row, db_name)
        if related:
            _attach_related(instance, row, related, db_name)
        state = instance.__dict__
        for alias, index, reader in annotations:
            value = row[index]
            state[alias] = reader(value) if reader is not None else value
        append(instance)
    return results


def _annotation_plan(
    query: QuerySet[Any], width: int, related: tuple[Any, ...], vendor: str
) -> list[tuple[str, int, Any]]:
    """Each annotation's name, position in the row (after the related models' columns) and reader."""
    start = related[-1][3] if related else width
    return [
        (alias, start + offset, aggregate_reader(query.model, aggregate, vendor))
        for offset, (alias, aggregate) in enumerate(query._annotations.items())
    ]


def _related_plans(query: QuerySet[Any], width: int, vendor: str) -> tuple[Any, ...]:
    """Per joined model: its join steps, its builder, where its primary key is, where its columns end."""
    plans = []
    for steps, related in related_hops(query):
        fields = related._meta.concrete_fields
        pk_index = width + fields.index(related._meta.pk)  # type: ignore[arg-type]
        build = instance_builder(related, vendor, width)
        width += len(fields)
        plans.append((steps, build, pk_index, width))
    return tuple(plans)


def related_hops(query: QuerySet[Any]) -> list[tuple[tuple[Step, ...], type[Model]]]:
    """Every relation that select_related joins, each once, a prefix before its extensions."""
    hops: dict[tuple[Step, ...], type[Model]] = {}
    for path in query._related:
        for steps, related in forward_path(query.model, path):
            hops.setdefault(steps, related)
    return list(hops.items())


def _attach_related(instance: Any, row: Sequence[Any], plans: tuple[Any, ...], db_name: str) -> None:
    for steps, build, pk_index, _ in plans:
        owner = instance
        for step in steps[:-1]:
            owner = owner._state.cache.get(step.relation.name) if owner is not None else None
        if owner is None:
            continue
        name = steps[-1].relation.name
        owner._state.cache[name] = None if row[pk_index] is None else build(row, db_name)


def _values(query: QuerySet[Any], rows: list[Any], vendor: str) -> list[Any]:
    names = query._names()
    readers = []
    for name in names:
        aggregate = query._annotations.get(name)
        if aggregate is not None:
            readers.append(aggregate_reader(query.model, aggregate, vendor, query._annotations))
        else:
            readers.append(field_reader(resolve(query.model, name, allow_lookup=False).field, vendor))
    converters = [(i, r) for i, r in enumerate(readers) if r is not None]
    width = len(names)
    converted = []
    for row in rows:
        values = list(row[:width]) if len(row) != width or converters else row
        for index, reader in converters:
            if values[index] is not None:
                values[index] = reader(values[index])
        converted.append(values)
    if query._mode == "values":
        return [dict(zip(names, row, strict=True)) for row in converted]
    if query._flat:
        return [row[0] for row in converted]
    return [tuple(row) for row in converted]


def forward_path(model: type[Model], path: str) -> list[tuple[tuple[Step, ...], type[Model]]]:
    """For ``select_related("post__author")``: each prefix's join steps and model."""
    cache = model._meta.path_cache
    key = ("forward", path)
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    steps: tuple[Step, ...] = ()
    current = model
    hops = []
    for name in path.split("__") if isinstance(path, str) else [repr(path)]:
        field = next((f for f in current._meta.fields if f.name == name), None)
        if field is None or not getattr(field, "is_relation", False):
            relations = ", ".join(f.name for f in current._meta.fields if getattr(f, "is_relation", False))
            raise FieldError(
                f"select_related({path!r}): {current.__name__}.{name} is not a foreign key or one-to-one "
                f"field; its relations are: {relations or 'none'}"
            )
        steps = (*steps, Step(field, False))
        current = field.related_model  # type: ignore[attr-defined]
        hops.append((steps, current))
    cache[key] = hops
    return hops
