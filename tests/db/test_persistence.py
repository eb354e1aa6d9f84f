"""Writes through the query API: create, update, delete and the bulk forms, on both databases."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from vivace.db import (
    Avg,
    Count,
    FieldError,
    IntegrityError,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    ValidationError,
)

from .blog import Blog
from .conftest import DB
from .test_query import seed, titles

# Writes ---------------------------------------------------------------------------------


def test_create(db: DB, blog: Blog) -> None:
    ann = blog.Author.objects.create(name="Ann")
    assert ann.pk is not None and not ann._state.adding
    assert blog.Author.objects.get(pk=ann.pk).name == "Ann"
    with pytest.raises(TypeError, match="unknown field"):
        blog.Author.objects.create(nom="x")


def test_bulk_update_and_delete(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    assert Post.objects.filter(author=s["bob"]).update(views=7, body="bulk") == 2
    assert sorted(Post.objects.filter(body="bulk").values_list("views", flat=True)) == [7, 7]
    assert Post.objects.filter(author__name="Bob").update(views=8) == 2
    assert Post.objects.filter(tags__name="sql").update(body="tagged") == 3
    assert Post.objects.filter(body="tagged").count() == 3
    assert Post.objects.update() == 0
    assert Post.objects.filter(tags__name="web").delete() == 1
    assert Post.objects.count() == 4
    assert Post.objects.filter(author__name="Bob").delete() == 2
    assert Post.objects.filter(views__gt=10_000).delete() == 0
    assert Post.objects.all().delete() == 2
    assert Post.objects.count() == 0
    with pytest.raises(TypeError, match="sliced"):
        Post.objects.all()[:1].delete()


def test_update_validates_values(db: DB, blog: Blog) -> None:
    seed(blog)
    with pytest.raises((ValidationError, ValueError)) as caught:
        blog.Post.objects.update(views="many")
    assert "views" in str(caught.value) or "whole number" in str(caught.value)
    with pytest.raises((ValidationError, ValueError)) as caught:
        blog.Post.objects.update(title="x" * 300)
    assert "title" in str(caught.value)
    with pytest.raises((ValidationError, ValueError)):
        blog.Post.objects.update(author=None)
    with pytest.raises(FieldError, match="nope"):
        blog.Post.objects.update(nope=1)
    with pytest.raises(FieldError):
        blog.Post.objects.update(tags=[])
    assert blog.Post.objects.filter(title__startswith="x").count() == 0


def test_update_sets_foreign_keys_and_dates(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    when = dt.datetime(2030, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert Post.objects.filter(author=s["bob"]).update(author=s["cy"], published=when) == 2
    assert Post.objects.filter(author=s["cy"]).count() == 2
    assert Post.objects.filter(author=s["cy"]).first().published == when
    assert Post.objects.filter(published__year=2030).count() == 2
    Post.objects.filter(author=s["cy"]).update(published=None)
    assert Post.objects.filter(published__isnull=True).count() == 2


def test_get_or_create(db: DB, blog: Blog) -> None:
    Author = blog.Author
    ann, created = Author.objects.get_or_create(name="Ann", defaults={"email": "ann@example.com"})
    assert created and ann.email == "ann@example.com"
    again, created = Author.objects.get_or_create(name="Ann", defaults={"email": "other@example.com"})
    assert not created and again == ann and again.email == "ann@example.com"
    found, created = Author.objects.get_or_create(name__iexact="ANN")
    assert not created and found == ann
    with pytest.raises(ValidationError):
        Author.objects.get_or_create(name="x" * 200)
    Author.objects.create(name="Ann")
    with pytest.raises(Author.MultipleObjectsReturned):
        Author.objects.get_or_create(name="Ann")


def test_get_or_create_when_the_insert_breaks_a_constraint(db: DB, blog: Blog) -> None:
    blog.Tag.objects.create(name="python")
    _, created = blog.Tag.objects.get_or_create(name="python")
    assert not created
    # The lookup misses, the insert breaks the unique name, and the retry still finds nothing:
    # the constraint's error is the answer.
    with pytest.raises(IntegrityError):
        blog.Tag.objects.get_or_create(name="python ", defaults={"name": "python"})
    assert blog.Tag.objects.count() == 1


def test_get_or_create_finds_the_row_another_writer_made(db: DB, blog: Blog, monkeypatch: Any) -> None:
    Tag = blog.Tag
    original = QuerySet._get
    calls = []

    def racing_get(self: Any, args: Any, conditions: Any) -> Any:
        calls.append(conditions)
        if len(calls) == 1:
            # Between our read and our write, someone else creates the row.
            Tag.objects.bulk_create([Tag(name="python")])
        return (yield from original(self, args, conditions))

    monkeypatch.setattr(QuerySet, "_get", racing_get)
    tag, created = Tag.objects.get_or_create(name="python")
    assert not created and tag.name == "python"
    assert Tag.objects.count() == 1


def test_update_or_create(db: DB, blog: Blog) -> None:
    Author = blog.Author
    ann, created = Author.objects.update_or_create(name="Ann", defaults={"email": "a@example.com"})
    assert created and ann.email == "a@example.com"
    ann2, created = Author.objects.update_or_create(name="Ann", defaults={"email": "b@example.com"})
    assert not created and ann2.pk == ann.pk
    assert Author.objects.get(pk=ann.pk).email == "b@example.com"
    with pytest.raises(ValidationError):
        Author.objects.update_or_create(name="Ann", defaults={"email": "bad"})
    assert Author.objects.get(pk=ann.pk).email == "b@example.com"


def test_bulk_create(db: DB, blog: Blog) -> None:
    Tag = blog.Tag
    tags = Tag.objects.bulk_create([Tag(name=f"t{i}") for i in range(10)])
    assert all(t.pk is not None and not t._state.adding for t in tags)
    assert [Tag.objects.get(pk=t.pk).name for t in tags] == [f"t{i}" for i in range(10)]
    assert len({t.pk for t in tags}) == 10
    assert Tag.objects.bulk_create([]) == []
    with db.queries() as sql:
        Tag.objects.bulk_create([Tag(name=f"b{i}") for i in range(10)], batch_size=4)
    assert len(sql) == 3
    with pytest.raises(ValidationError):
        Tag.objects.bulk_create([Tag(name="ok"), Tag(name="x" * 60)])
    assert not Tag.objects.filter(name="ok").exists()
    with pytest.raises(IntegrityError):
        Tag.objects.bulk_create([Tag(name="new"), Tag(name="t1")])
    with pytest.raises(TypeError):
        Tag.objects.bulk_create([blog.Author(name="a")])


def test_bulk_create_with_explicit_keys_and_defaults(db: DB, blog: Blog) -> None:
    Tag = blog.Tag
    made = Tag.objects.bulk_create([Tag(id=100, name="a"), Tag(name="b")])
    assert made[0].pk == 100 and made[1].pk is not None
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["a", "b"]
    ann = blog.Author.objects.create(name="Ann")
    posts = blog.Post.objects.bulk_create([blog.Post(title="t", slug=f"s{i}", author=ann) for i in range(3)])
    assert all(p.created is not None and p.views == 0 for p in posts)
    assert blog.Post.objects.filter(created__isnull=False).count() == 3


def test_bulk_create_many_rows(db: DB, blog: Blog) -> None:
    Tag = blog.Tag
    tags = Tag.objects.bulk_create([Tag(name=f"tag{i}") for i in range(3000)])
    assert Tag.objects.count() == 3000
    assert len({t.pk for t in tags}) == 3000
    assert Tag.objects.get(pk=tags[2345].pk).name == "tag2345"


def test_bulk_update(db: DB, blog: Blog) -> None:
    seed(blog)
    posts = list(blog.Post.objects.order_by("pk"))
    for index, post in enumerate(posts):
        post.views = 1000 + index
        post.title = f"T{index}"
    assert blog.Post.objects.bulk_update(posts, ["views"]) == 5
    fresh = list(blog.Post.objects.order_by("pk"))
    assert [p.views for p in fresh] == [1000, 1001, 1002, 1003, 1004]
    assert fresh[0].title == "First steps"
    assert blog.Post.objects.bulk_update(posts, ["title", "views"], batch_size=2) == 5
    assert titles(blog.Post.objects.order_by("pk")) == ["T0", "T1", "T2", "T3", "T4"]
    assert blog.Post.objects.bulk_update([], ["title"]) == 0
    posts[0].views = "lots"
    with pytest.raises(ValidationError):
        blog.Post.objects.bulk_update(posts, ["views"])
    with pytest.raises(FieldError):
        blog.Post.objects.bulk_update(posts, ["id"])
    with pytest.raises(FieldError, match="nope"):
        blog.Post.objects.bulk_update(posts, ["nope"])
    with pytest.raises(ValueError):
        blog.Post.objects.bulk_update(posts, [])
    with pytest.raises(ValueError):
        blog.Post.objects.bulk_update([blog.Post(title="x")], ["title"])


def test_in_bulk(db: DB, blog: Blog) -> None:
    s = seed(blog)
    found = blog.Post.objects.in_bulk([s["first"].pk, s["third"].pk, 10_000])
    assert set(found) == {s["first"].pk, s["third"].pk}
    assert found[s["first"].pk].title == "First steps"
    assert blog.Post.objects.in_bulk([]) == {}
    by_slug = blog.Post.objects.in_bulk(["third-time"], field_name="slug")
    assert by_slug["third-time"].views == 20
    assert len(blog.Post.objects.in_bulk()) == 5


def test_iterator_over_many_rows(db: DB, blog: Blog) -> None:
    Tag = blog.Tag
    Tag.objects.bulk_create([Tag(name=f"n{i:05}") for i in range(5000)])
    with db.queries() as sql:
        names = [t.name for t in Tag.objects.iterator(chunk_size=1000)]
    assert names == [f"n{i:05}" for i in range(5000)]
    assert len(sql) == 6
    assert [t.name for t in Tag.objects.order_by("-name")[10:2510].iterator(chunk_size=1000)] == [
        f"n{i:05}" for i in range(4989, 2489, -1)
    ]
    assert sum(1 for _ in Tag.objects.filter(name__endswith="7").iterator()) == 500


def test_raw(db: DB, blog: Blog) -> None:
    s = seed(blog)
    table = blog.Post._meta.table_name
    placeholder = "%s" if db.vendor == "postgresql" else "?"
    sql = f"SELECT id, title, views FROM {table} WHERE views > {placeholder} ORDER BY views"
    posts = list(blog.Post.objects.raw(sql, [15]))
    assert [(p.title, p.views) for p in posts] == [
        ("Third time", 20),
        ("Second wind", 30),
        ("Fifth element", 50),
    ]
    assert posts[0].pk == s["third"].pk
    hostile = "x' OR '1'='1"
    assert list(blog.Post.objects.raw(f"SELECT id FROM {table} WHERE title = {placeholder}", [hostile])) == []
    with pytest.raises(FieldError, match="not fields"):
        list(blog.Post.objects.raw(f"SELECT id, title AS headline FROM {table}"))


def test_repr(db: DB, blog: Blog) -> None:
    seed(blog)
    text = repr(blog.Tag.objects.order_by("name"))
    assert text.startswith("<QuerySet [<Tag: Tag object (") and text.endswith(")>]>")
    assert repr(blog.Tag.objects.filter(name="none")) == "<QuerySet []>"


def test_filter_on_annotations(db: DB, blog: Blog) -> None:
    seed(blog)
    Author = blog.Author
    counted = Author.objects.annotate(n=Count("posts"))
    assert sorted(a.name for a in counted.filter(n__gt=2)) == ["Ann"]
    assert sorted(a.name for a in counted.filter(n=0)) == ["Cy"]
    assert sorted(a.name for a in counted.exclude(n=0)) == ["Ann", "Bob"]
    assert sorted(a.name for a in counted.filter(Q(n=0) | Q(n__gte=3))) == ["Ann", "Cy"]
    assert counted.filter(n__gte=2).count() == 2
    assert counted.filter(n__gte=3).exists() and not counted.filter(n__gt=3).exists()
    assert sorted(a.name for a in counted.filter(n__gte=1, name__startswith="B")) == ["Bob"]
    assert list(counted.filter(n__gt=0).order_by("-n").values_list("name", "n")) == [("Ann", 3), ("Bob", 2)]
    top = Author.objects.annotate(top=Max("posts__views")).filter(top__gte=20)
    assert sorted(a.name for a in top) == ["Ann", "Bob"]
    by_author = blog.Post.objects.values("author__name").annotate(total=Sum("views")).filter(total__gt=50)
    assert list(by_author) == [{"author__name": "Ann", "total": 90}]
    with pytest.raises(ValidationError):
        counted.filter(n="many")
    with pytest.raises(FieldError, match="'between'"):
        counted.filter(n__between=1)


def test_writes_refuse_conditions_on_annotations(db: DB, blog: Blog) -> None:
    seed(blog)
    counted = blog.Author.objects.annotate(n=Count("posts")).filter(n=0)
    with pytest.raises(TypeError, match="annotation"):
        counted.update(name="none")
    with pytest.raises(TypeError, match="annotation"):
        counted.delete()
    assert blog.Author.objects.filter(name="none").count() == 0 and blog.Author.objects.count() == 3


def test_aggregate_over_slices_distinct_and_annotations(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    assert Post.objects.order_by("views")[:2].aggregate(total=Sum("views")) == {"total": 10}
    assert Post.objects.order_by("-views")[1:3].aggregate(n=Count("*"), low=Min("views")) == {
        "n": 2,
        "low": 20,
    }
    assert Post.objects.filter(tags__name__in=["python", "sql"]).aggregate(total=Sum("views")) == {
        "total": 190
    }
    distinct = Post.objects.filter(tags__name__in=["python", "sql"]).distinct()
    assert distinct.aggregate(total=Sum("views"), n=Count("id")) == {"total": 110, "n": 4}
    counted = blog.Author.objects.annotate(n=Count("posts"))
    assert counted.aggregate(mean=Avg("n"), most=Max("n"), total=Sum("n")) == {
        "mean": 5 / 3,
        "most": 3,
        "total": 5,
    }
    assert counted.filter(n__gt=0).aggregate(total=Sum("n")) == {"total": 5}
    assert blog.Post.objects.values("author").annotate(v=Sum("views")).aggregate(best=Max("v")) == {
        "best": 90
    }


def test_reverse_and_none(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    assert [p.views for p in Post.objects.order_by("views").reverse()] == [50, 30, 20, 10, 0]
    assert titles(Post.objects.reverse())[0] == "Fifth element"
    assert list(Post.objects.none()) == []
    assert Post.objects.none().count() == 0
    assert Post.objects.filter(views__gt=0).none().exists() is False
    with pytest.raises(TypeError):
        Post.objects.all()[:2].reverse()


def test_exclude_keeps_rows_whose_value_is_null(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Author, Comment = blog.Author, blog.Comment
    assert sorted(a.name for a in Author.objects.exclude(email="ann@example.com")) == ["Bob", "Cy"]
    assert sorted(a.name for a in Author.objects.exclude(email__contains="example")) == ["Cy"]
    assert sorted(a.name for a in Author.objects.filter(~Q(email__startswith="bob"))) == ["Ann", "Cy"]
    Comment.objects.filter(body="meh").update(author=None)
    assert sorted(c.body for c in Comment.objects.exclude(author__name="Bob")) == ["meh", "ok"]
    assert sorted(c.body for c in Comment.objects.exclude(author=s["bob"])) == ["meh", "ok"]
    blog.Post.objects.filter(slug="first-steps").update(rating=decimal.Decimal("1.5"))
    assert blog.Post.objects.exclude(rating__gt=1).count() == 4
    assert blog.Post.objects.exclude(~Q(rating__gt=1)).count() == 1


def test_pattern_lookups_on_numbers(db: DB, blog: Blog) -> None:
    seed(blog)
    assert sorted(p.views for p in blog.Post.objects.filter(views__contains=0)) == [0, 10, 20, 30, 50]
    assert sorted(p.views for p in blog.Post.objects.filter(views__startswith="3")) == [30]
    assert sorted(p.views for p in blog.Post.objects.filter(views__endswith=0, views__gt=20)) == [30, 50]


def test_get_on_a_slice(db: DB, blog: Blog) -> None:
    seed(blog)
    assert blog.Post.objects.order_by("views")[1:2].get().views == 10
    with pytest.raises(blog.Post.MultipleObjectsReturned):
        blog.Post.objects.order_by("views")[1:3].get()
