"""``get(pk=value)``'s short path: the same answers as the general path, at the edges of its shortcuts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from vivace.db import Manager, QuerySet, ValidationError, fields

from .conftest import DB


def declare(db: DB) -> tuple[Any, Any, Any]:
    class Published(Manager[Any]):
        def get_queryset(self) -> QuerySet[Any]:
            return super().get_queryset().filter(published=True)

    class Note(db.Model):
        title = fields.String(max_length=40)
        published = fields.Boolean(default=False)
        objects = Published()

    class Token(db.Model):
        id = fields.UUID(primary_key=True, default=uuid.uuid4)
        label = fields.String(max_length=40)

    class Plain(db.Model):
        label = fields.String(max_length=40)

    db.create_all()
    return Note, Token, Plain


def test_a_manager_that_filters_keeps_its_filter(db: DB) -> None:
    Note, _, _ = declare(db)
    assert Note.objects._filters_nothing is False
    hidden = Note.objects.create(title="draft")
    shown = Note.objects.create(title="out", published=True)
    with pytest.raises(Note.DoesNotExist):
        Note.objects.get(pk=hidden.pk)
    assert Note.objects.get(pk=shown.pk).title == "out"

    async def main() -> None:
        with pytest.raises(Note.DoesNotExist):
            await Note.objects.aget(id=hidden.pk)
        assert (await Note.objects.aget(id=shown.pk)).title == "out"

    db.run(main())


def test_whole_number_keys_at_the_edges(db: DB) -> None:
    _, _, Plain = declare(db)
    assert Plain.objects._filters_nothing is True
    row = Plain.objects.create(label="a")
    for value in (2**63 - 1, -(2**63), 0, -1):
        with pytest.raises(Plain.DoesNotExist):
            Plain.objects.get(pk=value)
    for value in (2**63, -(2**63) - 1):
        with pytest.raises(ValidationError):
            Plain.objects.get(pk=value)
    assert Plain.objects.get(pk=row.pk).label == "a"
    assert Plain.objects.get(id=str(row.pk)).label == "a"
    with pytest.raises(ValidationError):
        Plain.objects.get(pk=True)  # a boolean is no key, though bool is an int


def test_uuid_keys(db: DB) -> None:
    _, Token, _ = declare(db)
    token = Token.objects.create(label="a")
    assert Token.objects.get(pk=token.pk).label == "a"
    assert Token.objects.get(pk=str(token.pk)).label == "a"
    with pytest.raises(ValidationError):
        Token.objects.get(pk="not a uuid")

    async def main() -> None:
        assert (await Token.objects.aget(pk=token.pk)).id == token.pk

    db.run(main())
