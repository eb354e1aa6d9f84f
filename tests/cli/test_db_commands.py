"""The database commands on an app.py of models: migrations and fixtures, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from migrations.support import Server, default_models_elsewhere, shared_server
from vivace.cli import cli
from vivace.db.migrations import unregister

from .conftest import WriteFile

MODELS = """
from pathlib import Path

from vivace import App
from vivace.db import CASCADE, ForeignKey, ManyToMany, Registry, fields

registry = Registry()


class Tag(registry.Model):
    slug = fields.Slug()


class Author(registry.Model):
    name = fields.String(max_length=100)
{author}

class Post(registry.Model):
    author = ForeignKey(Author, on_delete=CASCADE, related_name="posts")
    title = fields.String(max_length=50)
    tags = ManyToMany(Tag, related_name="posts")

{extra}
app = App(__name__, database_url={url!r})
app.db.use(registry)
"""

FIXTURE = [
    {"model": "app.tag", "pk": 1, "fields": {"slug": "news"}},
    {"model": "app.author", "pk": 1, "fields": {"name": "ann"}},
    {"model": "app.post", "pk": 1, "fields": {"author": 1, "title": "Hello", "tags": [1]}},
]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    with shared_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db.sqlite3'}"
        return
    server: Server = request.getfixturevalue("postgres")
    with server.database() as url:
        yield url


@pytest.fixture(autouse=True)
def own_models_only() -> Iterator[None]:
    with default_models_elsewhere():
        yield


class Project:
    """An app.py in the current folder, rewritten as its models change, and the commands run on it."""

    def __init__(self, runner: CliRunner, write: WriteFile, url: str) -> None:
        self.runner = runner
        self.write = write
        self.url = url

    def models(self, *, author: str = "", extra: str = "") -> None:
        self.write("app.py", MODELS.format(author=author, extra=extra, url=self.url))

    def run(self, *args: str, code: int = 0) -> Result:
        sys.modules.pop("app", None)  # each command imports the current app.py
        result = self.runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, result.output
        return result


@pytest.fixture
def project(runner: CliRunner, write: WriteFile, in_tmp: Path, database_url: str) -> Project:
    found = Project(runner, write, database_url)
    found.models()
    return found


def test_migrations_from_the_first_to_undoing_them(project: Project, in_tmp: Path) -> None:
    made = project.run("makemigrations")
    assert made.output == (
        "Wrote migrations/0001_initial.py (app_0001):\n"
        "  - create app_tag\n"
        "  - create app_author\n"
        "  - create app_post\n"
        "  - create app_post_tags\n"
    )
    assert (in_tmp / "migrations" / "0001_initial.py").is_file()
    assert project.run("showmigrations").output == "app\n [ ] app_0001  initial\n"
    assert project.run("migrate").output == "Applied app_0001  initial\n"
    assert project.run("showmigrations").output == "app\n [X] app_0001  initial\n"
    assert project.run("migrate").output == "Nothing to do: the database is up to date.\n"
    assert (
        project.run("makemigrations").output
        == "No changes: the migrations match the models; nothing written.\n"
    )

    project.models(author='    bio = fields.Text(default="")\n')
    made = project.run("makemigrations", "-m", "author bio")
    assert made.output == "Wrote migrations/0002_author_bio.py (app_0002):\n  - add app_author.bio\n"
    assert project.run("migrate").output == "Applied app_0002  author bio\n"
    assert project.run("showmigrations").output == "app\n [X] app_0001  initial\n [X] app_0002  author bio\n"

    assert project.run("migrate", "--down").output == "Undid app_0002  author bio\n"
    assert project.run("migrate", "app_0002").output == "Applied app_0002  author bio\n"
    assert project.run("migrate", "app_0001").output == "Undid app_0002  author bio\n"
    assert project.run("downgrade", "base").output == "Undid app_0001  initial\n"
    assert project.run("downgrade", "base").output == "Nothing to undo.\n"
    assert project.run("showmigrations").output == "app\n [ ] app_0001  initial\n [ ] app_0002  author bio\n"


def test_migrate_mentions_model_changes_not_in_a_migration(project: Project) -> None:
    project.run("makemigrations")
    project.run("migrate")
    project.models(author="    age = fields.Integer(null=True)\n")
    result = project.run("migrate")
    assert result.stdout == "Nothing to do: the database is up to date.\n"
    assert "the models have changes not in a migration (add app_author.age)" in result.stderr
    assert project.run("makemigrations", "--check", code=1).output == (
        "The models have changes not in a migration: add app_author.age\n"
    )
    project.run("makemigrations")
    project.run("migrate")
    assert project.run("makemigrations", "--check").output == "No changes: the migrations match the models.\n"


def test_a_battery_branch(project: Project, in_tmp: Path) -> None:
    battery = (
        "from vivace.db.migrations import register\n\n"
        'register("shop", Path(__file__).parent / "shop" / "migrations")\n\n\n'
        "class Item(registry.Model):\n"
        "    class Meta:\n"
        '        label = "shop"\n\n'
        "    sku = fields.String(max_length=20)\n"
        "    author = ForeignKey(Author, on_delete=CASCADE)\n"
    )
    project.models(extra=battery)
    try:
        # The battery's own revisions refer to the project's tables: the project's come first.
        project.run("makemigrations")
        shop = project.run("makemigrations", "--branch", "shop")
        assert shop.output == "Wrote shop/migrations/0001_initial.py (shop_0001):\n  - create shop_item\n"
        assert "depends_on = 'app_0001'" in (in_tmp / "shop" / "migrations" / "0001_initial.py").read_text()
        assert project.run("migrate").output == "Applied app_0001  initial\nApplied shop_0001  initial\n"
        assert project.run("showmigrations").output == (
            "app\n [X] app_0001  initial\nshop\n [X] shop_0001  initial\n"
        )
        assert project.run("makemigrations").output.startswith("No changes")
        assert (
            project.run("downgrade", "app@base").output
            == "Undid shop_0001  initial\nUndid app_0001  initial\n"
        )
    finally:
        unregister("shop")


def test_dumpdata_and_loaddata(project: Project, in_tmp: Path) -> None:
    project.run("makemigrations")
    project.run("migrate")
    (in_tmp / "blog.json").write_text(json.dumps(FIXTURE))
    assert project.run("loaddata", "blog.json").output == "Loaded 3 records from 1 file.\n"

    dumped = json.loads(project.run("dumpdata").stdout)
    assert dumped == FIXTURE
    assert json.loads(project.run("dumpdata", "app.tag", "--indent", "0").stdout) == FIXTURE[:1]
    result = project.run("dumpdata", "app", "-o", "out.json")
    assert result.stderr == "Wrote out.json\n"
    assert json.loads((in_tmp / "out.json").read_text()) == FIXTURE

    # Loading again updates the same rows.
    assert project.run("loaddata", "out.json", "blog.json").output == "Loaded 6 records from 2 files.\n"
    assert json.loads(project.run("dumpdata").stdout) == FIXTURE


def test_a_bad_fixture_loads_nothing(project: Project, in_tmp: Path) -> None:
    project.run("makemigrations")
    project.run("migrate")
    (in_tmp / "good.json").write_text(json.dumps(FIXTURE))
    bad = [
        {"model": "app.author", "pk": 2, "fields": {"name": "bob"}},
        {"model": "app.post", "fields": {"title": 5}},
    ]
    (in_tmp / "bad.json").write_text(json.dumps(bad))
    result = project.run("loaddata", "good.json", "bad.json", code=1)
    assert "Error: bad.json, record 1 (app.post): field 'author': This field cannot be null." in result.output
    assert json.loads(project.run("dumpdata").stdout) == []

    (in_tmp / "broken.json").write_text("[{")
    assert "Error: broken.json: not valid JSON" in project.run("loaddata", "broken.json", code=1).output
    assert "does not exist" in project.run("loaddata", "missing.json", code=2).output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["migrate", "app_9999"], 1, "Error: there is no revision 'app_9999'"),
        (
            ["makemigrations", "--branch", "shop"],
            1,
            "Error: there is no migration branch 'shop'; the branches are: app",
        ),
        (["migrate", "--down"], 1, "Error: no revision of branch 'app' is applied: there is nothing to undo"),
        (["migrate", "--down", "--fake"], 2, "--fake records applied migrations"),
        (["dumpdata", "shop"], 1, "Error: there is no app or model 'shop'; apps: app;"),
        (["downgrade"], 2, "Missing argument 'REVISION'"),
        # Not migrated yet: the tables are missing.
        (["dumpdata"], 1, "app_tag"),
    ],
)
def test_bad_input_is_a_clear_error(project: Project, args: list[str], code: int, message: str) -> None:
    project.run("makemigrations")
    assert message in project.run(*args, code=code).output


def test_a_database_that_is_not_reachable(runner: CliRunner, write: WriteFile, in_tmp: Path) -> None:
    project = Project(runner, write, "postgresql://nobody@127.0.0.1:1/none")
    project.models()
    for command in ("makemigrations", "migrate", "showmigrations"):
        result = project.run(command, code=1)
        assert result.output.startswith("Error: database postgresql://nobody@127.0.0.1:1/none: "), (
            result.output
        )


def test_no_app_to_work_on(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 1
    assert "no app found" in result.output
