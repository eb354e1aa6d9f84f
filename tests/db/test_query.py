"""QuerySet: chaining, slicing, get/first/last, counting, values, aggregates and the write methods."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest

from vivace.db import (
    Avg,
    Count,
    F,
    FieldError,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    atomic,
)

from .blog import Blog
from .conftest import DB

UTC = dt.UTC


def seed(blog: Blog) -> dict[str, Any]:
    """Three authors, five posts, three tags, a few comments."""
    with atomic(blog.Author._meta.registry):
        return _seed(blog)


def _seed(blog: Blog) -> dict[str, Any]:
    ann = blog.Author.objects.create(name="Ann", email="ann@example.com")
    bob = blog.Author.objects.create(name="Bob", email="bob@example.com")
    cy = blog.Author.objects.create(name="Cy")
    python, sql, web = (blog.Tag.objects.create(name=n) for n in ("python", "sql", "web"))
    posts = {}
    for index, (title, author, views, tags) in enumerate(
        [
            ("First steps", ann, 10, [python]),
            ("Second wind", ann, 30, [python, sql]),
            ("Third time", bob, 20, [sql]),
            ("Fourth wall", bob, 0, []),
            ("Fifth element", ann, 50, [python, sql, web]),
        ]
    ):
        post = blog.Post.objects.create(
            title=title,
            slug=title.lower().replace(" ", "-"),
            author=author,
            views=views,
            published=dt.datetime(2024, index + 1, 10 + index, 12, tzinfo=UTC),
        )
        if tags:
            post.tags.add(*tags)
        posts[title.split()[0].lower()] = post
    blog.Comment.objects.create(post=posts["first"], author=bob, body="nice")
    blog.Comment.objects.create(post=posts["first"], author=cy, body="meh")
    blog.Comment.objects.create(post=posts["third"], author=ann, body="ok")
    return {"ann": ann, "bob": bob, "cy": cy, "python": python, "sql": sql, "web": web, **posts}


def titles(query: Any) -> list[str]:
    return [post.title for post in query]


# Filtering -------------------------------------------------------------------------------


def test_all_filter_exclude_chain(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    assert Post.objects.count() == 5
    assert set(titles(Post.objects.filter(author=s["ann"]))) == {
        "First steps",
        "Second wind",
        "Fifth element",
    }
    assert set(titles(Post.objects.filter(author=s["ann"]).exclude(views__lt=30))) == {
        "Second wind",
        "Fifth element",
    }
    assert set(titles(Post.objects.exclude(author=s["ann"]).filter(views__gt=0))) == {"Third time"}
    assert titles(Post.objects.filter(author_id=s["bob"].pk, views=0)) == ["Fourth wall"]
    assert titles(Post.objects.filter(author__pk=s["bob"].pk).filter(title__startswith="T")) == ["Third time"]


def test_querysets_are_lazy_and_immutable(db: DB, blog: Blog) -> None:
    seed(blog)
    base = blog.Post.objects.all()
    with db.queries() as sql:
        narrowed = base.filter(views__gt=10).order_by("views").exclude(title="x")
    assert sql == []
    assert base.count() == 5
    assert narrowed.count() == 3
    assert isinstance(narrowed, QuerySet)


def test_results_are_cached_on_a_queryset(db: DB, blog: Blog) -> None:
    seed(blog)
    query = blog.Post.objects.order_by("pk")
    with db.queries() as sql:
        assert len(query) == 5
        list(query)
        assert query[0].title == "First steps"
        assert bool(query)
        assert query.count() == 5
    assert len(sql) == 1


def test_q_objects(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    assert set(titles(Post.objects.filter(Q(views=10) | Q(views=20)))) == {"First steps", "Third time"}
    assert set(titles(Post.objects.filter(Q(author__name="Ann") & ~Q(views__gte=30)))) == {"First steps"}
    assert set(titles(Post.objects.filter(~Q(author__name="Ann")))) == {"Third time", "Fourth wall"}
    either = Q(title__startswith="F") | Q(views__gt=25)
    assert set(titles(Post.objects.filter(either, author__name="Ann"))) == {
        "First steps",
        "Second wind",
        "Fifth element",
    }
    assert set(titles(Post.objects.exclude(either))) == {"Third time"}
    assert Post.objects.filter(Q()).count() == 5
    assert Post.objects.filter(~(Q(views=10) | Q(views=20)) & Q(views__lt=40)).count() == 2
    with pytest.raises(TypeError):
        Q(views=1) | {"views": 2}  # type: ignore[operator]
    with pytest.raises(TypeError):
        Post.objects.filter("views=1")  # type: ignore[arg-type]


def test_f_expressions_in_filters(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    Post.objects.filter(title="Third time").update(rating=decimal.Decimal("20"))
    Post.objects.filter(title="Fifth element").update(rating=decimal.Decimal("10"))
    assert titles(Post.objects.filter(views=F("rating"))) == ["Third time"]
    assert titles(Post.objects.filter(views__gt=F("rating") * 2)) == ["Fifth element"]
    assert titles(Post.objects.filter(views__lt=F("rating") + 1)) == ["Third time"]
    assert set(titles(Post.objects.filter(id__lt=F("author_id") + 1))) == {"First steps"}
    assert set(titles(Post.objects.filter(views__gte=F("author__id") * 20))) == {
        "Second wind",
        "Fifth element",
    }
    with pytest.raises(FieldError, match="nope"):
        Post.objects.filter(views=F("nope"))


def test_f_expressions_in_update(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    assert Post.objects.filter(author=s["ann"]).update(views=F("views") + 1) == 3
    assert sorted(Post.objects.values_list("views", flat=True)) == [0, 11, 20, 31, 51]
    Post.objects.update(views=F("views") * 2 - F("id"))
    first = Post.objects.get(slug="first-steps")
    assert first.views == 22 - first.pk
    Post.objects.filter(pk=first.pk).update(views=100 - F("views"))
    assert Post.objects.get(pk=first.pk).views == 100 - (22 - first.pk)


def test_filter_after_slice_is_refused(db: DB, blog: Blog) -> None:
    with pytest.raises(TypeError, match="slice"):
        blog.Post.objects.all()[:2].filter(views=1)


# Ordering, slicing, first/last --------------------------------------------------------------


def test_order_by(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    assert [p.views for p in Post.objects.order_by("views")] == [0, 10, 20, 30, 50]
    assert [p.views for p in Post.objects.order_by("-views")] == [50, 30, 20, 10, 0]
    assert titles(Post.objects.order_by("author__name", "-views")) == [
        "Fifth element",
        "Second wind",
        "First steps",
        "Third time",
        "Fourth wall",
    ]
    assert titles(Post.objects.order_by("-author__name", "views"))[:2] == ["Fourth wall", "Third time"]
    assert titles(Post.objects.order_by("pk")) == titles(Post.objects.order_by("id"))
    # order_by replaces the previous ordering; order_by() clears it.
    assert Post.objects.order_by("views").order_by("-views")[0].views == 50
    assert sorted(p.views for p in Post.objects.order_by("views").order_by()) == [0, 10, 20, 30, 50]


def test_order_by_across_relations_with_select_related(db: DB, blog: Blog) -> None:
    seed(blog)
    query = blog.Post.objects.select_related("author").order_by("-author__name", "title")
    with db.queries() as sql:
        found = [(p.author.name, p.title) for p in query]
    assert len(sql) == 1
    assert found == [
        ("Bob", "Fourth wall"),
        ("Bob", "Third time"),
        ("Ann", "Fifth element"),
        ("Ann", "First steps"),
        ("Ann", "Second wind"),
    ]
    comments = blog.Comment.objects.select_related("post__author", "author").order_by(
        "post__author__name", "body"
    )
    with db.queries() as sql:
        found = [(c.post.author.name, c.body, c.author.name) for c in comments]
    assert len(sql) == 1
    assert found == [("Ann", "meh", "Cy"), ("Ann", "nice", "Bob"), ("Bob", "ok", "Ann")]


def test_order_by_a_reverse_relation(db: DB, blog: Blog) -> None:
    seed(blog)
    assert [a.name for a in blog.Author.objects.filter(comments__body="ok").order_by("-comments__body")] == [
        "Ann"
    ]


def test_slicing(db: DB, blog: Blog) -> None:
    seed(blog)
    ordered = blog.Post.objects.order_by("views")
    assert [p.views for p in ordered[:2]] == [0, 10]
    assert [p.views for p in ordered[1:3]] == [10, 20]
    assert [p.views for p in ordered[3:]] == [30, 50]
    assert [p.views for p in ordered[1:][1:2]] == [20]
    assert [p.views for p in ordered[:4][1:]] == [10, 20, 30]
    assert [p.views for p in ordered[1:4][:10]] == [10, 20, 30]
    assert list(ordered[3:2]) == []
    assert list(ordered[10:]) == []
    assert ordered[0].views == 0
    assert ordered[4].views == 50
    assert ordered[1:][0].views == 10
    with pytest.raises(IndexError):
        ordered[5]
    with pytest.raises((ValueError, IndexError)):
        ordered[-1]
    with pytest.raises((ValueError, IndexError)):
        ordered[-2:]
    with pytest.raises(ValueError):
        ordered[::2]
    with pytest.raises(TypeError):
        ordered["a"]


def test_slicing_a_manager_and_index_on_a_loaded_queryset(db: DB, blog: Blog) -> None:
    seed(blog)
    assert len(blog.Post.objects[:3]) == 3
    assert blog.Post.objects.order_by("views")[1].views == 10
    loaded = blog.Post.objects.order_by("views")
    list(loaded)
    assert loaded[4].views == 50
    assert [p.views for p in loaded[3:]] == [30, 50]
    with pytest.raises(ValueError, match="negative"):
        loaded[-1]


def test_slices_are_limit_and_offset(db: DB, blog: Blog) -> None:
    seed(blog)
    with db.queries() as sql:
        list(blog.Post.objects.order_by("views")[2:4])
    assert "LIMIT" in sql[0].upper() and "OFFSET" in sql[0].upper()


def test_first_and_last(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    assert Post.objects.order_by("views").first().views == 0
    assert Post.objects.order_by("views").last().views == 50
    assert Post.objects.order_by("-views", "title").last().title == "Fourth wall"
    assert Post.objects.first().title == "First steps"  # by primary key without an ordering
    assert Post.objects.last().title == "Fifth element"
    assert Post.objects.filter(views__gt=1000).first() is None
    assert Post.objects.filter(views__gt=1000).last() is None
    assert Post.objects.order_by("author__name", "views").last().title == "Third time"


# get ------------------------------------------------------------------------------------


def test_get(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    assert Post.objects.get(pk=s["first"].pk).title == "First steps"
    assert Post.objects.get(slug="third-time", author__name="Bob").views == 20
    assert Post.objects.filter(author__name="Bob").get(views=0).title == "Fourth wall"
    assert Post.objects.get(Q(views=50) | Q(views=-1)).title == "Fifth element"
    with pytest.raises(Post.DoesNotExist) as missing:
        Post.objects.get(slug="nope")
    assert "Post matching slug='nope' does not exist" in str(missing.value)
    with pytest.raises(Post.MultipleObjectsReturned) as many:
        Post.objects.get(author__name="Ann")
    assert "returned 3 Post objects" in str(many.value)
    # Each model has its own error classes, under the shared bases.
    from vivace.db import MultipleObjectsReturned, ObjectDoesNotExist

    assert issubclass(Post.DoesNotExist, ObjectDoesNotExist)
    assert not issubclass(Post.DoesNotExist, blog.Author.DoesNotExist)
    assert issubclass(Post.MultipleObjectsReturned, MultipleObjectsReturned)
    with pytest.raises(blog.Author.DoesNotExist):
        blog.Author.objects.get(pk=10_000)


def test_get_reads_a_bounded_number_of_rows(db: DB, blog: Blog) -> None:
    author = blog.Author.objects.create(name="Many")
    blog.Post.objects.bulk_create([blog.Post(title=str(i), slug=f"s{i}", author=author) for i in range(30)])
    with pytest.raises(blog.Post.MultipleObjectsReturned, match="more than 20"):
        blog.Post.objects.get(author=author)


# count / exists ---------------------------------------------------------------------------


def test_count_and_exists(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    assert Post.objects.count() == 5
    assert Post.objects.filter(author=s["ann"]).count() == 3
    assert Post.objects.filter(tags__name="python").count() == 3
    assert Post.objects.exists()
    assert not Post.objects.filter(views__gt=1000).exists()
    assert Post.objects.filter(tags__name__in=["python", "sql"]).count() == 6  # joined rows, as Django
    assert Post.objects.filter(tags__name__in=["python", "sql"]).distinct().count() == 4


def test_count_of_slices(db: DB, blog: Blog) -> None:
    seed(blog)
    ordered = blog.Post.objects.order_by("views")
    assert ordered[:2].count() == 2
    assert ordered[3:].count() == 2
    assert ordered[1:3].count() == 2
    assert ordered[4:10].count() == 1
    assert ordered[10:].count() == 0
    assert blog.Post.objects.filter(views__gt=5)[1:].count() == 3
    assert ordered[:2].exists()
    assert not ordered[5:].exists()


def test_count_of_distinct_values(db: DB, blog: Blog) -> None:
    seed(blog)
    assert blog.Post.objects.values("author").distinct().count() == 2
    assert blog.Post.objects.values_list("author__name", flat=True).distinct().count() == 2
    assert blog.Post.objects.filter(tags__name__in=["sql", "web"]).values("title").distinct().count() == 3


# values / values_list / distinct ----------------------------------------------------------


def test_values(db: DB, blog: Blog) -> None:
    s = seed(blog)
    rows = list(blog.Post.objects.filter(author=s["bob"]).order_by("views").values("title", "views"))
    assert rows == [{"title": "Fourth wall", "views": 0}, {"title": "Third time", "views": 20}]
    everything = blog.Author.objects.filter(pk=s["cy"].pk).values().get()
    assert everything == {"id": s["cy"].pk, "name": "Cy", "email": None}
    across = blog.Post.objects.filter(slug="third-time").values("title", "author__name", "author")
    assert list(across) == [{"title": "Third time", "author__name": "Bob", "author": s["bob"].pk}]
    assert blog.Post.objects.filter(pk=s["first"].pk).values("author_id").get() == {"author_id": s["ann"].pk}


def test_values_list(db: DB, blog: Blog) -> None:
    seed(blog)
    ordered = blog.Post.objects.order_by("views")
    assert list(ordered.values_list("views", flat=True)) == [0, 10, 20, 30, 50]
    assert list(ordered.values_list("title", "author__name"))[:2] == [
        ("Fourth wall", "Bob"),
        ("First steps", "Ann"),
    ]
    assert ordered.values_list("views", flat=True)[1] == 10
    assert ordered.values_list("views", flat=True).first() == 0
    dates = list(ordered.values_list("published", flat=True))
    assert all(isinstance(d, dt.datetime) and d.tzinfo is not None for d in dates)
    with pytest.raises(TypeError, match="flat"):
        ordered.values_list("views", "title", flat=True)
    with pytest.raises(FieldError, match="nope"):
        ordered.values_list("nope")
    with pytest.raises(FieldError):
        ordered.values("title__icontains")


def test_distinct(db: DB, blog: Blog) -> None:
    seed(blog)
    names = blog.Post.objects.filter(tags__name__in=["python", "sql"]).values_list("author__name", flat=True)
    assert sorted(names.distinct()) == ["Ann", "Bob"]
    assert len(list(names)) == 6
    posts = blog.Post.objects.filter(tags__name__in=["python", "sql"]).distinct().order_by("title")
    assert titles(posts) == ["Fifth element", "First steps", "Second wind", "Third time"]


# Aggregates -----------------------------------------------------------------------------


def test_aggregate(db: DB, blog: Blog) -> None:
    s = seed(blog)
    Post = blog.Post
    result = Post.objects.aggregate(
        total=Sum("views"), top=Max("views"), low=Min("views"), mean=Avg("views"), n=Count("id")
    )
    assert result == {"total": 110, "top": 50, "low": 0, "mean": 22.0, "n": 5}
    assert Post.objects.filter(author=s["ann"]).aggregate(total=Sum("views")) == {"total": 90}
    assert Post.objects.filter(views__gt=1000).aggregate(total=Sum("views"), n=Count("*")) == {
        "total": None,
        "n": 0,
    }
    assert Post.objects.aggregate(n=Count("tags")) == {"n": 7}
    assert Post.objects.aggregate(n=Count("tags", distinct=True)) == {"n": 3}
    assert blog.Author.objects.aggregate(n=Count("posts__tags__name", distinct=True)) == {"n": 3}
    latest = Post.objects.aggregate(latest=Max("published"), first=Min("published"))
    assert latest == {
        "latest": dt.datetime(2024, 5, 14, 12, tzinfo=UTC),
        "first": dt.datetime(2024, 1, 10, 12, tzinfo=UTC),
    }
    assert blog.Author.objects.aggregate(top=Max("name")) == {"top": "Cy"}
    with pytest.raises(FieldError):
        Post.objects.aggregate(n=Sum("nope"))
    with pytest.raises(TypeError):
        Post.objects.aggregate(n="views")  # type: ignore[arg-type]


def test_aggregate_types(db: DB, blog: Blog) -> None:
    seed(blog)
    Post = blog.Post
    Post.objects.filter(views__gte=20).update(rating=decimal.Decimal("1.25"))
    result = Post.objects.aggregate(total=Sum("rating"), mean=Avg("rating"), top=Max("rating"))
    assert result["total"] == decimal.Decimal("3.75") and isinstance(result["total"], decimal.Decimal)
    assert result["top"] == decimal.Decimal("1.25") and isinstance(result["top"], decimal.Decimal)
    assert result["mean"] == decimal.Decimal("1.25")
    assert isinstance(Post.objects.aggregate(mean=Avg("views"))["mean"], float)
    assert isinstance(Post.objects.aggregate(n=Count("id"))["n"], int)


def test_annotate(db: DB, blog: Blog) -> None:
    s = seed(blog)
    authors = blog.Author.objects.annotate(n=Count("posts"), top=Max("posts__views")).order_by("name")
    assert [(a.name, a.n, a.top) for a in authors] == [("Ann", 3, 50), ("Bob", 2, 20), ("Cy", 0, None)]
    # Annotations can be filtered on... (not supported) but ordered by and read as values.
    by_count = blog.Author.objects.annotate(n=Count("posts")).order_by("-n", "name")
    assert [a.name for a in by_count] == ["Ann", "Bob", "Cy"]
    tags = blog.Tag.objects.annotate(n=Count("posts")).order_by("name")
    assert [(t.name, t.n) for t in tags] == [("python", 3), ("sql", 3), ("web", 1)]
    posts = blog.Post.objects.filter(author=s["ann"]).annotate(comments_n=Count("comments")).order_by("views")
    assert [(p.title, p.comments_n) for p in posts] == [
        ("First steps", 2),
        ("Second wind", 0),
        ("Fifth element", 0),
    ]


def test_annotate_with_values_groups_by_the_values(db: DB, blog: Blog) -> None:
    seed(blog)
    rows = list(
        blog.Post.objects.values("author__name")
        .annotate(n=Count("id"), total=Sum("views"))
        .order_by("author__name")
    )
    assert rows == [
        {"author__name": "Ann", "n": 3, "total": 90},
        {"author__name": "Bob", "n": 2, "total": 20},
    ]
    rows = list(blog.Author.objects.annotate(n=Count("posts")).values("name", "n").order_by("name"))
    assert rows == [{"name": "Ann", "n": 3}, {"name": "Bob", "n": 2}, {"name": "Cy", "n": 0}]
    flat = list(blog.Author.objects.annotate(n=Count("posts")).order_by("name").values_list("n", flat=True))
    assert flat == [3, 2, 0]
    assert blog.Author.objects.annotate(n=Count("posts")).count() == 3
    assert blog.Post.objects.values("author").annotate(n=Count("id")).count() == 2


def test_annotate_with_select_related(db: DB, blog: Blog) -> None:
    seed(blog)
    posts = blog.Post.objects.select_related("author").annotate(n=Count("tags")).order_by("-n", "title")
    with db.queries() as sql:
        found = [(p.title, p.author.name, p.n) for p in posts]
    assert len(sql) == 1
    assert found[0] == ("Fifth element", "Ann", 3)
    assert found[-1] == ("Fourth wall", "Bob", 0)


def test_annotate_refuses_bad_input(db: DB, blog: Blog) -> None:
    with pytest.raises(TypeError):
        blog.Author.objects.annotate(n="posts")  # type: ignore[arg-type]
    with pytest.raises(FieldError, match="nope"):
        blog.Author.objects.annotate(n=Count("nope"))
    with pytest.raises(FieldError, match="nope"):
        blog.Author.objects.annotate(n=Count("posts")).order_by("nope")
