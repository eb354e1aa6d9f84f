"""initial

Revision app_0001, created 2026-11-26 10:40:37.668814.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'app_0001'
down_revision = None
branch_labels = ('app',)
depends_on = 'auth_0001'


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_staff', sa.Boolean(), nullable=False),
    sa.Column('is_superuser', sa.Boolean(), nullable=False),
    sa.Column('last_login', sa.DateTime(timezone=True), nullable=True),
    sa.Column('date_joined', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('image', sa.String(length=1000), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_email'), ['email'], unique=False)

    op.create_table('app_tag',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_tag')),
    sa.UniqueConstraint('name', name=op.f('uq_app_tag_name'))
    )
    op.create_table('app_user_groups',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('group_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['auth_group.id'], name='fk_app_user_groups_group_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_app_user_groups_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user_groups')),
    sa.UniqueConstraint('user_id', 'group_id', name='uq_app_user_groups_user_id_group_id')
    )
    with op.batch_alter_table('app_user_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_groups_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_groups_user_id'), ['user_id'], unique=False)

    op.create_table('app_user_user_permissions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('permission_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['permission_id'], ['auth_permission.id'], name='fk_app_user_user_permissions_permission_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_app_user_user_permissions_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user_user_permissions')),
    sa.UniqueConstraint('user_id', 'permission_id', name='uq_app_user_user_permissions_user_id_permission_id')
    )
    with op.batch_alter_table('app_user_user_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_user_permissions_permission_id'), ['permission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_user_permissions_user_id'), ['user_id'], unique=False)

    op.create_table('app_user_following',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('to_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['to_user_id'], ['app_user.id'], name='fk_app_user_following_to_user_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_app_user_following_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user_following')),
    sa.UniqueConstraint('user_id', 'to_user_id', name='uq_app_user_following_user_id_to_user_id')
    )
    with op.batch_alter_table('app_user_following', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_following_to_user_id'), ['to_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_user_following_user_id'), ['user_id'], unique=False)

    op.create_table('app_article',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=255), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name='fk_app_article_author_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_article')),
    sa.UniqueConstraint('slug', name=op.f('uq_app_article_slug'))
    )
    with op.batch_alter_table('app_article', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_article_author_id'), ['author_id'], unique=False)

    op.create_table('app_article_tags',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tag_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['app_article.id'], name='fk_app_article_tags_article_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['app_tag.id'], name='fk_app_article_tags_tag_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_article_tags')),
    sa.UniqueConstraint('article_id', 'tag_id', name='uq_app_article_tags_article_id_tag_id')
    )
    with op.batch_alter_table('app_article_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_article_tags_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_article_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('app_article_favorited_by',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['app_article.id'], name='fk_app_article_favorited_by_article_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name='fk_app_article_favorited_by_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_article_favorited_by')),
    sa.UniqueConstraint('article_id', 'user_id', name='uq_app_article_favorited_by_article_id_user_id')
    )
    with op.batch_alter_table('app_article_favorited_by', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_article_favorited_by_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_article_favorited_by_user_id'), ['user_id'], unique=False)

    op.create_table('app_comment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('author_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['app_article.id'], name='fk_app_comment_article_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['app_user.id'], name='fk_app_comment_author_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_comment'))
    )
    with op.batch_alter_table('app_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_comment_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_app_comment_author_id'), ['author_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('app_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_comment_author_id'))
        batch_op.drop_index(batch_op.f('ix_app_comment_article_id'))

    op.drop_table('app_comment')
    with op.batch_alter_table('app_article_favorited_by', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_article_favorited_by_user_id'))
        batch_op.drop_index(batch_op.f('ix_app_article_favorited_by_article_id'))

    op.drop_table('app_article_favorited_by')
    with op.batch_alter_table('app_article_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_article_tags_tag_id'))
        batch_op.drop_index(batch_op.f('ix_app_article_tags_article_id'))

    op.drop_table('app_article_tags')
    with op.batch_alter_table('app_article', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_article_author_id'))

    op.drop_table('app_article')
    with op.batch_alter_table('app_user_following', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_following_user_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_following_to_user_id'))

    op.drop_table('app_user_following')
    with op.batch_alter_table('app_user_user_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_user_permissions_user_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_user_permissions_permission_id'))

    op.drop_table('app_user_user_permissions')
    with op.batch_alter_table('app_user_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_groups_user_id'))
        batch_op.drop_index(batch_op.f('ix_app_user_groups_group_id'))

    op.drop_table('app_user_groups')
    op.drop_table('app_tag')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_email'))

    op.drop_table('app_user')
