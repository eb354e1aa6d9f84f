"""Bad input: unknown names, bad values, broken constraints, and identifiers that try to become SQL."""

from __future__ import annotations

from typing import Any

import pytest

from vivace.db import Count, DatabaseError, F, FieldError, IntegrityError, Q, ValidationError, atomic

from .blog import Blog
from .conftest import DB
from .test_query import seed

# Unknown names -------------------------------------------------------------------------------


POST_FIELDS = ("id", "title", "slug", "body", "author", "views", "tags", "comments")


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.objects.filter(titel="x"),
        lambda m: m.objects.exclude(titel="x"),
        lambda m: m.objects.filter(Q(views=1) | Q(titel="x")),
        lambda m: m.objects.order_by("-titel"),
        lambda m: m.objects.values("titel"),
        lambda m: m.objects.values_list("titel", flat=True),
        lambda m: m.objects.annotate(n=Count("titel")),
        lambda m: m.objects.aggregate(n=Count("titel")),
        lambda m: m.objects.update(titel="x"),
        lambda m: m.objects.filter(views=F("titel")),
        lambda m: m.objects.update(views=F("titel")),
        lambda m: m.objects.get(titel="x"),
        lambda m: m.objects.in_bulk([1], field_name="titel"),
        lambda m: m._meta.get_field("titel"),
    ],
)
def test_unknown_field_names_it_and_lists_the_fields(db: DB, blog: Blog, call: Any) -> None:
    with db.queries() as sql, pytest.raises(FieldError) as caught:
        call(blog.Post)
    message = str(caught.value)
    assert "'titel'" in message
    for name in POST_FIELDS:
        assert name in message, name
    assert sql == []  # found before any SQL ran


def test_unknown_field_across_a_relation(db: DB, blog: Blog) -> None:
    with pytest.raises(FieldError) as caught:
        blog.Post.objects.filter(author__nmae="x")
    message = str(caught.value)
    assert "Author has no field 'nmae'" in message and "author__nmae" in message
    assert "name" in message and "email" in message


def test_unknown_lookup_names_it_and_lists_lookups(db: DB, blog: Blog) -> None:
    with pytest.raises(FieldError) as caught:
        blog.Post.objects.filter(views__between=(1, 2))
    message = str(caught.value)
    assert "'between'" in message and "range" in message and "icontains" in message


def test_errors_are_lookup_errors_and_database_errors(db: DB, blog: Blog) -> None:
    with pytest.raises(LookupError):
        blog.Post.objects.filter(nope=1)
    with pytest.raises(DatabaseError):
        blog.Post.objects.filter(nope=1)
    with pytest.raises(ValueError):  # a ValidationError is a ValueError
        blog.Post.objects.filter(views="x")


# Bad values ----------------------------------------------------------------------------------


def test_wrong_typed_or_too_long_values_name_the_field(db: DB, blog: Blog) -> None:
    ann = blog.Author.objects.create(name="Ann")
    with db.queries() as sql:
        with pytest.raises(ValidationError) as caught:
            blog.Post.objects.create(title="t" * 201, slug="ok", author=ann)
        assert list(caught.value.errors) == ["title"]
        assert "at most 200 characters" in caught.value.errors["title"][0]
        with pytest.raises(ValidationError) as caught:
            blog.Post.objects.create(title="t", slug="ok", author=ann, views="ten")
        assert caught.value.errors == {"views": ["Enter a whole number."]}
        with pytest.raises(ValidationError) as caught:
            blog.Post.objects.filter(views="ten")
        assert caught.value.errors == {"views": ["Enter a whole number."]}
        with pytest.raises(ValidationError) as caught:
            blog.Post.objects.update(slug="not a slug")
        assert list(caught.value.errors) == ["slug"]
        with pytest.raises(ValidationError) as caught:
            blog.Post.objects.filter(author__name="n" * 101).update(title=None)
        assert caught.value.errors == {"title": ["This field cannot be null."]}
    assert sql == []
    assert blog.Post.objects.count() == 0


def test_values_wider_than_64_bits_name_the_field_before_sql(db: DB, blog: Blog) -> None:
    huge = 10**25
    with db.queries() as sql:
        for named, call in (
            ("id", lambda: blog.Post.objects.get(pk=huge)),
            ("id", lambda: blog.Post.objects.get(pk="ten")),
            ("views", lambda: blog.Post.objects.filter(views=huge).count()),
            ("views__gt", lambda: blog.Post.objects.filter(views__gt=-huge).count()),
        ):
            with pytest.raises(ValidationError) as caught:
                call()
            assert list(caught.value.errors) == [named]
        with pytest.raises(ValidationError) as caught:
            db.run(blog.Post.objects.aget(pk=huge))
        assert list(caught.value.errors) == ["id"]
    assert sql == []


