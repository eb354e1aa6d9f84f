"""Writing rows: save, delete, and the bulk forms, as operations for either runner."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .compiled import param
from .compiler import Builder, build_wheres
from .exceptions import FieldError, IntegrityError, ProtectedError
from .runner import Operation, Statement, run_async, run_sync

if TYPE_CHECKING:
    from .database import Database
    from .models import Model
    from .query import QuerySet

# SQLite allows 32,766 placeholders per statement, PostgreSQL 65,535.
MAX_PLACEHOLDERS = 30_000


def database_for_write(instance: Model, using: str | None) -> Database:
    """Where ``instance`` is saved or deleted: ``using``, else the router, else where it was read from."""
    registry = type(instance)._meta.registry
    if using is not None:
        return registry.named(using)
    return registry.for_write(type(instance), instance._state.db)


def _writers(fields: Sequence[Any], vendor: str) -> list[Any]:
    return [f.db_writer(vendor) for f in fields]


def _row(instance: Model, fields: Sequence[Any], writers: Sequence[Any]) -> list[Any]:
    values = []
    for field, writer in zip(fields, writers, strict=True):
        value = getattr(instance, field.attname)
        values.append(writer(value) if writer is not None and value is not None else value)
    return values


def save_operation(
    instance: Model, *, validate: bool, update_fields: Iterable[str] | None, database: Database | None = None
) -> Operation[None]:
    model = type(instance)
    opts = model._meta
    pk = opts.pk
    assert pk is not None
    adding = instance._state.adding
    for field in opts.concrete_fields:
        field.pre_save(instance, adding)
    if validate:
        exclude: tuple[str, ...] = ()
        if update_fields is not None:
            wanted = set(update_fields)
            exclude = tuple(f.name for f in opts.concrete_fields if f.name not in wanted)
        instance.full_clean(exclude=exclude)
    if database is None:
        database = database_for_write(instance, None)
    vendor = database.vendor
    if adding:
        fields = [
            f for f in opts.concrete_fields if not (f.primary_key and getattr(instance, f.attname) is None)
        ]
        key = (model, "insert", tuple(f.column for f in fields))

        def build_insert() -> Any:
            table = opts.table
            assert table is not None
            return (
                sa.insert(table)
                .values({f.column: param(i) for i, f in enumerate(fields)})
                .returning(table.c[pk.column])
            )

        compiled = database.statements.get(key, build_insert)
        result = yield Statement(
            compiled.sql, compiled.bind(_row(instance, fields, _writers(fields, vendor)))
        )
        reader = pk.db_reader(vendor)
        value = result.rows[0][0]
        setattr(instance, pk.attname, reader(value) if reader else value)
        instance._state.adding = False
        instance._state.db = database.name
        return
    if update_fields is not None:
        names = set(update_fields)
        unknown = names - {f.name for f in opts.concrete_fields} - {f.attname for f in opts.concrete_fields}
        if unknown:
            raise FieldError(
                f"save(update_fields=...): {model.__name__} has no field(s) {', '.join(sorted(unknown))}"
            )
        fields = [
            f for f in opts.concrete_fields if (f.name in names or f.attname in names) and not f.primary_key
        ]
    else:
        fields = [f for f in opts.concrete_fields if not f.primary_key]
    if not fields:
        return
    key = (model, "update-row", tuple(f.column for f in fields))

    def build_update() -> Any:
        table = opts.table
        assert table is not None
        return (
            sa.update(table)
            .values({f.column: param(i) for i, f in enumerate(fields)})
            .where(table.c[pk.column] == param(len(fields)))
        )

    compiled = database.statements.get(key, build_update)
    values = _row(instance, fields, _writers(fields, vendor))
    pk_writer = pk.db_writer(vendor)
    values.append(pk_writer(instance.pk) if pk_writer else instance.pk)
    result = yield Statement(compiled.sql, compiled.bind(values))
    if result.rowcount == 0:
        # The row is gone: save it again as new, as Django does.
        instance._state.adding = True
        yield from save_operation(instance, validate=False, update_fields=None, database=database)


def save(instance: Model, *, validate: bool, update_fields: Iterable[str] | None, using: str | None) -> None:
    database = database_for_write(instance, using)
    run_sync(
        database, save_operation(instance, validate=validate, update_fields=update_fields, database=database)
    )


async def asave(
    instance: Model, *, validate: bool, update_fields: Iterable[str] | None, using: str | None
) -> None:
    database = database_for_write(instance, using)
    operation = save_operation(instance, validate=validate, update_fields=update_fields, database=database)
    await run_async(database, operation)


def _delete_instance(instance: Model, database: Database) -> Operation[int]:
    if instance.pk is None:
        raise ValueError(f"{type(instance).__name__} object can't be deleted: it has no primary key")
    count = yield from delete_where(type(instance).objects.using(database.name).filter(pk=instance.pk))
    instance._state.adding = True
    return count


def delete(instance: Model, using: str | None) -> int:
    database = database_for_write(instance, using)
    return run_sync(database, _delete_instance(instance, database))


async def adelete(instance: Model, using: str | None) -> int:
    database = database_for_write(instance, using)
    return await run_async(database, _delete_instance(instance, database))


def delete_where(query: QuerySet[Any]) -> Operation[int]:
    """DELETE the rows of ``query``; related rows follow the foreign keys' ``on_delete`` in the database."""
    model = query.model
    database = query._database()
    table = model._meta.table
    assert table is not None
    if query._high is not None or query._low:
        raise TypeError("cannot delete a sliced query; filter it instead")
    if query._having:
        raise TypeError(
            "cannot delete a query filtered on its annotations; select the primary keys first "
            "(pk__in=list(query.values_list('pk', flat=True)))"
        )
    if query._distinct:
        raise TypeError("cannot delete a distinct query; filter it instead")
    where_key, values = query._where_values(database)
    key = (model, "delete", where_key)

    def build() -> Any:
        builder = Builder(model, table, database.vendor)
        conditions = build_wheres(builder, query._where)
        statement = sa.delete(table)
        if builder.joins:
            pk = table.c[model._meta.pk.column]
            inner = sa.select(pk).select_from(builder.from_clause).where(*conditions)  # type: ignore[arg-type]
            return statement.where(pk.in_(inner.scalar_subquery()))
        return statement.where(*conditions) if conditions else statement

    compiled = database.statements.get(key, build)
    try:
        result = yield Statement(compiled.sql, compiled.bind(values))
    except IntegrityError as exc:
        raise ProtectedError(
            f"cannot delete {model.__name__} rows: other rows refer to them and protect them ({exc})",
            exc.constraint,
        ) from None
    return result.rowcount


