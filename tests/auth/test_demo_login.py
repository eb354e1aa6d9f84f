"""The demo's accounts: sign up, the members' page, log out, log in again; no setup needed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest

from vivace.demo.app import app

from .conftest import AuthClient

TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def client() -> Iterator[AuthClient]:
    with AuthClient(app) as client:
        yield client


def token(page: str) -> str:
    found = TOKEN.search(page)
    assert found is not None
    return found.group(1)


def test_the_members_page_sends_visitors_to_log_in(client: AuthClient) -> None:
    index = client.get("/")
    assert 'href="/auth/login/"' in index.text and 'href="/account/signup/"' in index.text
    assert "set-cookie" not in index.headers  # an anonymous visit makes no session
    response = client.get("/account/", headers={"Accept": "text/html"})
    assert response.status_code == 302
    assert response.headers["location"] == "/auth/login/?next=%2Faccount%2F"
    login = client.get(response.headers["location"])
    assert "<title>Log in · vivace demo</title>" in login.text  # the demo's layout


def test_sign_up_log_out_and_in_again(client: AuthClient) -> None:
    name = f"visitor_{secrets.token_hex(4)}"
    password = "a demo passphrase " + secrets.token_hex(2)
    form = client.get("/account/signup/").text
    weak = client.post(
        "/account/signup/", data={"username": name, "password": "password", "csrf_token": token(form)}
    )
    assert weak.status_code == 422 and "too common" in weak.text
    created = client.post(
        "/account/signup/", data={"username": name, "password": password, "csrf_token": token(weak.text)}
    )
    assert created.status_code == 303
    account = client.get("/account/")
    assert f"Hello, {name}" in account.text
    assert "Log out" in account.text

    # The guestbook form carries the CSRF token now that a session exists.
    index = client.get("/")
    signed = client.post("/sign", data={"name": name, "message": "hi", "csrf_token": token(index.text)})
    assert signed.status_code == 303
    assert client.post("/sign", data={"name": name, "message": "no token"}).status_code == 403

    out = client.post("/auth/logout/", data={"csrf_token": token(client.get("/").text)})
    assert out.status_code == 303
    assert client.get("/account/", headers={"Accept": "application/json"}).status_code == 401
    assert client.login(name, password, next="/account/").headers["location"] == "/account/"
    assert f"Hello, {name}" in client.get("/account/").text
