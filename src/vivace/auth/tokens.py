"""API authentication through the ``Authorization`` header: personal tokens and JWTs.

``Authorization: Bearer <token>`` (the scheme word is the ``auth_scheme``
setting; RealWorld clients send ``Token``). Two kinds of token are accepted:

- personal API tokens, ``vv_<prefix>_<secret>``: random, stored as the
  prefix (to find the row) and a SHA-256 of the secret (compared in constant
  time); shown once when made; optional expiry and scopes; revoked by
  deleting the row;
- JWTs signed HS256 with a key derived from the app's secret, with ``sub``
  (the user's id) and ``exp`` required; only HS256 is accepted, so
  ``alg: none`` and tokens signed with anything else fail.

Anything else in the header (another scheme, a malformed, tampered, expired
or revoked token, a token whose user is gone or inactive) is a 401, never a
500. The one exception is ``Basic``, which is left to whatever sits in front
of the app (a staging proxy's password) and treated as no token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from .models import APIToken

__all__ = ["TokenInfo", "jwt_key", "make_token", "parse_personal_token"]

PERSONAL_PREFIX = "vv_"


class TokenInfo:
    """How a token-authenticated request proved itself: ``request.auth.token``."""

    __slots__ = ("kind", "record", "scopes")

    def __init__(self, kind: str, scopes: Iterable[str] | None, record: APIToken | None = None) -> None:
        self.kind = kind  # "personal" or "jwt"
        # None means every scope (a JWT, or a personal token made without scopes).
        self.scopes: frozenset[str] | None = frozenset(scopes) if scopes is not None else None
        self.record = record

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


def jwt_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"vivace.auth.jwt", hashlib.sha256).digest()


def encode_jwt(secret_key: str, user_id: str, max_age: float, claims: dict[str, Any] | None = None) -> str:
    now = int(time.time())
    payload = {**(claims or {}), "sub": user_id, "iat": now, "exp": now + int(max_age)}
    return jwt.encode(payload, jwt_key(secret_key), algorithm="HS256")


def decode_jwt(secret_key: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid token, else None (bad signature, expired, wrong algorithm, malformed)."""
    try:
        claims = jwt.decode(
            token, jwt_key(secret_key), algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return claims if isinstance(claims.get("sub"), str) else None


def make_token() -> tuple[str, str, str]:
    """A new personal token: ``(token, prefix, digest)``; only the last two are stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{PERSONAL_PREFIX}{prefix}_{secret}", prefix, secret_digest(secret)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def parse_personal_token(token: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed personal token."""
    if not token.startswith(PERSONAL_PREFIX):
        return None
    prefix, sep, secret = token[len(PERSONAL_PREFIX) :].partition("_")
    if not sep or len(prefix) != 12 or not secret or len(secret) > 100:
        return None
    return prefix, secret


def split_authorization(header: str, scheme: str) -> str | None:
    """The token of ``"<scheme> <token>"``; ``""`` for a Basic header; None when malformed."""
    word, _, token = header.strip().partition(" ")
    if word.lower() == "basic":
        return ""
    if word.lower() != scheme.lower():
        return None
    token = token.strip()
    if not token or " " in token or len(token) > 4096:
        return None
    return token


async def find_personal_token(token: str) -> APIToken | None:
    """The live token row matching ``token`` (the secret compared in constant time)."""
    from .models import APIToken

    parsed = parse_personal_token(token)
    if parsed is None:
        return None
    prefix, secret = parsed
    record: APIToken | None = await APIToken.objects.filter(prefix=prefix).afirst()
    if record is None or not hmac.compare_digest(str(record.digest), secret_digest(secret)):
        return None
    if record.expired:
        return None
    return record


def expiry(expires_in: float | dt.timedelta | None) -> dt.datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else float(expires_in)
    return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
