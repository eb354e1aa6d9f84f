"""What a new revision holds: Alembic's operations, chosen and prepared for the models.

- A branch's first revision creates the branch's tables straight from the
  models (``initial_ops``), whatever the database already holds, so a fresh
  database always gets them; later revisions are what Alembic's autogenerate
  finds between the models and the migrated database.
- A branch never sees the tables of another branch (``TableFilter``).
- A ``NOT NULL`` column added to a table that may hold rows takes the field's
  constant default as its database default (``fill_defaults``), so existing
  rows get a value; when there is no such default the caller is told.
- ``describe`` names the operations, for the default message and the output.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.operations import ops

if TYPE_CHECKING:
    from ..fields import Field
    from ..models import Model

__all__ = [
    "TableFilter",
    "describe",
    "fields_by_column",
    "fill_defaults",
    "initial_ops",
    "referenced_tables",
    "render_item",
]


class TableFilter:
    """Which tables a branch compares: Alembic's ``include_name`` (the database's side) and
    ``include_object`` (the models' side).

    ``own`` is ``None`` for the project, which claims every table that no
    battery owns (so a model removed from the project drops its table).
    """

    def __init__(self, own: set[str] | None, others: set[str], version_table: str) -> None:
        self.own = own
        self.others = others
        self.version_table = version_table

    def wants(self, table: str) -> bool:
        if table == self.version_table or table.startswith("sqlite_"):
            return False
        if self.own is not None:
            return table in self.own
        return table not in self.others

    def include_name(self, name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
        return type_ != "table" or name is None or self.wants(name)

    def include_object(
        self, item: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        return type_ != "table" or name is None or self.wants(name)


def render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    """Alembic's ``render_item``: types Alembic would render wrongly inside a ``with_variant``."""
    from sqlalchemy.dialects import postgresql

    if kind == "type" and type(item) is postgresql.JSONB and type(item.astext_type) is sa.Text:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "postgresql.JSONB()"
    return False


def initial_ops(tables: Iterable[sa.Table]) -> ops.UpgradeOps:
    """Create ``tables`` (parents before children) and their indexes."""
    created: list[ops.MigrateOperation] = []
    for table in sa.schema.sort_tables(list(tables)):
        created.append(ops.CreateTableOp.from_table(table))
        indexes = sorted(table.indexes, key=lambda index: str(index.name))
        if indexes:
            created.append(
                ops.ModifyTableOps(table.name, [ops.CreateIndexOp.from_index(index) for index in indexes])
            )
    return ops.UpgradeOps(created)


def walk(operations: Sequence[ops.MigrateOperation]) -> Iterator[tuple[str | None, ops.MigrateOperation]]:
    """Every operation with the name of the table it belongs to, batches opened."""
    for operation in operations:
        if isinstance(operation, ops.ModifyTableOps):
            for inner in operation.ops:
                yield operation.table_name, inner
        else:
            yield getattr(operation, "table_name", None), operation


def describe(operations: Sequence[ops.MigrateOperation]) -> list[str]:
    """One short phrase per operation: ``create blog_post``, ``add blog_post.published`` ..."""
    phrases: list[str] = []
    created: set[str] = set()
    for table, operation in walk(operations):
        if isinstance(operation, ops.CreateTableOp):
            created.add(operation.table_name)
            phrases.append(f"create {operation.table_name}")
        elif table in created:
            continue  # the indexes and constraints of a table just created
        elif isinstance(operation, ops.DropTableOp):
            phrases.append(f"drop {operation.table_name}")
        elif isinstance(operation, ops.AddColumnOp):
            phrases.append(f"add {table}.{operation.column.name}")
        elif isinstance(operation, ops.DropColumnOp):
            phrases.append(f"remove {table}.{operation.column_name}")
        elif isinstance(operation, ops.AlterColumnOp):
            phrases.append(f"alter {table}.{operation.column_name}")
        elif isinstance(operation, ops.CreateIndexOp):
            phrases.append(f"add index {operation.index_name}")
        elif isinstance(operation, ops.DropIndexOp):
            phrases.append(f"drop index {operation.index_name}")
        elif isinstance(operation, ops.AddConstraintOp):
            phrases.append(f"add {operation.constraint_type or 'constraint'} on {table}")
        elif isinstance(operation, ops.DropConstraintOp):
            phrases.append(f"drop {operation.constraint_type or 'constraint'} {operation.constraint_name}")
        else:
            phrases.append(f"change {table or 'schema'}")
    return phrases


def summary(phrases: Sequence[str], limit: int = 2) -> str:
    """A revision message out of ``describe``'s phrases."""
    if len(phrases) <= limit:
        return ", ".join(phrases)
    return f"{', '.join(phrases[:limit])} and {len(phrases) - limit} more"


def referenced_tables(operations: Sequence[ops.MigrateOperation]) -> set[str]:
    """The tables that new foreign keys point at."""
    found: set[str] = set()
    for _, operation in walk(operations):
        if isinstance(operation, ops.CreateTableOp):
            for item in operation.columns:
                if isinstance(item, sa.ForeignKeyConstraint):
                    found.update(element.target_fullname.rpartition(".")[0] for element in item.elements)
                elif isinstance(item, sa.Column):
                    found.update(fk.target_fullname.rpartition(".")[0] for fk in item.foreign_keys)
        elif isinstance(operation, ops.AddColumnOp):
            found.update(fk.target_fullname.rpartition(".")[0] for fk in operation.column.foreign_keys)
        elif isinstance(operation, ops.CreateForeignKeyOp):
            found.add(operation.referent_table)
    return found


def fields_by_column(models: Iterable[type[Model]]) -> dict[tuple[str, str], Field]:
    """Each model field by ``(table name, column name)``."""
    found: dict[tuple[str, str], Field] = {}
    for model in models:
        opts = model._meta
        for field in opts.concrete_fields:
            found[(opts.table_name, field.column)] = field
    return found


def fill_defaults(
    operations: Sequence[ops.MigrateOperation], fields: dict[tuple[str, str], Field]
) -> list[str]:
    """Give each added ``NOT NULL`` column its field's constant default; warn about the others."""
    warnings: list[str] = []
    for operation in operations:
        if not isinstance(operation, ops.ModifyTableOps):
            continue
        for index, inner in enumerate(operation.ops):
            if not isinstance(inner, ops.AddColumnOp):
                continue
            column = inner.column
            if column.nullable or column.server_default is not None:
                continue
            field = fields.get((operation.table_name, column.name))
            literal = default_literal(field) if field is not None else None
            if literal is None:
                warnings.append(
                    f"{operation.table_name}.{column.name} is added NOT NULL without a constant default: "
                    "rows already in the table have no value for it. Give the field a default "
                    "(or null=True), or edit the migration to fill the column first"
                )
                continue
            operation.ops[index] = ops.AddColumnOp(
                operation.table_name, _with_server_default(column, literal), schema=inner.schema
            )
    return warnings


def _with_server_default(column: sa.Column[Any], literal: str) -> sa.Column[Any]:
    return sa.Column(
        column.name,
        column.type,
        nullable=False,
        server_default=literal,
        comment=column.comment,
    )


def default_literal(field: Field) -> str | None:
    """The field's default as SQL text that SQLite and PostgreSQL both read, if it is a constant."""
    from ..fields import Binary

    if not field.has_default or callable(field.default) or field.default is None or isinstance(field, Binary):
        return None
    try:
        value = field.to_python(field.default)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, decimal.Decimal, str)) and field.db_writer("sqlite") is None:
        return str(value)
    # The text forms SQLite is given (ISO dates, hex UUIDs, JSON) are read by PostgreSQL as well.
    writer = field.db_writer("sqlite")
    if writer is None:
        return None
    written = writer(value)
    return written if isinstance(written, str) else None
