"""When auth switches on, and that an app which never uses it pays nothing."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from vivace import App, Module, Request
from vivace.auth import login_required, token_only
from vivace.testing import TestClient

from .conftest import serve, user


def test_import_vivace_loads_no_auth() -> None:
    code = (
        "import sys, vivace; from vivace import App; App('x');"
        "print(any(m.startswith(('vivace.auth', 'argon2', 'jwt', 'redis')) for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_app_that_does_not_use_auth_is_untouched(make_app: Callable[..., App]) -> None:
    app = make_app()

    @app.post("/echo")
    async def echo(request: Request) -> str:
        return "posted"

    with TestClient(app) as client:
        client.cookies.set("session", "anything")
        response = client.post("/echo")
        assert response.status_code == 200  # no CSRF check: nobody uses sessions here
        assert "set-cookie" not in response.headers and "vary" not in response.headers
        assert client.get("/auth/login/").status_code == 404
    route = next(r for r in app.router.routes if r.path == "/echo")
    assert route.handler.__name__ != "guarded"
    assert "auth" not in app.__dict__


def test_request_user_in_an_app_without_auth_says_how_to_switch_it_on(make_app: Callable[..., App]) -> None:
    app = make_app(debug=True)

    @app.get("/who")
    async def who(request: Request) -> str:
        return str(request.user)

    with TestClient(app) as client:
        response = client.get("/who")
        assert response.status_code == 500
        assert "auth is off for this app" in response.text


def test_a_decorated_route_switches_auth_on_with_its_pages(make_app: Callable[..., App]) -> None:
    app = make_app()

    @app.get("/private")
    @login_required
    async def private(request: Request) -> str:
        return "private"

    with serve(app) as client:
        assert client.get("/auth/login/").status_code == 200
        assert {"auth:login", "auth:logout", "auth:password_change", "auth:password_reset"} <= set(
            app.named_routes
        )
        static = [r for r in app.router.routes if (r.name or "").endswith("static")]
        assert all(r.handler.__name__ != "guarded" for r in static)


def test_a_token_only_module_ignores_cookies(make_app: Callable[..., App]) -> None:
    api = token_only(Module("api", __name__))

    @api.post("/notes")
    async def add(request: Request) -> dict[str, str | None]:
        return {"user": request.user.username or None}

    app = make_app()
    app.register(api, prefix="/api")
    with serve(app) as client:
        user(app)
        client.login("alice")
        answer = client.post("/api/notes")  # a cookie, no CSRF token: no user, and no 403
        assert answer.json() == {"user": None}
        jwt = app.auth.create_jwt(app.auth.user_model.objects.get(username="alice"))
        with_token = client.post("/api/notes", headers={"Authorization": f"Bearer {jwt}"})
        assert with_token.json() == {"user": "alice"}


def test_auth_prefix_moves_or_removes_the_pages(make_app: Callable[..., App]) -> None:
    moved = make_app(auth_prefix="/accounts/")
    moved.auth  # noqa: B018
    with serve(moved) as client:
        assert client.get("/accounts/login/").status_code == 200
    bare = make_app(auth_prefix="", login_url="/signin")

    @bare.get("/private")
    @login_required
    async def private(request: Request) -> str:
        return "private"

    with serve(bare, tables=False) as client:
        assert client.get("/auth/login/").status_code == 404
        response = client.get("/private", headers={"Accept": "text/html"})
        assert response.headers["location"] == "/signin?next=%2Fprivate"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"session_store": "redis"}, "needs redis_url"),
        ({"auth_prefix": "auth"}, "must start and end with '/'"),
        ({"csrf_trusted_origins": ["partner.example"]}, "is not an origin"),
        ({"password_validators": ["length", "entropy"]}, "unknown rules"),
        ({"mail_url": "carrier-pigeon://x"}, "mail_url is invalid"),
        ({"password_hash_memory": 8, "password_hash_parallelism": 4}, "below 8 KiB per lane"),
    ],
)
def test_bad_settings_are_config_errors_naming_the_fix(
    make_app: Callable[..., App], monkeypatch: pytest.MonkeyPatch, settings: dict[str, object], message: str
) -> None:
    from vivace import ConfigError

    monkeypatch.delenv("REDIS_URL", raising=False)
    app = make_app(**settings)
    with pytest.raises(ConfigError, match=message):
        app.auth  # noqa: B018


def test_a_missing_secret_key_fails_at_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIVACE_SECRET_KEY", raising=False)
    app = App("nokey", root=tmp_path)

    @app.get("/")
    @login_required
    def index(request: Request) -> str:
        return "hi"

    client = TestClient(app)
    with pytest.raises(RuntimeError, match="VIVACE_SECRET_KEY"):
        client.__enter__()
    client.close()