@pytest.mark.parametrize("window", [slice(10**25, None), slice(0, 10**25), slice(2**63, 2**63 + 1)])
def test_slices_past_64_bits_are_refused_before_sql(db: DB, blog: Blog, window: slice) -> None:
    with db.queries() as sql, pytest.raises(ValueError, match="64-bit"):
        list(blog.Post.objects.all()[window])
    assert sql == []


def test_the_largest_64_bit_slice_runs(db: DB, blog: Blog) -> None:
    assert list(blog.Post.objects.all()[2**63 - 2 : 2**63 - 1]) == []


def test_validation_error_shapes(db: DB, blog: Blog) -> None:
    with pytest.raises(ValidationError) as caught:
        blog.Author.objects.create(name="", email="nope")
    error = caught.value
    assert error.errors == {
        "name": ["This field cannot be blank."],
        "email": ["Enter a valid email address."],
    }
    assert error.as_list() == [
        {"field": "name", "message": "This field cannot be blank."},
        {"field": "email", "message": "Enter a valid email address."},
    ]
    assert ValidationError("whole object").errors == {"__all__": ["whole object"]}


# Constraints ---------------------------------------------------------------------------------


def test_unique_violation_names_the_constraint(db: DB, blog: Blog) -> None:
    blog.Tag.objects.create(name="python")
    with pytest.raises(IntegrityError) as caught:
        blog.Tag.objects.create(name="python")
    assert caught.value.constraint is not None and "name" in caught.value.constraint
    assert "blog_tag" in str(caught.value) or "blog_tag" in caught.value.constraint
    assert blog.Tag.objects.count() == 1
    # The failed statement left nothing behind and the connection works.
    blog.Tag.objects.create(name="sql")
    assert blog.Tag.objects.count() == 2


def test_foreign_key_violation_names_the_constraint(db: DB, blog: Blog) -> None:
    with pytest.raises(IntegrityError) as caught:
        blog.Post.objects.create(title="t", slug="t", author_id=999)
    if db.vendor == "postgresql":
        assert caught.value.constraint == "fk_blog_post_author_id"
    else:
        assert "FOREIGN KEY" in str(caught.value)
    ann = blog.Author.objects.create(name="Ann")
    post = blog.Post.objects.create(title="t", slug="t", author=ann)
    with pytest.raises(IntegrityError):
        blog.Post.objects.filter(pk=post.pk).update(author=blog.Author(id=999, name="ghost"))
    assert blog.Post.objects.get(pk=post.pk).author_id == ann.pk


def test_integrity_error_in_a_transaction_rolls_it_back(db: DB, blog: Blog) -> None:
    with pytest.raises(IntegrityError), atomic(db.app):
        blog.Tag.objects.create(name="one")
        blog.Tag.objects.create(name="two")
        blog.Tag.objects.create(name="one")
    assert blog.Tag.objects.count() == 0


def test_bulk_create_is_all_or_nothing(db: DB, blog: Blog) -> None:
    with pytest.raises(IntegrityError):
        blog.Tag.objects.bulk_create([blog.Tag(name="a"), blog.Tag(name="b"), blog.Tag(name="a")])
    assert blog.Tag.objects.count() == 0


# Identifier injection (ATTACKS 19) -----------------------------------------------------------


