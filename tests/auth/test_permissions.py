"""Permissions made for every model, ``has_perm``, groups, and the decorators that check them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vivace import App, ConfigError, Request
from vivace.auth import Group, Permission, permission_required, staff_required
from vivace.db import Registry, fields

from .conftest import serve, user

# The app's own models, in a registry of their own so that no other test sees them.
blog = Registry("blog-for-auth-tests")


class Post(blog.Model):  # type: ignore[name-defined,misc]
    title = fields.String(100)

    class Meta:
        label = "blog"


def perm_app(make_app: Callable[..., App]) -> App:
    app = make_app()
    app.db.use(blog)

    @app.get("/posts/edit")
    @permission_required("blog.change_post")
    async def edit(request: Request) -> str:
        return "editing"

    @app.get("/posts/edit-sync")
    @permission_required("blog.change_post", "blog.view_post")
    def edit_sync(request: Request) -> str:
        return "editing in a thread"

    @app.get("/staff")
    @staff_required
    async def staff(request: Request) -> str:
        return "staff only"

    return app


def grant(username: str, *codenames: str, group: str | None = None) -> None:
    from vivace.auth import User

    alice = User.objects.get(username=username)
    permissions = [Permission.objects.get(label="blog", codename=code) for code in codenames]
    if group is None:
        alice.user_permissions.add(*permissions)
    else:
        team, _ = Group.objects.get_or_create(name=group)
        team.permissions.add(*permissions)
        alice.groups.add(team)


def test_permissions_are_made_for_every_model_at_start_up(make_app: Callable[..., App]) -> None:
    app = perm_app(make_app)
    with serve(app):
        names = {p.full_name for p in Permission.objects.all()}
        assert {"blog.view_post", "blog.add_post", "blog.change_post", "blog.delete_post"} <= names
        assert "auth.change_user" in names
        count = Permission.objects.count()
    with serve(app, tables=False):
        assert Permission.objects.count() == count  # made once


def test_own_and_group_permissions(make_app: Callable[..., App]) -> None:
    app = perm_app(make_app)
    with serve(app) as client:
        user(app, "alice")
        client.login("alice")
        json = {"Accept": "application/json"}
        assert client.get("/posts/edit", headers=json).status_code == 403
        grant("alice", "change_post")
        assert client.get("/posts/edit").text == "editing"
        assert client.get("/posts/edit-sync").status_code == 403  # view_post missing
        grant("alice", "view_post", group="readers")
        assert client.get("/posts/edit-sync").text == "editing in a thread"
        from vivace.auth import User

        alice = User.objects.get(username="alice")
        assert alice.has_perm("blog.view_post") and alice.has_perm("blog.change_post")
        assert not alice.has_perm("blog.delete_post")


def test_superusers_hold_every_permission_and_anonymous_users_none(make_app: Callable[..., App]) -> None:
    app = perm_app(make_app)
    with serve(app) as client:
        app.auth.create_superuser("root", "a long root passphrase")
        assert client.get("/posts/edit", headers={"Accept": "application/json"}).status_code == 401
        client.login("root", "a long root passphrase")
        assert client.get("/posts/edit").status_code == 200
        assert client.get("/staff").status_code == 200


def test_staff_required(make_app: Callable[..., App]) -> None:
    app = perm_app(make_app)
    with serve(app) as client:
        user(app, "alice")
        user(app, "sam", is_staff=True)
        client.login("alice")
        assert client.get("/staff").status_code == 403
        with client.other_browser() as other:
            other.login("sam")
            assert other.get("/staff").text == "staff only"


def test_a_privilege_change_rotates_the_session_id(make_app: Callable[..., App]) -> None:
    app = perm_app(make_app)
    with serve(app) as client:
        user(app, "alice")
        client.login("alice")
        before = client.cookies["session"]
        app.auth.user_model.objects.filter(username="alice").update(is_staff=True)
        response = client.get("/staff")
        assert response.status_code == 200
        after = client.cookies["session"]
        assert after != before
        with client.other_browser({"session": before}) as old:
            assert old.get("/staff", headers={"Accept": "application/json"}).status_code == 401


@pytest.mark.parametrize("bad", ["change_post", "", "a.b.c"])
def test_permission_names_are_checked_when_declared(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"label\.codename"):
        permission_required(bad)


def test_decorators_need_the_request_first() -> None:
    from vivace.auth import login_required

    def handler() -> str:
        return "x"

    with pytest.raises(ConfigError, match="take the request"):
        login_required(handler)


def test_a_user_loader_serves_users_from_the_apps_own_table(make_app: Callable[..., App]) -> None:
    """Flask-Login style: the app keeps its users; auth keeps the session."""

    class Member:
        def __init__(self, member_id: str, name: str) -> None:
            self.id = member_id
            self.username = name
            self.is_active = True
            self.is_authenticated = True
            self.password = ""

    members = {"m1": Member("m1", "mia")}
    app = make_app()

    @app.auth.user_loader
    def load(user_id: str) -> Any:
        return members.get(user_id)

    @app.post("/signin")
    async def signin(request: Request) -> str:
        from vivace.auth import login

        login(request, members["m1"])
        return "in"

    @app.get("/who")
    async def who(request: Request) -> str:
        return str(request.user.username or "nobody")

    with serve(app) as client:
        token = client.csrf()  # a session with a CSRF secret, from the login page
        assert client.post("/signin", headers={"X-CSRF-Token": token}).text == "in"
        assert client.get("/who").text == "mia"
        del members["m1"]
        assert client.get("/who").text == "nobody"
