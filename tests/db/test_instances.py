"""Rows to instances: each value as its field's Python type, through get, all, select_related, annotate."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from vivace.db import CASCADE, SET_NULL, Count, ForeignKey, fields

from .conftest import DB

MOMENT = dt.datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=dt.UTC)
TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")


def declare(db: DB) -> tuple[Any, Any, Any]:
    class Shelf(db.Model):
        name = fields.String(max_length=40)
        opened = fields.DateTime(null=True)
        token = fields.UUID(null=True)

    class Item(db.Model):
        shelf = ForeignKey(Shelf, on_delete=SET_NULL, null=True, related_name="items")
        price = fields.Decimal(max_digits=8, decimal_places=2, null=True)
        flag = fields.Boolean(null=True)
        data = fields.JSON(null=True)
        day = fields.Date(null=True)

    class Tag(db.Model):
        item = ForeignKey(Item, on_delete=CASCADE, related_name="tags")
        label = fields.String(max_length=20)

    db.create_all()
    return Shelf, Item, Tag


def check_item(item: Any, shelf_id: Any) -> None:
    assert item.shelf_id == shelf_id
    assert item.price == decimal.Decimal("12.50") and isinstance(item.price, decimal.Decimal)
    assert item.flag is True
    assert item.data == {"a": [1, None]}
    assert item.day == dt.date(2024, 1, 2)
    assert item._state.adding is False


def test_converted_values_and_nulls(db: DB) -> None:
    Shelf, Item, _ = declare(db)
    shelf = Shelf.objects.create(name="top", opened=MOMENT, token=TOKEN)
    item = Item.objects.create(
        shelf=shelf, price=decimal.Decimal("12.5"), flag=True, data={"a": [1, None]}, day=dt.date(2024, 1, 2)
    )
    empty = Item.objects.create()
    check_item(Item.objects.get(pk=item.pk), shelf.pk)
    assert Item.objects.get(pk=item.pk)._state.cache == {}
    check_item(Item.objects.filter(pk=item.pk)[0], shelf.pk)
    fetched = Item.objects.get(pk=empty.pk)
    assert (fetched.shelf_id, fetched.price, fetched.flag, fetched.data, fetched.day) == (
        None,
        None,
        None,
        None,
        None,
    )
    loaded = Shelf.objects.get(pk=shelf.pk)
    assert loaded.opened == MOMENT and loaded.token == TOKEN and loaded._state.db == db.database.name
    assert vars(loaded).keys() == {"id", "name", "opened", "token", "_state"}


def test_select_related_builds_each_model_from_its_own_columns(db: DB) -> None:
    Shelf, Item, Tag = declare(db)
    shelf = Shelf.objects.create(name="top", opened=MOMENT, token=TOKEN)
    item = Item.objects.create(
        shelf=shelf, price=decimal.Decimal("12.5"), flag=True, data={"a": [1, None]}, day=dt.date(2024, 1, 2)
    )
    orphan = Item.objects.create(flag=False)
    Tag.objects.create(item=item, label="first")
    Tag.objects.create(item=orphan, label="second")
    with db.queries() as queries:
        first, second = Tag.objects.select_related("item__shelf").order_by("id")
        check_item(first.item, shelf.pk)
        assert first.item.shelf.opened == MOMENT and first.item.shelf.token == TOKEN
        assert second.item.flag is False and second.item.shelf is None
    assert len(queries) == 1
    annotated = Item.objects.select_related("shelf").annotate(tag_count=Count("tags")).order_by("id")
    assert [(i.tag_count, i.shelf and i.shelf.name) for i in annotated] == [(1, "top"), (1, None)]


def test_async_get_and_all(db: DB) -> None:
    Shelf, _, _ = declare(db)

    async def main() -> None:
        shelf = await Shelf.objects.acreate(name="top", opened=MOMENT, token=TOKEN)
        fetched = await Shelf.objects.aget(pk=shelf.pk)
        assert (fetched.opened, fetched.token) == (MOMENT, TOKEN)
        assert [s.opened async for s in Shelf.objects.all()] == [MOMENT]

    db.run(main())
