"""Each named database has its own migration history, holding the tables of the models it serves."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from vivace import App
from vivace.cli import cli
from vivace.core.exceptions import ConfigError
from vivace.db import CASCADE, ForeignKey, Registry, fields
from vivace.db.migrations import Migrations

APP = """
from vivace import App
from vivace.db import Registry, fields

registry = Registry()


class Author(registry.Model):
    name = fields.String(max_length=100)

    class Meta:
        label = "blog"


class Note(registry.Model):
    text = fields.String(max_length=100)

    class Meta:
        label = "blog"
        database = "other"


app = App(__name__, database_url={default!r}, databases={{"other": {other!r}}})
app.db.use(registry)
"""


def blog() -> Registry:
    registry = Registry()
    meta = {"label": "blog"}
    author = type("Author", (registry.Model,), {
        "__module__": __name__,
        "name": fields.String(max_length=100),
        "Meta": type("Meta", (), meta),
    })  # fmt: skip
    type("Post", (registry.Model,), {
        "__module__": __name__,
        "author": ForeignKey(author, on_delete=CASCADE),
        "Meta": type("Meta", (), meta),
    })  # fmt: skip
    type("Note", (registry.Model,), {
        "__module__": __name__,
        "text": fields.String(max_length=100),
        "Meta": type("Meta", (), {**meta, "database": "other"}),
    })  # fmt: skip
    return registry


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Iterator[App]:
    made = App(
        "t", root=tmp_path, database_url=database_url, databases={"other": f"sqlite:///{tmp_path}/o.db"}
    )
    made.db.use(blog())
    try:
        yield made
    finally:
        for database in made.db.databases.values():
            database.close()


def tables(app: App, name: str) -> set[str]:
    return set(sa.inspect(app.db.named(name).engine).get_table_names())


def test_each_database_migrates_its_own_models(app: App, tmp_path: Path) -> None:
    default = Migrations.for_app(app)
    made = default.make()
    assert made is not None and made.changes == ["create blog_author", "create blog_post"]
    other = Migrations.for_app(app, database="other")
    made_other = other.make()
    assert made_other is not None and made_other.changes == ["create blog_note"]
    assert made_other.path.parent == tmp_path / "migrations" / "other"
    assert [s.id for s in default.migrate()] == ["app_0001"]
    assert [s.id for s in other.migrate()] == ["app_0001"]
    assert tables(app, "default") == {"blog_author", "blog_post", "vivace_migrations"}
    assert tables(app, "other") == {"blog_note", "vivace_migrations"}
    # Neither sees the other's tables as changes.
    assert default.changes() == [] and other.changes() == []
    assert default.make() is None and other.make() is None


def test_an_unknown_database_is_named(app: App) -> None:
    with pytest.raises(
        ConfigError, match="no database named 'nope'; the configured databases are: 'default', 'other'"
    ):
        Migrations.for_app(app, database="nope")


def test_the_commands_take_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app.py").write_text(
        APP.format(default=f"sqlite:///{tmp_path}/d.db", other=f"sqlite:///{tmp_path}/o.db"), "utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = CliRunner(env={"VIVACE_APP": None, "VIVACE_DEBUG": None})

    def run(*args: str, code: int = 0) -> str:
        sys.modules.pop("app", None)
        result = runner.invoke(cli, [*args, "--app", "app:app"])
        assert result.exit_code == code, result.output
        return result.output

    assert run("makemigrations", "--database", "other") == (
        "Wrote migrations/other/0001_initial.py (app_0001):\n  - create blog_note\n"
    )
    assert run("showmigrations", "--database", "other") == "app\n [ ] app_0001  initial\n"
    assert run("migrate", "--database", "other") == "Applied app_0001  initial\n"
    assert run("showmigrations", "--database", "other") == "app\n [X] app_0001  initial\n"
    assert run("makemigrations") == "Wrote migrations/0001_initial.py (app_0001):\n  - create blog_author\n"
    assert run("migrate") == "Applied app_0001  initial\n"
    assert run("downgrade", "base", "--database", "other") == "Undid app_0001  initial\n"
    assert "no database named 'nope'" in run("migrate", "--database", "nope", code=1)
    sys.modules.pop("app", None)
