"""The App: life cycle, isolation, errors, security defaults, middleware, extensions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from vivace import App, HTTPException, Module, abort
from vivace.core.exceptions import ConfigError
from vivace.core.responses import JSONResponse, PlainTextResponse
from vivace.core.types import Receive, Scope, Send
from vivace.testing import TestClient


def make_app(tmp_path: Path, **settings: Any) -> App:
    return App("t", root=tmp_path, **settings)


def test_lifespan_hooks_run_in_order(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    calls: list[str] = []

    @app.on_startup
    async def start() -> None:
        calls.append("start")

    @app.on_shutdown
    def stop() -> None:
        calls.append("stop")

    @app.get("/")
    def index(request: Any) -> str:
        calls.append("request")
        return "ok"

    with TestClient(app) as client:
        assert client.get("/").text == "ok"
    assert calls == ["start", "request", "stop"]


def test_startup_failure_is_reported(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.on_startup
    def broken() -> None:
        raise RuntimeError("database unreachable")

    client = TestClient(app)
    with pytest.raises(RuntimeError, match="database unreachable"):
        client.get("/")


def test_two_apps_share_no_state(tmp_path: Path) -> None:
    first = make_app(tmp_path, max_body_size=10)
    second = make_app(tmp_path)

    @first.get("/")
    def one(request: Any) -> str:
        return "one"

    @second.get("/")
    def two(request: Any) -> str:
        return "two"

    first.state.counter = 1
    assert not hasattr(second.state, "counter")
    with TestClient(first) as a, TestClient(second) as b:
        assert a.get("/").text == "one"
        assert b.get("/").text == "two"
    assert second.settings.max_body_size != 10


def test_security_headers_on_every_answer(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/")
    def index(request: Any) -> str:
        return "ok"

    with TestClient(app) as client:
        for response in (client.get("/"), client.get("/missing"), client.post("/")):
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"


def test_security_headers_can_be_overridden_per_response(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/")
    def index(request: Any) -> Any:
        return PlainTextResponse("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    with TestClient(app) as client:
        assert client.get("/").headers.get_list("x-frame-options") == ["SAMEORIGIN"]


def test_host_check_refuses_unknown_and_malformed_hosts(tmp_path: Path, caplog: Any) -> None:
    app = make_app(tmp_path, allowed_hosts=["good.example"])

    @app.get("/")
    def index(request: Any) -> str:
        return request.url  # type: ignore[no-any-return]

    with TestClient(app, base_url="http://good.example") as client:
        assert client.get("/").text == "http://good.example/"
        with caplog.at_level(logging.WARNING, logger="vivace.security"):
            for host in ("evil.example", "good.example@evil", "good.example:80/path", ""):
                response = client.get("/", headers={"host": host})
                assert response.status_code == 400, host
                assert "evil" not in response.text.replace("Invalid Host", "")
        assert "refused Host" in caplog.text


def test_http_exception_goes_through_the_formatter(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/gone")
    def gone(request: Any) -> str:
        abort(410, "this note was deleted")

    def realworld(request: Any, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"errors": {"body": [exc.detail]}}, exc.status_code)

    with TestClient(app) as client:
        problem = client.get("/gone")
        assert problem.status_code == 410
        assert problem.headers["content-type"] == "application/problem+json"
        assert problem.json() == {
            "type": "about:blank",
            "title": "Gone",
            "status": 410,
            "detail": "this note was deleted",
        }
        page = client.get("/gone", headers={"accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html")
        assert "this note was deleted" in page.text
        app.error_formatter = realworld
        assert client.get("/gone").json() == {"errors": {"body": ["this note was deleted"]}}
        assert client.get("/nowhere").json() == {"errors": {"body": ["Not Found"]}}


def test_error_handlers_by_status_and_by_class(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    class Conflict(Exception):
        pass

    @app.get("/conflict")
    def conflict(request: Any) -> str:
        raise Conflict("taken")

    @app.errorhandler(Conflict)
    async def on_conflict(request: Any, exc: Conflict) -> Any:
        return {"conflict": str(exc)}, 409

    @app.errorhandler(404)
    def on_404(request: Any, exc: HTTPException) -> Any:
        return "<p>nothing here</p>", 404

    with TestClient(app) as client:
        assert client.get("/conflict").status_code == 409
        assert client.get("/conflict").json() == {"conflict": "taken"}
        missing = client.get("/missing")
        assert missing.status_code == 404
        assert missing.text == "<p>nothing here</p>"


def test_module_error_handlers_and_formatter_apply_to_its_routes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    api = Module("api", root=tmp_path)

    @api.get("/item/<int:id>")
    def item(request: Any, id: int) -> str:
        abort(404, f"no item {id}")

    api.error_formatter = lambda request, exc: JSONResponse({"error": exc.detail}, exc.status_code)
    app.register(api, prefix="/api")

    @app.get("/page")
    def page(request: Any) -> str:
        abort(404)

    with TestClient(app) as client:
        assert client.get("/api/item/3").json() == {"error": "no item 3"}
        assert client.get("/page").json()["title"] == "Not Found"


def test_production_500_hides_the_traceback_and_logs_it(tmp_path: Path, caplog: Any) -> None:
    app = make_app(tmp_path)

    @app.get("/boom")
    def boom(request: Any) -> str:
        secret = "hunter2"  # noqa: F841 - a local that must never be shown
        raise ValueError("kaboom")

    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="vivace.error"):
        response = client.get("/boom", headers={"accept": "text/html"})
    assert response.status_code == 500
    assert "kaboom" not in response.text and "Traceback" not in response.text
    assert "hunter2" not in response.text
    assert "Request id" in response.text
    assert "kaboom" in caplog.text and "Traceback" in caplog.text


def test_debug_page_shows_the_traceback_but_no_secrets(tmp_path: Path, caplog: Any) -> None:
    app = make_app(tmp_path, debug=True)

    @app.get("/boom")
    def boom(request: Any) -> str:
        raise ValueError("kaboom")

    with TestClient(app) as client, caplog.at_level(logging.CRITICAL):
        response = client.get(
            "/boom?token=SECRET4&page=2",
            headers={"accept": "text/html", "authorization": "Bearer SECRET1", "cookie": "s=SECRET2"},
        )
        as_json = client.get("/boom")
    assert response.status_code == 500
    assert "ValueError" in response.text and "kaboom" in response.text and "Traceback" in response.text
    for secret in ("SECRET1", "SECRET2", "SECRET4"):
        assert secret not in response.text
    assert "page" in response.text
    assert as_json.json()["detail"] == "ValueError: kaboom"


def test_failing_error_handler_falls_back_to_500(tmp_path: Path, caplog: Any) -> None:
    app = make_app(tmp_path)

    @app.errorhandler(404)
    def broken(request: Any, exc: Exception) -> str:
        raise RuntimeError("handler bug")

    with TestClient(app) as client, caplog.at_level(logging.CRITICAL):
        assert client.get("/missing").status_code == 500


def test_middleware_wraps_in_order_and_sees_errors(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    seen: list[str] = []

    def tagging(inner: Any, tag: str) -> Any:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(f"{tag}-in")

            async def tagged_send(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-tag", tag.encode())]
                await send(message)

            await inner(scope, receive, tagged_send)
            seen.append(f"{tag}-out")

        return middleware

    app.add_middleware(tagging, tag="inner")
    app.add_middleware(tagging, tag="outer")
    with TestClient(app) as client:
        response = client.get("/missing")
    assert response.status_code == 404
    assert response.headers.get_list("x-tag") == ["inner, outer"] or response.headers.get_list("x-tag") == [
        "inner",
        "outer",
    ]
    assert seen == ["outer-in", "inner-in", "inner-out", "outer-out"]
    with pytest.raises(ConfigError):
        app.add_middleware(tagging, tag="late")


def test_extensions_start_and_stop_with_the_app(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    log: list[str] = []

    class Battery:
        name = "battery"

        def install(self, app: App) -> None:
            log.append("install")

        async def startup(self, app: App) -> None:
            log.append("startup")

        async def shutdown(self, app: App) -> None:
            log.append("shutdown")

    app.extend(Battery())
    with pytest.raises(ConfigError, match="already installed"):
        app.extend(Battery())
    with TestClient(app) as client:
        client.get("/")
    assert log == ["install", "startup", "shutdown"]


def test_event_bus_delivers_only_to_listeners(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    got: list[dict[str, Any]] = []
    assert not app.events.has_listeners("db.query")
    unsubscribe = app.events.subscribe("db.query", lambda **payload: got.append(payload))
    app.events.emit("db.query", sql="SELECT 1", duration=0.1)
    app.events.emit("other", x=1)
    unsubscribe()
    app.events.emit("db.query", sql="SELECT 2", duration=0.1)
    assert got == [{"sql": "SELECT 1", "duration": 0.1}]
    assert not app.events.has_listeners("db.query")


def test_an_app_serves_several_clients_with_paired_start_and_stop(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    log: list[str] = []
    app.on_startup(lambda: log.append("start"))
    app.on_shutdown(lambda: log.append("stop"))
    for _ in range(2):
        with TestClient(app) as client:
            client.get("/")
    assert log == ["start", "stop", "start", "stop"]


def test_a_request_before_the_lifespan_does_not_skip_start_up(tmp_path: Path) -> None:
    from .asgi import call, chunks, http_scope

    app = make_app(tmp_path)
    log: list[str] = []
    app.on_startup(lambda: log.append("start"))
    call(app, http_scope(), chunks(b""))
    with TestClient(app) as client:
        client.get("/")
    assert log == ["start"]


def test_https_redirect_keeps_host_path_and_query(tmp_path: Path) -> None:
    app = make_app(tmp_path, https_redirect=True, allowed_hosts=["example.com"])

    @app.get("/a b")
    def page(request: Any) -> str:
        return "secure"

    with TestClient(app, base_url="http://example.com:8080") as client:
        response = client.get("/a b?x=1")
        assert response.status_code == 301
        assert response.headers["location"] == "https://example.com/a%20b?x=1"
        assert client.post("/a b").status_code == 308
        assert client.get("/", headers={"host": "evil.example"}).status_code == 400
    with TestClient(app, base_url="https://example.com") as client:
        assert client.get("/a b").text == "secure"
