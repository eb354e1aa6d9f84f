"""API tokens and JWTs, and tampered credentials of every kind (ATTACKS 23): 401, never 500."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest

from vivace import App, Request
from vivace.auth import login_required, scopes_required
from vivace.auth.tokens import jwt_key

from .conftest import SECRET, AuthClient, serve, user


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    app = make_app()

    @app.get("/api/user")
    @login_required
    async def current(request: Request) -> dict[str, Any]:
        return {"user": request.user.username, "by": request.auth.method}

    @app.post("/api/write")
    @scopes_required("write")
    async def write(request: Request) -> dict[str, str]:
        return {"ok": "yes"}

    @app.post("/api/tokens")
    @login_required
    async def new_token(request: Request) -> dict[str, Any]:
        body = await request.json()
        token, record = await request.app.auth.create_token(
            request.user, name="t", scopes=body.get("scopes"), expires_in=body.get("expires_in")
        )
        return {"token": token, "prefix": record.prefix}

    @app.delete("/api/tokens/<prefix>")
    @login_required
    async def revoke(request: Request, prefix: str) -> dict[str, bool]:
        from vivace.auth import APIToken

        record = await APIToken.objects.aget(prefix=prefix)
        return {"revoked": await request.app.auth.revoke_token(record)}

    return app


@pytest.fixture
def client(app: App) -> Iterator[AuthClient]:
    with serve(app) as client:
        user(app)
        yield client


def bearer(token: str, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {token}"}


def personal_token(client: AuthClient, **options: Any) -> str:
    with client.other_browser() as browser:
        assert browser.login("alice").status_code == 303
        made = browser.post("/api/tokens", json=options, headers={"X-CSRF-Token": browser.csrf()})
        assert made.status_code == 200, made.text
        return str(made.json()["token"])


def alice_jwt(app: App, **options: Any) -> str:
    return app.auth.create_jwt(app.auth.user_model.objects.get(username="alice"), **options)


def flip(token: str, index: int) -> str:
    swapped = "A" if token[index] != "A" else "B"
    return token[:index] + swapped + token[index + 1 :]


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_a_jwt_authenticates(app: App, client: AuthClient) -> None:
    response = client.get("/api/user", headers=bearer(alice_jwt(app)))
    assert response.json() == {"user": "alice", "by": "token"}
    assert "authorization" in response.headers["vary"].lower()


def test_a_personal_token_authenticates_until_revoked(client: AuthClient) -> None:
    token = personal_token(client)
    assert token.startswith("vv_")
    assert client.get("/api/user", headers=bearer(token)).json()["user"] == "alice"
    prefix = token.split("_")[1]
    with client.other_browser() as browser:
        browser.login("alice")
        revoked = browser.delete(f"/api/tokens/{prefix}", headers={"X-CSRF-Token": browser.csrf()})
        assert revoked.json() == {"revoked": True}
    assert client.get("/api/user", headers=bearer(token)).status_code == 401


def test_tokens_are_stored_hashed(app: App, client: AuthClient) -> None:
    from vivace.auth import APIToken

    token = personal_token(client)
    record = APIToken.objects.get(prefix=token.split("_")[1])
    secret = token.split("_", 2)[2]
    assert secret not in record.digest and len(record.digest) == 64


def test_scopes_limit_what_a_token_may_do(client: AuthClient) -> None:
    reader = personal_token(client, scopes=["read"])
    writer = personal_token(client, scopes=["read", "write"])
    assert client.post("/api/write", headers=bearer(reader)).status_code == 403
    assert client.post("/api/write", headers=bearer(writer)).status_code == 200


def test_an_expired_personal_token_is_refused(client: AuthClient) -> None:
    token = personal_token(client, expires_in=-1)
    assert client.get("/api/user", headers=bearer(token)).status_code == 401


def test_the_scheme_word_is_configurable(make_app: Callable[..., App]) -> None:
    app = make_app(auth_scheme="Token")

    @app.get("/api/user")
    @login_required
    async def current(request: Request) -> dict[str, str]:
        return {"user": request.user.username}

    with serve(app) as client:
        user(app)
        token = alice_jwt(app)
        assert client.get("/api/user", headers=bearer(token, "Token")).json() == {"user": "alice"}
        refused = client.get("/api/user", headers=bearer(token, "Bearer"))
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Token")


def tampered(app: App) -> dict[str, str]:
    good = alice_jwt(app)
    header, payload, _signature = good.split(".")
    claims = {"sub": "1", "exp": int(time.time()) + 600}
    return {
        "flipped signature byte": flip(good, len(good) - 5),
        "flipped payload byte": flip(good, len(header) + 3),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "signature stripped": f"{header}.{payload}.",
        "no signature part": f"{header}.{payload}",
        "expired": jwt.encode({"sub": "1", "exp": int(time.time()) - 10}, jwt_key(SECRET), algorithm="HS256"),
        "no expiry": jwt.encode({"sub": "1"}, jwt_key(SECRET), algorithm="HS256"),
        "other key": jwt.encode(claims, b"another key" * 4, algorithm="HS256"),
        "HS512 with our key": jwt.encode(claims, jwt_key(SECRET) * 2, algorithm="HS512"),
        "garbage": "abc",
        "three garbage parts": "a.b.c",
        "personal token shape, unknown": "vv_0123456789ab_" + "x" * 43,
        "non-ascii": "\u00e9t\u00e9.\u00e9.\u00e9",
    }


@pytest.mark.parametrize(
    "case",
    [
        "flipped signature byte",
        "flipped payload byte",
        "alg none",
        "signature stripped",
        "no signature part",
        "expired",
        "no expiry",
        "other key",
        "HS512 with our key",
        "garbage",
        "three garbage parts",
        "personal token shape, unknown",
        "non-ascii",
    ],
)
def test_tampered_tokens_get_401_never_500(app: App, client: AuthClient, case: str) -> None:
    token = tampered(app)[case]
    response = client.get("/api/user", headers={"Authorization": f"Bearer {token}".encode()})
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Token abc", "Token a.b.c", "Bearer", "Bearer a b", "Bearer  ", "x" * 5000]
)
def test_malformed_authorization_headers_get_401(client: AuthClient, header: str) -> None:
    assert client.get("/api/user", headers={"Authorization": header}).status_code == 401


def test_a_deleted_or_inactive_user_token_gets_401(app: App, client: AuthClient) -> None:
    token = personal_token(client)
    signed = alice_jwt(app)
    model = app.auth.user_model
    model.objects.filter(username="alice").update(is_active=False)
    for credential in (token, signed):
        assert client.get("/api/user", headers=bearer(credential)).status_code == 401
    model.objects.filter(username="alice").delete()
    for credential in (token, signed):
        assert client.get("/api/user", headers=bearer(credential)).status_code == 401


def test_a_tampered_signed_session_cookie_is_no_session(make_app: Callable[..., App]) -> None:
    app = make_app(session_store="cookie")

    @app.get("/api/user")
    @login_required
    async def current(request: Request) -> dict[str, str]:
        return {"user": request.user.username}

    with serve(app) as client:
        user(app)
        client.login("alice")
        cookie = client.cookies["session"]
        assert client.get("/api/user").status_code == 200
        for index in (10, len(cookie) // 2, len(cookie) - 3):
            with client.other_browser({"session": flip(cookie, index)}) as forger:
                assert forger.get("/api/user").status_code == 401
        header, payload, _signature = cookie.split(".")
        with client.other_browser({"session": f"{header}.{payload}."}) as forger:
            assert forger.get("/api/user").status_code == 401


def test_a_token_decides_the_user_whatever_cookie_rides_along(make_app: Callable[..., App]) -> None:
    app = make_app()

    @app.get("/api/user")
    @login_required
    async def current(request: Request) -> dict[str, Any]:
        return {"user": request.user.username, "by": request.auth.method}

    with serve(app) as client:
        user(app)
        user(app, "bob")
        client.login("alice")
        bob = app.auth.create_jwt(app.auth.user_model.objects.get(username="bob"))
        assert client.get("/api/user", headers=bearer(bob)).json() == {"user": "bob", "by": "token"}
        assert client.get("/api/user").json() == {"user": "alice", "by": "session"}
        # A bad token is a 401 even with a good cookie: the header decides.
        assert client.get("/api/user", headers=bearer("nonsense")).status_code == 401
