"""Several named databases: Meta.database, using(), save/delete(using=), atomic(using=), a router."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from vivace.core.exceptions import ConfigError
from vivace.db import CASCADE, atomic, fields

from .multidb import Setup, where


def declare(setup: Setup) -> tuple[Any, Any, Any]:
    """Authors and posts on the default database, archived notes on "other"."""

    class Author(setup.Model):
        name = fields.String(max_length=50)

    class Post(setup.Model):
        title = fields.String(max_length=50)
        author = fields.ForeignKey(Author, on_delete=CASCADE, related_name="posts")

    class Note(setup.Model):
        text = fields.String(max_length=50)

        class Meta:
            database = "other"

    return Author, Post, Note


def tables(setup: Setup, name: str) -> set[str]:
    return set(sa.inspect(setup.app.db.named(name).engine).get_table_names())


def test_create_all_puts_each_table_in_its_database(multi: Setup) -> None:
    Author, Post, Note = declare(multi)
    multi.start()
    assert tables(multi, "default") >= {Author._meta.table_name, Post._meta.table_name}
    assert Note._meta.table_name not in tables(multi, "default")
    assert tables(multi, "other") == {Note._meta.table_name}


def test_meta_database_serves_the_model(multi: Setup) -> None:
    Author, _, Note = declare(multi)
    multi.start()
    with multi.queries() as sql:
        note = Note.objects.create(text="kept")
        assert Note.objects.get(pk=note.pk).text == "kept"
        assert Note.objects.filter(text="kept").count() == 1
        note.text = "changed"
        note.save()
        Author.objects.create(name="ann")
        assert note.delete() == 1
    assert where(sql) == ["other", "other", "other", "other", "default", "other"]
    assert note._state.db == "other"


def test_using_reads_and_writes_another_database(multi: Setup) -> None:
    Author, _, _ = declare(multi)
    multi.start()
    other = multi.app.db.named("other")
    other.create_all(multi.registry.metadata, [Author._meta.table])
    Author.objects.create(name="on default")
    with multi.queries() as sql:
        elsewhere = Author(name="on other")
        elsewhere.save(using="other")
        assert [a.name for a in Author.objects.using("other")] == ["on other"]
        found = Author.objects.using("other").get(pk=elsewhere.pk)
        # An instance read from a database is saved back to it.
        found.name = "renamed"
        found.save()
        assert Author.objects.using("other").values_list("name", flat=True).first() == "renamed"
        assert Author.objects.using("other").filter(name="renamed").update(name="again") == 1
        assert found.delete() == 1
    assert set(where(sql)) == {"other"}
    assert found._state.db == "other"
    assert [a.name for a in Author.objects.all()] == ["on default"]
    created, made = Author.objects.using("other").get_or_create(name="fresh")
    assert made and created._state.db == "other"
    assert Author.objects.using("other").count() == 1
    assert Author.objects.count() == 1
    bulk = Author.objects.using("other").bulk_create([Author(name="b1"), Author(name="b2")])
    assert {a._state.db for a in bulk} == {"other"}
    assert Author.objects.using("other").count() == 3
    assert Author.objects.using("other").delete() == 3


def test_async_forms_follow_the_database(multi: Setup) -> None:
    Author, _, Note = declare(multi)
    multi.start()
    multi.app.db.named("other").create_all(multi.registry.metadata, [Author._meta.table])

    async def main() -> list[Any]:
        note = await Note.objects.acreate(text="a")
        fetched = await Note.objects.aget(pk=note.pk)
        author = Author(name="async")
        await author.asave(using="other")
        names = [a.name async for a in Author.objects.using("other")]
        count = await Author.objects.using("other").acount()
        deleted = await author.adelete(using="other")
        await fetched.adelete()
        return [fetched.text, names, count, deleted, await Note.objects.acount()]

    with multi.queries() as sql:
        assert multi.run(main()) == ["a", ["async"], 1, 1, 0]
    assert set(where(sql)) == {"other"}


def test_atomic_using_a_named_database(multi: Setup) -> None:
    _, _, Note = declare(multi)
    multi.start()
    with pytest.raises(RuntimeError), multi.app.db.atomic("other"):
        Note.objects.create(text="undone")
        raise RuntimeError("roll back")
    with multi.queries() as sql, multi.app.db.atomic("other"):
        Note.objects.create(text="kept")
    assert Note.objects.count() == 1
    # BEGIN and COMMIT are the backend's own; the insert ran on the block's connection.
    assert where(sql) == ["other"]

    async def main() -> int:
        with pytest.raises(RuntimeError):
            async with multi.app.db.atomic("other"):
                await Note.objects.acreate(text="undone too")
                raise RuntimeError("roll back")
        return await Note.objects.acount()

    assert multi.run(main()) == 1


def test_atomic_refuses_what_names_no_database() -> None:
    with (
        pytest.raises(ConfigError, match=r"atomic\(using=2.5\): expected a database's name"),
        atomic(using=2.5),
    ):
        pass


def test_relations_load_from_the_instances_database(multi: Setup) -> None:
    Author, Post, _ = declare(multi)
    multi.start()
    other = multi.app.db.named("other")
    other.create_all(multi.registry.metadata, [Author._meta.table, Post._meta.table])
    author = Author(name="there")
    author.save(using="other")
    Post(title="p", author=author).save(using="other")
    post = Post.objects.using("other").get(title="p")
    with multi.queries() as sql:
        assert post.author.name == "there"
        assert [p.title for p in author.posts.all()] == ["p"]
        prefetched = Author.objects.using("other").prefetch_related("posts").get(pk=author.pk)
        joined = Post.objects.using("other").select_related("author").get(pk=post.pk)
    assert [p.title for p in prefetched.posts.all()] == ["p"]
    assert joined.author.name == "there"
    assert set(where(sql)) == {"other"}


def test_cross_database_relation_is_refused(multi: Setup) -> None:
    Author, _, _ = declare(multi)

    class Remark(multi.Model):
        author = fields.ForeignKey(Author, on_delete=CASCADE)

        class Meta:
            database = "other"

    with pytest.raises(
        ConfigError, match=r"Remark.author: Remark is on database 'other' and Author on 'default'"
    ):
        multi.start()


def test_assigning_a_row_of_another_database_is_refused(multi: Setup) -> None:
    Author, Post, _ = declare(multi)
    multi.start()
    multi.app.db.named("other").create_all(multi.registry.metadata, [Author._meta.table])
    stranger = Author(name="elsewhere")
    stranger.save(using="other")
    local = Author.objects.create(name="here")
    post = Post.objects.create(title="ok", author=local)
    with pytest.raises(ValueError, match=r"Post.author: cannot point at Author .* of database 'other'"):
        post.author = stranger
    # A new post follows the author it points at.
    assert Post(title="new", author=stranger)._state.db == "other"


def test_unknown_database_names_are_errors_listing_the_configured_ones(multi: Setup) -> None:
    Author, _, _ = declare(multi)
    multi.start()
    listing = "the configured databases are: 'default', 'other'"
    with pytest.raises(ConfigError, match=f"no database named 'nope'; {listing}"):
        Author.objects.using("nope")
    with pytest.raises(ConfigError, match="no database named 'nope'"):
        Author(name="x").save(using="nope")
    with pytest.raises(ConfigError, match="no database named 'nope'"):
        multi.run(Author(name="x").asave(using="nope"))
    with pytest.raises(ConfigError, match="no database named 'nope'"):
        multi.app.db.atomic("nope")
    with pytest.raises(ConfigError, match="no database named 'nope'"):
        multi.app.db.named("nope")


def test_meta_database_must_be_configured(multi: Setup) -> None:
    class Lost(multi.Model):
        class Meta:
            database = "archive"

    with pytest.raises(ConfigError, match=r"Meta.database = 'archive' is not a configured database"):
        multi.start()


def test_meta_database_must_be_a_name(multi: Setup) -> None:
    with pytest.raises(ConfigError, match=r"Meta.database must be a database name"):

        class Wrong(multi.Model):
            class Meta:
                database = 3


def test_fixtures_dump_and_load_each_models_database(multi: Setup) -> None:
    from vivace.db.fixtures import dump, load

    Author, _, Note = declare(multi)
    multi.start()
    Author.objects.create(name="ann")
    Note.objects.create(text="kept")
    records = dump(multi.registry)
    assert {(r["model"], tuple(r["fields"].values())) for r in records} == {
        ("test_databases.author", ("ann",)),
        ("test_databases.note", ("kept",)),
    }
    Author.objects.all().delete()
    Note.objects.all().delete()
    with multi.queries() as sql:
        assert load(multi.registry, records) == 2
    assert sorted(set(where(sql))) == ["default", "other"]
    assert [n.text for n in Note.objects.all()] == ["kept"]
    assert [a.name for a in Author.objects.all()] == ["ann"]


def test_using_none_leaves_the_choice_to_the_model(multi: Setup) -> None:
    _, _, Note = declare(multi)
    multi.start()
    Note.objects.create(text="n")
    with multi.queries() as sql:
        assert Note.objects.using("default").using(None).count() == 1
    assert where(sql) == ["other"]


def test_atomic_by_name_on_the_default_registry(multi: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    from vivace.db import default_registry

    _, _, Note = declare(multi)
    multi.start()
    # As when the app serving the default registry's models has these databases.
    monkeypatch.setattr(default_registry, "database", multi.app.db.database)
    monkeypatch.setattr(default_registry, "databases", multi.app.db.databases)
    with pytest.raises(RuntimeError), atomic(using="other"):
        Note.objects.create(text="undone")
        raise RuntimeError("roll back")
    assert Note.objects.count() == 0
    with pytest.raises(ConfigError, match="no database named 'nope'"), atomic(using="nope"):
        pass
