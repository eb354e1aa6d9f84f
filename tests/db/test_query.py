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
    IntegrityError,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    ValidationError,
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