HOSTILE_NAMES = [
    "name;DROP TABLE blog_tag",
    "-id,(select 1)",
    "id,(select 1)",
    'title")--',
    "title' OR '1'='1",
    "id DESC",
    "id; --",
    "(SELECT 1)",
    "1",
    "?",
    "-",
    "",
    "__",
    "author__",
    "author__(select 1)",
    "tags__name;DROP",
    "pk\x00",
    "title\n",
    "views__gt__lt",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_sort_names_are_field_errors(db: DB, blog: Blog, name: str) -> None:
    seed(blog)
    with db.queries() as sql:
        with pytest.raises(FieldError):
            list(blog.Post.objects.order_by(name))
        with pytest.raises(FieldError):
            blog.Post.objects.filter(**{name: 1})
        with pytest.raises(FieldError):
            blog.Post.objects.values(name)
        if name != "*":
            with pytest.raises((FieldError, ValueError)):
                blog.Post.objects.annotate(**{"n": Count(name)})
        with pytest.raises((FieldError, ValueError)):
            blog.Post.objects.annotate(**{name: Count("id")}).order_by(name)
        with pytest.raises(FieldError):
            blog.Post.objects.select_related(name)
        with pytest.raises(FieldError):
            blog.Post.objects.prefetch_related(name)
    assert sql == []
    assert blog.Tag.objects.count() == 3  # nothing was dropped


def test_hostile_filter_keys_from_a_query_string(db: DB, blog: Blog) -> None:
    seed(blog)
    params = {'title")--': "1", "_connector": "OR", "is_superuser": "1", "views__gt": "1 OR 1=1"}
    for key, value in params.items():
        with pytest.raises((FieldError, ValidationError)):
            blog.Post.objects.filter(**{key: value})
    with pytest.raises(FieldError):
        blog.Post.objects.filter(**{"_negated": True})
    with pytest.raises(FieldError):
        blog.Post.objects.filter(**{"_connector": "OR", "title": "nothing", "views__gte": 0})
    # Q() takes no connector from keywords either.
    with pytest.raises(FieldError):
        blog.Post.objects.filter(Q(_connector="OR", title="nothing", views__gte=0))


HOSTILE_VALUES = [
    "x' OR '1'='1",
    "'; DROP TABLE blog_post; --",
    '" OR ""="',
    "%' --",
    "\\'; SELECT pg_sleep(5); --",
    "Robert'); DROP TABLE blog_tag;--",
]


def test_every_statement_binds_user_values(db: DB, blog: Blog) -> None:
    seed(blog)
    Post, Tag = blog.Post, blog.Tag
    with db.queries() as sql:
        for value in HOSTILE_VALUES:
            assert list(Post.objects.filter(title=value)) == []
            assert list(Post.objects.filter(title__icontains=value)) == []
            assert list(Post.objects.filter(Q(title__startswith=value) | Q(body__endswith=value))) == []
            assert list(Post.objects.filter(author__name__in=[value, "x"])) == []
            assert Post.objects.filter(title__iexact=value).count() == 0
            assert not Post.objects.exclude(title=value).filter(slug=value).exists()
            assert Post.objects.filter(slug=value).update(title=value) == 0
            assert Post.objects.filter(body=value).delete() == 0
            tag = Tag.objects.create(name=value[:50])
            tag.name = value[::-1][:50]
            tag.save()
            Tag.objects.bulk_update([tag], ["name"])
            Tag.objects.get_or_create(name=value[:40])
            tag.delete()
            assert Tag.objects.in_bulk([value + "!"], field_name="name") == {}
    assert sql
    for statement in sql:
        for value in HOSTILE_VALUES:
            for part in (value, value[:40], value[::-1][:50], value.replace("'", "''")):
                assert part not in statement, statement
        assert "DROP" not in statement and "pg_sleep" not in statement
    assert Post.objects.count() == 5
    # The hostile text was stored as it is, as data.
    expected = sorted(["python", "sql", "web", *(value[:40] for value in HOSTILE_VALUES)])
    assert sorted(Tag.objects.values_list("name", flat=True)) == expected


def test_limits_and_offsets_are_bound_not_formatted(db: DB, blog: Blog) -> None:
    seed(blog)
    with db.queries() as sql:
        list(blog.Post.objects.order_by("pk")[123456:654321])
        blog.Post.objects.order_by("pk")[987654:].exists()
    assert all("123456" not in s and "530865" not in s and "987654" not in s for s in sql)
    with pytest.raises((ValueError, IndexError)):
        blog.Post.objects.all()[-5:]
    with pytest.raises(TypeError):
        blog.Post.objects.all()["1; DROP TABLE blog_post"]  # type: ignore[index]


def test_raw_binds_its_parameters(db: DB, blog: Blog) -> None:
    seed(blog)
    table = blog.Tag._meta.table_name
    placeholder = "%s" if db.vendor == "postgresql" else "?"
    hostile = "python' OR '1'='1"
    found = list(blog.Tag.objects.raw(f"SELECT id, name FROM {table} WHERE name = {placeholder}", [hostile]))
    assert found == []
    found = list(blog.Tag.objects.raw(f"SELECT id, name FROM {table} WHERE name = {placeholder}", ["python"]))
    assert [t.name for t in found] == ["python"]


def test_like_wildcards_cannot_make_a_scan_match_everything(db: DB, blog: Blog) -> None:
    """ATTACKS 20: ?q=%%%% is a literal search, not "match everything"."""
    seed(blog)
    for text in ("%", "%%%%", "_", "%_%", "*", "[a-z]*"):
        assert blog.Post.objects.filter(title__icontains=text).count() == 0, text
        assert blog.Post.objects.filter(title__contains=text).count() == 0, text


def test_a_huge_in_list_is_refused_before_sql(db: DB, blog: Blog) -> None:
    with db.queries() as sql, pytest.raises(ValidationError, match="at most 1000"):
        blog.Post.objects.filter(tags__name__in=["x"] * 5000)
    assert sql == []