def bulk_insert(
    model: type[Model], objects: list[Any], batch_size: int | None, database: Database
) -> Operation[list[Any]]:
    """Insert many rows in few statements, setting each object's primary key."""
    if not objects:
        return objects
    opts = model._meta
    pk = opts.pk
    assert pk is not None
    for instance in objects:
        if not isinstance(instance, model):
            raise TypeError(f"bulk_create() takes {model.__name__} objects, got {type(instance).__name__}")
        for field in opts.concrete_fields:
            field.pre_save(instance, True)
        instance.full_clean()
    with_pk = [o for o in objects if o.pk is not None]
    without_pk = [o for o in objects if o.pk is None]
    for group, include_pk in ((with_pk, True), (without_pk, False)):
        if not group:
            continue
        fields = [f for f in opts.concrete_fields if include_pk or not f.primary_key]
        if not fields:
            # Nothing but an automatic key: each row is an INSERT of its defaults.
            for instance in group:
                yield from save_operation(instance, validate=False, update_fields=None, database=database)
            continue
        writers = _writers(fields, database.vendor)
        size = max(1, min(batch_size or len(group), MAX_PLACEHOLDERS // len(fields)))
        for start in range(0, len(group), size):
            batch = group[start : start + size]
            key = (model, "bulk-insert", tuple(f.column for f in fields), len(batch))

            def build(count: int = len(batch), fields: list[Any] = fields) -> Any:
                table = opts.table
                assert table is not None
                rows = [
                    {f.column: param(r * len(fields) + i) for i, f in enumerate(fields)} for r in range(count)
                ]
                return sa.insert(table).values(rows).returning(table.c[pk.column])

            compiled = database.statements.get(key, build)
            flat = [value for instance in batch for value in _row(instance, fields, writers)]
            result = yield Statement(compiled.sql, compiled.bind(flat))
            reader = pk.db_reader(database.vendor)
            for instance, row in zip(batch, result.rows, strict=False):
                setattr(instance, pk.attname, reader(row[0]) if reader else row[0])
                instance._state.adding = False
                instance._state.db = database.name
    return objects


def bulk_update(
    model: type[Model], objects: list[Any], names: Sequence[str], batch_size: int | None, database: Database
) -> Operation[int]:
    """Update ``names`` of many rows: one UPDATE per row, run as one executemany per batch."""
    if not objects:
        return 0
    if not names:
        raise ValueError("bulk_update() needs the names of the fields to update")
    opts = model._meta
    wanted = {opts.get_field(name).name for name in names}
    # In the table's column order, the order of the SET clause and so of the values.
    fields = [f for f in opts.concrete_fields if f.name in wanted]
    for name in wanted - {f.name for f in fields}:
        raise FieldError(f"bulk_update() cannot update {name!r}: it is not a column of {model.__name__}")
    for field in fields:
        if field.primary_key:
            raise FieldError(f"bulk_update() cannot update the primary key {field.name!r}")
    for instance in objects:
        if not isinstance(instance, model):
            raise TypeError(f"bulk_update() takes {model.__name__} objects, got {type(instance).__name__}")
        if instance.pk is None:
            raise ValueError("bulk_update() needs objects that are saved (have a primary key)")
        instance.full_clean(exclude=[f.name for f in opts.concrete_fields if f not in fields])
    pk = opts.pk
    assert pk is not None
    key = (model, "update-row", tuple(f.column for f in fields))

    def build() -> Any:
        table = opts.table
        assert table is not None
        return (
            sa.update(table)
            .values({f.column: param(i) for i, f in enumerate(fields)})
            .where(table.c[pk.column] == param(len(fields)))
        )

    compiled = database.statements.get(key, build)
    writers = _writers(fields, database.vendor)
    pk_writer = pk.db_writer(database.vendor)
    size = batch_size or len(objects)
    total = 0
    for start in range(0, len(objects), size):
        rows = []
        for instance in objects[start : start + size]:
            values = _row(instance, fields, writers)
            values.append(pk_writer(instance.pk) if pk_writer else instance.pk)
            rows.append(compiled.bind(values))
        result = yield Statement(compiled.sql, rows, many=True)
        total += max(result.rowcount, 0)
    return total
