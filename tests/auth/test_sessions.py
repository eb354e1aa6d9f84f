"""Sessions: fixation, logout, password change, cookie properties, Vary, expiry (ATTACKS 21, 22).

Every behaviour is checked with the three stores: the database, Redis (a real
server) and the signed cookie, where it applies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from vivace import App, Request
from vivace.auth import battery as battery_module
from vivace.auth import login_required
from vivace.auth import sessions as sessions_module

from .conftest import PASSWORD, AuthClient, serve, session_cookie, user

STORES = ["database", "redis", "cookie"]


@pytest.fixture
def store_app(request: pytest.FixtureRequest, make_app: Callable[..., App]) -> Iterator[Callable[..., App]]:
    kind = request.param

    def build(**settings: Any) -> App:
        if kind == "redis":
            url = request.getfixturevalue("redis_url")
            with redis.Redis.from_url(url) as connection:
                connection.flushdb()
            settings["redis_url"] = url
        app = make_app(session_store=kind, **settings)

        @app.get("/me")
        @login_required
        async def me(request: Request) -> dict[str, Any]:
            return {"user": request.user.username}

        @app.get("/whoami")
        async def whoami(request: Request) -> dict[str, Any]:
            return {"user": request.user.username or None}

        @app.post("/tokens")
        @login_required
        async def new_token(request: Request) -> dict[str, str]:
            token, _record = await request.app.auth.create_token(request.user, name="ci")
            return {"token": token}

        @app.get("/static-page")
        async def static_page(request: Request) -> str:
            return "no session read here"

        return app

    yield build


def logged_in(app: App, name: str = "alice") -> tuple[AuthClient, str]:
    client = serve(app)
    client.__enter__()
    user(app, name)
    response = client.login(name)
    assert response.status_code == 303, response.text
    cookie = session_cookie(response)
    assert cookie
    return client, cookie


@pytest.mark.parametrize("store_app", STORES, indirect=True)
def test_login_rotates_the_session_id_and_the_old_one_is_dead(store_app: Callable[..., App]) -> None:
    """ATTACKS 21: a session id planted before login never becomes a logged-in session."""
    app = store_app()
    with serve(app) as client:
        user(app)
        client.get("/auth/login/")  # an anonymous session with a CSRF secret
        planted = client.cookies.get("session")
        assert planted
        response = client.login("alice")
        fresh = session_cookie(response)
        assert fresh and fresh != planted
        assert client.get("/me").json() == {"user": "alice"}
        with client.other_browser({"session": planted}) as attacker:
            assert attacker.get("/me").status_code == 401
            assert attacker.get("/whoami").json() == {"user": None}


@pytest.mark.parametrize("store_app", ["database", "redis"], indirect=True)
def test_logout_ends_the_session_server_side(store_app: Callable[..., App]) -> None:
    """ATTACKS 21: a copy of the cookie taken before logout is refused afterwards."""
    app = store_app()
    client, cookie = logged_in(app)
    try:
        token = client.csrf("/auth/logout/")
        response = client.post("/auth/logout/", data={"csrf_token": token})
        assert response.status_code == 303
        assert 'session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
        with client.other_browser({"session": cookie}) as thief:
            assert thief.get("/me").status_code == 401
    finally:
        client.close()


@pytest.mark.parametrize("store_app", STORES, indirect=True)
def test_password_change_ends_the_other_sessions_but_not_tokens(store_app: Callable[..., App]) -> None:
    """ATTACKS 21: the other browser is logged out; the API token keeps working until its own expiry."""
    app = store_app()
    client, _ = logged_in(app)
    try:
        with client.other_browser() as other:
            assert other.login("alice").status_code == 303
            assert other.get("/me").status_code == 200
            other_cookies = dict(other.cookies)
        alice = app.auth.user_model.objects.get(username="alice")
        token = client.post("/tokens", headers={"X-CSRF-Token": client.csrf()}).json()["token"]
        jwt_token = app.auth.create_jwt(alice)

        form_token = client.csrf("/auth/password/")
        new = "a different long passphrase"
        fields = {
            "old_password": PASSWORD,
            "new_password": new,
            "new_password2": new,
            "csrf_token": form_token,
        }
        response = client.post("/auth/password/", data=fields)
        assert response.status_code == 200, response.text
        assert client.get("/me").json() == {"user": "alice"}  # this session goes on
        with client.other_browser(other_cookies) as other:
            assert other.get("/me").status_code == 401  # the other one ended
            for bearer in (token, jwt_token):
                answer = other.get("/me", headers={"Authorization": f"Bearer {bearer}"})
                assert answer.json() == {"user": "alice"}
    finally:
        client.close()


@pytest.mark.parametrize("store_app", STORES, indirect=True)
def test_session_cookie_properties(store_app: Callable[..., App]) -> None:
    """ATTACKS 22: HttpOnly, SameSite=Lax, Path=/, no Domain; Secure under HTTPS."""
    app = store_app()
    with serve(app) as client:
        user(app)
        header = client.get("/auth/login/").headers["set-cookie"]
        attributes = [part.strip().lower() for part in header.split(";")]
        assert "httponly" in attributes
        assert "samesite=lax" in attributes
        assert "path=/" in attributes
        assert not any(part.startswith("domain") for part in attributes)
        assert "secure" not in attributes  # plain HTTP in development
    with serve(app, tables=False, base_url="https://testserver") as secure_client:
        header = secure_client.get("/auth/login/").headers["set-cookie"]
        assert "secure" in [part.strip().lower() for part in header.split(";")]
        login = secure_client.login("alice")
        assert "secure" in [part.strip().lower() for part in login.headers["set-cookie"].split(";")]


def test_secure_cookies_setting_makes_every_cookie_secure(make_app: Callable[..., App]) -> None:
    app = make_app(secure_cookies=True)
    app.auth  # noqa: B018 - switches auth on
    with serve(app) as client:
        user(app)
        header = client.get("/auth/login/").headers["set-cookie"]
        assert "secure" in [part.strip().lower() for part in header.split(";")]


@pytest.mark.parametrize("store_app", STORES, indirect=True)
def test_responses_that_read_the_session_vary_on_cookie_and_are_private(
    store_app: Callable[..., App],
) -> None:
    """ATTACKS 22 (Flask CVE-2023-30861 class): a shared cache must not serve one user's page to another."""
    app = store_app()
    client, _ = logged_in(app)
    try:
        for path in ("/me", "/whoami"):
            response = client.get(path)
            assert "cookie" in response.headers["vary"].lower()
            assert "private" in response.headers["cache-control"]
        untouched = client.get("/static-page")
        assert "vary" not in untouched.headers
        assert "set-cookie" not in untouched.headers
    finally:
        client.close()
    with serve(app, tables=False) as anonymous:
        page = anonymous.get("/whoami")
        assert page.headers["vary"] == "Cookie"
        assert "set-cookie" not in page.headers  # reading the user of nobody makes no session


@pytest.mark.parametrize("store_app", STORES, indirect=True)
def test_idle_and_absolute_expiry(store_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch) -> None:
    app = store_app(session_idle_timeout=600, session_max_age=3600)
    client, _ = logged_in(app)
    clock = [time.time()]

    class Clock:
        """Only the auth battery's clock moves; the client's cookie jar keeps real time."""

        @staticmethod
        def time() -> float:
            return clock[0]

    monkeypatch.setattr(battery_module, "time", Clock)
    monkeypatch.setattr(sessions_module, "time", Clock)
    try:
        clock[0] += 500
        assert client.get("/me").status_code == 200  # used within the idle limit: extended
        clock[0] += 500
        assert client.get("/me").status_code == 200
        clock[0] += 601
        assert client.get("/me").status_code == 401  # idle too long
        client.login("alice")
        for _ in range(7):
            clock[0] += 550
            client.get("/me")
        assert client.get("/me").status_code == 401  # used all along, but past the absolute limit
    finally:
        client.close()
