"""``QuerySet``: lazy, chainable queries with one API for sync and async code.

Sync code iterates a QuerySet or calls ``get()``, ``count()``...; async code
awaits it (``await Post.objects.filter(...)``), iterates it with
``async for``, or calls the ``a``-prefixed methods (``aget``, ``acount``...).
Each terminal method is one generator (see ``runner.py``) run either way.

Names and values are checked when the query is built (``filter()``,
``order_by()``...), so a mistake is raised where it is made. The SQL itself
is built in ``select.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Hashable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa

from .compiler import (
    Builder,
    build_expression,
    build_wheres,
    check_expression,
    check_ordering,
    expression_shape_and_values,
    refers_to,
    resolve,
    where_shape,
)
from .exceptions import FieldError, IntegrityError, ValidationError
from .expressions import Aggregate, F, Q
from .fields import INT64_MAX
from .runner import Operation, Statement, run_async, run_sync
from .select import (
    aggregate_reader,
    aggregate_statement,
    check_aggregates,
    forward_path,
    rows_to_results,
    select_statement,
)

if TYPE_CHECKING:
    from .database import Database
    from .models import Model

M = TypeVar("M", bound="Model")

MAX_GET_RESULTS = 21


class QuerySet(Generic[M]):
    """A lazy query over ``model``; chaining returns new QuerySets.

    The query's state lives in the class defaults below until a method
    changes it on a clone, so making a QuerySet costs two attributes.
    """

    _where: tuple[Q, ...] = ()
    # The WHERE's cache key and values, worked out when filter() checked it: (vendor, key, values).
    _checked: tuple[str, tuple[Hashable, ...], tuple[Any, ...]] | None = None
    _having: tuple[Q, ...] = ()
    _order: tuple[str, ...] | None = None
    _low = 0
    _high: int | None = None
    _mode: str | None = None  # None (instances), "values", "values_list"
    _fields: tuple[str, ...] = ()
    _flat = False
    _distinct = False
    _related: tuple[str, ...] = ()
    _prefetch: tuple[str, ...] = ()
    _annotations: dict[str, Aggregate] = {}
    _group: tuple[str, ...] | None = None
    # The database named by using(), and the database of the instance the query started from.
    _using: str | None = None
    _hint: str | None = None

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._cache: list[Any] | None = None

    # Chaining ----------------------------------------------------------------------

    def _clone(self) -> QuerySet[M]:
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone._cache = None
        return clone

    def all(self) -> QuerySet[M]:
        return self._clone()

    def using(self, name: str | None) -> QuerySet[M]:
        """Run this query on the database called ``name`` (one of the app's ``databases``);
        ``None`` leaves the choice to the router and the model again."""
        registry = self.model._meta.registry
        if name is not None and registry.databases:
            registry.named(name)  # an unknown name fails here, listing the configured ones
        elif name is not None and not isinstance(name, str):
            raise TypeError(f"using() takes a database's name, not {name!r}")
        clone = self._clone()
        clone._using = name
        return clone

    def none(self) -> QuerySet[M]:
        """A query that matches no row."""
        return self.filter(pk__in=[])

    def filter(self, *args: Q, **conditions: Any) -> QuerySet[M]:
        return self._add_condition(Q(*args, **conditions))

    def exclude(self, *args: Q, **conditions: Any) -> QuerySet[M]:
        return self._add_condition(~Q(*args, **conditions))

    def _add_condition(self, condition: Q) -> QuerySet[M]:
        if self._high is not None or self._low:
            raise TypeError("cannot filter a query once a slice has been taken")
        clone = self._clone()
        if self._annotations and refers_to(condition, self._annotations):
            where_shape(self.model, condition, "check", [], self._annotations)
            clone._having = (*self._having, condition)
            return clone
        # Checking the names and values also gives the statement's key and values: keep them.
        database = self.model._meta.registry.database
        vendor = database.vendor if database is not None else "check"
        values: list[Any] = []
        shape = where_shape(self.model, condition, vendor, values)
        clone._where = (*self._where, condition)
        checked = self._checked
        if not self._where:
            clone._checked = (vendor, (shape,), tuple(values))
        elif checked is not None and checked[0] == vendor:
            clone._checked = (vendor, (*checked[1], shape), (*checked[2], *values))
        else:
            clone._checked = None
        return clone

    def _where_values(self, database: Database) -> tuple[tuple[Hashable, ...], list[Any]]:
        """The WHERE's cache key and its values in placeholder order."""
        checked = self._checked
        if checked is not None and checked[0] == database.vendor:
            return checked[1], list(checked[2])
        values: list[Any] = []
        key = tuple(where_shape(self.model, q, database.vendor, values) for q in self._where)
        return key, values

    def order_by(self, *names: str) -> QuerySet[M]:
        if self._high is not None or self._low:
            raise TypeError("cannot reorder a query once a slice has been taken")
        check_ordering(self.model, names, self._annotations)
        clone = self._clone()
        clone._order = names
        return clone

    def reverse(self) -> QuerySet[M]:
        if self._high is not None or self._low:
            raise TypeError("cannot reverse a query once a slice has been taken")
        clone = self._clone()
        clone._order = _reversed(self._ordering() or ("pk",))
        return clone

    def distinct(self) -> QuerySet[M]:
        clone = self._clone()
        clone._distinct = True
        return clone

    def select_related(self, *names: str) -> QuerySet[M]:
        for name in names:
            forward_path(self.model, name)
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
        clone._mode, clone._fields, clone._flat = "values", self._check_fields(fields), False
        return clone

    def values_list(self, *fields: str, flat: bool = False) -> QuerySet[Any]:
        if flat and len(fields) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field")
        clone = self._clone()
        clone._mode, clone._fields, clone._flat = "values_list", self._check_fields(fields), flat
        return clone

    def annotate(self, **aggregates: Aggregate) -> QuerySet[M]:
        """Add aggregates per row: ``Author.objects.annotate(n=Count("posts"))``.

        After ``values()``, the rows are grouped by those values instead, as in Django.
        """
        check_aggregates(self.model, aggregates, {})
        taken = set(self.model._meta.field_names) | {"pk"}
        for alias in aggregates:
            if not alias.isidentifier() or "__" in alias or alias in taken or alias in self._annotations:
                raise ValueError(
                    f"annotate({alias}=...): the name must be a Python name without '__' "
                    "that is not already a field or an annotation"
                )
        clone = self._clone()
        clone._annotations = {**self._annotations, **aggregates}
        if self._mode is not None and self._group is None and self._fields:
            clone._group = self._fields
        if self._mode is not None and self._fields:
            clone._fields = (*self._fields, *aggregates)
        return clone

    def _check_fields(self, fields: Sequence[str]) -> tuple[str, ...]:
        for name in fields:
            if name not in self._annotations:
                resolve(self.model, name, allow_lookup=False)
        return tuple(fields)

    def _names(self) -> tuple[str, ...]:
        """The names of values()/values_list(): those given, else every column and annotation."""
        if self._fields:
            return self._fields
        return (*(f.attname for f in self.model._meta.concrete_fields), *self._annotations)

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            if (key.start is not None and key.start < 0) or (key.stop is not None and key.stop < 0):
                raise ValueError("negative indexing is not supported on a query")
            if key.step not in (None, 1):
                raise ValueError("a query slice cannot have a step")
            if self._cache is not None:
                return self._cache[key]
            for bound in (key.start, key.stop):
                # LIMIT and OFFSET are 64-bit on every database.
                if bound is not None and self._low + bound > INT64_MAX:
                    raise ValueError(f"a query slice bound must fit a 64-bit integer (at most {INT64_MAX})")
            clone = self._clone()
            clone._low = self._low + (key.start or 0)
            if key.stop is not None:
                stop = self._low + key.stop
                clone._high = stop if self._high is None else min(self._high, stop)
            elif self._high is not None:
                clone._high = self._high
            if clone._high is not None and clone._high < clone._low:
                clone._high = clone._low
            return clone
        if not isinstance(key, int) or isinstance(key, bool):
            raise TypeError(f"query indices must be int or slice, not {type(key).__name__}")
        if key < 0:
            raise ValueError("negative indexing is not supported on a query")
        if self._cache is not None:
            return self._cache[key]
        rows = list(self[key : key + 1])
        if not rows:
            raise IndexError("query index out of range")
        return rows[0]

    # Running --------------------------------------------------------------------------

    def _table(self) -> sa.Table:
        table = self.model._meta.table
        assert table is not None
        return table

    def _database(self) -> Database:
        registry = self.model._meta.registry
        if self._using is not None:
            return registry.named(self._using)
        return registry.for_read(self.model, self._hint)

    def _for_write(self) -> QuerySet[M]:
        """This query pinned to the database the model writes to, for a write or a read-then-write."""
        registry = self.model._meta.registry
        if self._using is not None or not registry.routed:
            return self
        clone = self._clone()
        clone._using = registry.for_write(self.model, self._hint).name
        return clone

    def _ordering(self) -> tuple[str, ...]:
        return self._order if self._order is not None else self.model._meta.ordering

    def _fetch(self) -> Operation[list[Any]]:
        database = self._database()
        result = yield select_statement(self, database)
        objects = rows_to_results(self, result.rows, database)
        if self._prefetch and self._mode is None:
            from .relations import prefetch

            done: set[str] = set()
            for name in self._prefetch:
                yield from prefetch(objects, name, database, done)
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
        if query._high is None and not query._low:
            query._order = ()  # one row is wanted: no need to sort
            query._high = MAX_GET_RESULTS
        found = yield from query._fetch()
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model.__name__} matching {conditions_text(args, conditions)} does not exist"
            )
        if len(found) > 1:
            more = "more than 20" if len(found) == MAX_GET_RESULTS else str(len(found))
            raise self.model.MultipleObjectsReturned(
                f"get() returned {more} {self.model.__name__} objects for {conditions_text(args, conditions)}"
            )
        return found[0]  # type: ignore[no-any-return]

    def get(self, *args: Q, **conditions: Any) -> M:
        return self._run(self._get(args, conditions))  # type: ignore[no-any-return]

    async def aget(self, *args: Q, **conditions: Any) -> M:
        return await self._arun(self._get(args, conditions))  # type: ignore[no-any-return]

    def _first(self, reverse: bool) -> Operation[M | None]:
        query = self._clone()
        if self._high is not None or self._low:
            if reverse:
                raise TypeError("cannot take last() of a query once a slice has been taken; order it instead")
        else:
            ordering = self._ordering() or ("pk",)
            query._order = _reversed(ordering) if reverse else ordering
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
        result = yield select_statement(self, self._database(), "count")
        return int(result.rows[0][0])

    def count(self) -> int:
        return self._run(self._count())  # type: ignore[no-any-return]

    async def acount(self) -> int:
        return await self._arun(self._count())  # type: ignore[no-any-return]

    def _exists(self) -> Operation[bool]:
        if self._cache is not None:
            return bool(self._cache)
        result = yield select_statement(self, self._database(), "exists")
        return bool(result.rows)

    def exists(self) -> bool:
        return self._run(self._exists())  # type: ignore[no-any-return]

    async def aexists(self) -> bool:
        return await self._arun(self._exists())  # type: ignore[no-any-return]

    def _in_bulk(self, ids: Iterable[Any] | None, field_name: str) -> Operation[dict[Any, M]]:
        field = resolve(self.model, field_name, allow_lookup=False).field
        if field_name != "pk" and not field.unique:
            raise ValueError(f"in_bulk(field_name={field_name!r}): the field must be unique")
        if ids is None:
            found = yield from self._fetch()
        else:
            wanted = list(ids)
            found = []
            for start in range(0, len(wanted), 1000):
                chunk = self.filter(**{f"{field_name}__in": wanted[start : start + 1000]})
                found.extend((yield from chunk._fetch()))
        return {getattr(obj, field.attname): obj for obj in found}

    def in_bulk(self, ids: Iterable[Any] | None = None, *, field_name: str = "pk") -> dict[Any, M]:
        return self._run(self._in_bulk(ids, field_name))  # type: ignore[no-any-return]

    async def ain_bulk(self, ids: Iterable[Any] | None = None, *, field_name: str = "pk") -> dict[Any, M]:
        return await self._arun(self._in_bulk(ids, field_name))  # type: ignore[no-any-return]

    # Aggregates ----------------------------------------------------------------------

    def _aggregate(self, aggregates: dict[str, Aggregate]) -> Operation[dict[str, Any]]:
        check_aggregates(self.model, aggregates, self._annotations)
        if not aggregates:
            return {}
        database = self._database()
        result = yield aggregate_statement(self, database, aggregates)
        row = result.rows[0] if result.rows else (None,) * len(aggregates)
        out = {}
        for (alias, aggregate), value in zip(aggregates.items(), row, strict=True):
            reader = aggregate_reader(self.model, aggregate, database.vendor, self._annotations)
            out[alias] = reader(value) if reader is not None and value is not None else value
        return out

    def aggregate(self, **aggregates: Aggregate) -> dict[str, Any]:
        return self._run(self._aggregate(aggregates))  # type: ignore[no-any-return]

    async def aaggregate(self, **aggregates: Aggregate) -> dict[str, Any]:
        return await self._arun(self._aggregate(aggregates))  # type: ignore[no-any-return]

    # Writes ----------------------------------------------------------------------------

    def create(self, **values: Any) -> M:
        instance = self.model(**values)
        instance.save(using=self._for_write()._using)
        return instance

    async def acreate(self, **values: Any) -> M:
        instance = self.model(**values)
        await instance.asave(using=self._for_write()._using)
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
            yield from save_operation(instance, validate=True, update_fields=None, database=self._database())
        except IntegrityError as refused:
            # Someone created it between our read and our write: theirs wins.
            yield Statement("ROLLBACK TO SAVEPOINT vivace_get_or_create", (), savepoint=True)
            yield Statement("RELEASE SAVEPOINT vivace_get_or_create", (), savepoint=True)
            try:
                found = yield from self._get((), conditions)
            except self.model.DoesNotExist:
                # The row that broke the constraint is not the one asked for: the write's error stands.
                raise refused from None
            return found, False
        yield Statement("RELEASE SAVEPOINT vivace_get_or_create", (), savepoint=True)
        return instance, True

    def get_or_create(self, defaults: dict[str, Any] | None = None, **conditions: Any) -> tuple[M, bool]:
        query = self._for_write()
        return query._run(query._get_or_create(defaults, conditions))  # type: ignore[no-any-return]

    async def aget_or_create(
        self, defaults: dict[str, Any] | None = None, **conditions: Any
    ) -> tuple[M, bool]:
        query = self._for_write()
        return await query._arun(query._get_or_create(defaults, conditions))  # type: ignore[no-any-return]

    def _update_or_create(
        self, defaults: dict[str, Any] | None, conditions: dict[str, Any]
    ) -> Operation[tuple[M, bool]]:
        from .persistence import save_operation

        instance, created = yield from self._get_or_create(defaults, conditions)
        if created or not defaults:
            return instance, created
        for name, value in defaults.items():
            setattr(instance, name, value)
        yield from save_operation(instance, validate=True, update_fields=None, database=self._database())
        return instance, False

    def update_or_create(self, defaults: dict[str, Any] | None = None, **conditions: Any) -> tuple[M, bool]:
        query = self._for_write()
        return query._run(query._update_or_create(defaults, conditions))  # type: ignore[no-any-return]

    async def aupdate_or_create(
        self, defaults: dict[str, Any] | None = None, **conditions: Any
    ) -> tuple[M, bool]:
        query = self._for_write()
        return await query._arun(query._update_or_create(defaults, conditions))  # type: ignore[no-any-return]

    def _update(self, values: dict[str, Any]) -> Operation[int]:
        if self._high is not None or self._low:
            raise TypeError("cannot update a sliced query; filter it instead")
        if self._having:
            raise TypeError(
                "cannot update a query filtered on its annotations; select the primary keys first "
                "(pk__in=list(query.values_list('pk', flat=True)))"
            )
        if not values:
            return 0
        database = self._database()
        vendor = database.vendor
        opts = self.model._meta
        # The SET clause follows the table's column order: so must the values.
        position = {f.name: index for index, f in enumerate(opts.concrete_fields)}
        assignments: list[tuple[Any, Any]] = []
        errors: dict[str, list[str]] = {}
        for name, value in values.items():
            field = opts.get_field(name)
            if not field.concrete or field.primary_key:
                raise FieldError(
                    f"update() cannot set {name!r}: it is not a plain column of {self.model.__name__}"
                )
            if isinstance(value, F):
                check_expression(self.model, value)
            else:
                value, messages = field.clean(value)
                if messages:
                    errors[field.name] = messages
            assignments.append((field, value))
        if errors:
            raise ValidationError(errors)
        assignments.sort(key=lambda item: position[item[0].name])
        params: list[Any] = []
        shape = []
        for field, value in assignments:
            if isinstance(value, F):
                shape.append((field.column, expression_shape_and_values(value, params, vendor)))
            else:
                writer = field.db_writer(vendor)
                params.append(writer(value) if writer is not None and value is not None else value)
                shape.append((field.column, "value"))
        where_key, where_values = self._where_values(database)
        key = (self.model, "update", tuple(shape), where_key)

        def build() -> Any:
            table = self._table()
            builder = Builder(self.model, table, vendor)
            changes = {
                field.column: build_expression(builder, value) if isinstance(value, F) else builder.bind()
                for field, value in assignments
            }
            conditions = build_wheres(builder, self._where)
            statement = sa.update(table).values(changes)
            if builder.joins:
                pk = table.c[opts.pk.column]  # type: ignore[union-attr]
                inner = sa.select(pk).select_from(builder.from_clause).where(*conditions)  # type: ignore[arg-type]
                return statement.where(pk.in_(inner.scalar_subquery()))
            return statement.where(*conditions) if conditions else statement

        compiled = database.statements.get(key, build)
        result = yield Statement(compiled.sql, compiled.bind([*params, *where_values]))
        return result.rowcount

    def update(self, **values: Any) -> int:
        query = self._for_write()
        return query._run(query._update(values))  # type: ignore[no-any-return]

    async def aupdate(self, **values: Any) -> int:
        query = self._for_write()
        return await query._arun(query._update(values))  # type: ignore[no-any-return]

    def _delete(self) -> Operation[int]:
        from .persistence import delete_where

        result = yield from delete_where(self)
        return result

    def delete(self) -> int:
        query = self._for_write()
        return query._run(query._delete())  # type: ignore[no-any-return]

    async def adelete(self) -> int:
        query = self._for_write()
        return await query._arun(query._delete())  # type: ignore[no-any-return]

    def bulk_create(self, objects: Iterable[M], *, batch_size: int | None = None) -> list[M]:
        from .persistence import bulk_insert

        query = self._for_write()
        database = query._database()
        return run_sync(database, bulk_insert(self.model, list(objects), batch_size, database))  # type: ignore[no-any-return]

    async def abulk_create(self, objects: Iterable[M], *, batch_size: int | None = None) -> list[M]:
        from .persistence import bulk_insert

        database = self._for_write()._database()
        return await run_async(database, bulk_insert(self.model, list(objects), batch_size, database))  # type: ignore[no-any-return]

    def bulk_update(
        self, objects: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        from .persistence import bulk_update

        database = self._for_write()._database()
        return run_sync(database, bulk_update(self.model, list(objects), fields, batch_size, database))  # type: ignore[no-any-return]

    async def abulk_update(
        self, objects: Iterable[M], fields: Sequence[str], *, batch_size: int | None = None
    ) -> int:
        from .persistence import bulk_update

        database = self._for_write()._database()
        return await run_async(database, bulk_update(self.model, list(objects), fields, batch_size, database))  # type: ignore[no-any-return]

    # Large results ---------------------------------------------------------------------

    def _chunking(self, chunk_size: int) -> tuple[bool, QuerySet[M]]:
        """How to walk the rows: by primary key when the query is unsorted and unsliced
        (each chunk an index range scan), else in LIMIT/OFFSET windows."""
        if not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError("chunk_size must be a whole number, at least 1")
        by_key = (
            self._mode is None and not self._low and self._high is None and self._ordering() in ((), ("pk",))
        )
        return by_key, (self.order_by("pk") if by_key else self)

    def _chunk(
        self, by_key: bool, base: QuerySet[M], size: int, number: int, last: Any
    ) -> QuerySet[M] | None:
        if by_key:
            chunk: QuerySet[M] = (base if last is None else base.filter(pk__gt=last.pk))[:size]
            return chunk
        start = self._low + number * size
        if self._high is not None and start >= self._high:
            return None
        chunk = base._clone()
        chunk._low, chunk._high = start, start + size if self._high is None else min(start + size, self._high)
        if chunk._order is None and not chunk.model._meta.ordering:
            chunk._order = ("pk",)
        return chunk

    def iterator(self, chunk_size: int = 2000) -> Iterator[M]:
        """Rows in chunks of ``chunk_size``, without holding the whole result."""
        by_key, base = self._chunking(chunk_size)
        number, last = 0, None
        while (chunk := self._chunk(by_key, base, chunk_size, number, last)) is not None:
            rows = chunk._fetch_all()
            yield from rows
            if len(rows) < chunk_size:
                return
            number, last = number + 1, rows[-1]

    async def aiterator(self, chunk_size: int = 2000) -> AsyncIterator[M]:
        by_key, base = self._chunking(chunk_size)
        number, last = 0, None
        while (chunk := self._chunk(by_key, base, chunk_size, number, last)) is not None:
            rows = await chunk._afetch_all()
            for row in rows:
                yield row
            if len(rows) < chunk_size:
                return
            number, last = number + 1, rows[-1]

    def __repr__(self) -> str:
        from .database import in_event_loop

        if self._cache is None and in_event_loop():
            return f"<QuerySet of {self.model.__name__} (not yet run)>"
        rows = self._cache if self._cache is not None else list(self[:MAX_GET_RESULTS])
        more = ", ..." if len(rows) >= MAX_GET_RESULTS else ""
        return f"<QuerySet [{', '.join(repr(r) for r in rows[:20])}{more}]>"


def _reversed(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)


def conditions_text(args: tuple[Q, ...], conditions: dict[str, Any]) -> str:
    parts = [repr(q) for q in args] + [f"{k}={v!r}" for k, v in conditions.items()]
    return ", ".join(parts) if parts else "the query"
