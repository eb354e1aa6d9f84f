"""E-mail addresses are unique in the database, whatever their case; blank ones are not counted.

Every test runs on SQLite and on PostgreSQL. The ``auth_0002`` migration lowers
the addresses already stored and adds the index, or stops naming the shared ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from vivace import App, Request
from vivace.db import IntegrityError
from vivace.db.migrations import Migrations
from vivace.db.migrations.exceptions import MigrationError

from .conftest import PASSWORD, serve, user


def _app_at(request: pytest.FixtureRequest, make_app: Callable[..., App], target: str | None) -> App:
    """An app on SQLite or PostgreSQL whose auth tables are made by the auth migrations up to ``target``."""
    if request.param == "sqlite":
        tmp_path = request.getfixturevalue("tmp_path")
        app = make_app(database_url=f"sqlite:///{tmp_path / 'unique.sqlite3'}")
    else:
        app = make_app(database_url=request.getfixturevalue("postgres_url")())
    app.auth  # noqa: B018
    Migrations.for_app(app).migrate(target)
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated(request: pytest.FixtureRequest, make_app: Callable[..., App]) -> App:
    return _app_at(request, make_app, None)


def test_a_second_user_with_the_same_address_in_any_case_is_refused(migrated: App) -> None:
    first = user(migrated, "alice", email="Alice@Example.com")
    assert first.email == "alice@example.com"
    assert migrated.auth.user_model.objects.get(pk=first.pk).email == "alice@example.com"
    with pytest.raises(IntegrityError) as refused:
        user(migrated, "alice2", email="ALICE@example.COM")
    assert refused.value.fields == ["email"]
    assert refused.value.status_code == 409
    assert refused.value.errors == [{"field": "email", "message": "already exists", "code": "unique"}]


def test_the_async_path_is_refused_the_same_way(migrated: App) -> None:
    async def main() -> None:
        try:
            await migrated.auth.acreate_user("bob", PASSWORD, email="bob@example.com")
            with pytest.raises(IntegrityError) as refused:
                await migrated.auth.acreate_user("bobby", PASSWORD, email="Bob@Example.com")
            assert refused.value.fields == ["email"]
            with pytest.raises(IntegrityError) as taken:
                await migrated.auth.acreate_user("bob", PASSWORD, email="other@example.com")
            assert taken.value.fields == ["username"]
        finally:
            # This loop's connections close with it: a pool left open on an ending loop can hang its end.
            await migrated.db.database.aclose()

    asyncio.run(main())


def test_any_number_of_users_may_have_no_address(migrated: App) -> None:
    for name in ("a", "b", "c"):
        user(migrated, name, email="")
    assert migrated.auth.user_model.objects.filter(email="").count() == 3


def test_changing_an_address_to_a_taken_one_is_refused(migrated: App) -> None:
    user(migrated, "alice", email="alice@example.com")
    bob = user(migrated, "bob", email="bob@example.com")
    bob.email = "ALICE@example.com"
    with pytest.raises(IntegrityError) as refused:
        bob.save()
    assert refused.value.fields == ["email"]


def test_a_handler_that_registers_a_taken_address_answers_409(migrated: App) -> None:
    @migrated.post("/register")
    async def register(request: Request) -> dict[str, str]:
        data = await request.json()
        made = await migrated.auth.acreate_user(data["username"], PASSWORD, email=data["email"])
        return {"email": made.email}

    with serve(migrated, tables=False) as client:
        first = client.post("/register", json={"username": "ann", "email": "Ann@example.com"})
        assert first.json() == {"email": "ann@example.com"}
        again = client.post("/register", json={"username": "ann2", "email": "ann@EXAMPLE.com"})
        assert again.status_code == 409
        assert again.json()["errors"] == [{"field": "email", "message": "already exists", "code": "unique"}]
        assert "uq_auth_user_email" not in again.text and "auth_user" not in again.text


def test_set_password_has_an_async_twin(migrated: App) -> None:
    alice = user(migrated, "alice")

    @migrated.post("/password")
    async def change(request: Request) -> dict[str, bool]:
        found = await migrated.auth.user_model.objects.aget(pk=alice.pk)
        await migrated.auth.aset_password(found, "another long password")
        await found.asave()
        return {"changed": True}

    with serve(migrated, tables=False) as client:
        assert client.post("/password").json() == {"changed": True}
        stored = migrated.auth.user_model.objects.get(pk=alice.pk)
        assert stored.password.startswith("$argon2id$")
        assert migrated.auth.check_password(stored, "another long password")
        assert not migrated.auth.check_password(stored, PASSWORD)


# The migration ---------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def before_0002(request: pytest.FixtureRequest, make_app: Callable[..., App]) -> App:
    """An app whose auth tables are at auth_0001, before addresses were unique."""
    return _app_at(request, make_app, "auth_0001")


def _insert(app: App, *emails: str, first: int = 0) -> None:
    rows = [
        {
            "username": f"user{first + i}",
            "email": email,
            "password": "",
            "is_active": True,
            "is_staff": False,
            "is_superuser": False,
            "date_joined": "2026-01-01 00:00:00",
        }
        for i, email in enumerate(emails)
    ]
    with app.db.database.engine.begin() as connection:
        connection.execute(
            sa.text(
                f"INSERT INTO auth_user ({', '.join(rows[0])}) VALUES ({', '.join(':' + c for c in rows[0])})"
            ),
            rows,
        )


def _emails(app: App) -> list[Any]:
    with app.db.database.engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT email FROM auth_user ORDER BY username")).scalars())


def test_the_migration_keeps_the_users_and_lowers_their_addresses(before_0002: App) -> None:
    _insert(before_0002, "Ann@Example.com", "bob@example.com", "", "")
    steps = Migrations.for_app(before_0002).migrate()
    assert [step.id for step in steps] == ["auth_0002"]
    assert _emails(before_0002) == ["ann@example.com", "bob@example.com", "", ""]
    assert Migrations.for_app(before_0002).changes("auth") == []
    with pytest.raises(IntegrityError):
        user(before_0002, "ann2", email="ANN@example.com")
    Migrations.for_app(before_0002).downgrade("auth_0001")
    _insert(before_0002, "x@example.com", "X@example.com", first=10)  # the plain index again
    assert len(_emails(before_0002)) == 6


def test_the_migration_stops_and_names_shared_addresses(before_0002: App) -> None:
    _insert(before_0002, "Ann@Example.com", "ann@example.COM", "bob@example.com")
    with pytest.raises(MigrationError, match=r"1 are shared by several users \(ann@example.com\)"):
        Migrations.for_app(before_0002).migrate()
    assert _emails(before_0002) == ["Ann@Example.com", "ann@example.COM", "bob@example.com"]
