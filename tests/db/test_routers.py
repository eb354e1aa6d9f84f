"""A router sends reads to a replica and writes to the primary; the settings that name databases."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from vivace import App
from vivace.core.exceptions import ConfigError
from vivace.db import CASCADE, Router, fields

from .multidb import ReplicaRouter, Setup, where


def declare(setup: Setup) -> tuple[Any, Any]:
    class Author(setup.Model):
        name = fields.String(max_length=50)

    class Post(setup.Model):
        title = fields.String(max_length=50)
        author = fields.ForeignKey(Author, on_delete=CASCADE, related_name="posts")

    return Author, Post


def router_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    """A module ``site_routers`` holding ``body``, importable for this test only."""
    (tmp_path / "site_routers.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "site_routers", raising=False)


def test_reads_go_to_the_replica_and_writes_to_the_primary(multi: Setup) -> None:
    Author, Post = declare(multi)
    multi.start(replica=True)
    multi.app.db.router = ReplicaRouter()
    with multi.queries() as sql:
        author = Author.objects.create(name="ann")
        Post.objects.create(title="p", author=author)
    assert where(sql) == ["default", "default"]
    with multi.queries() as sql:
        found = Author.objects.get(pk=author.pk)
        assert [p.title for p in found.posts.all()] == ["p"]
        post = Post.objects.select_related("author").get(title="p")
        assert post.author.name == "ann"
        assert Post.objects.prefetch_related("author").count() == 1
        assert Author.objects.filter(name="ann").exists()
    assert set(where(sql)) == {"replica"}
    assert found._state.db == "replica"
    with multi.queries() as sql:
        # An instance read from the replica is written to the primary, as the router says.
        found.name = "ann b"
        found.save()
        assert Author.objects.filter(pk=found.pk).update(name="ann c") == 1
        _, created = Author.objects.get_or_create(name="ann c")
        Post.objects.filter(title="p").delete()
    assert not created
    assert where(sql) == ["default"] * 4
    # Pointing a new row at one read from the replica is fine: both are written to the primary.
    with multi.queries() as sql:
        Post.objects.create(title="q", author=found)
    assert where(sql) == ["default"]


def test_async_reads_and_writes_are_routed(multi: Setup) -> None:
    Author, Post = declare(multi)
    multi.start(replica=True)
    multi.app.db.router = ReplicaRouter()

    async def main() -> list[Any]:
        author = await Author.objects.acreate(name="ann")
        fetched = await Author.objects.aget(pk=author.pk)
        titles = [p.title async for p in Post.objects.filter(author=fetched)]
        fetched.name = "bo"
        await fetched.asave()
        await fetched.arefresh_from_db()
        return [fetched.name, titles, await Author.objects.acount()]

    with multi.queries() as sql:
        assert multi.run(main()) == ["bo", [], 1]
    assert where(sql) == ["default", "replica", "replica", "default", "replica", "replica"]


def test_router_returning_none_falls_through(multi: Setup) -> None:
    class OnlyWrites(Router):
        def db_for_write(self, model: Any) -> str | None:
            return "default"

    class Note(multi.Model):
        text = fields.String(max_length=20)

        class Meta:
            database = "other"

    Author, _ = declare(multi)
    multi.start(replica=True)
    multi.app.db.router = OnlyWrites()
    with multi.queries() as sql:
        Author.objects.create(name="a")
        assert Author.objects.count() == 1
        assert Note.objects.count() == 0
    # Reads fall through to Meta.database, then "default".
    assert where(sql) == ["default", "default", "other"]


def test_router_from_the_setting(multi: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    router_module(
        tmp_path,
        monkeypatch,
        "class Reads:\n"
        "    def db_for_read(self, model):\n        return 'replica'\n"
        "    def db_for_write(self, model):\n        return None\n",
    )
    Author, _ = declare(multi)
    multi.start(replica=True, database_router="site_routers:Reads")
    with multi.queries() as sql:
        Author.objects.create(name="a")
        assert Author.objects.get(name="a").name == "a"
    assert where(sql) == ["default", "replica"]


def test_router_naming_an_unknown_database_is_an_error(multi: Setup) -> None:
    class Lost(Router):
        def db_for_read(self, model: Any) -> str | None:
            return "archive"

    Author, _ = declare(multi)
    multi.start()
    multi.app.db.router = Lost()
    with pytest.raises(ConfigError, match=r"db_for_read\(Author\) returned 'archive'.*'default', 'other'"):
        Author.objects.count()


def test_a_router_needs_both_methods(multi: Setup) -> None:
    declare(multi)
    multi.start()

    class Half:
        def db_for_read(self, model: Any) -> str | None:
            return None

    with pytest.raises(ConfigError, match=r"app.db.router: a router needs methods .* no db_for_write\(\)"):
        multi.app.db.router = Half()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nowhere", "name a class or an object as 'package.module:Router'"),
        ("no_such_module_here:Router", "cannot import 'no_such_module_here'"),
        ("site_routers:Missing", "module 'site_routers' has no 'Missing'"),
        ("site_routers:NotARouter", "a router needs methods"),
    ],
)
def test_bad_database_router_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    router_module(tmp_path, monkeypatch, "NotARouter = 3\n")
    app = App("t", root=tmp_path, database_router=value)
    with pytest.raises(ConfigError, match=f"setting database_router = {value!r}.*{message}"):
        app.db  # noqa: B018


def test_databases_from_the_environment_and_the_toml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "VIVACE_DATABASES", f"replica=sqlite:///{tmp_path / 'r.sqlite3'}, other=sqlite:///o.sqlite3"
    )
    app = App("t", root=tmp_path)
    assert sorted(app.db.databases) == ["default", "other", "replica"]
    assert app.db.named("replica").url.database == str(tmp_path / "r.sqlite3")
    monkeypatch.delenv("VIVACE_DATABASES")
    (tmp_path / "vivace.toml").write_text('[vivace.databases]\narchive = "sqlite:///archive.sqlite3"\n')
    app = App("t", root=tmp_path)
    assert sorted(app.db.databases) == ["archive", "default"]
    assert app.db.named("archive").name == "archive"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"databases": {"replica": "mysql://x/y"}},
            r"setting databases\['replica'\]: .*unsupported database 'mysql'",
        ),
        ({"databases": {"replica": "::not a url"}}, r"setting databases\['replica'\]: .*not a valid URL"),
        ({"databases": {"the replica": "sqlite://"}}, "setting databases has the name 'the replica'"),
        ({"databases": {"replica": ""}}, r"setting databases\['replica'\] = '' is invalid"),
        ({"databases": ["sqlite://"]}, "setting databases = .* is invalid"),
        (
            {"database_url": "sqlite:///a.db", "databases": {"default": "sqlite:///b.db"}},
            r"setting databases\['default'\] = 'sqlite:///b.db' differs from database_url",
        ),
    ],
)
def test_bad_databases_setting(tmp_path: Path, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        App("t", root=tmp_path, **settings).db  # noqa: B018


def test_bad_databases_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIVACE_DATABASES", "replica")
    with pytest.raises(ConfigError, match=r"setting databases = .*from VIVACE_DATABASES.* is invalid"):
        App("t", root=tmp_path)


def test_default_may_be_named_in_databases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'main.sqlite3'}"
    app = App("t", root=tmp_path, databases={"default": url})
    assert app.db.database.url.database == str(tmp_path / "main.sqlite3")
    assert list(app.db.databases) == ["default"]


def test_named_databases_are_checked_at_start_up(tmp_path: Path) -> None:
    app = App("t", root=tmp_path, databases={"replica": "mysql://x/y"})
    with pytest.raises(ConfigError, match=r"setting databases\['replica'\]"):
        app.prepare()
    app = App("t", root=tmp_path, database_router="no_such_module_here:Router")
    with pytest.raises(ConfigError, match="setting database_router"):
        app.prepare()
