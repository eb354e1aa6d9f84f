"""The Alembic environment every vivace project shares.

Alembic runs an ``env.py`` for each command; vivace ships one
(``scripts/env.py``) that calls ``run`` here, so a project needs no
``alembic.ini`` and no ``env.py`` of its own. Everything ``run`` needs — the
open connection, the models' metadata, which tables to compare — arrives as a
``Plan`` in the Alembic ``Config``'s attributes, put there by ``Migrations``.

Every revision runs in its own transaction (DDL included, on SQLite too), so
a revision that fails leaves the database as the previous one left it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from alembic.operations import ops
from alembic.runtime.migration import MigrationContext

from .autogen import TableFilter, render_item

__all__ = ["PLAN_KEY", "Plan", "run"]

PLAN_KEY = "vivace_plan"

Directives = Callable[[MigrationContext, Any, list[ops.MigrationScript]], None]
Applied = Callable[..., None]


@dataclass
class Plan:
    """What one Alembic command works on."""

    connection: sa.Connection
    version_table: str
    metadata: Sequence[sa.MetaData] = ()
    tables: TableFilter | None = None
    # Called inside each revision's transaction once it has run.
    on_apply: Sequence[Applied] = ()
    # Writing a revision reads the database and changes nothing in it.
    read_only: bool = False
    directives: Directives | None = None
    options: dict[str, Any] = field(default_factory=dict)


def context_options(plan: Plan) -> dict[str, Any]:
    """The options of ``context.configure`` for ``plan``."""
    options: dict[str, Any] = {
        "version_table": plan.version_table,
        "target_metadata": list(plan.metadata) or None,
        # Batch operations work everywhere, and on SQLite they rebuild a table to ALTER it.
        "render_as_batch": True,
        "transactional_ddl": True,
        "transaction_per_migration": True,
        "compare_type": True,
        "render_item": render_item,
        "include_name": plan.tables.include_name if plan.tables else None,
        "include_object": plan.tables.include_object if plan.tables else None,
        "on_version_apply": list(plan.on_apply),
        "dont_mutate": plan.read_only,
        **plan.options,
    }
    if plan.directives is not None:
        options["process_revision_directives"] = plan.directives
    return options


def run() -> None:
    """Run the current Alembic command on the connection of the plan (called by ``scripts/env.py``)."""
    from alembic import context

    plan = context.config.attributes.get(PLAN_KEY)
    if not isinstance(plan, Plan):
        raise RuntimeError(
            "this Alembic environment belongs to vivace: run vivace makemigrations / migrate, "
            "or vivace.db.migrations.Migrations from Python"
        )
    context.configure(connection=plan.connection, **context_options(plan))
    with context.begin_transaction():
        context.run_migrations()
