from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from vivace.core.exceptions import ConfigError
from vivace.core.middleware import CORSMiddleware
from vivace.core.types import ASGIApp, Message, Receive, Scope, Send

SITE = "https://site.example"


def make_app(headers: list[tuple[bytes, bytes]] | None = None) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = f"{scope['method']} from app".encode()
        raw = [(b"content-type", b"text/plain"), *(headers or [])]
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    return app


def fetch(
    method: str = "GET",
    headers: dict[str, str] | None = None,
    app: ASGIApp | None = None,
    **options: Any,
) -> httpx.Response:
    async def run() -> httpx.Response:
        middleware = CORSMiddleware(app or make_app(), **options)
        transport = httpx.ASGITransport(app=middleware)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, "/", headers=headers)

    return asyncio.run(run())


def preflight(
    origin: str, method: str = "POST", request_headers: str | None = None, **options: Any
) -> httpx.Response:
    headers = {"origin": origin, "access-control-request-method": method}
    if request_headers is not None:
        headers["access-control-request-headers"] = request_headers
    return fetch("OPTIONS", headers, **options)


def test_preflight_from_allowed_origin() -> None:
    response = preflight(
        SITE,
        allow_origins=[SITE],
        allow_methods=["GET", "POST"],
        allow_headers=["X-Token"],
        max_age=120,
    )
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["access-control-allow-methods"] == "GET, POST"
    allowed = response.headers["access-control-allow-headers"].split(", ")
    assert "x-token" in allowed and "content-type" in allowed
    assert response.headers["access-control-max-age"] == "120"
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-credentials" not in response.headers


def test_preflight_from_disallowed_origin_is_400_and_never_reaches_app() -> None:
    response = preflight("https://evil.example", allow_origins=[SITE])
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert "from app" not in response.text


@pytest.mark.parametrize(
    "origin",
    [
        "http://site.example",  # other scheme
        "https://site.example:8443",  # other port
        "https://sub.site.example",  # other host
        "https://site.example.evil.example",
        "HTTPS://SITE.EXAMPLE/",
        "null",
    ],
)
def test_origins_compare_exactly(origin: str) -> None:
    assert preflight(origin, allow_origins=[SITE]).status_code == 400
    response = fetch(headers={"origin": origin}, allow_origins=[SITE])
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["vary"] == "Origin"


def test_configured_origins_are_normalised() -> None:
    options: dict[str, Any] = {"allow_origins": ["HTTPS://Site.Example:443", "http://localhost:8000"]}
    assert preflight(SITE, **options).status_code == 200
    assert preflight("http://localhost:8000", **options).status_code == 200
    assert preflight("http://localhost", **options).status_code == 400


def test_preflight_with_credentials_echoes_the_origin() -> None:
    response = preflight(SITE, allow_origins=[SITE], allow_credentials=True)
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["access-control-allow-credentials"] == "true"


