"""Decorators on handlers, and the functions handlers call: ``login``, ``logout``, ``authenticate``.

Put the route decorator on top, so the route serves the protected handler::

    @app.post("/notes")
    @login_required
    async def add(request): ...

An anonymous visitor who asks for a page (GET with ``Accept: text/html``) is
sent to the login page with ``?next=``; any other request gets 401 with
``WWW-Authenticate``. A logged-in user without the permission gets 403.
Each decorator also marks the route, which is what switches auth on for the
app (see ``battery.py``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode, urlsplit

from ..core.errors import wants_html
from ..core.exceptions import ConfigError
from ..core.module import Module
from ..core.requests import Request
from ..core.responses import RedirectResponse
from .battery import context_of
from .exceptions import NotAuthenticated, PermissionDenied
from .policy import MARK

__all__ = [
    "aauthenticate",
    "authenticate",
    "csrf_exempt",
    "csrf_required",
    "login",
    "login_required",
    "logout",
    "permission_required",
    "rotate_session",
    "safe_next",
    "scopes_required",
    "staff_required",
    "token_only",
]

F = TypeVar("F", bound=Callable[..., Any])


def _mark(function: Any, **marks: bool) -> None:
    current = dict(getattr(function, MARK, {}))
    current.update(marks)
    setattr(function, MARK, current)


def _takes_request(function: Callable[..., Any], decorator: str) -> None:
    parameters = list(inspect.signature(function).parameters.values())
    first = parameters[0] if parameters else None
    if first is None or not (first.name in ("request", "req") or first.annotation in (Request, "Request")):
        name = getattr(function, "__qualname__", repr(function))
        raise ConfigError(
            f"@{decorator} on {name}(): the handler must take the request as its first argument"
        )


class _RedirectTo(Exception):
    def __init__(self, response: RedirectResponse) -> None:
        super().__init__("redirect to the login page")
        self.response = response


def _wrap(
    function: F, decorator: str, check: Callable[[Request], Any], acheck: Callable[[Request], Any]
) -> F:
    """Run ``check`` (sync handlers, in their thread) or ``acheck`` (async ones) before ``function``."""
    _takes_request(function, decorator)
    if inspect.iscoroutinefunction(function):

        @functools.wraps(function)
        async def async_wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
            try:
                await acheck(request)
            except _RedirectTo as redirect:
                return redirect.response
            return await function(request, *args, **kwargs)

        _mark(async_wrapper, uses_auth=True)
        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(function)
    def wrapper(request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            check(request)
        except _RedirectTo as redirect:
            return redirect.response
        return function(request, *args, **kwargs)

    _mark(wrapper, uses_auth=True)
    return wrapper  # type: ignore[return-value]


def _require_user(request: Request) -> Any:
    context = context_of(request)
    user = context.user
    if not getattr(user, "is_authenticated", False):
        settings = request.app.settings
        if request.method in ("GET", "HEAD") and wants_html(request) and not context.policy.token_only:
            login_url = settings.login_url or request.app.url_for("auth:login")
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            raise _RedirectTo(RedirectResponse(f"{login_url}?{urlencode({'next': target})}", 302))
        raise NotAuthenticated("authentication required", settings.auth_scheme)
    return user


def login_required(function: F) -> F:
    """Only logged-in users (by session or token): others go to the login page, or get 401."""

    async def acheck(request: Request) -> None:
        _require_user(request)

    return _wrap(function, "login_required", _require_user, acheck)


def staff_required(function: F) -> F:
    """Only active staff users; a logged-in user who is not staff gets 403."""

    def check(request: Request) -> None:
        user = _require_user(request)
        if not (getattr(user, "is_staff", False) and getattr(user, "is_active", False)):
            raise PermissionDenied("This page is for staff only.")

    async def acheck(request: Request) -> None:
        check(request)

    return _wrap(function, "staff_required", check, acheck)


def permission_required(*permissions: str) -> Callable[[F], F]:
    """Only users holding every permission (``"blog.change_post"``); others get 403."""
    for permission in permissions:
        if not isinstance(permission, str) or permission.count(".") != 1:
            raise ConfigError(f"permission_required({permission!r}): name it 'label.codename'")
    if not permissions:
        raise ConfigError("permission_required() needs at least one permission")

    def check(request: Request) -> None:
        user = _require_user(request)
        missing = [p for p in permissions if not user.has_perm(p)]
        if missing:
            raise PermissionDenied(f"You need the permission {missing[0]}.")

    async def acheck(request: Request) -> None:
        user = _require_user(request)
        for permission in permissions:
            if not await user.ahas_perm(permission):
                raise PermissionDenied(f"You need the permission {permission}.")

    def decorator(function: F) -> F:
        return _wrap(function, "permission_required", check, acheck)

    return decorator


def scopes_required(*scopes: str) -> Callable[[F], F]:
    """Requests authenticated by a personal token need every scope; logged-in sessions pass."""

    def check(request: Request) -> None:
        _require_user(request)
        token = context_of(request).token
        if token is not None:
            missing = [s for s in scopes if not token.allows(s)]
            if missing:
                raise PermissionDenied(f"The token lacks the scope {missing[0]!r}.")

    async def acheck(request: Request) -> None:
        check(request)

    def decorator(function: F) -> F:
        return _wrap(function, "scopes_required", check, acheck)

    return decorator


def csrf_exempt(function: F) -> F:
    """No CSRF check on this route: for endpoints that authenticate by other means (webhooks)."""
    _mark(function, csrf_exempt=True, uses_auth=True)
    return function


def csrf_required(function: F) -> F:
    """Check CSRF on unsafe requests even without a session cookie (login and password forms)."""
    _mark(function, csrf_always=True, uses_auth=True)
    return function


def token_only(target: F) -> F:
    """Authenticate only by the ``Authorization`` header: session cookies are ignored, so no CSRF.

    Takes a handler or a ``Module`` (every route of the module).
    """
    if isinstance(target, Module):
        _mark(target, token_only=True)
        return target
    _mark(target, token_only=True, uses_auth=True)
    return target


# Functions for handlers ------------------------------------------------------------------


def login(request: Request, user: Any) -> None:
    """Log ``user`` in: a new session id, a new CSRF token; the cookie goes out with the response."""
    context = context_of(request)
    if not context.guarded:
        raise ConfigError("login() is only possible in a route's handler (the response carries the cookie)")
    context.auth.login(context, user)


def logout(request: Request) -> None:
    """End the session, server-side too, and forget the user."""
    context = context_of(request)
    context.auth.logout(context)


def rotate_session(request: Request) -> None:
    """Keep the session's content under a new id (after a privilege change made by the app)."""
    context_of(request).session.rotate()


