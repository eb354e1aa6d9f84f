"""The demo's accounts: sign up, log in (the auth battery's page), a page for members only.

``/account/`` carries ``@login_required``, which is what switches the auth
battery on for the demo: it then serves ``/auth/login/`` and the other
account pages, with ``templates/auth/base.html`` giving them the demo's
layout. Users and sessions live in the SQLite file beside the demo, whose
tables are made at start-up.
"""

from __future__ import annotations

import asyncio

from vivace import Module, Request, Response, redirect, render
from vivace.auth import login, login_required

module = Module("accounts", __name__)

MAX_USERNAME = 40


@module.get("/")
@login_required
async def account(request: Request) -> Response:
    return render(request, "account.html", user=request.user)


@module.route("/signup/", ("GET", "POST"))
async def signup(request: Request) -> Response:
    auth = request.app.auth
    errors: list[str] = []
    username = ""
    if request.method == "POST":
        form = await request.form()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        if not username or len(username) > MAX_USERNAME or not username.replace("_", "").isalnum():
            errors.append(f"Choose a username of 1 to {MAX_USERNAME} letters, digits or underscores.")
        elif await auth.user_model.objects.filter(username=username).aexists():
            errors.append("That username is taken.")
        candidate = auth.user_model(username=username)
        errors += auth.validate_password(password, candidate)
        if not errors:
            user = await auth.acreate_user(username, password)
            login(request, user)
            return redirect(request.app.url_for("accounts:account"), 303)
    return render(request, "signup.html", errors=errors, username=username, status=422 if errors else 200)


@module.on_startup
async def create_tables() -> None:
    """No setup for the demo: its SQLite file gets the auth tables on first start."""
    from .app import app

    if await asyncio.to_thread(app.auth.create_missing_tables):
        await app.auth.sync_permissions()
