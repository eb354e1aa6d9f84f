"""Logging in: enumeration, timing, throttling, the password length cap, the hash format (ATTACKS 24)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from vivace import App, Request
from vivace.auth import PasswordHasher, login_required

from .conftest import PASSWORD, AuthClient, serve, user


def login_app(make_app: Callable[..., App], **settings: Any) -> App:
    app = make_app(**settings)

    @app.get("/me")
    @login_required
    async def me(request: Request) -> dict[str, str]:
        return {"user": request.user.username}

    return app


class Spy:
    """Counts the argon2 verifications of the app's hasher: real ones, and those for nobody."""

    def __init__(self, hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch) -> None:
        self.argon_calls = 0
        self.dummy = 0
        argon = hasher._hasher
        spy = self

        class Counting:
            def __getattr__(self, name: str) -> Any:
                return getattr(argon, name)

            def verify(self, encoded: str, password: str) -> bool:
                spy.argon_calls += 1
                return bool(argon.verify(encoded, password))

        monkeypatch.setattr(hasher, "_hasher", Counting())
        dummy = hasher.verify_dummy

        def counted_dummy(password: str) -> None:
            spy.dummy += 1
            dummy(password)

        monkeypatch.setattr(hasher, "verify_dummy", counted_dummy)


def attempt(client: AuthClient, username: str, password: str) -> Any:
    token = client.csrf()
    return client.post("/auth/login/", data={"username": username, "password": password, "csrf_token": token})


def test_login_and_next(make_app: Callable[..., App]) -> None:
    app = login_app(make_app)
    with serve(app) as client:
        user(app)
        response = client.get("/me", headers={"Accept": "text/html"})
        assert response.status_code == 302
        assert response.headers["location"] == "/auth/login/?next=%2Fme"
        logged = client.login("alice", next="/me")
        assert logged.status_code == 303
        assert logged.headers["location"] == "/me"
        assert client.get("/me").json() == {"user": "alice"}
        assert app.auth.user_model.objects.get(username="alice").last_login is not None


