"""Making users and setting passwords, held to the app's password rules on request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from vivace import App, Request
from vivace.db import ValidationError

from .conftest import PASSWORD, serve


def test_passwords_are_not_checked_unless_asked(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.db.create_all()
    alice = app.auth.create_user("alice", "123")  # scripts and fixtures may set any password
    assert app.auth.check_password(alice, "123")


@pytest.mark.parametrize("password", ["short", "password123", "123456789012"])
def test_create_user_with_validate_refuses_a_weak_password_before_any_row(
    make_app: Callable[..., App], password: str
) -> None:
    app = make_app()
    app.db.create_all()
    with pytest.raises(ValidationError) as refused:
        app.auth.create_user("alice", password, validate=True)
    assert list(refused.value.errors) == ["password"] and refused.value.errors["password"]
    assert app.auth.user_model.objects.count() == 0


def test_a_password_like_the_username_is_refused(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.db.create_all()
    with pytest.raises(ValidationError) as refused:
        app.auth.create_user("maximilian", "maximilian1", validate=True)
    assert any("similar" in message for message in refused.value.errors["password"])


def test_the_async_forms_validate_the_same_way(make_app: Callable[..., App]) -> None:
    app = make_app()
    app.db.create_all()

    async def main() -> None:
        with pytest.raises(ValidationError):
            await app.auth.acreate_user("bob", "short", validate=True)
        bob = await app.auth.acreate_user("bob", PASSWORD, validate=True)
        with pytest.raises(ValidationError):
            await app.auth.aset_password(bob, "short", validate=True)
        assert app.auth.check_password(bob, PASSWORD)  # unchanged by the refused one
        await app.auth.aset_password(bob, "a much longer passphrase", validate=True)
        assert app.auth.check_password(bob, "a much longer passphrase")

    asyncio.run(main())
    assert app.auth.user_model.objects.count() == 1


def test_out_of_a_handler_a_weak_password_is_a_422_naming_the_field(make_app: Callable[..., App]) -> None:
    app = make_app(token_only=True)

    @app.post("/users/<name>")
    async def register(request: Request, name: str) -> dict[str, str]:
        password = (await request.json())["password"]
        user = await app.auth.acreate_user(name, password, validate=True)
        return {"username": user.username}

    with serve(app) as client:
        refused = client.post("/users/carol", json={"password": "short"})
        assert refused.status_code == 422
        assert {error["field"] for error in refused.json()["errors"]} == {"password"}
        assert client.post("/users/carol", json={"password": PASSWORD}).status_code == 200
