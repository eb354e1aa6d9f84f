"""Every lookup, on a field and across relations; wildcards in user text are literal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from vivace.db import F, FieldError, Q, ValidationError

from .blog import Blog
from .conftest import DB
from .test_query import seed, titles

UTC = dt.UTC


@pytest.fixture
def s(db: DB, blog: Blog) -> dict[str, Any]:
    return seed(blog)


def names(query: Any) -> list[str]:
    return sorted(a.name for a in query)


def test_exact_and_iexact(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert titles(Post.objects.filter(title="Third time")) == ["Third time"]
    assert titles(Post.objects.filter(title__exact="Third time")) == ["Third time"]
    assert titles(Post.objects.filter(title="third time")) == []
    assert titles(Post.objects.filter(title__iexact="tHIRD TIME")) == ["Third time"]
    assert titles(Post.objects.filter(author__name__iexact="BOB", views=20)) == ["Third time"]
    assert names(blog.Author.objects.filter(email=None)) == ["Cy"]
    assert names(blog.Author.objects.filter(email__iexact=None)) == ["Cy"]
    assert names(blog.Author.objects.filter(email__iexact="ANN@example.com")) == ["Ann"]


def test_contains_family(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert titles(Post.objects.filter(title__contains="ir")) == ["First steps", "Third time"]
    assert titles(Post.objects.filter(title__contains="IR")) == []
    assert titles(Post.objects.filter(title__icontains="IR")) == ["First steps", "Third time"]
    assert set(titles(Post.objects.filter(title__startswith="F"))) == {
        "First steps",
        "Fourth wall",
        "Fifth element",
    }
    assert titles(Post.objects.filter(title__startswith="f")) == []
    assert len(titles(Post.objects.filter(title__istartswith="f"))) == 3
    assert titles(Post.objects.filter(title__endswith="wall")) == ["Fourth wall"]
    assert titles(Post.objects.filter(title__endswith="WALL")) == []
    assert titles(Post.objects.filter(title__iendswith="WALL")) == ["Fourth wall"]
    assert len(titles(Post.objects.filter(title__contains=""))) == 5


def test_pattern_lookups_across_relations(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert set(titles(Post.objects.filter(author__name__icontains="an"))) == {
        "First steps",
        "Second wind",
        "Fifth element",
    }
    assert set(titles(Post.objects.filter(tags__name__startswith="we"))) == {"Fifth element"}
    assert names(blog.Author.objects.filter(posts__title__icontains="WALL")) == ["Bob"]
    assert names(blog.Author.objects.filter(comments__post__title__endswith="steps")) == ["Bob", "Cy"]
    assert names(blog.Tag.objects.filter(posts__author__name__iexact="ann").distinct()) == [
        "python",
        "sql",
        "web",
    ]


@pytest.mark.parametrize(
    ("text", "lookup", "expected"),
    [
        ("100%", "contains", ["100% sure"]),
        ("%", "contains", ["100% sure"]),
        ("_", "contains", ["snake_case"]),
        ("e_c", "icontains", ["snake_case"]),
        ("a_e", "contains", []),
        ("\\", "contains", ["back\\slash"]),
        ("\\%", "contains", []),
        ("*", "contains", ["star*"]),
        ("?", "contains", ["what?"]),
        ("[", "contains", ["[bracket]"]),
        ("[b", "startswith", ["[bracket]"]),
        ("*", "endswith", ["star*"]),
        ("s%", "startswith", []),
        ("%", "istartswith", []),
        ("_CASE", "iendswith", ["snake_case"]),
        ("'", "contains", ["it's"]),
    ],
)
def test_wildcards_in_user_text_are_literal(
    db: DB, blog: Blog, text: str, lookup: str, expected: list[str]
) -> None:
    for name in (
        "100% sure",
        "snake_case",
        "snakeXcase",
        "back\\slash",
        "star*",
        "stars",
        "what?",
        "whatX",
        "[bracket]",
        "bracket",
        "b",
        "it's",
        "sure",
    ):
        blog.Tag.objects.create(name=name)
    assert sorted(t.name for t in blog.Tag.objects.filter(**{f"name__{lookup}": text})) == expected


def test_long_wildcard_text_is_cheap_and_literal(db: DB, blog: Blog) -> None:
    blog.Tag.objects.create(name="x")
    assert not blog.Tag.objects.filter(name__icontains="%" * 5000).exists()
    assert not blog.Tag.objects.filter(name__contains="_" * 5000).exists()


def test_in(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert sorted(titles(Post.objects.filter(views__in=[0, 50, 999]))) == ["Fifth element", "Fourth wall"]
    assert titles(Post.objects.filter(views__in=[])) == []
    assert Post.objects.filter(views__in=[]).count() == 0
    assert Post.objects.exclude(views__in=[]).count() == 5
    assert sorted(titles(Post.objects.filter(views__in=(v for v in (10, 20))))) == [
        "First steps",
        "Third time",
    ]
    assert sorted(titles(Post.objects.filter(views__in={30}))) == ["Second wind"]
    assert names(blog.Author.objects.filter(pk__in=[s["ann"].pk, s["cy"].pk])) == ["Ann", "Cy"]
    assert set(titles(Post.objects.filter(author__in=[s["bob"]]))) == {"Third time", "Fourth wall"}
    assert set(titles(Post.objects.filter(author__name__in=["Bob", "Nobody"]))) == {
        "Third time",
        "Fourth wall",
    }
    assert names(blog.Author.objects.filter(email__in=[None, "bob@example.com"])) == ["Bob"]
    assert Post.objects.filter(views__in=list(range(1000))).count() == 5
    with pytest.raises(ValidationError, match="at most 1000"):
        Post.objects.filter(views__in=list(range(1001)))
    with pytest.raises(ValidationError, match="list"):
        Post.objects.filter(title__in="abc")
    with pytest.raises(ValidationError, match="whole number"):
        Post.objects.filter(views__in=[1, "two"])


def test_in_keeps_the_statement_cache_small(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    for size in range(1, 30):
        blog.Post.objects.filter(views__in=list(range(size))).count()
    assert len(db.database.statements._cache) <= db.database.statements.size


def test_comparisons(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert sorted(p.views for p in Post.objects.filter(views__gt=20)) == [30, 50]
    assert sorted(p.views for p in Post.objects.filter(views__gte=20)) == [20, 30, 50]
    assert sorted(p.views for p in Post.objects.filter(views__lt=20)) == [0, 10]
    assert sorted(p.views for p in Post.objects.filter(views__lte=20)) == [0, 10, 20]
    assert names(blog.Author.objects.filter(name__gt="Ann")) == ["Bob", "Cy"]
    assert names(blog.Author.objects.filter(posts__views__gte=50)) == ["Ann"]
    assert sorted(p.views for p in Post.objects.filter(views__gt="25")) == [30, 50]
    with pytest.raises(ValidationError) as caught:
        Post.objects.filter(views__gt="lots")
    assert caught.value.errors == {"views__gt": ["Enter a whole number."]}


def test_range(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert sorted(p.views for p in Post.objects.filter(views__range=(10, 30))) == [10, 20, 30]
    assert sorted(p.views for p in Post.objects.filter(views__range=[31, 100])) == [50]
    assert list(Post.objects.filter(views__range=(30, 10))) == []
    start, end = dt.datetime(2024, 2, 1, tzinfo=UTC), dt.datetime(2024, 4, 1, tzinfo=UTC)
    assert titles(Post.objects.filter(published__range=(start, end)).order_by("published")) == [
        "Second wind",
        "Third time",
    ]
    assert names(blog.Author.objects.filter(posts__published__range=(start, end)).distinct()) == [
        "Ann",
        "Bob",
    ]
    with pytest.raises(ValidationError, match="two values"):
        Post.objects.filter(views__range=(1, 2, 3))
    with pytest.raises(ValidationError):
        Post.objects.filter(views__range=5)


def test_isnull(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    assert names(blog.Author.objects.filter(email__isnull=True)) == ["Cy"]
    assert names(blog.Author.objects.filter(email__isnull=False)) == ["Ann", "Bob"]
    # Across a reverse relation: authors without posts, without comments.
    assert names(blog.Author.objects.filter(posts__isnull=True)) == ["Cy"]
    assert names(blog.Author.objects.filter(comments__isnull=True)) == []
    assert titles(blog.Post.objects.filter(tags__isnull=True)) == ["Fourth wall"]
    assert sorted(c.body for c in blog.Comment.objects.filter(author__email__isnull=True)) == ["meh"]
    assert blog.Post.objects.filter(published__isnull=False).count() == 5
    with pytest.raises(ValidationError, match="True or False"):
        blog.Author.objects.filter(email__isnull="yes")


def test_none_only_with_exact(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="isnull"):
        blog.Author.objects.filter(email__gt=None)
    assert names(blog.Author.objects.exclude(email=None)) == ["Ann", "Bob"]


def test_date_parts(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    # Posts were published on 2024-01-10, 02-11, 03-12, 04-13, 05-14 at noon UTC.
    assert Post.objects.filter(published__year=2024).count() == 5
    assert Post.objects.filter(published__year=2023).count() == 0
    assert titles(Post.objects.filter(published__month=3)) == ["Third time"]
    assert titles(Post.objects.filter(published__day=14)) == ["Fifth element"]
    assert titles(Post.objects.filter(published__month="2")) == ["Second wind"]
    assert names(blog.Author.objects.filter(posts__published__month=4)) == ["Bob"]
    late = dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 2025-01-01 in UTC
    Post.objects.filter(slug="fourth-wall").update(published=late)
    assert titles(Post.objects.filter(published__year=2025, published__month=1, published__day=1)) == [
        "Fourth wall"
    ]
    with pytest.raises(ValidationError):
        Post.objects.filter(published__year="this year")


def test_date_parts_on_date_fields(db: DB) -> None:
    from vivace.db import fields

    class Event(db.Model):
        day = fields.Date()

    db.create_all()
    for day in (dt.date(2020, 2, 29), dt.date(2021, 2, 28), dt.date(2021, 12, 1)):
        Event.objects.create(day=day)
    assert Event.objects.filter(day__year=2021).count() == 2
    assert Event.objects.filter(day__month=2).count() == 2
    assert Event.objects.filter(day__day=29).count() == 1
    assert Event.objects.filter(day__gte=dt.date(2021, 1, 1)).count() == 2
    assert Event.objects.filter(day__gte="2021-06-01").count() == 1


def test_foreign_key_lookups(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    ann = s["ann"]
    for query in (
        Post.objects.filter(author=ann),
        Post.objects.filter(author=ann.pk),
        Post.objects.filter(author_id=ann.pk),
        Post.objects.filter(author__id=ann.pk),
        Post.objects.filter(author__pk=ann.pk),
        Post.objects.filter(author__exact=ann),
        Post.objects.filter(author__in=[ann]),
        Post.objects.filter(author__name="Ann"),
    ):
        assert query.count() == 3
    with pytest.raises(ValidationError, match="Expected a Author"):
        Post.objects.filter(author=s["python"])
    with pytest.raises(ValidationError, match="not saved"):
        Post.objects.filter(author=blog.Author(name="unsaved"))


def test_many_to_many_lookups(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    assert set(titles(Post.objects.filter(tags=s["sql"]))) == {"Second wind", "Third time", "Fifth element"}
    assert set(titles(Post.objects.filter(tags__in=[s["web"]]))) == {"Fifth element"}
    assert set(titles(Post.objects.filter(tags__name="python").filter(tags__name="sql"))) == {
        "Second wind",
        "Fifth element",
    }
    assert names(blog.Tag.objects.filter(posts__author=s["bob"])) == ["sql"]
    assert names(blog.Tag.objects.filter(posts=s["fifth"])) == ["python", "sql", "web"]


def test_one_to_one_lookups(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    blog.Profile.objects.create(author=s["ann"], bio="writes a lot")
    assert names(blog.Author.objects.filter(profile__bio__icontains="LOT")) == ["Ann"]
    assert names(blog.Author.objects.filter(profile__isnull=True)) == ["Bob", "Cy"]
    assert blog.Profile.objects.get(author__name="Ann").bio == "writes a lot"


def test_q_across_relations(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    query = blog.Post.objects.filter(Q(author__name__icontains="bo") | Q(tags__name="web")).distinct()
    assert set(titles(query)) == {"Third time", "Fourth wall", "Fifth element"}
    assert blog.Post.objects.filter(Q(views__gt=F("author__id") * 10), ~Q(tags__name="web")).count() == 1


def test_unknown_lookups(db: DB, blog: Blog) -> None:
    with pytest.raises(FieldError) as caught:
        blog.Post.objects.filter(title__regex=".*")
    message = str(caught.value)
    assert "'regex'" in message and "icontains" in message and "isnull" in message
    with pytest.raises(FieldError, match=r"'foo' on Author\.name"):
        blog.Post.objects.filter(author__name__foo="x")
    with pytest.raises(FieldError, match="bogus"):
        blog.Post.objects.filter(author__bogus="x")
    with pytest.raises(FieldError):
        blog.Post.objects.filter(title__icontains__exact="x")
    with pytest.raises(FieldError, match=r"F\(\) expression"):
        blog.Post.objects.filter(title__contains=F("slug"))


def test_in_values_are_taken_when_the_filter_is_made(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    wanted = [0, 10]
    query = blog.Post.objects.filter(views__in=wanted)
    wanted.append(20)
    assert sorted(p.views for p in query) == [0, 10]
    assert blog.Post.objects.filter(views__in=wanted).count() == 3
