"""Fixtures: rows as JSON records and back, in Django's shape.

    [{"model": "blog.post", "pk": 1, "fields": {"title": "Hello", "author": 3, "tags": [1, 2]}}]

``dump`` reads rows into records whose values are plain JSON: datetimes in
ISO 8601 with their offset, decimals and UUIDs as strings, binary as base64,
JSON fields as they are, a foreign key as the related primary key, a
many-to-many field as the list of related primary keys (the rows of an
explicit ``through`` model are records of their own). ``load`` writes
records back in one transaction: every record is checked first (a bad one is
a ``FixtureError`` naming its index and field), rows whose primary key exists
are updated, and on PostgreSQL the id sequences move past the loaded ids.
Nothing is written unless everything is.

``encode`` and ``decode`` turn records into JSON bytes and back (msgspec).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import decimal
import functools
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
import sqlalchemy as sa

from .exceptions import DatabaseError, FieldError, IntegrityError, ValidationError
from .fields import AutoField, Binary, Field
from .registry import Registry
from .relations import ForeignKey, ManyToMany
from .transactions import atomic

if TYPE_CHECKING:
    from .database import Database
    from .models import Model

__all__ = ["FixtureError", "decode", "dump", "encode", "load"]

Record = dict[str, Any]
RECORD_KEYS = frozenset({"model", "pk", "fields"})


class FixtureError(DatabaseError):
    """A fixture that cannot be read or loaded; the message names the record and the field."""


# Dumping ---------------------------------------------------------------------------------


def dump(registries: Registry | Iterable[Registry], labels: Iterable[str] = ()) -> list[Record]:
    """The rows of the models named by ``labels`` (``"blog"`` or ``"blog.Post"``; all when empty)."""
    models = _select(_registries(registries), list(labels))
    records: list[Record] = []
    for model in models:
        records.extend(_dump_model(model))
    return records


def _dump_model(model: type[Model]) -> list[Record]:
    opts = model._meta
    pk = opts.pk
    assert pk is not None
    label = opts.label_lower
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    links = {m2m.name: _links(m2m) for m2m in _auto_many_to_many(model)}
    records = []
    for instance in model.objects.order_by(pk.name):
        values = {f.name: to_json(f, getattr(instance, f.attname)) for f in fields}
        for name, by_owner in links.items():
            values[name] = by_owner.get(instance.pk, [])
        records.append({"model": label, "pk": to_json(pk, instance.pk), "fields": values})
    return records


def _links(m2m: ManyToMany) -> dict[Any, list[Any]]:
    """The related primary keys of every owner of ``m2m``, each list in link order."""
    through = m2m.through
    source, target = m2m.source_field, m2m.target_field_link
    pairs = through.objects.order_by(through._meta.pk.name).values_list(source.attname, target.attname)  # type: ignore[union-attr]
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for owner, related in pairs:
        grouped[owner].append(to_json(target, related))
    return grouped


def to_json(field: Field, value: Any) -> Any:
    """``value`` of ``field`` as a plain JSON value."""
    if value is None:
        return None
    if isinstance(field, ForeignKey):
        return to_json(field.target_field, value)
    if isinstance(field, Binary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


# Loading ---------------------------------------------------------------------------------


@dataclass
class _Row:
    index: int
    model: type[Model]
    pk: Any
    values: dict[str, Any]
    links: dict[str, list[Any]] = field(default_factory=dict)

    def name(self, source: str) -> str:
        where = f"{source}, record {self.index}" if source else f"record {self.index}"
        shown = f" pk={self.pk!r}" if self.pk is not None else ""
        return f"{where} ({self.model._meta.label_lower}{shown})"


def load(registries: Registry | Iterable[Registry], records: Any, *, source: str = "") -> int:
    """Write ``records`` in one transaction; the number of records loaded.

    ``source`` (a file name) prefixes the messages of errors.
    """
    chosen = _registries(registries)
    if not isinstance(records, list):
        raise FixtureError(
            f"{source or 'the fixture'}: expected a list of records "
            f'({{"model": ..., "pk": ..., "fields": {{...}}}}), got {type(records).__name__}'
        )
    rows = [_parse(index, record, chosen, source) for index, record in enumerate(records)]
    if not rows:
        return 0
    order = {model: position for position, model in enumerate(_dependency_order([r.model for r in rows]))}
    rows_in_order = sorted(rows, key=lambda row: order[row.model])
    with contextlib.ExitStack() as transactions:
        for database in _databases(row.model for row in rows):
            transactions.enter_context(atomic(database))
        for row in rows_in_order:
            _write(row, source)
        for row in rows_in_order:
            for name, related in row.links.items():
                _link(row, name, related, source)
        _reset_sequences({row.model for row in rows})
    return len(rows)


def _parse(index: int, record: Any, registries: list[Registry], source: str) -> _Row:
    where = f"{source}, record {index}" if source else f"record {index}"
    if not isinstance(record, dict):
        raise FixtureError(f'{where}: expected an object {{"model": ..., "pk": ..., "fields": {{...}}}}')
    unknown = set(record) - RECORD_KEYS
    if unknown:
        raise FixtureError(
            f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
            "a record has model, pk and fields"
        )
    label = record.get("model")
    if not isinstance(label, str):
        raise FixtureError(f'{where}: "model" must be a model label such as "blog.post"')
    model = _model(label, registries, where)
    values = record.get("fields", {})
    if not isinstance(values, dict):
        raise FixtureError(f'{where} ({label}): "fields" must be an object of field names and values')
    opts = model._meta
    pk_field = opts.pk
    assert pk_field is not None
    row = _Row(index, model, None, {})
    raw_pk = record.get("pk")
    if raw_pk is not None:
        row.pk = raw_pk
        row.pk = _coerce(pk_field, raw_pk, row, source)
    auto = {m2m.name: m2m for m2m in _auto_many_to_many(model)}
    for name, value in values.items():
        if name in auto:
            row.links[name] = _parse_links(auto[name], value, row, source)
            continue
        try:
            found = opts.get_field(name)
        except FieldError:
            found = None
        if found is None or not found.concrete or found.primary_key:
            known = ", ".join([f.name for f in opts.concrete_fields if not f.primary_key] + list(auto))
            kind = "a many-to-many with a through model: load its rows instead" if found else "unknown"
            raise FixtureError(f"{row.name(source)}: field {name!r} is {kind}; its fields are: {known}")
        row.values[found.attname] = _decode_value(found, value, row, source)
    instance = model(**row.values, **({pk_field.attname: row.pk} if row.pk is not None else {}))
    try:
        instance.full_clean()
    except ValidationError as exc:
        problems = "; ".join(
            " ".join(messages) if name == "__all__" else f"field {name!r}: {' '.join(messages)}"
            for name, messages in exc.errors.items()
        )
        raise FixtureError(f"{row.name(source)}: {problems}") from None
    for concrete in opts.concrete_fields:
        automatic = getattr(concrete, "auto_now", False) or getattr(concrete, "auto_now_add", False)
        if automatic and getattr(instance, concrete.attname) is None:
            concrete.pre_save(instance, True)
    row.values = {f.attname: getattr(instance, f.attname) for f in opts.concrete_fields if not f.primary_key}
    return row


def _decode_value(field: Field, value: Any, row: _Row, source: str) -> Any:
    if value is None or not isinstance(field, Binary):
        return value
    if not isinstance(value, str):
        raise FixtureError(f"{row.name(source)}: field {field.name!r}: binary data is written as base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise FixtureError(f"{row.name(source)}: field {field.name!r}: not valid base64") from None


def _coerce(field: Field, value: Any, row: _Row, source: str, where: str | None = None) -> Any:
    cleaned, messages = field.clean(value)
    if messages:
        raise FixtureError(f"{row.name(source)}: {where or f'field {field.name!r}'}: {' '.join(messages)}")
    return cleaned


def _parse_links(m2m: ManyToMany, value: Any, row: _Row, source: str) -> list[Any]:
    if not isinstance(value, list):
        raise FixtureError(f"{row.name(source)}: field {m2m.name!r}: a list of primary keys, got {value!r}")
    target = m2m.related_model._meta.pk
    assert target is not None
    return [
        _coerce(target, item, row, source, f"field {m2m.name!r}, item {position}")
        for position, item in enumerate(value)
    ]


def _model(label: str, registries: list[Registry], where: str) -> type[Model]:
    for registry in registries:
        found = registry.models.get(label.lower())
        if found is not None:
            return found
    known = ", ".join(sorted(m._meta.label_lower for r in registries for m in r.models.values()))
    raise FixtureError(f"{where}: there is no model {label!r}; the models are: {known or 'none'}")


def _write(row: _Row, source: str) -> None:
    model = row.model
    opts = model._meta
    pk = opts.pk
    table = opts.table
    assert pk is not None and table is not None
    database = model._meta.registry.for_write(model)
    vendor = database.vendor
    fields = _table_order(table, [f for f in opts.concrete_fields if not f.primary_key])
    values = [_written(f, row.values[f.attname], vendor) for f in fields]
    try:
        if row.pk is not None:
            key_value = _written(pk, row.pk, vendor)
            update = database.statements.get(
                (model, "fixture-update", tuple(f.column for f in fields)),
                lambda: (
                    sa.update(table)
                    .values({f.column: _param(i) for i, f in enumerate(fields)})
                    .where(table.c[pk.column] == _param(len(fields)))
                ),
            )
            if fields and database.execute(update.sql, update.bind([*values, key_value])).rowcount:
                return
            if not fields and _exists(database, model, key_value):
                return
            everything = _table_order(table, [pk, *fields])
            written = {pk.column: key_value, **{f.column: v for f, v in zip(fields, values, strict=True)}}
            insert = database.statements.get(
                (model, "fixture-insert", tuple(f.column for f in everything)),
                lambda: sa.insert(table).values({f.column: _param(i) for i, f in enumerate(everything)}),
            )
            database.execute(insert.sql, insert.bind([written[f.column] for f in everything]))
            return
        insert = database.statements.get(
            (model, "fixture-insert-new", tuple(f.column for f in fields)),
            lambda: (
                sa.insert(table)
                .values({f.column: _param(i) for i, f in enumerate(fields)})
                .returning(table.c[pk.column])
            ),
        )
        result = database.execute(insert.sql, insert.bind(values))
        reader = pk.db_reader(vendor)
        row.pk = reader(result.rows[0][0]) if reader else result.rows[0][0]
    except IntegrityError as exc:
        raise FixtureError(f"{row.name(source)}: the database refused it: {exc}") from None


def _table_order(table: sa.Table, fields: list[Field]) -> list[Field]:
    """``fields`` in the order of the table's columns: the order in which SQLAlchemy writes the
    columns of an INSERT or UPDATE, so the placeholders are numbered in the order they appear."""
    position = {column.name: index for index, column in enumerate(table.c)}
    return sorted(fields, key=lambda field: position[field.column])


def _exists(database: Database, model: type[Model], key_value: Any) -> bool:
    table = model._meta.table
    pk = model._meta.pk
    assert table is not None and pk is not None
    select = database.statements.get(
        (model, "fixture-exists"),
        lambda: sa.select(table.c[pk.column]).where(table.c[pk.column] == _param(0)),
    )
    return bool(database.execute(select.sql, select.bind([key_value])).rows)


def _link(row: _Row, name: str, related: list[Any], source: str) -> None:
    """Make ``related`` the links of ``row``'s many-to-many ``name``, replacing those it had."""
    m2m = next(m for m in _auto_many_to_many(row.model) if m.name == name)
    through = m2m.through
    table = through._meta.table
    assert table is not None
    database = through._meta.registry.for_write(through)
    vendor = database.vendor
    source_field, target_field = m2m.source_field, m2m.target_field_link
    owner = _written(source_field, row.pk, vendor)
    delete = database.statements.get(
        (through, "fixture-unlink"), lambda: sa.delete(table).where(table.c[m2m.source_column] == _param(0))
    )
    columns = _table_order(table, [source_field, target_field])
    insert = database.statements.get(
        (through, "fixture-link"),
        lambda: sa.insert(table).values({f.column: _param(i) for i, f in enumerate(columns)}),
    )

    def link(pk: Any) -> Any:
        pair = {source_field.column: owner, target_field.column: _written(target_field, pk, vendor)}
        return insert.bind([pair[f.column] for f in columns])

    try:
        database.execute(delete.sql, delete.bind([owner]))
        pairs = [link(pk) for pk in dict.fromkeys(related)]
        if pairs:
            database.execute(insert.sql, pairs, many=True)
    except IntegrityError as exc:
        raise FixtureError(
            f"{row.name(source)}: field {name!r}: the database refused a link: {exc}"
        ) from None


