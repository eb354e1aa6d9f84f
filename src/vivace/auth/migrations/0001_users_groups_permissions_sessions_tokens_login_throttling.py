"""users, groups, permissions, sessions, tokens, login throttling

Revision auth_0001, created 2026-11-26 10:13:31.430505.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "auth_0001"
down_revision = None
branch_labels = ("auth",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_permission",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("codename", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_permission")),
        sa.UniqueConstraint("label", "codename", name="uq_auth_permission_label_codename"),
    )
    op.create_table(
        "auth_group",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_group")),
        sa.UniqueConstraint("name", name=op.f("uq_auth_group_name")),
    )
    op.create_table(
        "auth_user",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_staff", sa.Boolean(), nullable=False),
        sa.Column("is_superuser", sa.Boolean(), nullable=False),
        sa.Column("last_login", sa.DateTime(timezone=True), nullable=True),
        sa.Column("date_joined", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_user")),
        sa.UniqueConstraint("username", name=op.f("uq_auth_user_username")),
    )
    with op.batch_alter_table("auth_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_user_email"), ["email"], unique=False)

    op.create_table(
        "auth_session",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_session")),
    )
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_session_expires"), ["expires"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_token",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "scopes",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql").with_variant(sa.Text(), "sqlite"),
            nullable=False,
        ),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_token")),
        sa.UniqueConstraint("prefix", name=op.f("uq_auth_token_prefix")),
    )
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_throttle",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_auth_throttle")),
    )
    op.create_table(
        "auth_group_permissions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("permission_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["auth_group.id"], name="fk_auth_group_permissions_group_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["auth_permission.id"],
            name="fk_auth_group_permissions_permission_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_group_permissions")),
        sa.UniqueConstraint(
            "group_id", "permission_id", name="uq_auth_group_permissions_group_id_permission_id"
        ),
    )
    with op.batch_alter_table("auth_group_permissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_group_permissions_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_auth_group_permissions_permission_id"), ["permission_id"], unique=False
        )

    op.create_table(
        "auth_user_groups",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["auth_group.id"], name="fk_auth_user_groups_group_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["auth_user.id"], name="fk_auth_user_groups_user_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_user_groups")),
        sa.UniqueConstraint("user_id", "group_id", name="uq_auth_user_groups_user_id_group_id"),
    )
    with op.batch_alter_table("auth_user_groups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_user_groups_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_user_groups_user_id"), ["user_id"], unique=False)

    op.create_table(
        "auth_user_user_permissions",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("permission_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["permission_id"],
            ["auth_permission.id"],
            name="fk_auth_user_user_permissions_permission_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["auth_user.id"], name="fk_auth_user_user_permissions_user_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_user_user_permissions")),
        sa.UniqueConstraint(
            "user_id", "permission_id", name="uq_auth_user_user_permissions_user_id_permission_id"
        ),
    )
    with op.batch_alter_table("auth_user_user_permissions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_user_user_permissions_permission_id"), ["permission_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_auth_user_user_permissions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("auth_user_user_permissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_user_user_permissions_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_user_user_permissions_permission_id"))

    op.drop_table("auth_user_user_permissions")
    with op.batch_alter_table("auth_user_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_user_groups_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_user_groups_group_id"))

    op.drop_table("auth_user_groups")
    with op.batch_alter_table("auth_group_permissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_group_permissions_permission_id"))
        batch_op.drop_index(batch_op.f("ix_auth_group_permissions_group_id"))

    op.drop_table("auth_group_permissions")
    op.drop_table("auth_throttle")
    with op.batch_alter_table("auth_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_token_user_id"))

    op.drop_table("auth_token")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_auth_session_expires"))

    op.drop_table("auth_session")
    with op.batch_alter_table("auth_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_user_email"))

    op.drop_table("auth_user")
    op.drop_table("auth_group")
    op.drop_table("auth_permission")
