"""Open redirects through ``next=`` and the slash redirect (ATTACKS 7), and the Host check (ATTACKS 4)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from vivace import App, Request
from vivace.auth import login_required

from .conftest import PASSWORD, AuthClient, serve, user

HOSTILE_NEXT = [
    "//evil.com/",
    "/\\evil.com",
    "\\\\evil.com",
    "/\t/evil.com",
    "/%09/evil.com",
    "https:evil.com",
    "https://evil.com",
    "//evil.com",
    "///evil.com",
    "http:/evil.com",
    "javascript:alert(1)",
    " //evil.com",
    "/\r\n/evil.com",
    "evil.com",
    "",
]


def stays_on_site(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith("//")
        and "\\" not in location
        and not any(ord(c) < 0x21 for c in location)
    )


@pytest.fixture
def app(make_app: Callable[..., App]) -> App:
    app = make_app()

    @app.get("/notes/")
    @login_required
    async def notes(request: Request) -> str:
        return "notes"

    return app


@pytest.fixture
def client(app: App) -> Iterator[AuthClient]:
    with serve(app) as client:
        user(app)
        yield client


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_never_leaves_the_site(client: AuthClient, target: str) -> None:
    response = client.login("alice", next=target)
    assert response.status_code == 303
    assert stays_on_site(response.headers["location"]), response.headers["location"]
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_logout_next_never_leaves_the_site(client: AuthClient, target: str) -> None:
    client.login("alice")
    token = client.csrf("/auth/logout/")
    response = client.post("/auth/logout/", data={"csrf_token": token, "next": target})
    assert response.status_code == 303
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_an_already_logged_in_visit_with_next_stays_on_site(client: AuthClient, target: str) -> None:
    client.login("alice")
    response = client.get("/auth/login/", params={"next": target})
    assert response.status_code in (200, 303)
    if response.status_code == 303:
        assert stays_on_site(response.headers["location"])


def test_a_path_on_site_is_kept_with_its_query(client: AuthClient) -> None:
    response = client.login("alice", next="/notes/?page=2&q=a b")
    assert response.headers["location"] == "/notes/?page=2&q=a%20b"


def test_the_login_form_carries_next_escaped(client: AuthClient) -> None:
    page = client.get("/auth/login/", params={"next": '"><script>alert(1)</script>'})
    assert "<script>alert(1)</script>" not in page.text
    assert re.search(r'name="next" value="&#34;&gt;&lt;script&gt;', page.text)


@pytest.mark.parametrize("path", ["//evil.com/", "/\\evil.com", "/%09/evil.com", "//evil.com/notes"])
def test_the_slash_redirect_stays_on_site(client: AuthClient, path: str) -> None:
    response = client.get(path)
    if response.status_code in (301, 302, 303, 307, 308):
        assert stays_on_site(response.headers["location"])
    else:
        assert response.status_code in (400, 404)


def test_login_required_sends_back_to_the_page_asked(client: AuthClient) -> None:
    response = client.get("/notes/", headers={"Accept": "text/html"})
    assert response.headers["location"] == "/auth/login/?next=%2Fnotes%2F"


# Hosts (ATTACKS 4) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        b"evil.example",
        b"good@evil.example",
        b"testserver:80/path",
        b"testserver@evil",
        b"",
        b"evil.example:80",
    ],
)
def test_a_foreign_host_is_refused_before_auth(client: AuthClient, host: bytes) -> None:
    response = client.get("/auth/login/", headers={"Host": host.decode()})
    assert response.status_code == 400
    assert "set-cookie" not in response.headers


def test_two_host_headers_are_refused(app: App) -> None:
    import asyncio

    async def call() -> int:
        sent: list[dict[str, object]] = []
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/auth/login/",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"host", b"evil.example")],
            "scheme": "http",
        }

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return int(sent[0]["status"])  # type: ignore[call-overload]

    assert asyncio.run(call()) == 400


def test_password_reset_links_use_only_the_allowed_host(make_app: Callable[..., App]) -> None:
    app = make_app(allowed_hosts=["good.example", "www.good.example"])
    app.auth  # noqa: B018
    with serve(app, base_url="http://good.example") as client:
        user(app, "alice", email="alice@example.com")
        evil = client.post(
            "/auth/password/reset/", data={"email": "alice@example.com"}, headers={"Host": "evil.example"}
        )
        assert evil.status_code == 400
        outbox = app.auth.mailer.outbox
        assert outbox == []
        token = client.csrf("/auth/password/reset/")
        sent = client.post("/auth/password/reset/", data={"email": "alice@example.com", "csrf_token": token})
        assert sent.status_code == 200
        assert len(outbox) == 1
        body = outbox[0].get_content()
        links = re.findall(r"https?://\S+", body)
        assert links and all(urlsplit(link).netloc == "good.example" for link in links)
        assert "evil" not in body


def test_password_reset_link_works_once_and_answers_alike_for_unknown_addresses(
    make_app: Callable[..., App],
) -> None:
    app = make_app()
    app.auth  # noqa: B018
    with serve(app) as client:
        user(app, "alice", email="alice@example.com")
        token = client.csrf("/auth/password/reset/")
        unknown = client.post(
            "/auth/password/reset/", data={"email": "nobody@example.com", "csrf_token": token}
        )
        known = client.post("/auth/password/reset/", data={"email": "alice@example.com", "csrf_token": token})
        assert unknown.status_code == known.status_code == 200
        assert unknown.text == known.text
        (message,) = app.auth.mailer.outbox
        link = re.search(r"http://testserver(\S+)", message.get_content())
        assert link is not None
        path = link.group(1)
        form = client.get(path)
        assert form.status_code == 200
        new = "a brand new passphrase"
        fields = {"new_password": new, "new_password2": new, "csrf_token": client.csrf(path)}
        assert client.post(path, data=fields).status_code == 200
        again = client.post(path, data={**fields, "csrf_token": client.csrf("/auth/login/")})
        assert again.status_code == 400  # used: the password hash it was made from changed
        with client.other_browser() as other:
            assert other.login("alice", new).status_code == 303
            assert other.login("alice", PASSWORD).status_code == 400
