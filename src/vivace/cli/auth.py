"""``vivace createsuperuser``, ``vivace changepassword`` and ``vivace check --deploy``.

``createsuperuser`` asks for the username, e-mail and password, or with
``--no-input`` reads ``VIVACE_SUPERUSER_USERNAME``, ``VIVACE_SUPERUSER_EMAIL``
and ``VIVACE_SUPERUSER_PASSWORD`` (for deployment scripts). Both commands
apply the app's password rules; ``changepassword`` ends the user's sessions.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from importlib import import_module
from typing import Any, TypeVar

import click

from ..core.app import App
from .discovery import find_app
from .options import app_option

__all__ = ["changepassword_command", "check_command", "createsuperuser_command"]

T = TypeVar("T")
ENV_PREFIX = "VIVACE_SUPERUSER_"


def _auth_of(app: App) -> Any:
    import_module("vivace.auth")  # offers app.auth, even to an app that has not imported it
    return app.auth


def _with_app(app: App, work: Callable[[Any], Awaitable[T]]) -> T:
    """Start ``app`` (its database and auth), run ``work(app.auth)``, stop it."""

    async def main() -> T:
        auth = _auth_of(app)
        await app.startup()
        try:
            return await work(auth)
        finally:
            await app.shutdown()

    return asyncio.run(main())


def _ask_password(auth: Any, user: Any, given: str | None) -> str:
    while True:
        password = given if given is not None else click.prompt("Password", hide_input=True)
        if given is None:
            again = click.prompt("Password (again)", hide_input=True)
            if again != password:
                click.echo("The two passwords differ.", err=True)
                continue
        problems = auth.validate_password(password, user)
        if not problems:
            return password
        for problem in problems:
            click.echo(problem, err=True)
        if given is not None:
            raise click.ClickException("the password does not pass the app's password rules")


@click.command("createsuperuser")
@app_option
@click.option("--username", help="The new user's name (asked when missing).")
@click.option("--email", help="The new user's e-mail address.")
@click.option(
    "--no-input",
    is_flag=True,
    help=f"Ask nothing: read {ENV_PREFIX}USERNAME, {ENV_PREFIX}EMAIL and {ENV_PREFIX}PASSWORD.",
)
def createsuperuser_command(
    target: str | None, username: str | None, email: str | None, no_input: bool
) -> None:
    """Create a user who is staff and superuser."""
    app = find_app(target).app
    auth = _auth_of(app)
    password: str | None = None
    if no_input:
        username = username or os.environ.get(f"{ENV_PREFIX}USERNAME")
        email = email if email is not None else os.environ.get(f"{ENV_PREFIX}EMAIL", "")
        password = os.environ.get(f"{ENV_PREFIX}PASSWORD")
        if not username or not password:
            raise click.ClickException(f"--no-input needs {ENV_PREFIX}USERNAME and {ENV_PREFIX}PASSWORD")
    else:
        username = username or click.prompt("Username")
        if email is None:
            email = click.prompt("E-mail", default="", show_default=False)
    model = auth.user_model
    candidate = model(username=username, email=email or "")
    password = _ask_password(auth, candidate, password)

    async def create(auth: Any) -> Any:
        if await model.objects.filter(username=username).aexists():
            raise click.ClickException(f"a user named {username!r} exists already")
        return await auth.acreate_user(
            username, password, email=email or "", is_staff=True, is_superuser=True
        )

    user = _with_app(app, create)
    click.echo(f"Superuser {user.username!r} created.")


@click.command("changepassword")
@app_option
@click.argument("username")
def changepassword_command(target: str | None, username: str) -> None:
    """Set a user's password (asked twice); the user's sessions end."""
    app = find_app(target).app
    auth = _auth_of(app)

    async def find(auth: Any) -> Any:
        return await auth.user_model.objects.filter(username=username).afirst()

    user = _with_app(app, find)
    if user is None:
        raise click.ClickException(f"no user is named {username!r}")
    password = _ask_password(auth, user, None)

    async def change(auth: Any) -> None:
        auth.set_password(user, password)
        await type(user).objects.filter(pk=user.pk).aupdate(password=user.password)
        await auth.end_all_sessions(user)

    _with_app(app, change)
    click.echo(f"Password of {username!r} changed; its sessions were ended.")


@click.command("check")
@app_option
@click.option("--deploy", is_flag=True, help="Also list the settings that are unsafe in production.")
def check_command(target: str | None, deploy: bool) -> None:
    """Check the app's setup: it imports, its settings load (and with --deploy, are safe to deploy)."""
    found = find_app(target)
    if not deploy:
        click.echo(f"{found.import_string}: no problems found (add --deploy for production checks).")
        return
    from ..auth.checks import deploy_checks

    findings = deploy_checks(found.app)
    for finding in findings:
        click.echo(str(finding))
    errors = sum(finding.is_error for finding in findings)
    warnings = len(findings) - errors
    click.echo(f"{found.import_string}: {errors} error(s), {warnings} warning(s).")
    if errors:
        raise SystemExit(1)
