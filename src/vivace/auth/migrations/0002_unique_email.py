"""e-mail addresses unique whatever their case

Revision auth_0002, created 2026-11-26 12:10:35.588161.

Addresses are stored lowercase from now on: the existing ones are lowered, and
a unique index on the non-blank ones replaces the plain index. When two users
already share an address (in any case), the upgrade stops and names them, so
nothing is lost: give one of them another address, then migrate again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vivace.db.migrations.exceptions import MigrationError

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None

GIVEN = "email != ''"
SHARED = "SELECT lower(email) FROM auth_user WHERE email != '' GROUP BY lower(email) HAVING count(*) > 1"


def upgrade() -> None:
    connection = op.get_bind()
    shared = connection.execute(sa.text(SHARED)).scalars().all()
    if shared:
        listed = ", ".join(sorted(shared)[:10])
        raise MigrationError(
            f"auth_0002 makes e-mail addresses unique, and {len(shared)} are shared by several users "
            f"({listed}); give each of those users an address of its own, then migrate again"
        )
    connection.execute(sa.text("UPDATE auth_user SET email = lower(email) WHERE email != lower(email)"))
    with op.batch_alter_table("auth_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_user_email"))
        batch_op.create_index(
            "uq_auth_user_email",
            ["email"],
            unique=True,
            sqlite_where=sa.text(GIVEN),
            postgresql_where=sa.text(GIVEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_user", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_auth_user_email", sqlite_where=sa.text(GIVEN), postgresql_where=sa.text(GIVEN)
        )
        batch_op.create_index(batch_op.f("ix_auth_user_email"), ["email"], unique=False)