async def aauthenticate(request: Request, username: str, password: str) -> Any:
    """The user these credentials name, or None; 429 after too many failures.

    ``username`` is matched as the ``login_by`` setting says (username, e-mail, or either).
    """
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    return await context_of(request).auth.authenticate(request, username, password)


def authenticate(request: Request, username: str, password: str) -> Any:
    """``aauthenticate`` for sync handlers (run in the thread pool)."""
    context = context_of(request)
    return context.run(aauthenticate(request, username, password))


def safe_next(request: Request, target: Any, default: str | None = None) -> str:
    """``target`` if it is a path on this site, else ``default`` (the ``login_redirect_url`` setting).

    Refused: absolute URLs, ``//host``, backslashes, control characters (a browser drops a tab and
    reads ``/\\t/evil.com`` as ``//evil.com``), and schemes such as ``https:evil.com``.
    """
    fallback = default if default is not None else request.app.settings.login_redirect_url
    if not isinstance(target, str) or not target or len(target) > 2000:
        return fallback
    # The decoded form too: a server or a later redirect may decode "/%09/evil.com" to "/\t/evil.com".
    for form in (target, unquote(target)):
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in form) or "\\" in form:
            return fallback
        if not form.startswith("/") or form.startswith("//"):
            return fallback
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return fallback
    return quote(target, safe="/?&=%#:@!$'()*+,;~-._")
