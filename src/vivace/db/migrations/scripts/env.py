"""The Alembic environment of vivace projects; ``vivace.db.migrations.environment`` does the work."""

from alembic import context

from vivace.db.migrations.environment import run

run(context)