def _reset_sequences(models: Iterable[type[Model]]) -> None:
    """On PostgreSQL, move each id sequence past the largest id, so that the next insert gets a fresh one."""
    tables: list[tuple[Database, sa.Table, str]] = []
    for model in models:
        for owner in [model, *(m.through for m in _auto_many_to_many(model))]:
            pk = owner._meta.pk
            database = owner._meta.registry.for_write(owner)
            if (
                database.vendor == "postgresql"
                and isinstance(pk, AutoField)
                and owner._meta.table is not None
            ):
                tables.append((database, owner._meta.table, pk.column))
    for database, table, column in tables:
        statement = database.statements.get(
            (table.name, "fixture-sequence"), functools.partial(_setval, database, table, column)
        )
        database.execute(statement.sql, statement.bind([]))


def _setval(database: Database, table: sa.Table, column: str) -> sa.Select[Any]:
    largest = sa.func.max(table.c[column])
    name = database.dialect.identifier_preparer.quote(table.name)
    sequence = sa.func.pg_get_serial_sequence(sa.literal(name), sa.literal(column))
    return sa.select(
        sa.func.setval(sequence, sa.func.coalesce(largest, 1), largest.is_not(None))
    ).select_from(table)


def _written(field: Field, value: Any, vendor: str) -> Any:
    if value is None:
        return None
    writer = field.db_writer(vendor)
    return writer(value) if writer is not None else value


