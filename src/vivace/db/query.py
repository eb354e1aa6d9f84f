"""``QuerySet``: lazy, chainable queries with one API for sync and async code.

Sync code iterates a QuerySet or calls ``get()``, ``count()``...; async code
awaits it (``await Post.objects.filter(...)``), iterates it with
``async for``, or calls the ``a``-prefixed methods (``aget``, ``acount``...).
Each terminal method is one generator (see ``runner.py``) run either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa

from .compiler import (
    Builder,
    aggregate_column,
    build_expression,
    build_where,
    expression_shape_and_values,
    order_columns,
    resolve,
    where_shape,
)
from .exceptions import FieldError, IntegrityError
from .expressions import Aggregate, F, Q
from .runner import Operation, Statement, run_async, run_sync

if TYPE_CHECKING:
    from .database import Database
    from .models import Model

M = TypeVar("M", bound="Model")

MAX_GET_RESULTS = 21


class QuerySet(Generic[M]):
    """A lazy query over ``model``; chaining returns new QuerySets."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._where: tuple[Q, ...] = ()
        self._order: tuple[str, ...] | None = None
        self._low = 0
        self._high: int | None = None
        self._mode: str | None = None  # None (instances), "values", "values_list"
        self._fields: tuple[str, ...] = ()
        self._flat = False
        self._distinct = False
        self._related: tuple[str, ...] = ()
        self._prefetch: tuple[str, ...] = ()
        self._annotations: dict[str, Aggregate] = {}
        self._cache: list[Any] | None = None

    # Chaining ----------------------------------------------------------------------

    def _clone(self) -> QuerySet[M]:
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._cache = None
        return clone

    def all(self) -> QuerySet[M]:
        return self._clone()

    def filter(self, *args: Q, **conditions: Any) -> QuerySet[M]:
        return self._add_condition(Q(*args, **conditions))

    def exclude(self, *args: Q, **conditions: Any) -> QuerySet[M]:
        return self._add_condition(~Q(*args, **conditions))

    def _add_condition(self, condition: Q) -> QuerySet[M]:
        if self._high is not None or self._low:
            raise TypeError("cannot filter a query once a slice has been taken")
        where_shape(self.model, condition, "check", [])  # checks names now, not at run time
        clone = self._clone()
        clone._where = (*self._where, condition)
        return clone

    def order_by(self, *names: str) -> QuerySet[M]:
        builder = Builder(self.model, self._table())
        order_columns(builder, names)
        clone = self._clone()
        clone._order = names
        return clone

    def distinct(self) -> QuerySet[M]:
        clone = self._clone()
        clone._distinct = True
        return clone

    def select_related(self, *names: str) -> QuerySet[M]:
        for name in names:
            _forward_path(self.model, name)
        clone = self._clone()
        clone._related = (*self._related, *names)
        return clone

    def prefetch_related(self, *names: str) -> QuerySet[M]:
        from .relations import prefetch_target

        for name in names:
            prefetch_target(self.model, name)
        clone = self._clone()
        clone._prefetch = (*self._prefetch, *names)
        return clone

    def values(self, *fields: str) -> QuerySet[Any]:
        clone = self._clone()
        clone._mode, clone._fields = "values", self._check_fields(fields)
        return clone  # type: ignore[return-value]

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[Any]:
        if flat and len(fields) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field")
        clone = self._clone()
        clone._mode, clone._fields, clone._flat = "values_list", self._check_fields(fields), flat
        return clone  # type: ignore[return-value]

    def annotate(self, **aggregates: Aggregate) -> QuerySet[M]:
        for alias, aggregate in aggregates.items():
            if not isinstance(aggregate, Aggregate):
                raise TypeError(f"annotate({alias}=...) takes Count, Sum, Avg, Min or Max")
            if aggregate.field != "*":
                resolve(self.model, aggregate.field, allow_lookup=False)
        clone = self._clone()
        clone._annotations = {**self._annotations, **aggregates}
        return clone

    def _check_fields(self, fields: Sequence[str]) -> tuple[str, ...]:
        for name in fields:
            if name not in self._annotations:
                resolve(self.model, name, allow_lookup=False)
        return tuple(fields)

    def __getitem__(self, key: int | slice) -> Any:
        if self._cache is not None:
            return self._cache[key]
        if isinstance(key, slice):
            if (key.start is not None and key.start < 0) or (key.stop is not None and key.stop < 0):
                raise ValueError("negative indexing is not supported on a query")
            if key.step not in (None, 1):
                raise ValueError("a query slice cannot have a step")
            clone = self._clone()
            start = key.start or 0
            clone._low = self._low + start
            if key.stop is not None:
                stop = self._low + key.stop
                clone._high = stop if self._high is None else min(self._high, stop)
            if clone._high is not None and clone._high < clone._low:
                clone._high = clone._low
            return clone
        if not isinstance(key, int):
            raise TypeError(f"query indices must be int or slice, not {type(key).__name__}")
        if key < 0:
            raise ValueError("negative indexing is not supported on a query")
        return self[key : key + 1].get_single()

    def get_single(self) -> M:
        rows = list(self)
        if not rows:
            raise IndexError("query index out of range")
        return rows[0]  # type: ignore[no-any-return]

    # The SELECT ----------------------------------------------------------------------

    def _table(self) -> sa.Table:
        table = self.model._meta.table
        assert table is not None
        return table

    def _database(self) -> Database:
        return self.model._meta.registry.require_database()

    def _ordering(self) -> tuple[str, ...]:
        return self._order if self._order is not None else self.model._meta.ordering

    def _select(self, database: Database, *, count: bool = False, exists: bool = False) -> Statement:
        values: list[Any] = []
        where_key = tuple(where_shape(self.model, q, database.vendor, values) for q in self._where)
        ordering = () if count else self._ordering()
        limit = self._high - self._low if self._high is not None else None
        if exists:
            limit = 1
        offset = self._low or None
        if limit is not None:
            values.append(limit)
        if offset is not None:
            values.append(offset)
        key = (
            self.model,
            "count" if count else ("exists" if exists else self._mode),
            where_key,
            ordering,
            limit is not None,
            offset is not None,
            self._fields,
            self._distinct,
            self._related,
            tuple((alias, type(a), a.field, a.distinct) for alias, a in self._annotations.items()),
        )
        compiled = database.statements.get(
            key,
            lambda: self._build_select(
                count=count, exists=exists, ordering=ordering, limit=limit, offset=offset
            ),
        )
        return Statement(compiled.sql, compiled.bind(values))

    def _build_select(
        self, *, count: bool, exists: bool, ordering: tuple[str, ...], limit: int | None, offset: int | None
    ) -> sa.Select[Any]:
        table = self._table()
        builder = Builder(self.model, table)
        conditions = [build_where(builder, q) for q in self._where]
        columns = self._columns(builder) if not (count or exists) else []
        if exists:
            columns = [sa.literal_column("1")]
        if count and (self._distinct or self._high is not None or self._low or self._annotations):
            inner = self._clone()
            inner._order = ()
            inner._mode = "values_list" if not inner._fields else inner._mode
            inner_builder = Builder(self.model, table)
            inner_conditions = [build_where(inner_builder, q) for q in self._where]
            inner_columns = inner._columns(inner_builder)
            subquery = sa.select(*inner_columns).select_from(inner_builder.from_clause)  # type: ignore[arg-type]
            if inner_conditions:
                subquery = subquery.where(*inner_conditions)
            if self._distinct:
                subquery = subquery.distinct()
            if limit is not None:
                subquery = subquery.limit(sa.bindparam(f"p{_param_index(self, 'limit')}"))
            if offset is not None:
                subquery = subquery.offset(sa.bindparam(f"p{_param_index(self, 'offset')}"))
            return sa.select(sa.func.count()).select_from(subquery.subquery())
        if count:
            statement = sa.select(sa.func.count()).select_from(builder.from_clause)  # type: ignore[arg-type]
        else:
            statement = sa.select(*columns).select_from(builder.from_clause)  # type: ignore[arg-type]
        if conditions:
            statement = statement.where(*conditions)
        if self._annotations and not count:
            statement = statement.group_by(*self._group_columns(builder))
        if self._distinct and not count:
            statement = statement.distinct()
        if ordering:
            statement = statement.order_by(*order_columns(builder, ordering))
        if limit is not None:
            statement = statement.limit(sa.bindparam(f"p{_param_index(self, 'limit')}"))
        if offset is not None:
            statement = statement.offset(sa.bindparam(f"p{_param_index(self, 'offset')}"))
        return statement

    def _columns(self, builder: Builder) -> list[Any]:
        if self._mode is not None:
            names = self._fields or tuple(
                [f.attname for f in self.model._meta.concrete_fields] + list(self._annotations)
            )
            return [
                aggregate_column(builder, self._annotations[n]).label(n)
                if n in self._annotations
                else builder.column(n)[0]
                for n in names
            ]
        table = builder.table
        columns: list[Any] = [table.c[f.column] for f in self.model._meta.concrete_fields]
        for path in self._related:
            for steps, model in _forward_path(self.model, path):
                joined = builder.table_for(steps)
                columns.extend(joined.c[f.column] for f in model._meta.concrete_fields)
        columns.extend(aggregate_column(builder, a).label(alias) for alias, a in self._annotations.items())
        return columns

    def _group_columns(self, builder: Builder) -> list[Any]:
        if self._mode is not None and self._fields:
            return [builder.column(n)[0] for n in self._fields if n not in self._annotations]
        return [builder.table.c[f.column] for f in self.model._meta.concrete_fields]

    # Turning rows into results -----------------------------------------------------

    def _rows_to_results(self, rows: list[tuple[Any, ...]], database: Database) -> list[Any]:
        vendor = database.vendor
        if self._mode is not None:
            names = self._fields or tuple(
                [f.attname for f in self.model._meta.concrete_fields] + list(self._annotations)
            )
            readers = [
                None
                if n in self._annotations
                else _reader(resolve(self.model, n, allow_lookup=False).field, vendor)
                for n in names
            ]
            converted = [_convert(row, readers) for row in rows]
            if self._mode == "values":
                return [dict(zip(names, row, strict=True)) for row in converted]
            if self._flat:
                return [row[0] for row in converted]
            return [tuple(row) for row in converted]
        model = self.model
        fields = model._meta.concrete_fields
        attnames = [f.attname for f in fields]
        readers = [_reader(f, vendor) for f in fields]
        width = len(fields)
        plans = []
        for path in self._related:
            for steps, related in _forward_path(model, path):
                related_fields = related._meta.concrete_fields
                plans.append(
                    (
                        steps,
                        related,
                        [f.attname for f in related_fields],
                        [_reader(f, vendor) for f in related_fields],
                        width,
                    )
                )
                width += len(related_fields)
        aliases = list(self._annotations)
        db_name = database.name
        results = []
        for row in rows:
            instance = model.from_row(attnames, _convert(row[: len(fields)], readers), db_name)
            for steps, related, related_names, related_readers, start in plans:
                chunk = row[start : start + len(related_names)]
                owner = _owner_for(instance, steps[:-1])
                if owner is None:
                    continue
                value = (
                    None
                    if chunk[related_names.index(related._meta.pk.attname)] is None
                    else related.from_row(related_names, _convert(chunk, related_readers), db_name)
                )
                owner._state.cache[steps[-1].relation.name] = value
            for offset, alias in enumerate(aliases):
                setattr(instance, alias, row[width + offset])
            results.append(instance)
        return results

    # Fetching ------------------------------------------------------------------------

    def _fetch(self) -> Operation[list[Any]]:
        database = self._database()
        result = yield self._select(database)
        objects = self._rows_to_results(result.rows, database)
        if self._prefetch and self._mode is None:
            from .relations import prefetch

            for name in self._prefetch:
                yield from prefetch(objects, name, database)
        return objects

    def _fetch_all(self) -> list[Any]:
        if self._cache is None:
            self._cache = run_sync(self._database(), self._fetch())
        return self._cache

    async def _afetch_all(self) -> list[Any]:
        if self._cache is None:
            self._cache = await run_async(self._database(), self._fetch())
        return self._cache

    def __iter__(self) -> Iterator[M]:
        return iter(self._fetch_all())

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        return bool(self._fetch_all())

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self._afetch_all().__await__()

    async def __aiter__(self) -> AsyncIterator[M]:
        for item in await self._afetch_all():
            yield item

    def _run(self, operation: Operation[Any]) -> Any:
        return run_sync(self._database(), operation)

    async def _arun(self, operation: Operation[Any]) -> Any:
        return await run_async(self._database(), operation)

    # get / first / last / count / exists --------------------------------------------

    def _get(self, args: tuple[Q, ...], conditions: dict[str, Any]) -> Operation[M]:
        query = self.filter(*args, **conditions) if args or conditions else self._clone()
        if query._high is None:
            query = query[:MAX_GET_RESULTS]
        found = yield from query._fetch()
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model.__name__} matching {_describe(conditions)} does not exist"
            )
        if len(found) > 1:
            more = "more than 20" if len(found) == MAX_GET_RESULTS else str(len(found))
            raise self.model.MultipleObjectsReturned(
                f"get() returned {more} {self.model.__name__} objects for {_describe(conditions)}"
            )
        return found[0]  # type: ignore[no-any-return]

    def get(self, *args: Q, **conditions: Any) -> M:
        return self._run(self._get(args, conditions))  # type: ignore[no-any-return]

    async def aget(self, *args: Q, **conditions: Any) -> M:
        return await self._arun(self._get(args, conditions))  # type: ignore[no-any-return]

    def _first(self, reverse: bool) -> Operation[M | None]:
        ordering = self._ordering() or (self.model._meta.pk.name,)  # type: ignore[union-attr]
        if reverse:
            ordering = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)
        query = self._clone()
        query._order = ordering
        found = yield from query[:1]._fetch()
        return found[0] if found else None

    def first(self) -> M | None:
        return self._run(self._first(False))  # type: ignore[no-any-return]

    async def afirst(self) -> M | None:
        return await self._arun(self._first(False))  # type: ignore[no-any-return]

    def last(self) -> M | None:
        return self._run(self._first(True))  # type: ignore[no-any-return]

    async def alast(self) -> M | None:
        return await self._arun(self._first(True))  # type: ignore[no-any-return]

    def _count(self) -> Operation[int]:
        if self._cache is not None:
            return len(self._cache)
        result = yield self._select(self._database(), count=True)
        return int(result.rows[0][0])

    def count(self) -> int:
        return self._run(self._count())  # type: ignore[no-any-return]

    async def acount(self) -> int:
        return await self._arun(self._count())  # type: ignore[no-any-return]

    def _exists(self) -> Operation[bool]:
        result = yield self._select(self._database(), exists=True)
        return bool(result.rows)

    def exists(self) -> bool:
        return self._run(self._exists())  # type: ignore[no-any-return]

    async def aexists(self) -> bool:
        return await self._arun(self._exists())  # type: ignore[no-any-return]

    def _in_bulk(self, ids: Iterable[Any] | None, field_name: str) -> Operation[dict[Any, M]]:
        query = self if ids is None else self.filter(**{f"{field_name}__in": list(ids)})
        found = yield from query._fetch()
        attname = resolve(self.model, field_name, allow_lookup=False).field.attname
        return {getattr(obj, attname): obj for obj in found}

    def in_bulk(self, ids: Iterable[Any] | None = None, *, field_name: str = "pk") -> dict[Any, M]:
        return self._run(self._in_bulk(ids, field_name))  # type: ignore[no-any-return]

    async def ain_bulk(self, ids: Iterable[Any] | None = None, *, field_name: str = "pk") -> dict[Any, M]:
        return await self._arun(self._in_bulk(ids, field_name))  # type: ignore[no-any-return]

    # Aggregates ----------------------------------------------------------------------

    def _aggregate(self, aggregates: dict[str, Aggregate]) -> Operation[dict[str, Any]]:
        query = self.values().annotate(**aggregates)
        query._fields = tuple(aggregates)
        query._order = ()
        database = self._database()
        values: list[Any] = []
        where_key = tuple(where_shape(self.model, q, database.vendor, values) for q in self._where)
        key = (
            self.model,
            "aggregate",
            where_key,
            tuple((k, type(a), a.field, a.distinct) for k, a in aggregates.items()),
        )

        def build() -> sa.Select[Any]:
            builder = Builder(self.model, self._table())
            conditions = [build_where(builder, q) for q in self._where]
            columns = [aggregate_column(builder, a).label(alias) for alias, a in aggregates.items()]
            statement = sa.select(*columns).select_from(builder.from_clause)  # type: ignore[arg-type]
            return statement.where(*conditions) if conditions else statement

        compiled = database.statements.get(key, build)
        result = yield Statement(compiled.sql, compiled.bind(values))
        row = result.rows[0] if result.rows else (None,) * len(aggregates)
        return dict(zip(aggregates, row, strict=True))

    def aggregate(self, **aggregates: Aggregate) -> dict[str, Any]:
        return self._run(self._aggregate(aggregates))  # type: ignore[no-any-return]

    async def aaggregate(self, **aggregates: Aggregate) -> dict[str, Any]:
        return await self._arun(self._aggregate(aggregates))  # type: ignore[no-any-return]

    # Writes ----------------------------------------------------------------------------

    def create(self, **values: Any) -> M:
        instance = self.model(**values)
        instance.save()
        return instance

    async def acreate(self, **values: Any) -> M:
        instance = self.model(**values)
        await instance.asave()
        return instance

    def _get_or_create(
        self, defaults: dict[str, Any] | None, conditions: dict[str, Any]
    ) -> Operation[tuple[M, bool]]:
        from .persistence import save_operation

        try:
            found = yield from self._get((), conditions)
            return found, False
        except self.model.DoesNotExist:
            pass
        values = {k: v for k, v in conditions.items() if "__" not in k}
        instance = self.model(**{**values, **(defaults or {})})
        yield Statement("SAVEPOINT vivace_get_or_create", (), savepoint=True)
        try:
            yield from save_operation(instance, validate=True, update_fields=None)
        except IntegrityError:
            # Someone created it between our read and our write: theirs wins.
            yield Statement("ROLLBACK TO SAVEPOINT vivace_get_or_create", (), savepoint=True)
            found = yield from self._get((), conditions)
            return found, False
        yield Statement("RELEASE SAVEPOINT vivace_get_or_create", (), savepoint=True)
        return instance, True

    def get_or_create(self, defaults: dict[str, Any] | None = None, **conditions: Any) -> tuple[M, bool]:
        return self._run(self._get_or_create(defaults, conditions))  # type: ignore[no-any-return]

    async def aget_or_create(
        self, defaults: dict[str, Any] | None = None, **conditions: Any
    ) -> tuple[M, bool]:
        return await self._arun(self._get_or_create(defaults, conditions))  # type: ignore[no-any-return]

    def _update_or_create(
        self, defaults: dict[str, Any] | None, conditions: dict[str, Any]
    ) -> Operation[tuple[M, bool]]:
        from .persistence import save_operation

        instance, created = yield from self._get_or_create(defaults, conditions)
        if created or not defaults:
            return instance, created
        for name, value in defaults.items():
            setattr(instance, name, value)
        yield from save_operation(instance, validate=True, update_fields=None)
        return instance, False

    def update_or_create(self, defaults: dict[str, Any] | None = None, **conditions: Any) -> tuple[M, bool]:
        return self._run(self._update_or_create(defaults, conditions))  # type: ignore[no-any-return]

    async def aupdate_or_create(
        self, defaults: dict[str, Any] | None = None, **conditions: Any
    ) -> tuple[M, bool]:
        return await self._arun(self._update_or_create(defaults, conditions))  # type: ignore[no-any-return]

    def _update(self, values: dict[str, Any]) -> Operation[int]:
        if not values:
            return 0
        database = self._database()
        table = self._table()
        params: list[Any] = []
        assignments_shape = []
        fields = []
        for name, value in values.items():
            field = self.model._meta.get_field(name)
            if not field.concrete or field.primary_key:
                raise FieldError(
                    f"update() cannot set {name!r}: it is not a plain column of {self.model.__name__}"
                )
            fields.append(field)
            if isinstance(value, F):
                assignments_shape.append((field.column, expression_shape_and_values(value, params)))
            else:
                if value is not None:
                    value = field.to_python(value)
                writer = field.db_writer(database.vendor)
                params.append(writer(value) if writer and value is not None else value)
                assignments_shape.append((field.column, "value"))
        where_values: list[Any] = []
        where_key = tuple(where_shape(self.model, q, database.vendor, where_values) for q in self._where)
        key = (self.model, "update", tuple(assignments_shape), where_key)

        def build() -> Any:
            builder = Builder(self.model, table)
            assignments = {}
            for field, value in zip(fields, values.values(), strict=True):
                assignments[field.column] = (
                    build_expression(builder, value) if isinstance(value, F) else builder.bind(None)
                )
            conditions = [build_where(builder, q) for q in self._where]
            statement = sa.update(table).values(assignments)
            if builder.joins:
                pk = table.c[self.model._meta.pk.column]  # type: ignore[union-attr]
                inner = sa.select(pk).select_from(builder.from_clause).where(*conditions)  # type: ignore[arg-type]
                return statement.where(pk.in_(inner.scalar_subquery()))
            return statement.where(*conditions) if conditions else statement

        compiled = database.statements.get(key, build)
        result = yield Statement(compiled.sql, compiled.bind([*params, *where_values]))
        return result.rowcount

    def update(self, **values: Any) -> int:
        return self._run(self._update(values))  # type: ignore[no-any-return]

    async def aupdate(self, **values: Any) -> int:
        return await self._arun(self._update(values))  # type: ignore[no-any-return]

    def _delete(self) -> Operation[int]:
        from .persistence import delete_where

        result = yield from delete_where(self)
        return result

    def delete(self) -> int:
        return self._run(self._delete())  # type: ignore[no-any-return]

    async def adelete(self) -> int:
        return await self._arun(self._delete())  # type: ignore[no-any-return]

    def bulk_create(self, objects: Iterable[M], *, batch_size: int | None = None) -> list[M]:
        from .persistence import bulk_insert

        return self._run(bulk_insert(self.model, list(objects), batch_size))  # type: ignore[no-any-return]

    async def abulk_create(self, objects: Iterable[M], *, batch_size: int | None = None) -> list[M]:
        from .persistence import bulk_insert

        return await self._arun(bulk_insert(self.model, list(objects), batch_size))  # type: ignore[no-any-return]

    def bulk_update(
        self, objects: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        from .persistence import bulk_update

        return self._run(bulk_update(self.model, list(objects), fields, batch_size))  # type: ignore[no-any-return]

    async def abulk_update(
        self, objects: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        from .persistence import bulk_update

        return await self._arun(bulk_update(self.model, list(objects), fields, batch_size))  # type: ignore[no-any-return]

    # Large results ---------------------------------------------------------------------

    def iterator(self, chunk_size: int = 2000) -> Iterator[M]:
        """Rows in chunks of ``chunk_size``, without holding the whole result."""
        start = self._low
        while True:
            stop = start + chunk_size if self._high is None else min(start + chunk_size, self._high)
            chunk = self._clone()
            chunk._low, chunk._high = start, stop
            if chunk._order is None and not chunk.model._meta.ordering:
                chunk._order = ("pk",)
            rows = chunk._fetch_all()
            yield from rows
            if len(rows) < chunk_size or (self._high is not None and stop >= self._high):
                return
            start = stop

    async def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[M]:
        start = self._low
        while True:
            stop = start + chunk_size if self._high is None else min(start + chunk_size, self._high)
            chunk = self._clone()
            chunk._low, chunk._high = start, stop
            if chunk._order is None and not chunk.model._meta.ordering:
                chunk._order = ("pk",)
            rows = await chunk._afetch_all()
            for row in rows:
                yield row
            if len(rows) < chunk_size or (self._high is not None and stop >= self._high):
                return
            start = stop

    def __repr__(self) -> str:
        from .database import in_event_loop

        if self._cache is None and in_event_loop():
            return f"<QuerySet of {self.model.__name__} (not yet run)>"
        rows = self._cache if self._cache is not None else list(self[:MAX_GET_RESULTS])
        more = ", ..." if len(rows) >= MAX_GET_RESULTS else ""
        return f"<QuerySet [{', '.join(repr(r) for r in rows[:20])}{more}]>"


def _param_index(query: QuerySet[Any], which: str) -> int:
    """Limit and offset come after the condition values, limit first."""
    count = 0
    for q in query._where:
        values: list[Any] = []
        where_shape(query.model, q, "sqlite", values)
        count += len(values)
    if which == "offset" and query._high is not None:
        count += 1
    return count


def _reader(field: Any, vendor: str) -> Any:
    target = getattr(field, "target_field", None) if getattr(field, "is_relation", False) else None
    return (target or field).db_reader(vendor)


def _convert(row: Sequence[Any], readers: list[Any]) -> list[Any]:
    return [value if reader is None else reader(value) for value, reader in zip(row, readers, strict=False)]


def _owner_for(instance: Any, steps: tuple[Any, ...]) -> Any:
    owner = instance
    for step in steps:
        if owner is None:
            return None
        owner = owner._state.cache.get(step.relation.name)
    return owner


def _forward_path(model: type[Model], path: str) -> list[tuple[tuple[Any, ...], type[Model]]]:
    """For ``select_related("post__author")``: each prefix's join steps and model."""
    from .compiler import Step

    steps: tuple[Any, ...] = ()
    current = model
    hops = []
    for name in path.split("__"):
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
    return hops


def _describe(conditions: dict[str, Any]) -> str:
    if not conditions:
        return "the query"
    return ", ".join(f"{k}={v!r}" for k, v in conditions.items())


class Manager(Generic[M]):
    """``Model.objects``: where queries start."""

    def __init__(self) -> None:
        self.model: type[M] | None = None
        self.name = "objects"

    def contribute_to_class(self, model: type[M], name: str) -> None:
        self.model = model
        self.name = name

    def __get__(self, instance: Any, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError(
                f"{owner.__name__}.{self.name} is reached through the class, not an instance"
            )
        return self

    def get_queryset(self) -> QuerySet[M]:
        assert self.model is not None
        return QuerySet(self.model)

    def raw(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> RawQuery[M]:
        """Run your own SQL (values always bound as ``params``) and get instances back."""
        assert self.model is not None
        return RawQuery(self.model, sql, params)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _MANAGER_METHODS:
            raise AttributeError(name)
        return getattr(self.get_queryset(), name)

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self.get_queryset().__await__()

    def __aiter__(self) -> AsyncIterator[M]:
        return self.get_queryset().__aiter__()

    def __iter__(self) -> Iterator[M]:
        return iter(self.get_queryset())


_MANAGER_METHODS = frozenset(
    name for name in dir(QuerySet) if not name.startswith("_") and name not in ("model",)
)


class RawQuery(Generic[M]):
    """Rows of your own SQL as instances; columns matched to fields by name."""

    def __init__(self, model: type[M], sql: str, params: Sequence[Any] | dict[str, Any]) -> None:
        self.model = model
        self.sql = sql
        self.params = params

    def _fetch(self) -> Operation[list[M]]:
        database = self.model._meta.registry.require_database()
        result = yield Statement(self.sql, self.params)
        by_column = {f.column: f for f in self.model._meta.concrete_fields}
        by_column.update({f.attname: f for f in self.model._meta.concrete_fields})
        names = result.columns or []
        unknown = [name for name in names if name not in by_column]
        if unknown:
            raise FieldError(
                f"raw(): column(s) {', '.join(unknown)} are not fields of {self.model.__name__}; "
                "alias them to field names"
            )
        fields = [by_column[name] for name in names]
        readers = [_reader(f, database.vendor) for f in fields]
        attnames = [f.attname for f in fields]
        return [self.model.from_row(attnames, _convert(row, readers), database.name) for row in result.rows]

    def __iter__(self) -> Iterator[M]:
        return iter(run_sync(self.model._meta.registry.require_database(), self._fetch()))

    def __await__(self) -> Generator[Any, None, list[M]]:
        return run_async(self.model._meta.registry.require_database(), self._fetch()).__await__()