def test_wildcard_methods_and_headers_echo_the_request() -> None:
    response = preflight(
        SITE,
        method="PATCH",
        request_headers="Authorization, X-Custom,bad header",
        allow_origins=[SITE],
        allow_methods=["*"],
        allow_headers=["*"],
        allow_credentials=True,
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-methods"] == "PATCH"
    assert response.headers["access-control-allow-headers"] == "authorization, x-custom"


def test_wildcard_origin() -> None:
    response = preflight(SITE, allow_origins=["*"])
    assert response.headers["access-control-allow-origin"] == "*"
    assert "vary" not in response.headers
    response = fetch(headers={"origin": "https://anyone.example"}, allow_origins=["*"])
    assert response.headers["access-control-allow-origin"] == "*"
    assert "vary" not in response.headers
    # the same answer for every request, so a cached copy suits everyone
    assert fetch(allow_origins=["*"]).headers["access-control-allow-origin"] == "*"


def test_null_origin_needs_listing_explicitly() -> None:
    assert preflight("null", allow_origins=["*"]).status_code == 400
    assert preflight("null", allow_origin_regex=".*").status_code == 400
    response = fetch(headers={"origin": "null"}, allow_origins=["*"])
    assert "access-control-allow-origin" not in response.headers
    response = preflight("null", allow_origins=["null"])
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "null"


def test_regex_must_match_the_whole_origin() -> None:
    options: dict[str, Any] = {"allow_origin_regex": r"https://[a-z0-9-]+\.site\.example"}
    assert preflight("https://api.site.example", **options).status_code == 200
    assert preflight("https://api.site.example.evil.example", **options).status_code == 400
    assert preflight("http://api.site.example", **options).status_code == 400
    compiled: dict[str, Any] = {"allow_origin_regex": re.compile(r"https://[a-z]+\.site\.example")}
    assert preflight("https://www.site.example", **compiled).status_code == 200


def test_regex_with_credentials_echoes_origin() -> None:
    response = fetch(
        headers={"origin": "https://a.site.example"},
        allow_origin_regex=r"https://[a-z]+\.site\.example",
        allow_credentials=True,
    )
    assert response.headers["access-control-allow-origin"] == "https://a.site.example"
    assert response.headers["access-control-allow-credentials"] == "true"


def test_simple_request_from_allowed_origin() -> None:
    response = fetch(
        headers={"origin": SITE},
        app=make_app([(b"vary", b"Cookie")]),
        allow_origins=[SITE],
        expose_headers=["X-Total", "X-Page"],
    )
    assert response.text == "GET from app"
    assert response.headers["access-control-allow-origin"] == SITE
    assert response.headers["access-control-expose-headers"] == "X-Total, X-Page"
    assert response.headers["vary"] == "Cookie, Origin"
    assert "access-control-allow-credentials" not in response.headers


def test_simple_request_with_credentials() -> None:
    response = fetch(headers={"origin": SITE}, allow_origins=[SITE], allow_credentials=True)
    assert response.headers["access-control-allow-credentials"] == "true"


def test_app_cors_headers_are_replaced_for_allowed_origins() -> None:
    app = make_app([(b"access-control-allow-origin", b"*")])
    response = fetch(headers={"origin": SITE}, app=app, allow_origins=[SITE])
    assert response.headers.get_list("access-control-allow-origin") == [SITE]


def test_request_without_origin_gets_vary_only() -> None:
    response = fetch(allow_origins=[SITE])
    assert response.text == "GET from app"
    assert response.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in response.headers


def test_options_without_request_method_reaches_the_app() -> None:
    response = fetch("OPTIONS", {"origin": SITE}, allow_origins=[SITE])
    assert response.text == "OPTIONS from app"
    assert response.headers["access-control-allow-origin"] == SITE
    response = fetch("OPTIONS", allow_origins=[SITE])
    assert response.text == "OPTIONS from app"


def test_non_http_scope_passes_straight_through() -> None:
    calls: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)

    async def receive() -> Message:
        return {}

    async def send(message: Message) -> None:
        pass

    scope = {"type": "websocket", "headers": [(b"origin", b"https://evil.example")]}
    asyncio.run(CORSMiddleware(app, allow_origins=[SITE])(scope, receive, send))
    assert calls == [scope]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"allow_origins": ["*"], "allow_credentials": True}, "allow_credentials=True"),
        ({"allow_origins": [SITE], "allow_credentials": "yes"}, "allow_credentials='yes'"),
        ({"allow_origins": SITE}, f"allow_origins={SITE!r}"),
        ({"allow_origins": ["https://site.example/"]}, "trailing slash"),
        ({"allow_origins": ["site.example"]}, "add the scheme"),
        ({"allow_origins": ["https://*.site.example"]}, "allow_origin_regex"),
        ({"allow_origins": ["https://site.example/path"]}, "no path"),
        ({"allow_origins": ["https://site.example:99999"]}, "port 99999"),
        ({"allow_origins": [1]}, "entry 1"),
        ({}, "allows no origin"),
        ({"allow_origin_regex": "(unclosed"}, "does not compile"),
        ({"allow_origin_regex": 5}, "allow_origin_regex=5"),
        ({"allow_origins": [SITE], "allow_methods": "GET"}, "allow_methods='GET'"),
        ({"allow_origins": [SITE], "allow_headers": ["bad header"]}, "'bad header'"),
        ({"allow_origins": [SITE], "max_age": -1}, "max_age=-1"),
        ({"allow_origins": [SITE], "max_age": 1.5}, "max_age=1.5"),
        (
            {"allow_origins": [SITE], "allow_credentials": True, "expose_headers": ["*"]},
            "expose_headers=['*']",
        ),
    ],
)
def test_bad_options(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        CORSMiddleware(make_app(), **options)
    assert named in str(info.value)
