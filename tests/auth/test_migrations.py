"""Auth's tables come with their own migration branch, which matches the models."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from vivace import App
from vivace.db.migrations import Migrations


def test_the_auth_branch_creates_every_table_and_matches_the_models(make_app: Callable[..., App]) -> None:
    app = make_app()
    migrations = Migrations.for_app(app)
    steps = migrations.migrate()
    assert [step.id for step in steps] == ["auth_0001", "auth_0002"]
    assert migrations.changes("auth") == []
    tables = set(sa.inspect(app.db.database.engine).get_table_names())
    assert {
        "auth_user",
        "auth_group",
        "auth_permission",
        "auth_session",
        "auth_token",
        "auth_throttle",
        "auth_user_groups",
        "auth_user_user_permissions",
        "auth_group_permissions",
    } <= tables


def test_debug_applies_the_auth_migrations_to_an_empty_database(make_app: Callable[..., App]) -> None:
    app = make_app(debug=True)
    app.auth  # noqa: B018
    from vivace.testing import TestClient

    with TestClient(app) as client:
        assert client.get("/auth/login/").status_code == 200
        assert sa.inspect(app.db.database.engine).has_table("auth_user")
