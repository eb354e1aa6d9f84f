"""unique e-mail addresses

Revision app_0002, created 2026-11-26 12:22:46.225439.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'app_0002'
down_revision = 'app_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_email'))
        batch_op.create_index('uq_app_user_email', ['email'], unique=True, sqlite_where=sa.text("email != ''"), postgresql_where=sa.text("email != ''"))


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index('uq_app_user_email', sqlite_where=sa.text("email != ''"), postgresql_where=sa.text("email != ''"))
        batch_op.create_index(batch_op.f('ix_app_user_email'), ['email'], unique=False)