def test_unknown_user_and_wrong_password_look_the_same(
    make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(make_app)
    with serve(app) as client:
        user(app, "alice")
        spy = Spy(app.auth.hasher, monkeypatch)
        unknown = attempt(client, "nobody", "some password")
        assert spy.dummy == 1 and spy.argon_calls == 1  # the hasher ran though nobody has that name
        wrong = attempt(client, "alice", "some password")
        assert spy.dummy == 1 and spy.argon_calls == 2
        assert unknown.status_code == wrong.status_code == 400
        assert unknown.text.replace("nobody", "alice") == wrong.text.replace(
            TOKEN_OF(wrong.text), TOKEN_OF(unknown.text)
        )


def TOKEN_OF(page: str) -> str:
    start = page.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return page[start : page.index('"', start)]


def test_an_inactive_user_fails_like_a_wrong_password(
    make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(make_app)
    with serve(app) as client:
        user(app, "alice", is_active=False)
        spy = Spy(app.auth.hasher, monkeypatch)
        assert attempt(client, "alice", PASSWORD).status_code == 400
        assert spy.argon_calls == 1


@pytest.mark.parametrize("store", ["database", "redis"])
def test_failures_per_account_and_address_are_throttled(
    make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, store: str
) -> None:
    settings: dict[str, Any] = {"login_throttle_attempts": 3, "login_throttle_window": 120}
    if store == "redis":
        url = request.getfixturevalue("redis_url")
        with redis.Redis.from_url(url) as connection:
            connection.flushdb()
        settings["redis_url"] = url
    app = login_app(make_app, **settings)
    with serve(app) as client:
        user(app, "alice")
        for _ in range(3):
            assert attempt(client, "alice", "wrong").status_code == 400
        spy = Spy(app.auth.hasher, monkeypatch)
        blocked = attempt(client, "alice", PASSWORD)  # even the right password
        assert blocked.status_code == 429
        assert 1 <= int(blocked.headers["retry-after"]) <= 120
        assert spy.argon_calls == 0  # refused before any hashing
        assert "session" not in {c for c in client.cookies if "Max-Age" in c}
        assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
        # Another account from the same address is not blocked by alice's count.
        user(app, "bob")
        assert client.login("bob").status_code == 303


def test_failures_per_address_are_throttled_across_accounts(make_app: Callable[..., App]) -> None:
    app = login_app(make_app, login_throttle_attempts=100, login_throttle_ip_attempts=4)
    with serve(app) as client:
        for name in ("a", "b", "c", "d"):
            assert attempt(client, name, "x").status_code == 400
        assert attempt(client, "e", "x").status_code == 429
    with serve(app, tables=False, client=("10.0.0.2", 40000)) as elsewhere:
        assert attempt(elsewhere, "f", "x").status_code == 400


def test_a_success_clears_the_account_count(make_app: Callable[..., App]) -> None:
    app = login_app(make_app, login_throttle_attempts=3)
    with serve(app) as client:
        user(app, "alice")
        for _ in range(2):
            attempt(client, "alice", "wrong")
        assert client.login("alice").status_code == 303
        for _ in range(2):
            assert attempt(client, "alice", "wrong").status_code == 400
        assert client.login("alice").status_code == 303


def test_a_huge_password_is_refused_without_hashing(
    make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = login_app(make_app)
    with serve(app) as client:
        user(app, "alice")
        spy = Spy(app.auth.hasher, monkeypatch)
        response = attempt(client, "alice", "x" * (1024 * 1024))
        assert response.status_code == 400
        assert spy.argon_calls == 0
    hasher = app.auth.hasher
    with pytest.raises(ValueError, match="at most 4096 bytes"):
        hasher.hash("é" * 2049)
    assert app.auth.validate_password("a" * 5000) == ["This password is too long: at most 4096 bytes."]


def test_the_stored_hash_shows_the_algorithm_and_cost(make_app: Callable[..., App]) -> None:
    app = make_app(password_hash_cost=2, password_hash_memory=16, password_hash_parallelism=1)
    app.db.create_all()
    alice = user(app)
    assert alice.password.startswith("$argon2id$v=19$m=16,t=2,p=1$")
    assert PASSWORD not in alice.password


def test_a_login_rehashes_under_new_parameters(make_app: Callable[..., App], tmp_path: Any) -> None:
    old = login_app(make_app)
    old.db.create_all()
    user(old)
    assert old.auth.user_model.objects.get(username="alice").password.startswith("$argon2id$v=19$m=8,t=1")
    from vivace.db import default_registry

    default_registry.database = None
    new = login_app(make_app, password_hash_cost=2, password_hash_memory=32)
    with serve(new, tables=False) as client:
        assert client.login("alice").status_code == 303
        stored = new.auth.user_model.objects.get(username="alice").password
    assert stored.startswith("$argon2id$v=19$m=32,t=2,p=1$")


@pytest.mark.parametrize("login_by", ["email", "both"])
def test_login_by_email(make_app: Callable[..., App], login_by: str) -> None:
    app = login_app(make_app, login_by=login_by)
    with serve(app) as client:
        user(app, "alice", email="Alice@Example.com")
        assert client.login("alice@example.com").status_code == 303
        assert client.get("/me").json() == {"user": "alice"}
        if login_by == "both":
            with client.other_browser() as other:
                assert other.login("alice").status_code == 303
        else:
            with client.other_browser() as other:
                assert other.login("alice").status_code == 400


def test_unique_email_is_kept_by_the_database_for_auth_user(make_app: Callable[..., App]) -> None:
    from vivace.db import IntegrityError

    app = make_app()
    app.db.create_all()
    user(app, "alice", email="a@example.com")
    with pytest.raises(IntegrityError) as refused:
        user(app, "alice2", email="A@example.com")
    assert refused.value.fields == ["email"]
    relaxed = make_app(unique_email=False)  # the setting rules plain e-mail fields only
    with pytest.raises(IntegrityError):
        user(relaxed, "alice3", email="a@example.com")


def test_plain_def_handlers_authenticate_and_log_in(make_app: Callable[..., App]) -> None:
    """A JSON login in a sync handler: authenticate() runs the async check on the request's loop."""
    from vivace.auth import authenticate, csrf_exempt, login

    app = login_app(make_app)

    @app.post("/api/session")
    @csrf_exempt
    def session_login(request: Request) -> Any:
        params = request.query_params
        found = authenticate(request, params.get("name", ""), params.get("password", ""))
        if found is None:
            return {"error": "bad credentials"}, 400
        login(request, found)
        return {"user": found.username}

    with serve(app) as client:
        user(app)
        assert client.post("/api/session", params={"name": "alice", "password": "nope"}).status_code == 400
        response = client.post("/api/session", params={"name": "alice", "password": PASSWORD})
        assert response.json() == {"user": "alice"}
        assert "session=" in response.headers["set-cookie"]
        assert client.get("/me").json() == {"user": "alice"}
