"""The ``token_only`` setting: an API authenticated by token only, on every route at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vivace import App, Request
from vivace.auth import login, login_required

from .conftest import serve, session_cookie, user


def token_api(make_app: Callable[..., App], **settings: object) -> App:
    app = make_app(token_only=True, **settings)

    @app.get("/me")
    @login_required
    async def me(request: Request) -> dict[str, str]:
        return {"user": request.user.username}

    @app.post("/notes")
    async def add(request: Request) -> dict[str, str | None]:
        return {"user": request.user.username or None}

    @app.post("/session")
    async def start_session(request: Request) -> dict[str, bool]:
        request.session["seen"] = True
        return {"ok": True}

    return app


def test_a_session_cookie_is_ignored(make_app: Callable[..., App]) -> None:
    app = token_api(make_app)
    with serve(app) as client:
        alice = user(app)
        client.cookies.set("session", "anything-at-all")
        answer = client.get("/me", headers={"Accept": "application/json"})
        assert answer.status_code == 401
        assert answer.json()["detail"] == "authentication required"
        assert client.post("/notes").json() == {"user": None}  # no CSRF 403 for a cookie either
        jwt = app.auth.create_jwt(alice)
        assert client.get("/me", headers={"Authorization": f"Bearer {jwt}"}).json() == {"user": "alice"}


def test_a_logged_in_cookie_of_another_user_changes_nothing(make_app: Callable[..., App]) -> None:
    pages = make_app()
    pages.auth  # noqa: B018 - switches auth on: the login pages
    with serve(pages) as browser:
        user(pages, "bob")
        browser.login("bob")
        cookie = browser.cookies["session"]
    app = token_api(make_app)
    with serve(app, tables=False) as client:
        alice = user(app)
        client.cookies.set("session", cookie)
        assert client.get("/me", headers={"Accept": "application/json"}).status_code == 401
        jwt = app.auth.create_jwt(alice)
        assert client.get("/me", headers={"Authorization": f"Bearer {jwt}"}).json() == {"user": "alice"}


def test_no_session_cookie_is_set(make_app: Callable[..., App]) -> None:
    app = token_api(make_app)

    @app.post("/login")
    async def log_in(request: Request) -> dict[str, str]:
        found = await app.auth.user_model.objects.aget(username="alice")
        login(request, found)
        return {"token": app.auth.create_jwt(found)}

    with serve(app) as client:
        user(app)
        for path in ("/session", "/login"):
            response = client.post(path)
            assert response.status_code == 200
            assert session_cookie(response) is None
            assert "set-cookie" not in response.headers


def test_no_login_pages_are_mounted(make_app: Callable[..., App]) -> None:
    app = token_api(make_app)
    with serve(app) as client:
        assert client.get("/auth/login/").status_code == 404
        assert not any(name.startswith("auth:") for name in app.named_routes)
        anonymous = client.get("/me", headers={"Accept": "text/html"})
        assert anonymous.status_code == 401  # no redirect to a login page that is not there


def test_the_setting_is_typed(make_app: Callable[..., App]) -> None:
    from vivace import ConfigError

    with pytest.raises(ConfigError, match="token_only"):
        make_app(token_only="sometimes")
