"""Every field type: its round trip through each database, defaults, automatic dates, validation."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

import pytest

from vivace.core.exceptions import ConfigError
from vivace.db import ValidationError, fields

from .conftest import DB

UTC = dt.UTC
PARIS = dt.timezone(dt.timedelta(hours=2))


class Color(enum.StrEnum):
    RED = "red"
    GREEN = "green"


class Size(enum.IntEnum):
    SMALL = 1
    LARGE = 2


def declare_everything(db: DB) -> Any:
    class Everything(db.Model):
        integer = fields.Integer(null=True)
        big = fields.BigInteger(null=True)
        small = fields.SmallInteger(null=True)
        number = fields.Float(null=True)
        money = fields.Decimal(max_digits=12, decimal_places=2, null=True)
        flag = fields.Boolean(null=True)
        name = fields.String(max_length=40, null=True)
        text = fields.Text(null=True)
        day = fields.Date(null=True)
        moment = fields.DateTime(null=True)
        clock = fields.Time(null=True)
        token = fields.UUID(null=True)
        data = fields.JSON(null=True)
        blob = fields.Binary(null=True)
        email = fields.Email(null=True)
        slug = fields.Slug(null=True)

    db.create_all()
    return Everything


ROUND_TRIPS = [
    ("integer", 2**31 - 1),
    ("integer", -(2**31)),
    ("big", 2**62 + 12345),
    ("big", -(2**63)),
    ("small", -(2**15)),
    ("number", 1.5e-7),
    ("money", decimal.Decimal("1234567890.12")),
    ("money", decimal.Decimal("-0.05")),
    ("flag", True),
    ("flag", False),
    ("name", "Zoë ✓ 'quoted' \"double\" ; -- %_"),
    ("text", "line one\nline two\t\u2603 " + "x" * 10_000),
    ("day", dt.date(1999, 12, 31)),
    ("day", dt.date(2, 1, 1)),
    ("moment", dt.datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)),
    ("clock", dt.time(13, 14, 15, 161718)),
    ("clock", dt.time(0, 0)),
    ("token", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ("data", {"a": [1, 2.5, None, True], "b": {"c": "ü"}, "": []}),
    ("data", [1, "two", {"three": 3}]),
    ("data", "just a string"),
    ("data", 0),
    ("blob", bytes(range(256))),
    ("blob", b""),
    ("email", "Someone.Else+tag@Example.ORG"),
    ("slug", "a-slug_1"),
]


@pytest.mark.parametrize(
    ("name", "value"), ROUND_TRIPS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(ROUND_TRIPS)]
)
def test_round_trip(db: DB, name: str, value: Any) -> None:
    Everything = declare_everything(db)
    row = Everything.objects.create(**{name: value})
    fresh = Everything.objects.get(pk=row.pk)
    assert getattr(fresh, name) == value
    assert type(getattr(fresh, name)) is type(value)
    # The value also comes back through values() and values_list(), and finds its row.
    assert Everything.objects.values_list(name, flat=True).get(pk=row.pk) == value
    assert Everything.objects.values(name).get(pk=row.pk) == {name: value}
    if name not in ("data", "text", "blob"):
        assert Everything.objects.filter(**{name: value}).get().pk == row.pk


def test_nulls_round_trip(db: DB) -> None:
    Everything = declare_everything(db)
    row = Everything.objects.create()
    fresh = Everything.objects.get(pk=row.pk)
    for field in Everything._meta.concrete_fields:
        if not field.primary_key:
            assert getattr(fresh, field.attname) is None, field.name


def test_datetime_is_stored_in_utc_and_comes_back_aware(db: DB) -> None:
    Everything = declare_everything(db)
    paris = dt.datetime(2024, 6, 1, 12, 30, tzinfo=PARIS)
    row = Everything.objects.create(moment=paris)
    assert row.moment == paris
    assert row.moment.utcoffset() == dt.timedelta(0)
    fresh = Everything.objects.get(pk=row.pk)
    assert fresh.moment == paris
    assert fresh.moment.tzinfo is not None and fresh.moment.utcoffset() == dt.timedelta(0)
    assert fresh.moment.hour == 10
    # Comparisons use the moment, whatever the offset it is written in.
    assert Everything.objects.filter(moment=dt.datetime(2024, 6, 1, 10, 30, tzinfo=UTC)).exists()
    assert Everything.objects.filter(moment__gt=dt.datetime(2024, 6, 1, 12, 0, tzinfo=PARIS)).exists()
    assert not Everything.objects.filter(moment__gt=dt.datetime(2024, 6, 1, 11, 0, tzinfo=UTC)).exists()


def test_naive_datetime_is_taken_as_utc(db: DB) -> None:
    Everything = declare_everything(db)
    row = Everything.objects.create(moment=dt.datetime(2024, 1, 2, 3, 4, 5))
    assert Everything.objects.get(pk=row.pk).moment == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_datetime_order_is_time_order(db: DB) -> None:
    Everything = declare_everything(db)
    base = dt.datetime(2024, 1, 1, tzinfo=UTC)
    moments = [base + dt.timedelta(microseconds=m) for m in (10, 1, 1_000_000, 0, 999_999)]
    moments.append(dt.datetime(2024, 1, 1, 1, 0, tzinfo=PARIS))  # 23:00 the day before, in UTC
    for moment in moments:
        Everything.objects.create(moment=moment)
    found = list(Everything.objects.order_by("moment").values_list("moment", flat=True))
    assert found == sorted(moments)


def test_datetime_from_iso_text(db: DB) -> None:
    Everything = declare_everything(db)
    row = Everything.objects.create(moment="2024-03-04T05:06:07Z", day="2024-03-04", clock="05:06")
    fresh = Everything.objects.get(pk=row.pk)
    assert fresh.moment == dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert fresh.day == dt.date(2024, 3, 4)
    assert fresh.clock == dt.time(5, 6)


def test_decimal_keeps_its_places(db: DB) -> None:
    Everything = declare_everything(db)
    row = Everything.objects.create(money=decimal.Decimal("0.1"))
    fresh = Everything.objects.get(pk=row.pk)
    assert fresh.money == decimal.Decimal("0.10")
    assert str(fresh.money) == "0.10"
    # Floats are taken by their shortest repr, not their binary expansion.
    row = Everything.objects.create(money=0.3)
    assert Everything.objects.get(pk=row.pk).money == decimal.Decimal("0.30")
    assert Everything.objects.filter(money=decimal.Decimal("0.30")).count() == 1


def test_decimal_sums_exactly(db: DB) -> None:
    from vivace.db import Sum

    Everything = declare_everything(db)
    Everything.objects.bulk_create([Everything(money=decimal.Decimal("0.10")) for _ in range(10)])
    total = Everything.objects.aggregate(total=Sum("money"))["total"]
    assert total == decimal.Decimal("1.00") and isinstance(total, decimal.Decimal)


def test_decimal_validation(db: DB) -> None:
    Everything = declare_everything(db)
    with pytest.raises(ValidationError) as caught:
        Everything.objects.create(money=decimal.Decimal("1.234"))
    assert caught.value.errors == {"money": ["Ensure there are no more than 2 decimal places."]}
    with pytest.raises(ValidationError) as caught:
        Everything.objects.create(money=decimal.Decimal("12345678901"))
    assert "digits before the decimal point" in caught.value.errors["money"][0]
    with pytest.raises(ValidationError):
        Everything.objects.create(money="NaN")
    assert not Everything.objects.exists()


def test_json_null_column_and_json_values(db: DB) -> None:
    Everything = declare_everything(db)
    row = Everything.objects.create(data={"k": None})
    assert Everything.objects.get(pk=row.pk).data == {"k": None}
    with pytest.raises(ValidationError) as caught:
        Everything.objects.create(data={"when": object()})
    assert list(caught.value.errors) == ["data"]


def test_binary_accepts_bytearray_and_memoryview(db: DB) -> None:
    Everything = declare_everything(db)
    one = Everything.objects.create(blob=bytearray(b"\x00\xff"))
    two = Everything.objects.create(blob=memoryview(b"abc"))
    assert Everything.objects.get(pk=one.pk).blob == b"\x00\xff"
    assert Everything.objects.get(pk=two.pk).blob == b"abc"
    with pytest.raises(ValidationError):
        Everything.objects.create(blob="text")


def test_boolean_from_text_and_filter(db: DB) -> None:
    Everything = declare_everything(db)
    Everything.objects.create(flag="yes")
    Everything.objects.create(flag=0)
    Everything.objects.create(flag=None)
    assert Everything.objects.filter(flag=True).count() == 1
    assert Everything.objects.filter(flag=False).count() == 1
    assert Everything.objects.filter(flag__isnull=True).count() == 1
    with pytest.raises(ValidationError):
        Everything.objects.create(flag="maybe")


def test_uuid_default_callable_and_primary_key(db: DB) -> None:
    class Document(db.Model):
        key = fields.UUID(primary_key=True, default=uuid.uuid4)
        title = fields.String(max_length=20)

    class Page(db.Model):
        document = fields.ForeignKey(Document, on_delete="CASCADE", related_name="pages")

    db.create_all()
    first = Document.objects.create(title="a")
    second = Document.objects.create(title="b")
    assert isinstance(first.key, uuid.UUID) and first.key != second.key
    assert first.pk == first.key
    assert Document.objects.get(pk=first.key).title == "a"
    assert Document.objects.get(pk=str(first.key)).title == "a"
    page = Page.objects.create(document=first)
    assert Page.objects.get(pk=page.pk).document_id == first.key
    assert Page.objects.select_related("document").get(pk=page.pk).document.title == "a"
    assert [p.pk for p in first.pages.all()] == [page.pk]


def test_defaults_and_callables(db: DB) -> None:
    calls: list[int] = []

    def counter() -> int:
        calls.append(1)
        return len(calls)

    class Item(db.Model):
        number = fields.Integer(default=counter)
        label = fields.String(max_length=10, default="none")
        tags = fields.JSON(default=list)

    db.create_all()
    one, two = Item.objects.create(), Item.objects.create()
    assert (one.number, two.number) == (1, 2)
    assert one.label == "none"
    one.tags.append("x")
    assert two.tags == []
    one.save()
    assert Item.objects.get(pk=one.pk).tags == ["x"]

    class Settings(db.Model):
        options = fields.JSON(default={"theme": "dark", "tags": []})

    db.create_all()
    first, second = Settings(), Settings()
    first.options["tags"].append("mine")
    assert second.options == {"theme": "dark", "tags": []}  # a literal default is copied
    explicit = Item.objects.create(number=99, label="set")
    assert Item.objects.get(pk=explicit.pk).number == 99
    assert len(calls) == 2  # computed for each new instance that was given no value


def test_auto_now_and_auto_now_add(db: DB) -> None:
    class Entry(db.Model):
        title = fields.String(max_length=20)
        created = fields.DateTime(auto_now_add=True)
        updated = fields.DateTime(auto_now=True)
        day = fields.Date(auto_now_add=True)

    db.create_all()
    before = dt.datetime.now(UTC)
    entry = Entry.objects.create(title="one")
    after = dt.datetime.now(UTC)
    assert before <= entry.created <= after
    assert before <= entry.updated <= after
    assert entry.day == entry.created.date()
    fresh = Entry.objects.get(pk=entry.pk)
    assert fresh.created == entry.created and fresh.created.tzinfo is not None
    created, updated = entry.created, entry.updated
    entry.title = "two"
    entry.save()
    assert entry.created == created
    assert entry.updated > updated
    fresh = Entry.objects.get(pk=entry.pk)
    assert fresh.created == created and fresh.updated == entry.updated
    # The automatic fields are not editable and need no value from forms.
    assert not Entry._meta.get_field("created").editable


def test_choices_as_pairs(db: DB) -> None:
    class Shirt(db.Model):
        size = fields.String(max_length=1, choices=[("S", "Small"), ("L", "Large")])

    db.create_all()
    assert Shirt.objects.create(size="S").size == "S"
    with pytest.raises(ValidationError) as caught:
        Shirt.objects.create(size="M")
    message = caught.value.errors["size"][0]
    assert "'M' is not a valid choice" in message and "'S'" in message and "'L'" in message
    assert Shirt._meta.get_field("size").choices == {"S": "Small", "L": "Large"}


def test_choices_from_enums(db: DB) -> None:
    class Shirt(db.Model):
        color = fields.String(max_length=10, choices=Color)
        size = fields.Integer(choices=Size)

    db.create_all()
    shirt = Shirt.objects.create(color=Color.RED, size=Size.LARGE)
    fresh = Shirt.objects.get(pk=shirt.pk)
    assert fresh.color == "red" and fresh.size == 2
    assert Shirt.objects.filter(color=Color.RED, size=Size.LARGE).count() == 1
    assert Shirt.objects.create(color="green", size=1).color == "green"
    with pytest.raises(ValidationError) as caught:
        Shirt.objects.create(color="blue", size=3)
    assert set(caught.value.errors) == {"color", "size"}
    assert Shirt._meta.get_field("color").choices == {"red": "Red", "green": "Green"}


@pytest.mark.parametrize(
    "address",
    [
        "plain",
        "a@b",
        "@example.com",
        "a@@example.com",
        "a b@example.com",
        "a@-example.com",
        "a..b@example.com",
        "a@example..com",
        "x" * 65 + "@example.com",
        "a@exa_mple.com",
    ],
)
def test_email_validation(db: DB, address: str) -> None:
    class Contact(db.Model):
        email = fields.Email()

    db.create_all()
    with pytest.raises(ValidationError) as caught:
        Contact.objects.create(email=address)
    assert caught.value.errors["email"][0].startswith("Enter a valid email address")


@pytest.mark.parametrize("slug", ["has space", "dot.ted", "ünï", "semi;colon", "slash/"])
def test_slug_validation(db: DB, slug: str) -> None:
    class Page(db.Model):
        slug = fields.Slug()

    db.create_all()
    with pytest.raises(ValidationError) as caught:
        Page.objects.create(slug=slug)
    assert caught.value.errors == {"slug": ["Enter a valid slug: letters, numbers, underscores or hyphens."]}


def test_string_rules(db: DB) -> None:
    class Note(db.Model):
        title = fields.String(max_length=5, min_length=2)
        body = fields.Text(blank=True, default="")

    db.create_all()
    with pytest.raises(ValidationError) as caught:
        Note.objects.create(title="toolong")
    assert caught.value.errors == {"title": ["Ensure this value has at most 5 characters (it has 7)."]}
    with pytest.raises(ValidationError) as caught:
        Note.objects.create(title="a")
    assert caught.value.errors == {"title": ["Ensure this value has at least 2 characters."]}
    with pytest.raises(ValidationError) as caught:
        Note.objects.create(title="")
    assert caught.value.errors == {"title": ["This field cannot be blank."]}
    with pytest.raises(ValidationError) as caught:
        Note.objects.create(title=None)
    assert caught.value.errors == {"title": ["This field cannot be null."]}
    with pytest.raises(ValidationError) as caught:
        Note.objects.create(title="a\x00b")
    assert caught.value.errors == {"title": ["Null characters are not allowed."]}
    # Numbers become text; the blank Text is fine.
    assert Note.objects.create(title=123).title == "123"
    assert not Note.objects.filter(title="toolong").exists()


def test_integer_rules(db: DB) -> None:
    class Score(db.Model):
        points = fields.Integer(min_value=0, max_value=100)
        small = fields.SmallInteger(default=0)

    db.create_all()
    assert Score.objects.create(points="42").points == 42
    assert Score.objects.create(points=7.0).points == 7
    for bad, message in [
        ("abc", "Enter a whole number."),
        (True, "Enter a whole number, not a boolean."),
        (1.5, "Enter a whole number."),
        (-1, "Ensure this value is greater than or equal to 0."),
        (101, "Ensure this value is less than or equal to 100."),
    ]:
        with pytest.raises(ValidationError) as caught:
            Score.objects.create(points=bad)
        assert caught.value.errors == {"points": [message]}, bad
    with pytest.raises(ValidationError) as caught:
        Score.objects.create(points=1, small=2**15)
    assert "between" in caught.value.errors["small"][0]
    with pytest.raises(ValidationError):
        Score.objects.create(points=2**40)


def test_float_rules(db: DB) -> None:
    class Reading(db.Model):
        value = fields.Float()

    db.create_all()
    assert Reading.objects.create(value="2.5").value == 2.5
    for bad in ("nan", float("inf"), "x", True):
        with pytest.raises(ValidationError):
            Reading.objects.create(value=bad)


def test_dates_reject_bad_text(db: DB) -> None:
    Everything = declare_everything(db)
    for name, bad in [
        ("day", "2024-13-01"),
        ("moment", "yesterday"),
        ("clock", "25:00"),
        ("token", "nope"),
        ("day", "9" * 100),
    ]:
        with pytest.raises(ValidationError) as caught:
            Everything.objects.create(**{name: bad})
        assert list(caught.value.errors) == [name]


def test_custom_validators(db: DB) -> None:
    def even(value: int) -> None:
        if value % 2:
            raise ValueError("Must be even.")

    class Pair(db.Model):
        number = fields.Integer(validators=[even])

    db.create_all()
    assert Pair.objects.create(number=4).number == 4
    with pytest.raises(ValidationError) as caught:
        Pair.objects.create(number=3)
    assert caught.value.errors == {"number": ["Must be even."]}


def test_misconfigured_fields() -> None:
    with pytest.raises(ConfigError, match="max_length"):
        fields.String()
    with pytest.raises(ConfigError, match="max_digits"):
        fields.Decimal(max_digits=2, decimal_places=3)


def test_field_metadata(db: DB) -> None:
    class Article(db.Model):
        title = fields.String(max_length=80, help_text="Shown in lists", verbose_name="headline")
        slug = fields.Slug(unique=True)
        rank = fields.Integer(index=True, default=0)

    db.create_all()
    title = Article._meta.get_field("title")
    assert (title.help_text, title.verbose_name, title.schema) == (
        "Shown in lists",
        "headline",
        {"type": "string", "maxLength": 80},
    )
    assert Article._meta.get_field("rank").verbose_name == "rank"
    table = Article._meta.table
    assert table.c.slug.unique and table.c.title.type.length == 80
    assert any(index.columns.keys() == ["rank"] for index in table.indexes)
