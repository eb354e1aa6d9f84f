"""Migrations on SQLite and PostgreSQL: each kind of change is written, applied with its rows kept, undone."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from vivace.db import CASCADE, ForeignKey, Registry, fields
from vivace.db.migrations import MigrationError, Migrations

from .conftest import Project


def declare(registry: Registry, model: str, /, **members: Any) -> Any:
    """A model ``blog.<model>`` of ``registry``."""
    members.setdefault("Meta", type("Meta", (), {"label": "blog"}))
    return type(model, (registry.Model,), {"__module__": __name__, **members})


def blog(*, author: dict[str, Any] | None = None, post: dict[str, Any] | None = None) -> Registry:
    """Authors and their posts, with extra fields for either."""
    registry = Registry()
    declare(registry, "Author", **{"name": fields.String(max_length=100), **(author or {})})
    post_fields = {
        "author": ForeignKey("Author", on_delete=CASCADE, related_name="posts"),
        "title": fields.String(max_length=200),
        **(post or {}),
    }
    declare(registry, "Post", **post_fields)
    return registry


def started(project: Project) -> Migrations:
    """The first version applied, with an author and two posts in it."""
    migrations = project.migrations(blog())
    migrations.make()
    migrations.migrate()
    project.execute("INSERT INTO blog_author (id, name) VALUES (1, 'ann')")
    project.execute("INSERT INTO blog_post (id, author_id, title) VALUES (1, 1, 'one'), (2, 1, 'two')")
    return migrations


def posts(project: Project) -> list[tuple[Any, ...]]:
    return project.execute("SELECT id, author_id, title FROM blog_post ORDER BY id")


POSTS = [(1, 1, "one"), (2, 1, "two")]


def test_the_first_migration_creates_every_table(project: Project) -> None:
    migrations = project.migrations(blog())
    made = migrations.make()
    assert made is not None
    assert made.id == "app_0001"
    assert made.path == project.root / "migrations" / "0001_initial.py"
    assert made.changes == ["create blog_author", "create blog_post"]
    source = made.path.read_text()
    compile(source, str(made.path), "exec")
    assert "op.create_table('blog_author'" in source
    assert "Alembic" not in source
    assert project.tables() == set()

    steps = migrations.migrate()
    assert [(s.id, s.up) for s in steps] == [("app_0001", True)]
    assert project.tables() == {"blog_author", "blog_post", "vivace_migrations"}
    assert project.execute("SELECT version_num FROM vivace_migrations") == [("app_0001",)]
    assert migrations.changes() == []


def test_no_changes_writes_nothing(project: Project) -> None:
    migrations = started(project)
    assert migrations.make() is None
    assert migrations.make("anything") is None
    assert sorted(p.name for p in (project.root / "migrations").glob("*.py")) == ["0001_initial.py"]


def test_every_field_type_compares_equal_after_migrating(project: Project) -> None:
    registry = Registry()
    tag = declare(registry, "Tag", slug=fields.Slug(unique=True))
    declare(
        registry,
        "Entry",
        title=fields.String(max_length=50, index=True),
        body=fields.Text(default=""),
        count=fields.Integer(default=0),
        big=fields.BigInteger(null=True),
        ratio=fields.Float(null=True),
        price=fields.Decimal(max_digits=8, decimal_places=2, null=True),
        flag=fields.Boolean(default=False),
        day=fields.Date(null=True),
        moment=fields.DateTime(auto_now_add=True),
        clock=fields.Time(null=True),
        token=fields.UUID(null=True),
        data=fields.JSON(null=True),
        blob=fields.Binary(null=True),
        email=fields.Email(null=True),
        parent=ForeignKey("self", on_delete=CASCADE, null=True, related_name="children"),
        tags=fields.ManyToMany(tag, related_name="entries"),
        Meta=type("Meta", (), {"label": "blog", "unique_together": [("title", "day")]}),
    )
    migrations = project.migrations(registry)
    migrations.make()
    migrations.migrate()
    assert {"blog_tag", "blog_entry", "blog_entry_tags"} <= project.tables()
    assert migrations.changes() == []
    assert migrations.make() is None


def test_adding_a_field_keeps_the_rows(project: Project) -> None:
    started(project)
    extra = {"active": fields.Boolean(default=True), "nickname": fields.String(max_length=30, null=True)}
    migrations = project.migrations(blog(author=extra))
    made = migrations.make()
    assert made is not None
    assert (made.id, made.changes) == ("app_0002", ["add blog_author.active", "add blog_author.nickname"])
    assert made.path.name == "0002_add_blog_author_active_add_blog_author_nickname.py"
    assert "server_default='1'" in made.path.read_text()
    assert made.warnings == []

    assert [s.id for s in migrations.migrate()] == ["app_0002"]
    assert project.columns("blog_author") == {"id": False, "name": False, "active": False, "nickname": True}
    assert [
        (name, bool(active)) for name, active in project.execute("SELECT name, active FROM blog_author")
    ] == [("ann", True)]
    # On SQLite the parent table was rebuilt: the posts that refer to it are still there.
    assert posts(project) == POSTS
    assert migrations.changes() == []

    assert [(s.id, s.up) for s in migrations.downgrade("app_0001")] == [("app_0002", False)]
    assert set(project.columns("blog_author")) == {"id", "name"}
    assert project.execute("SELECT id, name FROM blog_author") == [(1, "ann")]
    assert posts(project) == POSTS


def test_adding_a_field_without_a_default_warns(project: Project) -> None:
    started(project)
    migrations = project.migrations(blog(post={"score": fields.Integer()}))
    made = migrations.make()
    assert made is not None
    assert len(made.warnings) == 1
    assert "blog_post.score is added NOT NULL without a constant default" in made.warnings[0]


def test_adding_an_index(project: Project) -> None:
    started(project)
    migrations = project.migrations(blog(post={"title": fields.String(max_length=200, index=True)}))
    made = migrations.make()
    assert made is not None
    assert made.changes == ["add index ix_blog_post_title"]
    migrations.migrate()
    assert "ix_blog_post_title" in project.indexes("blog_post")
    assert posts(project) == POSTS
    assert migrations.changes() == []

    migrations.downgrade("app_0001")
    assert "ix_blog_post_title" not in project.indexes("blog_post")
    assert posts(project) == POSTS


def test_adding_a_model(project: Project) -> None:
    started(project)
    registry = blog()
    declare(
        registry,
        "Comment",
        post=ForeignKey("Post", on_delete=CASCADE, related_name="comments"),
        text=fields.Text(),
    )
    migrations = project.migrations(registry)
    made = migrations.make()
    assert made is not None
    assert made.changes == ["create blog_comment"]
    migrations.migrate()
    assert "blog_comment" in project.tables()
    project.execute("INSERT INTO blog_comment (post_id, text) VALUES (1, 'nice')")
    assert project.execute("SELECT post_id, text FROM blog_comment") == [(1, "nice")]
    assert posts(project) == POSTS

    migrations.downgrade("app_0001")
    assert "blog_comment" not in project.tables()
    assert posts(project) == POSTS


def test_making_a_column_nullable(project: Project) -> None:
    started(project)
    migrations = project.migrations(blog(author={"name": fields.String(max_length=100, null=True)}))
    made = migrations.make()
    assert made is not None
    assert made.changes == ["alter blog_author.name"]
    migrations.migrate()
    assert project.columns("blog_author")["name"] is True
    project.execute("INSERT INTO blog_author (id, name) VALUES (2, NULL)")
    assert project.execute("SELECT id, name FROM blog_author ORDER BY id") == [(1, "ann"), (2, None)]
    assert posts(project) == POSTS

    project.execute("DELETE FROM blog_author WHERE id = 2")
    migrations.downgrade("app_0001")
    assert project.columns("blog_author")["name"] is False
    assert posts(project) == POSTS


def test_migrate_goes_down_to_an_applied_target_and_up_again(project: Project) -> None:
    started(project)
    migrations = project.migrations(blog(post={"draft": fields.Boolean(default=False)}))
    migrations.make()
    migrations.migrate()
    assert migrations.migrate("app_0002") == []

    assert [(s.id, s.up) for s in migrations.migrate("app_0001")] == [("app_0002", False)]
    status = migrations.status()["app"]
    assert [(r.id, r.applied) for r in status] == [("app_0001", True), ("app_0002", False)]
    assert migrations.current() == ("app_0001",)

    assert [(s.id, s.up) for s in migrations.migrate("app_0002")] == [("app_0002", True)]
    assert migrations.previous() == "app_0001"
    assert [s.id for s in migrations.downgrade("base")] == ["app_0002", "app_0001"]
    assert project.tables() == {"vivace_migrations"}
    with pytest.raises(MigrationError, match="nothing to undo"):
        migrations.previous()


def test_status_lists_each_revision_oldest_first(project: Project) -> None:
    migrations = project.migrations(blog())
    assert migrations.status() == {"app": []}
    migrations.make()
    second = project.migrations(blog(post={"draft": fields.Boolean(default=False)}))
    second.migrate()
    second.make("drafts")
    status = second.status()["app"]
    assert [(r.id, r.message, r.applied) for r in status] == [
        ("app_0001", "initial", True),
        ("app_0002", "drafts", False),
    ]
    assert status[1].path.name == "0002_drafts.py"


def test_new_revisions_need_a_migrated_database(project: Project) -> None:
    project.migrations(blog()).make()
    migrations = project.migrations(blog(post={"draft": fields.Boolean(default=False)}))
    with pytest.raises(MigrationError, match="Run vivace migrate first"):
        migrations.make()
    assert [p.name for p in (project.root / "migrations").glob("*.py")] == ["0001_initial.py"]


def test_an_unknown_target_is_named(project: Project) -> None:
    migrations = started(project)
    with pytest.raises(MigrationError, match="app_9999"):
        migrations.migrate("app_9999")
    with pytest.raises(MigrationError, match="no migration branch 'shop'"):
        migrations.make(branch="shop")


def test_two_files_with_one_revision_id_are_an_error(project: Project) -> None:
    migrations = started(project)
    folder = project.root / "migrations"
    shutil.copy(folder / "0001_initial.py", folder / "0001_initial_copy.py")
    with pytest.raises(MigrationError, match="declare the same revision"):
        migrations.status()


def test_a_failing_revision_is_rolled_back(project: Project) -> None:
    migrations = started(project)
    broken = project.migrations(blog(post={"draft": fields.Boolean(default=False)}))
    made = broken.make()
    assert made is not None
    source = made.path.read_text().replace(
        "def downgrade() -> None:",
        "    op.execute('SELECT * FROM no_such_table')\n\n\ndef downgrade() -> None:",
    )
    made.path.write_text(source)
    with pytest.raises(MigrationError, match="failed") as caught:
        broken.migrate()
    assert "no_such_table" in str(caught.value)
    assert "draft" not in project.columns("blog_post")
    assert migrations.current() == ("app_0001",)
    assert posts(project) == POSTS


def test_fake_records_without_running(project: Project) -> None:
    migrations = project.migrations(blog())
    migrations.make()
    project.apps[-1].db.create_all()
    steps = migrations.migrate(fake=True)
    assert [(s.id, s.fake) for s in steps] == [("app_0001", True)]
    assert migrations.current() == ("app_0001",)
    assert migrations.changes() == []


def test_the_version_table_can_be_renamed(project: Project) -> None:
    migrations = project.migrations(blog(), version_table="schema_history")
    migrations.make()
    migrations.migrate()
    assert "schema_history" in project.tables()
    assert "vivace_migrations" not in project.tables()
    assert migrations.changes() == []


def test_a_table_created_outside_the_models_is_dropped_by_the_project(project: Project) -> None:
    migrations = started(project)
    project.execute("CREATE TABLE leftover (id INTEGER PRIMARY KEY)")
    assert migrations.changes() == ["drop leftover"]


def test_an_empty_revision_for_a_data_migration(project: Project) -> None:
    migrations = started(project)
    made = migrations.make("capitalize names", empty=True)
    assert made is not None
    assert (made.id, made.path.name, made.changes) == ("app_0002", "0002_capitalize_names.py", [])
    source = made.path.read_text()
    assert "def upgrade() -> None:\n    pass\n" in source
    made.path.write_text(
        source.replace(
            "def upgrade() -> None:\n    pass\n",
            'def upgrade() -> None:\n    op.execute("UPDATE blog_author SET name = upper(name)")\n',
        )
    )
    assert [s.id for s in migrations.migrate()] == ["app_0002"]
    assert project.execute("SELECT name FROM blog_author") == [("ANN",)]
    assert migrations.make() is None
