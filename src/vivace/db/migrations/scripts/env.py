"""The Alembic environment of vivace projects; ``vivace.db.migrations.environment`` does the work."""

from vivace.db.migrations.environment import run

run()