def _param(index: int) -> Any:
    from .compiled import param

    return param(index)


# Choosing models ---------------------------------------------------------------------


def _registries(registries: Registry | Iterable[Registry]) -> list[Registry]:
    return [registries] if isinstance(registries, Registry) else list(registries)


def _auto_many_to_many(model: type[Model]) -> list[ManyToMany]:
    """The many-to-many fields of ``model`` whose join table vivace made (their rows go with the model)."""
    return [m for m in model._meta.many_to_many if m.through_spec is None and m.through is not None]


def _select(registries: list[Registry], labels: Sequence[str]) -> list[type[Model]]:
    every: list[type[Model]] = [model for registry in registries for model in registry.models.values()]
    joins = {m.through for model in every for m in _auto_many_to_many(model)}
    candidates = [model for model in every if model not in joins]
    if not labels:
        return _dependency_order(candidates)
    chosen: list[type[Model]] = []
    for label in labels:
        wanted = label.lower()
        matches = [
            m for m in candidates if m._meta.label_lower == wanted or m._meta.label_prefix.lower() == wanted
        ]
        if not matches:
            apps = sorted({m._meta.label_prefix.lower() for m in candidates})
            models = sorted(m._meta.label_lower for m in candidates)
            raise FixtureError(
                f"there is no app or model {label!r}; apps: {', '.join(apps) or 'none'}; "
                f"models: {', '.join(models) or 'none'}"
            )
        chosen.extend(m for m in matches if m not in chosen)
    return _dependency_order(chosen)


