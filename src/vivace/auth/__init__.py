"""vivace.auth: users, groups, permissions, sessions, CSRF and API tokens.

    from vivace.auth import login_required

    @app.get("/notes/new")
    @login_required
    async def new_note(request): ...

That is all a one-file app needs: the decorator switches auth on for the app,
which then serves login, logout and password pages under ``/auth/``, keeps
sessions in its database, and checks CSRF on cookie-authenticated forms.
``battery.py`` says exactly when auth switches on and what it then does.
"""

from __future__ import annotations

from .battery import Auth, RequestAuth
from .decorators import (
    aauthenticate,
    authenticate,
    csrf_exempt,
    csrf_required,
    login,
    login_required,
    logout,
    permission_required,
    rotate_session,
    safe_next,
    scopes_required,
    staff_required,
    token_only,
)
from .exceptions import CSRFError, NotAuthenticated, PermissionDenied, TooManyAttempts
from .models import AbstractUser, AnonymousUser, APIToken, Group, Permission, User
from .passwords import PasswordHasher
from .sessions import Session

__all__ = [
    "APIToken",
    "AbstractUser",
    "AnonymousUser",
    "Auth",
    "CSRFError",
    "Group",
    "NotAuthenticated",
    "PasswordHasher",
    "Permission",
    "PermissionDenied",
    "RequestAuth",
    "Session",
    "TooManyAttempts",
    "User",
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
