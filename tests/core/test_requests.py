"""Request: the request line, headers, cookies, and bodies within their limits."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from vivace import App
from vivace.testing import TestClient

from .asgi import body_of, call, chunks, endless, http_scope, status_of


@pytest.fixture
def app(tmp_path: Path) -> App:
    app = App("t", root=tmp_path, max_body_size=1000, body_timeout=0.3)

    @app.route("/inspect", methods=["GET", "POST"])
    async def inspect(request: Any) -> dict[str, Any]:
        return {
            "method": request.method,
            "path": request.path,
            "url": request.url,
            "query": request.query_params.multi_items(),
            "agent": request.headers.get("User-Agent"),
            "accept": request.headers.getlist("accept"),
            "cookies": request.cookies,
            "client": request.client[0],
            "secure": request.is_secure,
        }

    @app.post("/echo")
    async def echo(request: Any) -> Any:
        return await request.json()

    @app.post("/raw")
    async def raw(request: Any) -> Any:
        return {"size": len(await request.body())}

    @app.post("/stream")
    async def stream(request: Any) -> Any:
        sizes = [len(chunk) async for chunk in request.stream()]
        return {"chunks": sizes}

    @app.post("/big", max_body_size=5000)
    async def big(request: Any) -> Any:
        return {"size": len(await request.body())}

    return app


def test_request_line_headers_and_cookies(app: App) -> None:
    with TestClient(app) as client:
        data = client.get(
            "/inspect?a=1&a=2&empty=&name=caf%C3%A9",
            headers=[
                ("user-agent", "pytest"),
                ("accept", "text/html"),
                ("Accept", "application/json"),
                ("cookie", 'theme=dark; broken; lang="fr"; theme=light'),
            ],
        ).json()
    assert data["method"] == "GET"
    assert data["path"] == "/inspect"
    assert data["url"] == "http://testserver/inspect?a=1&a=2&empty=&name=caf%C3%A9"
    assert data["query"] == [["a", "1"], ["a", "2"], ["empty", ""], ["name", "café"]]
    assert data["agent"] == "pytest"
    assert data["accept"] == ["text/html", "application/json"]
    assert data["cookies"] == {"theme": "dark", "lang": "fr"}
    assert data["client"] == "127.0.0.1"
    assert data["secure"] is False


def test_json_body_round_trip_and_errors(app: App) -> None:
    with TestClient(app) as client:
        assert client.post("/echo", json={"user": {"name": "Zoë"}}).json() == {"user": {"name": "Zoë"}}
        assert (
            client.post("/echo", content=b"{}", headers={"content-type": "application/vnd.api+json"}).json()
            == {}
        )
        wrong_type = client.post("/echo", content=b"{}", headers={"content-type": "text/plain"})
        assert wrong_type.status_code == 415
        assert "application/json" in wrong_type.json()["detail"]
        malformed = [
            b'{"user": {"username": "x"',
            b"\xef\xbb\xbf{}",
            b'{"a": "\xff"}',
            b"[" * 100_000,
            b"1" * 10_000,
            b"1e999999",
            b"NaN",
            b'{"a": Infinity}',
            b"",
        ]
        for body in malformed:
            started = time.perf_counter()
            response = client.post("/echo", content=body, headers={"content-type": "application/json"})
            assert response.status_code in (400, 413, 422), body[:20]
            assert response.json()["title"] == "Bad Request" or response.status_code == 413
            assert "Traceback" not in response.text
            assert time.perf_counter() - started < 1


def test_lone_surrogate_is_refused_or_kept_as_text(app: App) -> None:
    with TestClient(app) as client:
        response = client.post("/echo", content=b'"\\ud800"', headers={"content-type": "application/json"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert json.loads(response.content) is not None


def test_declared_length_over_the_limit_is_refused_before_reading(app: App) -> None:
    scope = http_scope("POST", "/raw", [(b"content-length", b"50000000")])
    sent, reads = call(app, scope, endless(b"x" * 65536))
    assert status_of(sent) == 413
    assert reads == 0
    assert b"max_body_size=1000" in body_of(sent)
    assert (b"connection", b"close") in sent[0]["headers"]


def test_chunked_body_stops_once_past_the_limit(app: App) -> None:
    scope = http_scope("POST", "/raw")
    sent, reads = call(app, scope, endless(b"x" * 300))
    assert status_of(sent) == 413
    assert reads == 4  # 1200 bytes read: the limit (1000) plus less than one chunk


def test_route_can_raise_its_own_body_limit(app: App) -> None:
    with TestClient(app) as client:
        assert client.post("/big", content=b"x" * 4000).json() == {"size": 4000}
        assert client.post("/big", content=b"x" * 6000).status_code == 413
        assert client.post("/raw", content=b"x" * 1001).status_code == 413


def test_invalid_content_length_is_a_bad_request(app: App) -> None:
    for value in (b"+5", b"-1", b"1e3", b"abc"):
        sent, _ = call(app, http_scope("POST", "/raw", [(b"content-length", value)]), chunks(b"hello"))
        assert status_of(sent) == 400, value


def test_stream_yields_chunks_as_they_arrive(app: App) -> None:
    sent, _ = call(app, http_scope("POST", "/stream"), chunks(b"ab", b"", b"cde", b"f"))
    assert status_of(sent) == 200
    assert json.loads(body_of(sent)) == {"chunks": [2, 3, 1]}


def test_slow_body_times_out_with_408(app: App) -> None:
    async def stalled() -> dict[str, Any]:
        await asyncio.sleep(10)
        return {"type": "http.request", "body": b"", "more_body": False}

    started = time.perf_counter()
    sent, _ = call(app, http_scope("POST", "/raw"), stalled)
    assert status_of(sent) == 408
    assert b"body_timeout" in body_of(sent)
    assert time.perf_counter() - started < 2


def test_client_disconnect_sends_nothing(app: App) -> None:
    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    sent, _ = call(app, http_scope("POST", "/raw"), gone)
    assert sent == []