def _dependency_order(models: Iterable[type[Model]]) -> list[type[Model]]:
    """``models`` without repeats, each after the models its foreign keys point at (when it can be)."""
    pending = list(dict.fromkeys(models))
    placed: list[type[Model]] = []
    while pending:
        for model in pending:
            parents = {
                f.related_model
                for f in model._meta.concrete_fields
                if isinstance(f, ForeignKey) and f.related_model is not model
            }
            if not (parents & set(pending)):
                break
        else:
            model = pending[0]  # a cycle: keep the declared order
        pending.remove(model)
        placed.append(model)
    return placed


def _databases(models: Iterable[type[Model]]) -> list[Database]:
    found: dict[int, Database] = {}
    for model in models:
        database = model._meta.registry.for_write(model)
        found.setdefault(id(database), database)
    return list(found.values())


# JSON --------------------------------------------------------------------------------------


def encode(records: list[Record], *, indent: int = 2) -> bytes:
    """``records`` as JSON bytes, indented by ``indent`` spaces (0: one line)."""
    data = msgspec.json.encode(records)
    if indent:
        data = msgspec.json.format(data, indent=indent)
    return data + b"\n"


def decode(data: bytes | str, *, source: str = "fixture") -> Any:
    """The records in JSON ``data``; ``FixtureError`` names ``source`` when it is not JSON."""
    try:
        return msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise FixtureError(f"{source}: not valid JSON: {exc}") from None
