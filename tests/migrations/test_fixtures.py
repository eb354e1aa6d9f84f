"""Fixtures on SQLite and PostgreSQL: every kind of value round-trips; a bad record loads nothing."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from vivace.db import CASCADE, SET_NULL, ForeignKey, ManyToMany, Registry, fields
from vivace.db.fixtures import FixtureError, decode, dump, encode, load

from .conftest import Project

TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")


@dataclass
class Blog:
    registry: Registry
    Author: Any
    Tag: Any
    Post: Any
    Club: Any
    Membership: Any


def declare(registry: Registry, name: str, /, **members: Any) -> Any:
    members.setdefault("Meta", type("Meta", (), {"label": "blog"}))
    return type(name, (registry.Model,), {"__module__": __name__, **members})


@pytest.fixture
def blog(project: Project) -> Blog:
    registry = Registry()
    author = declare(
        registry,
        "Author",
        name=fields.String(max_length=100, unique=True),
        mentor=ForeignKey("self", on_delete=SET_NULL, null=True, related_name="mentees"),
        clubs=ManyToMany("Club", through="Membership", related_name="members"),
    )
    club = declare(registry, "Club", name=fields.String(max_length=20))
    membership = declare(
        registry,
        "Membership",
        club=ForeignKey(club, on_delete=CASCADE, related_name="memberships"),
        author=ForeignKey(author, on_delete=CASCADE, related_name="memberships"),
        role=fields.String(max_length=20, default="member"),
    )
    tag = declare(registry, "Tag", slug=fields.Slug())
    post = declare(
        registry,
        "Post",
        author=ForeignKey(author, on_delete=CASCADE, related_name="posts"),
        title=fields.String(max_length=50),
        price=fields.Decimal(max_digits=8, decimal_places=2, null=True),
        ratio=fields.Float(null=True),
        views=fields.BigInteger(default=0),
        published=fields.Boolean(default=False),
        day=fields.Date(null=True),
        clock=fields.Time(null=True),
        created=fields.DateTime(auto_now_add=True),
        updated=fields.DateTime(auto_now=True),
        token=fields.UUID(null=True),
        data=fields.JSON(null=True),
        blob=fields.Binary(null=True),
        tags=ManyToMany(tag, related_name="posts"),
    )
    project.app(registry).db.create_all()
    return Blog(registry, author, tag, post, club, membership)


def fill(blog: Blog) -> None:
    ann = blog.Author.objects.create(name="ann")
    blog.Author.objects.create(name="bob", mentor=ann)
    first, second = blog.Tag.objects.create(slug="first"), blog.Tag.objects.create(slug="second")
    post = blog.Post.objects.create(
        author=ann,
        title="Hello",
        price=decimal.Decimal("3.50"),
        ratio=0.25,
        views=2**40,
        published=True,
        day=dt.date(2024, 2, 29),
        clock=dt.time(23, 59, 58, 123456),
        token=TOKEN,
        data={"list": [1, None, "x"], "nested": {"ok": True}},
        blob=b"\x00\xff binary",
    )
    post.tags.add(second, first)
    blog.Post.objects.create(author=ann, title="Bare")
    club = blog.Club.objects.create(name="chess")
    blog.Membership.objects.create(club=club, author=ann, role="captain")


def empty(blog: Blog) -> None:
    for model in (blog.Membership, blog.Club, blog.Post, blog.Tag, blog.Author):
        model.objects.all().delete()


def test_every_kind_of_value_round_trips(blog: Blog) -> None:
    fill(blog)
    records = dump(blog.registry)
    # Each model after those its foreign keys point at, each model's rows by primary key.
    assert [r["model"] for r in records] == [
        "blog.author",
        "blog.author",
        "blog.club",
        "blog.membership",
        "blog.tag",
        "blog.tag",
        "blog.post",
        "blog.post",
    ]
    ann, bob = records[0:2]
    first, second, post, bare = records[4:8]
    values = post["fields"]
    assert values["author"] == ann["pk"]
    assert values["price"] == "3.50"
    assert values["ratio"] == 0.25
    assert values["views"] == 2**40
    assert values["published"] is True
    assert values["day"] == "2024-02-29"
    assert values["clock"] == "23:59:58.123456"
    assert values["created"].endswith("+00:00")
    assert dt.datetime.fromisoformat(values["created"]).tzinfo is not None
    assert values["token"] == str(TOKEN)
    assert values["data"] == {"list": [1, None, "x"], "nested": {"ok": True}}
    assert values["blob"] == "AP8gYmluYXJ5"
    assert values["tags"] == [second["pk"], first["pk"]]
    assert bare["fields"]["tags"] == []
    assert bob["fields"]["mentor"] == ann["pk"]
    # A many-to-many through a model of one's own is that model's records, not a field.
    assert "clubs" not in str(records)

    data = encode(records)
    empty(blog)
    assert blog.Post.objects.count() == 0
    assert load(blog.registry, decode(data)) == len(records)
    assert dump(blog.registry) == records
    loaded = blog.Post.objects.get(title="Hello")
    assert loaded.blob == b"\x00\xff binary"
    assert loaded.token == TOKEN
    assert loaded.price == decimal.Decimal("3.50")


def test_encode_writes_one_line_or_indented_json(blog: Blog) -> None:
    records = [{"model": "blog.tag", "pk": 1, "fields": {"slug": "a"}}]
    assert encode(records, indent=0) == b'[{"model":"blog.tag","pk":1,"fields":{"slug":"a"}}]\n'
    assert encode(records).startswith(b'[\n  {\n    "model": "blog.tag"')
    with pytest.raises(FixtureError, match=r"tags\.json: not valid JSON"):
        decode(b"[{", source="tags.json")


def test_dump_by_app_or_model(blog: Blog) -> None:
    fill(blog)
    assert {r["model"] for r in dump(blog.registry, ["blog.tag"])} == {"blog.tag"}
    assert {r["model"] for r in dump(blog.registry, ["Blog.Club", "blog.membership"])} == {
        "blog.club",
        "blog.membership",
    }
    assert len(dump(blog.registry, ["blog"])) == 8
    with pytest.raises(FixtureError, match=r"no app or model 'shop'; apps: blog; models: blog\.author"):
        dump(blog.registry, ["shop"])


def test_loading_updates_rows_that_exist(blog: Blog) -> None:
    fill(blog)
    tag = blog.Tag.objects.get(slug="first")
    load(blog.registry, [{"model": "blog.tag", "pk": tag.pk, "fields": {"slug": "renamed"}}])
    assert sorted(blog.Tag.objects.values_list("slug", flat=True)) == ["renamed", "second"]


def test_records_without_a_primary_key_are_new_rows(blog: Blog) -> None:
    load(
        blog.registry,
        [
            {"model": "blog.author", "fields": {"name": "cy"}},
            {"model": "blog.author", "fields": {"name": "di"}},
        ],
    )
    assert sorted(blog.Author.objects.values_list("name", flat=True)) == ["cy", "di"]


def test_new_rows_get_fresh_ids_after_a_load(blog: Blog) -> None:
    load(
        blog.registry,
        [
            {"model": "blog.tag", "pk": 40, "fields": {"slug": "forty"}},
            {"model": "blog.post", "pk": 7, "fields": {"author": 3, "title": "t", "tags": [40]}},
            {"model": "blog.author", "pk": 3, "fields": {"name": "ann"}},
        ],
    )
    assert blog.Tag.objects.create(slug="next").pk == 41
    assert blog.Author.objects.create(name="bob").pk == 4
    post = blog.Post.objects.get(pk=7)
    assert [t.slug for t in post.tags.all()] == ["forty"]
    post.tags.add(blog.Tag.objects.get(slug="next"))
    assert post.tags.count() == 2


def test_many_to_many_links_are_replaced(blog: Blog) -> None:
    fill(blog)
    post = blog.Post.objects.get(title="Hello")
    second = blog.Tag.objects.get(slug="second")
    record = next(r for r in dump(blog.registry, ["blog.post"]) if r["pk"] == post.pk)
    record["fields"]["tags"] = [second.pk]
    load(blog.registry, [record])
    assert [t.slug for t in post.tags.all()] == ["second"]


def test_a_bad_record_loads_nothing(blog: Blog) -> None:
    records = [
        {"model": "blog.author", "pk": 1, "fields": {"name": "ann"}},
        {"model": "blog.tag", "pk": 1, "fields": {"slug": "ok"}},
        {"model": "blog.post", "pk": 1, "fields": {"author": 1, "title": "x" * 51}},
    ]
    with pytest.raises(FixtureError) as caught:
        load(blog.registry, records, source="blog.json")
    message = str(caught.value)
    assert message.startswith("blog.json, record 2 (blog.post pk=1): field 'title': ")
    assert "at most 50 characters" in message
    assert blog.Author.objects.count() == 0
    assert blog.Tag.objects.count() == 0


def test_a_record_the_database_refuses_loads_nothing(blog: Blog) -> None:
    records = [
        {"model": "blog.author", "pk": 1, "fields": {"name": "ann"}},
        {"model": "blog.post", "pk": 1, "fields": {"author": 99, "title": "orphan"}},
    ]
    with pytest.raises(FixtureError, match=r"^record 1 \(blog\.post pk=1\): the database refused it"):
        load(blog.registry, records)
    assert blog.Author.objects.count() == 0

    duplicate = [
        {"model": "blog.author", "pk": 1, "fields": {"name": "ann"}},
        {"model": "blog.author", "pk": 2, "fields": {"name": "ann"}},
    ]
    with pytest.raises(FixtureError, match=r"^record 1 \(blog\.author pk=2\): the database refused it"):
        load(blog.registry, duplicate)
    assert blog.Author.objects.count() == 0

    links = [
        {"model": "blog.author", "pk": 1, "fields": {"name": "ann"}},
        {"model": "blog.post", "pk": 1, "fields": {"author": 1, "title": "t", "tags": [5]}},
    ]
    with pytest.raises(
        FixtureError, match=r"^record 1 \(blog\.post pk=1\): field 'tags': the database refused"
    ):
        load(blog.registry, links)
    assert blog.Post.objects.count() == 0


# Records are checked before the database is reached: one database is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"model": "blog.tag"}, "expected a list of records"),
        (["blog.tag"], "record 0: expected an object"),
        ([{"model": "blog.tag", "feilds": {}}], "record 0: unknown key(s) feilds"),
        ([{"pk": 1, "fields": {}}], 'record 0: "model" must be a model label'),
        (
            [{"model": "blog.nope", "fields": {}}],
            "record 0: there is no model 'blog.nope'; the models are: blog.",
        ),
        ([{"model": "blog.tag", "fields": []}], 'record 0 (blog.tag): "fields" must be an object'),
        (
            [{"model": "blog.tag", "fields": {"slug": "a", "colour": 1}}],
            "field 'colour' is unknown; its fields are: slug",
        ),
        (
            [{"model": "blog.tag", "pk": "one", "fields": {"slug": "a"}}],
            "record 0 (blog.tag pk='one'): field 'id'",
        ),
        (
            [{"model": "blog.post", "fields": {"author": 1, "title": "t", "blob": "***"}}],
            "field 'blob': not valid base64",
        ),
        (
            [{"model": "blog.post", "fields": {"author": 1, "title": "t", "blob": 5}}],
            "field 'blob': binary data",
        ),
        (
            [{"model": "blog.post", "fields": {"author": 1, "title": "t", "tags": 3}}],
            "field 'tags': a list of primary keys",
        ),
        (
            [{"model": "blog.post", "fields": {"author": 1, "title": "t", "tags": ["x"]}}],
            "field 'tags', item 0: Enter a whole number",
        ),
        (
            [{"model": "blog.post", "fields": {"author": 1, "title": "t", "day": "someday"}}],
            "field 'day': Enter a valid date",
        ),
        ([{"model": "blog.post", "fields": {"title": "t"}}], "field 'author': This field cannot be null."),
        ([{"model": "blog.post", "fields": {"author": 1, "title": "t", "price": "1.234"}}], "field 'price'"),
        (
            [{"model": "blog.author", "fields": {"name": "a", "clubs": [1]}}],
            "field 'clubs' is a many-to-many with a through model",
        ),
        ([{"model": "blog.author", "fields": {"name": "a", "posts": []}}], "field 'posts' is unknown"),
    ],
)
def test_malformed_records_are_named(blog: Blog, records: Any, message: str) -> None:
    with pytest.raises(FixtureError) as caught:
        load(blog.registry, records)
    assert message in str(caught.value)
    assert blog.Tag.objects.count() == 0
