"""Cross-site request forgery: the check on unsafe requests that a cookie authenticates.

A request is checked when its method is unsafe (not GET, HEAD, OPTIONS or
TRACE), it carries the session cookie, no token in the ``Authorization``
header authenticated it, and its route is not ``@csrf_exempt`` (the
built-in login and password forms are checked even without a cookie, so a
login cannot be forged either). It passes when:

1. its ``Origin`` header, if any, is the app's own origin (scheme, host and
   port) or one of ``csrf_trusted_origins``; ``Origin: null`` never passes;
   over HTTPS without ``Origin``, the ``Referer`` must be on the same origin;
2. it carries the session's CSRF token in the ``X-CSRF-Token`` header or in
   the ``csrf_token`` field of a url-encoded or multipart form. The query
   string is never read.

The secret behind the token lives in the session and changes at login.
Pages get it masked with a fresh random pad on each render
(``csrf_token()`` in templates), so a compressed page does not leak it
(BREACH). A refused request is a 403 saying why.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .exceptions import CSRFError

if TYPE_CHECKING:
    from ..core.requests import Request
    from .sessions import Session

__all__ = ["FIELD", "HEADER", "SAFE_METHODS", "check", "masked_token", "token_matches"]

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_KEY = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SECRET_BYTES = 32


def _secret(session: Session) -> bytes:
    encoded = session.get(SESSION_KEY)
    if isinstance(encoded, str):
        try:
            secret = base64.urlsafe_b64decode(encoded)
            if len(secret) == SECRET_BYTES:
                return secret
        except (binascii.Error, ValueError):
            pass
    secret = secrets.token_bytes(SECRET_BYTES)
    session[SESSION_KEY] = base64.urlsafe_b64encode(secret).decode()
    return secret


def rotate(session: Session) -> None:
    """A new secret: tokens rendered before (a login, for instance) stop working."""
    session.pop(SESSION_KEY, None)
    _secret(session)


def masked_token(session: Session) -> str:
    """The session's token under a fresh one-time pad: differs on every call, checks the same."""
    secret = _secret(session)
    pad = secrets.token_bytes(SECRET_BYTES)
    mixed = bytes(a ^ b for a, b in zip(pad, secret, strict=True))
    return base64.urlsafe_b64encode(pad + mixed).decode().rstrip("=")


def token_matches(session: Session, token: str) -> bool:
    encoded = session.get(SESSION_KEY)
    if not isinstance(encoded, str) or not token or len(token) > 200:
        return False
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        secret = base64.urlsafe_b64decode(encoded)
    except (binascii.Error, ValueError):
        return False
    if len(raw) != 2 * SECRET_BYTES:
        return False
    pad, mixed = raw[:SECRET_BYTES], raw[SECRET_BYTES:]
    unmasked = bytes(a ^ b for a, b in zip(pad, mixed, strict=True))
    return hmac.compare_digest(unmasked, secret)


def own_origin(request: Request) -> str:
    return f"{request.scheme}://{request.host}".lower()


def check_origin(request: Request, trusted: frozenset[str]) -> None:
    """Refuse a request whose Origin (or, over HTTPS, Referer) is another site."""
    origin = request.headers.get("origin")
    allowed = trusted | {own_origin(request)}
    if origin is not None:
        if origin.strip().lower() not in allowed:
            shown = origin[:100]
            raise CSRFError(f"the request came from origin {shown!r}, not from this site")
        return
    if request.is_secure:
        referer = request.headers.get("referer")
        if not referer:
            raise CSRFError("an HTTPS request without Origin must carry a Referer of this site")
        parts = urlsplit(referer)
        if f"{parts.scheme}://{parts.netloc}".lower() not in allowed:
            raise CSRFError("the Referer is another site")


async def submitted_token(request: Request) -> str | None:
    """The token in the header, else in the form body; never in the query string."""
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        value = form.get(FIELD)
        return value if isinstance(value, str) else None
    return None


async def check(request: Request, session: Session, trusted: frozenset[str]) -> None:
    """Raise ``CSRFError`` unless ``request`` passes both parts of the check."""
    check_origin(request, trusted)
    token = await submitted_token(request)
    if token is None:
        raise CSRFError(
            "the request has no CSRF token: put {{ csrf_input() }} in the form, or send the "
            "X-CSRF-Token header"
        )
    if not token_matches(session, token):
        raise CSRFError("the CSRF token is not this session's (the page may be stale: reload it)")
