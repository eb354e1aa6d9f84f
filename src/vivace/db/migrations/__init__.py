"""Migrations: the schema history of an app's models, on Alembic.

    vivace makemigrations -m "add note.published"   # writes migrations/0002_add_note_published.py
    vivace migrate                                 # applies every pending revision
    vivace migrate app_0001                        # goes up or down to a revision
    vivace showmigrations                          # lists revisions, [X] applied

One linear history per project, in ``migrations/`` beside the app: a
project's modules share tables and foreign keys, so one ordered line is the
simplest history that is always right. A battery that ships tables keeps its
own history inside its package, as a separate Alembic branch; it registers it
with ``register(label, directory)`` (see ``sources``).
Applied revisions are recorded in the ``vivace_migrations`` table.

From Python: ``Migrations.for_app(app).migrate()``.
"""

from __future__ import annotations

from .exceptions import MigrationError
from .history import Made, Migrations, RevisionState, Step
from .sources import PROJECT, VERSION_TABLE, MigrationSource, register, unregister

__all__ = [
    "PROJECT",
    "VERSION_TABLE",
    "Made",
    "MigrationError",
    "MigrationSource",
    "Migrations",
    "RevisionState",
    "Step",
    "register",
    "unregister",
]
