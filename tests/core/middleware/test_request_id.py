from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from vivace.core.exceptions import ConfigError
from vivace.core.middleware import RequestIDMiddleware
from vivace.core.types import Message, Receive, Scope, Send

HEX32 = re.compile(r"[0-9a-f]{32}")


async def echo_id(scope: Scope, receive: Receive, send: Send) -> None:
    body = scope["state"]["request_id"].encode()
    headers = [(b"x-request-id", b"set-by-app"), (b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def fetch(headers: dict[str, str] | None = None, **options: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=RequestIDMiddleware(echo_id, **options))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/", headers=headers)

    return asyncio.run(run())


def test_generates_an_id_per_request() -> None:
    first, second = fetch(), fetch()
    assert HEX32.fullmatch(first.text)
    assert first.headers.get_list("x-request-id") == [first.text]
    assert first.text != second.text


def test_incoming_id_ignored_unless_trusted() -> None:
    response = fetch({"x-request-id": "from-the-proxy"})
    assert HEX32.fullmatch(response.text)
    assert response.headers["x-request-id"] == response.text


@pytest.mark.parametrize("incoming", ["from-the-proxy", "a.b_c-D9", "x" * 128])
def test_trusted_safe_incoming_id_is_kept(incoming: str) -> None:
    response = fetch({"x-request-id": incoming}, trust_incoming=True)
    assert response.text == incoming
    assert response.headers["x-request-id"] == incoming


@pytest.mark.parametrize("incoming", ["x" * 129, "<script>", "a b", "id\twith\ttabs", "caf\u00e9", "a/b", ""])
def test_trusted_but_unsafe_incoming_id_is_replaced(incoming: str) -> None:
    response = asyncio.run(drive_raw([(b"x-request-id", incoming.encode("latin-1"))]))
    assert HEX32.fullmatch(response.text)
    assert response.headers["x-request-id"] == response.text


async def drive_raw(headers: list[tuple[bytes, bytes]]) -> httpx.Response:
    """Call the middleware with raw header bytes no HTTP client would send."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": headers}
    await RequestIDMiddleware(echo_id, trust_incoming=True)(scope, receive, send)
    return httpx.Response(sent[0]["status"], headers=sent[0]["headers"], content=sent[1]["body"])


def test_custom_header_name() -> None:
    response = fetch({"x-correlation-id": "abc-123"}, header="X-Correlation-ID", trust_incoming=True)
    assert response.text == "abc-123"
    assert response.headers["x-correlation-id"] == "abc-123"
    # the app's own x-request-id is a different header now and is kept
    assert response.headers["x-request-id"] == "set-by-app"


def test_existing_state_is_kept() -> None:
    sent: list[Message] = []
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope["state"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body"})

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "GET", "headers": [], "state": {"db": "pool"}}
    asyncio.run(RequestIDMiddleware(app)(scope, receive, send))
    assert seen["db"] == "pool"
    assert seen["request_id"] == scope["state"]["request_id"]
    assert sent[0]["headers"] == [(b"x-request-id", seen["request_id"].encode())]


def test_non_http_scope_passes_straight_through() -> None:
    calls: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)

    async def receive() -> Message:
        return {}

    async def send(message: Message) -> None:
        pass

    scope: Scope = {"type": "lifespan"}
    asyncio.run(RequestIDMiddleware(app)(scope, receive, send))
    assert calls == [{"type": "lifespan"}]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"header": "X Request"}, "header='X Request'"),
        ({"header": ""}, "header=''"),
        ({"header": b"X-Request-ID"}, "header=b'X-Request-ID'"),
        ({"trust_incoming": "yes"}, "trust_incoming='yes'"),
    ],
)
def test_bad_options(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match="allowed") as info:
        RequestIDMiddleware(echo_id, **options)
    assert named in str(info.value)
