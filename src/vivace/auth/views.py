"""The ready pages: log in, log out, change a password, reset a forgotten one.

Mounted under ``auth_prefix`` (``/auth/`` by default) with the names
``auth:login``, ``auth:logout``, ``auth:password_change``,
``auth:password_reset`` and ``auth:password_reset_confirm``. Their templates
live in ``auth/`` and an app overrides any of them by putting a file of the
same name in its own ``templates/auth/`` (``auth/base.html`` to give them the
app's layout).

Password reset links carry a token made of the user's id, the time, and an
HMAC over both plus the user's password hash and last login, so a link
works once (using it changes the hash) and only for ``password_reset_max_age``
seconds. Asking for a reset answers the same whether or not the address is
known, and the link's host is the request's, which the Host check has
already allowed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from typing import Any

from ..core.module import Module
from ..core.requests import Request
from ..core.responses import HTMLResponse, Response
from ..templates import render, templates_for
from .battery import Auth, context_of, user_id_of
from .decorators import csrf_required, login, login_required, logout, safe_next
from .exceptions import TooManyAttempts

__all__ = ["check_reset_token", "make_reset_token", "pages"]


def _auth(request: Request) -> Auth:
    auth: Auth = request.app.auth
    return auth


def _field(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def _login_label(auth: Auth) -> str:
    return {"username": "Username", "email": "E-mail", "both": "Username or e-mail"}[auth.settings.login_by]


async def login_page(request: Request) -> Response:
    auth = _auth(request)
    next_page = request.query_params.get("next", "")
    context: dict[str, Any] = {"login_label": _login_label(auth), "identifier": "", "error": None}
    if request.method == "POST":
        form = await request.form()
        identifier, password = _field(form, "username"), _field(form, "password")
        next_page = _field(form, "next")
        context["identifier"] = identifier
        try:
            user = await auth.authenticate(request, identifier, password)
        except TooManyAttempts as exc:
            context["error"] = exc.detail
            return render(
                request, "auth/login.html", status=429, headers=dict(exc.headers), next=next_page, **context
            )
        if user is not None:
            login(request, user)
            return _see_other(safe_next(request, next_page))
        # One message for an unknown user and a wrong password: nothing tells them apart.
        context["error"] = f"Please enter a correct {context['login_label'].lower()} and password."
        return render(request, "auth/login.html", status=400, next=next_page, **context)
    if context_of(request).user.is_authenticated and next_page:
        return _see_other(safe_next(request, next_page))
    return render(request, "auth/login.html", next=next_page, **context)


async def logout_page(request: Request) -> Response:
    if request.method == "POST":
        form = await request.form()
        logout(request)
        return _see_other(safe_next(request, _field(form, "next")))
    return render(request, "auth/logout.html", next=request.query_params.get("next", ""))


async def password_change_page(request: Request) -> Response:
    auth = _auth(request)
    user = context_of(request).user
    errors: list[str] = []
    if request.method == "POST":
        form = await request.form()
        old, new, again = (
            _field(form, "old_password"),
            _field(form, "new_password"),
            _field(form, "new_password2"),
        )
        if not await request.app.pool.run(auth.check_password, user, old):
            errors.append("Your old password was entered incorrectly.")
        elif new != again:
            errors.append("The two new passwords differ.")
        else:
            errors = auth.validate_password(new, user)
        if not errors:
            user.password = await request.app.pool.run(auth.hasher.hash, new)
            await type(user).objects.filter(pk=user.pk).aupdate(password=user.password)
            await auth.end_other_sessions(request, user)
            return _message(
                request, "Password changed", "Your password was changed. Other sessions were logged out."
            )
    return render(request, "auth/password_change.html", errors=errors, status=400 if errors else 200)


async def password_reset_page(request: Request) -> Response:
    auth = _auth(request)
    if request.method == "POST":
        form = await request.form()
        email = _field(form, "email").strip()
        if email and len(email) <= 254:
            users = await auth.user_model.objects.filter(email__iexact=email, is_active=True)[:5]
            for user in users:
                if not getattr(user, "has_usable_password", True):
                    continue
                token = make_reset_token(auth, user)
                path = request.app.url_for("auth:password_reset_confirm", token=token)
                link = request.base_url.rstrip("/") + path
                body = templates_for(request.app).render_string(
                    "auth/password_reset_email.txt",
                    request,
                    user=user,
                    link=link,
                    minutes=int(auth.settings.password_reset_max_age // 60),
                )
                await auth.mailer.send(user.email, "Password reset", body)
        return _message(
            request,
            "Check your mail",
            "If an account uses that address, a link to choose a new password is on its way.",
        )
    return render(request, "auth/password_reset.html")


async def password_reset_confirm_page(request: Request, token: str) -> Response:
    auth = _auth(request)
    user = await check_reset_token(auth, token)
    if user is None:
        return _message(request, "Link not valid", "This link is not valid: it was used, or it expired.", 400)
    errors: list[str] = []
    if request.method == "POST":
        form = await request.form()
        new, again = _field(form, "new_password"), _field(form, "new_password2")
        errors = ["The two passwords differ."] if new != again else auth.validate_password(new, user)
        if not errors:
            user.password = await request.app.pool.run(auth.hasher.hash, new)
            await type(user).objects.filter(pk=user.pk).aupdate(password=user.password)
            await auth.end_all_sessions(user)
            return _message(request, "Password set", "Your new password is set: you can log in with it.")
    return render(request, "auth/password_reset_confirm.html", errors=errors, status=400 if errors else 200)


def _see_other(location: str) -> Response:
    response = Response(b"", 303)
    response.headers["location"] = location
    return response


def _message(request: Request, title: str, text: str, status: int = 200) -> HTMLResponse:
    return render(request, "auth/message.html", title=title, text=text, status=status)


# Reset tokens ----------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _reset_signature(auth: Auth, user: Any, issued: int) -> str:
    last_login = getattr(user, "last_login", None)
    message = "\x00".join(
        [user_id_of(user), str(issued), getattr(user, "password", "") or "", str(last_login or "")]
    )
    key = hmac.new(auth.app.secret_key.encode(), b"vivace.auth.password-reset", hashlib.sha256).digest()
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def make_reset_token(auth: Auth, user: Any) -> str:
    issued = int(time.time())
    return f"{_b64(user_id_of(user).encode())}.{issued:x}.{_reset_signature(auth, user, issued)}"


async def check_reset_token(auth: Auth, token: str) -> Any:
    """The user of a valid, unexpired, unused reset token; else None."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 300:
        return None
    encoded_id, issued_hex, signature = parts
    try:
        user_id = base64.urlsafe_b64decode(encoded_id + "=" * (-len(encoded_id) % 4)).decode()
        issued = int(issued_hex, 16)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not 0 <= time.time() - issued <= auth.settings.password_reset_max_age:
        return None
    user = await auth.load_user(user_id)
    if user is None or not getattr(user, "is_active", False):
        return None
    if not hmac.compare_digest(signature, _reset_signature(auth, user, issued)):
        return None
    return user


def pages() -> Module:
    """A fresh module of the pages, for one app."""
    module = Module("auth", __name__)
    both = ("GET", "POST")
    module.add_route("/login/", csrf_required(login_page), both, name="login")
    module.add_route("/logout/", csrf_required(logout_page), both, name="logout")
    module.add_route(
        "/password/", csrf_required(login_required(password_change_page)), both, name="password_change"
    )
    module.add_route("/password/reset/", csrf_required(password_reset_page), both, name="password_reset")
    module.add_route(
        "/password/reset/<token>/",
        csrf_required(password_reset_confirm_page),
        both,
        name="password_reset_confirm",
    )
    return module
