"""CSRF on cookie-authenticated unsafe requests (ATTACKS 25)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from vivace import App, Request
from vivace.auth import csrf_exempt, login_required, token_only

from .conftest import AuthClient, serve, user


def csrf_app(make_app: Callable[..., App]) -> App:
    app = make_app(csrf_trusted_origins=["https://partner.example"])
    app.state.changes = 0

    @app.get("/notes")
    @login_required
    async def notes(request: Request) -> dict[str, int]:
        return {"changes": request.app.state.changes}

    @app.post("/notes")
    @login_required
    async def add_note(request: Request) -> dict[str, int]:
        request.app.state.changes += 1
        return {"changes": request.app.state.changes}

    @app.post("/api/notes")
    @login_required
    async def api_add(request: Request) -> dict[str, int]:
        await request.body()
        request.app.state.changes += 1
        return {"changes": request.app.state.changes}

    @app.post("/hook")
    @csrf_exempt
    async def hook(request: Request) -> str:
        return "ok"

    @app.post("/api/token-only")
    @token_only
    @login_required
    async def token_route(request: Request) -> dict[str, str]:
        return {"user": request.user.username}

    return app


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    return csrf_app(make_app)


@pytest.fixture
def client(app: App) -> Iterator[AuthClient]:
    with serve(app) as client:
        user(app)
        assert client.login("alice").status_code == 303
        yield client


def changes(app: App) -> int:
    return int(app.state.changes)


def test_a_form_with_the_session_token_passes(app: App, client: AuthClient) -> None:
    token = client.csrf()
    response = client.post("/notes", data={"title": "x", "csrf_token": token})
    assert response.status_code == 200
    assert changes(app) == 1
    header = client.post("/api/notes", json={"title": "x"}, headers={"X-CSRF-Token": client.csrf()})
    assert header.status_code == 200
    assert changes(app) == 2


@pytest.mark.parametrize(
    "case",
    ["no token", "another session's token", "token in the query string only", "garbage token"],
)
def test_forms_without_this_sessions_token_are_refused(app: App, client: AuthClient, case: str) -> None:
    data = {"title": "x"}
    path = "/notes"
    if case == "another session's token":
        with client.other_browser() as other:
            other.login("alice")
            data["csrf_token"] = other.csrf()
    elif case == "token in the query string only":
        path = f"/notes?csrf_token={client.csrf()}"
    elif case == "garbage token":
        data["csrf_token"] = "A" * 86
    response = client.post(path, data=data)
    assert response.status_code == 403
    assert "CSRF check failed" in response.text
    assert changes(app) == 0


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "null",
        "http://testserver:8080",
        "http://evil.testserver",
        "https://testserver",
    ],
)
def test_another_origin_is_refused_even_with_a_valid_token(app: App, client: AuthClient, origin: str) -> None:
    token = client.csrf()
    response = client.post("/notes", data={"csrf_token": token}, headers={"Origin": origin})
    assert response.status_code == 403
    assert "origin" in response.json()["detail"]
    assert changes(app) == 0


def test_the_own_origin_and_trusted_origins_pass(app: App, client: AuthClient) -> None:
    for origin in ("http://testserver", "https://partner.example"):
        response = client.post("/notes", data={"csrf_token": client.csrf()}, headers={"Origin": origin})
        assert response.status_code == 200, origin


def test_https_requests_need_a_same_site_referer_without_origin(make_app: Callable[..., App]) -> None:
    app = csrf_app(make_app)
    with serve(app, base_url="https://testserver") as client:
        user(app)
        assert client.login("alice").status_code == 303
        token = client.csrf()
        assert client.post("/notes", data={"csrf_token": token}).status_code == 403
        evil = client.post(
            "/notes", data={"csrf_token": token}, headers={"Referer": "https://evil.example/x"}
        )
        assert evil.status_code == 403
        good = client.post(
            "/notes", data={"csrf_token": token}, headers={"Referer": "https://testserver/notes"}
        )
        assert good.status_code == 200


def test_cookie_authenticated_json_refuses_a_text_plain_simple_post(app: App, client: AuthClient) -> None:
    """The cross-site 'simple' request a form with enctype=text/plain can send."""
    response = client.post("/api/notes", content=b'{"title": "x"}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 403
    assert changes(app) == 0


def test_token_authenticated_requests_are_exempt(app: App, client: AuthClient) -> None:
    alice = app.auth.user_model.objects.get(username="alice")
    bearer = app.auth.create_jwt(alice)
    response = client.post("/api/notes", json={}, headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 200
    # A token-only route ignores the cookie: no user from it, and no CSRF to ask for.
    assert client.post("/api/token-only").status_code == 401
    with_token = client.post("/api/token-only", headers={"Authorization": f"Bearer {bearer}"})
    assert with_token.json() == {"user": "alice"}


def test_csrf_exempt_routes_are_not_checked(client: AuthClient) -> None:
    assert client.post("/hook", data={"x": "1"}).status_code == 200


def test_the_token_rotates_at_login(app: App) -> None:
    with serve(app) as client:
        user(app)
        before = client.csrf()
        assert client.login("alice").status_code == 303
        response = client.post("/notes", data={"csrf_token": before})
        assert response.status_code == 403
        assert client.post("/notes", data={"csrf_token": client.csrf()}).status_code == 200


def test_the_login_form_itself_is_checked(app: App) -> None:
    """Login CSRF: a forged login (no session yet, no token) is refused."""
    with serve(app) as client:
        user(app)
        response = client.post("/auth/login/", data={"username": "alice", "password": "x"})
        assert response.status_code == 403
        assert "session" not in client.cookies


def test_get_never_mutates(app: App, client: AuthClient) -> None:
    """Logging out or in takes a POST: the same request as a GET changes nothing."""
    assert client.get("/auth/logout/?next=/").status_code == 200
    assert client.get("/notes").status_code == 200  # still logged in
    with client.other_browser() as anonymous:
        anonymous.get("/auth/login/?username=alice&password=correct+horse+battery+staple")
        assert anonymous.get("/notes", headers={"Accept": "application/json"}).status_code == 401


def test_each_render_masks_the_token_differently(client: AuthClient) -> None:
    first, second = client.csrf(), client.csrf()
    assert first != second
    assert client.post("/notes", data={"csrf_token": first}).status_code == 200
    assert client.post("/notes", data={"csrf_token": second}).status_code == 200


def test_the_403_page_says_why_to_browsers(client: AuthClient) -> None:
    response = client.post("/notes", data={}, headers={"Accept": "text/html"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "has no CSRF token" in response.text
