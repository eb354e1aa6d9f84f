"""The auth battery on PostgreSQL: migrations, sessions, throttling, tokens and permissions."""

from __future__ import annotations

from collections.abc import Callable

from vivace import App, Request
from vivace.auth import Permission, login_required
from vivace.db.migrations import Migrations

from .conftest import serve, user


def test_the_whole_flow_on_postgresql(make_app: Callable[..., App], postgres_url: Callable[[], str]) -> None:
    app = make_app(database_url=postgres_url(), login_throttle_attempts=2)

    @app.get("/me")
    @login_required
    async def me(request: Request) -> dict[str, str]:
        return {"user": request.user.username}

    assert [step.id for step in Migrations.for_app(app).migrate()] == ["auth_0001", "auth_0002"]
    with serve(app, tables=False) as client:
        user(app, "alice", email="alice@example.com")
        assert Permission.objects.filter(label="auth", codename="change_user").exists()
        assert client.login("alice", "wrong").status_code == 400
        assert client.login("alice").status_code == 303
        assert client.get("/me").json() == {"user": "alice"}
        planted = client.cookies["session"]
        token = client.csrf("/auth/logout/")
        assert client.post("/auth/logout/", data={"csrf_token": token}).status_code == 303
        with client.other_browser({"session": planted}) as thief:
            assert thief.get("/me", headers={"Accept": "application/json"}).status_code == 401
        for _ in range(2):
            assert client.login("alice", "wrong").status_code == 400
        assert client.login("alice").status_code == 429
        jwt = app.auth.create_jwt(app.auth.user_model.objects.get(username="alice"))
        assert client.get("/me", headers={"Authorization": f"Bearer {jwt}"}).json() == {"user": "alice"}
