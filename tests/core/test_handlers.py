"""Handlers: how a function is wrapped once, called per request, and what it may return."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import functools
import logging
import threading
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from vivace import App, Request
from vivace.core.datastructures import Headers
from vivace.core.exceptions import ConfigError, HTTPException, abort
from vivace.core.handlers import plan_arguments, to_response
from vivace.core.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from vivace.testing import TestClient


def make_app(tmp_path: Path) -> App:
    return App("t", root=tmp_path)


def get(app: App, url: str, method: str = "GET") -> Any:
    with TestClient(app) as client:
        return client.request(method, url)


@pytest.fixture
def quiet_errors(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.CRITICAL, logger="vivace.error")
    return caplog


# Where handlers run -----------------------------------------------------------------------------


def test_def_runs_in_a_worker_thread_and_async_def_on_the_loop(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/sync")
    def sync() -> str:
        return threading.current_thread().name

    @app.get("/async")
    async def asynchronous() -> str:
        return threading.current_thread().name

    with TestClient(app) as client:
        assert client.get("/sync").text.startswith("vivace-handler")
        assert client.get("/async").text == "vivace-testclient"


def test_callable_objects(tmp_path: Path) -> None:
    class AsyncView:
        async def __call__(self, request: Request, id: int) -> str:
            return f"async {id} {threading.current_thread().name}"

    class SyncView:
        def __call__(self, id: int) -> str:
            return f"sync {id} {threading.current_thread().name}"

    app = make_app(tmp_path)
    app.add_route("/a/<int:id>", AsyncView(), name="a")
    app.add_route("/s/<int:id>", SyncView(), name="s")
    with TestClient(app) as client:
        assert client.get("/a/1").text == "async 1 vivace-testclient"
        assert client.get("/s/2").text.startswith("sync 2 vivace-handler")


def test_partial_of_an_async_function(tmp_path: Path) -> None:
    async def greet(greeting: str, name: str) -> str:
        return f"{greeting} {name}"

    app = make_app(tmp_path)
    app.add_route("/hi/<name>", functools.partial(greet, "hi"), name="hi")
    assert get(app, "/hi/ann").text == "hi ann"


def test_a_plain_decorator_around_an_async_handler(tmp_path: Path) -> None:
    def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(request: Request, **kwargs: Any) -> Any:
            if request.headers.get("x-allow") != "yes":
                return "refused", 403
            return view(request, **kwargs)

        return wrapper

    app = make_app(tmp_path)

    @app.get("/secret/<int:id>")
    @guarded
    async def secret(request: Request, id: int) -> str:
        return f"secret {id}"

    with TestClient(app) as client:
        assert client.get("/secret/4", headers={"x-allow": "yes"}).text == "secret 4"
        refused = client.get("/secret/4")
        assert (refused.status_code, refused.text) == (403, "refused")


# Arguments --------------------------------------------------------------------------------------


def test_request_argument_is_found_by_name_or_annotation(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/a")
    def by_name(request) -> str:  # type: ignore[no-untyped-def]
        return str(request.path)

    @app.get("/b")
    def short_name(req) -> str:  # type: ignore[no-untyped-def]
        return str(req.path)

    @app.get("/c")
    def by_annotation(incoming: Request) -> str:
        return incoming.path

    @app.get("/d")
    def without() -> str:
        return "no request"

    with TestClient(app) as client:
        assert client.get("/a").text == "/a"
        assert client.get("/b").text == "/b"
        assert client.get("/c").text == "/c"
        assert client.get("/d").text == "no request"


def test_path_params_are_passed_by_name(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/p/<int:a>/<b>")
    def swapped(request: Request, b: str, a: int) -> str:
        return f"{a!r} {b!r}"

    @app.get("/k/<int:a>/<b>")
    async def keyword_only(*, a: int, b: str, extra: str = "d") -> str:
        return f"{a} {b} {extra}"

    @app.get("/any/<int:a>/<b>")
    def any_kwargs(**params: Any) -> dict[str, Any]:
        return params

    with TestClient(app) as client:
        assert client.get("/p/1/x").text == "1 'x'"
        assert client.get("/k/1/x").text == "1 x d"
        assert client.get("/any/1/x").json() == {"a": 1, "b": "x"}


@pytest.mark.parametrize(
    ("pattern", "handler", "message"),
    [
        ("/x/<id>", lambda: "x", "has no argument 'id' for the path parameter <id>"),
        ("/x", lambda request, other: "x", "argument 'other' is not a path parameter and has no default"),
        ("/x/<id>", lambda id, request: "x", "argument 'request' is not a path parameter"),
    ],
)
def test_wrong_signature_is_a_config_error_at_registration(
    tmp_path: Path, pattern: str, handler: Callable[..., Any], message: str
) -> None:
    app = make_app(tmp_path)
    with pytest.raises(ConfigError, match=message):
        app.add_route(pattern, handler, name="x")


def test_positional_only_path_param_is_a_config_error(tmp_path: Path) -> None:
    def positional(request: Request, id: int, /) -> str:
        return str(id)

    app = make_app(tmp_path)
    with pytest.raises(ConfigError, match="positional-only"):
        app.add_route("/x/<int:id>", positional)


def test_plan_arguments() -> None:
    def f(request: Request, a: int, b: str = "x", *args: Any) -> None:
        return None

    assert plan_arguments(f, ["a"]) == (True, ["a"])

    def g(a: int) -> None:
        return None

    assert plan_arguments(g, ["a"]) == (False, ["a"])


def test_unreadable_signature_is_a_config_error() -> None:
    class Opaque:
        __signature__ = "not a signature"

        def __call__(self) -> str:
            return "x"

    with pytest.raises(ConfigError, match="cannot read the signature"):
        plan_arguments(Opaque(), [])


# What a handler may return ----------------------------------------------------------------------


class Point(msgspec.Struct):
    x: int
    y: int


@dataclasses.dataclass
class Pair:
    left: str
    right: datetime.date


class Markup(str):
    """As Jinja's Markup: a str subclass."""


@pytest.mark.parametrize(
    ("value", "status", "content_type", "body"),
    [
        ("<p>hi</p>", 200, "text/html; charset=utf-8", b"<p>hi</p>"),
        ("caf\u00e9", 200, "text/html; charset=utf-8", "caf\u00e9".encode()),
        (Markup("<b>ok</b>"), 200, "text/html; charset=utf-8", b"<b>ok</b>"),
        (b"\x00\x01", 200, "application/octet-stream", b"\x00\x01"),
        (bytearray(b"ab"), 200, "application/octet-stream", b"ab"),
        ({"a": 1}, 200, "application/json", b'{"a":1}'),
        (collections.OrderedDict(a=1), 200, "application/json", b'{"a":1}'),
        ([1, "two"], 200, "application/json", b'[1,"two"]'),
        ([], 200, "application/json", b"[]"),
        ({}, 200, "application/json", b"{}"),
        ("", 200, "text/html; charset=utf-8", b""),
        (Point(1, 2), 200, "application/json", b'{"x":1,"y":2}'),
        (Pair("l", datetime.date(2024, 1, 2)), 200, "application/json", b'{"left":"l","right":"2024-01-02"}'),
        (PlainTextResponse("plain", 202), 202, "text/plain; charset=utf-8", b"plain"),
        (("created", 201), 201, "text/html; charset=utf-8", b"created"),
        (({"id": 1}, 201), 201, "application/json", b'{"id":1}'),
        ((JSONResponse([1]), 418), 418, "application/json", b"[1]"),
    ],
)
def test_return_types(tmp_path: Path, value: Any, status: int, content_type: str, body: bytes) -> None:
    app = make_app(tmp_path)
    app.add_route("/r", lambda: value, name="r")
    response = get(app, "/r")
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))


@pytest.mark.parametrize(
    "headers",
    [
        {"X-One": "1", "x-two": "2"},
        [("X-One", "1"), ("x-two", "2")],
        Headers({"X-One": "1", "x-two": "2"}),
        types.MappingProxyType({"X-One": "1", "x-two": "2"}),
    ],
    ids=["dict", "pairs", "Headers", "mapping"],
)
def test_three_tuple_sets_headers(tmp_path: Path, headers: Any) -> None:
    app = make_app(tmp_path)
    app.add_route("/r", lambda: ("body", 202, headers), name="r")
    response = get(app, "/r")
    assert response.status_code == 202
    assert response.headers["x-one"] == "1"
    assert response.headers["x-two"] == "2"


def test_three_tuple_header_replaces_the_default(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_route("/r", lambda: ("a,b", 200, {"content-type": "text/csv"}), name="r")
    response = get(app, "/r")
    assert response.headers.get_list("content-type") == ["text/csv"]


@pytest.mark.parametrize(
    "value",
    [
        None,
        42,
        1.5,
        {"a"},
        object(),
        ("body",),
        ("body", "200"),
        ("body", 200, {}, "extra"),
        ("body", True),
        ("body", 42),
        ("body", 600),
        ((), 200),
        (None, 200),
        {"when": object()},
    ],
    ids=repr,
)
def test_anything_else_is_a_500(tmp_path: Path, value: Any, quiet_errors: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path)
    app.add_route("/r", lambda: value, name="r")
    response = get(app, "/r")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text


def test_none_is_a_500_that_names_the_cause_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path)

    @app.get("/none")
    def forgot() -> None:
        return None

    caplog.set_level(logging.ERROR, logger="vivace.error")
    assert get(app, "/none").status_code == 500
    assert any("returned None" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_to_response_passes_responses_through() -> None:
    response = HTMLResponse("x")
    assert to_response(response) is response
    assert isinstance(to_response("x"), HTMLResponse)
    assert isinstance(to_response({"a": 1}), JSONResponse)
    with pytest.raises(TypeError, match="not a response"):
        to_response(3)


def test_http_errors_raised_by_handlers(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/abort")
    def aborting() -> str:
        abort(409, "taken")

    @app.get("/raise")
    async def raising() -> str:
        raise HTTPException(429, headers={"retry-after": "3"})

    with TestClient(app) as client:
        response = client.get("/abort")
        assert response.status_code == 409
        assert response.json()["detail"] == "taken"
        limited = client.get("/raise")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "3"


# Response splitting fails closed ----------------------------------------------------------------

SPLIT = "v\r\nSet-Cookie: x=1"


def _headers_in_init() -> Response:
    return Response("x", headers={"x-user": SPLIT})


def _headers_set() -> Response:
    response = Response("x")
    response.headers["x-user"] = SPLIT
    return response


def _headers_added() -> Response:
    response = Response("x")
    response.headers.add("x-user", "v\nSet-Cookie: x=1")
    return response


def _header_name() -> Response:
    response = Response("x")
    response.headers["x-user\r\nset-cookie"] = "x=1"
    return response


def _tuple_headers() -> Any:
    return "x", 200, {"x-user": SPLIT}


def _redirect() -> Response:
    from vivace import redirect

    return redirect("/next\r\nSet-Cookie: x=1")


def _cookie_path() -> Response:
    response = Response("x")
    response.set_cookie("s", "v", path="/\r\nSet-Cookie: x=1")
    return response


def _nul_byte() -> Response:
    return Response("x", headers={"x-user": "v\x00w"})


@pytest.mark.parametrize(
    "handler",
    [
        _headers_in_init,
        _headers_set,
        _headers_added,
        _header_name,
        _tuple_headers,
        _redirect,
        _cookie_path,
        _nul_byte,
    ],
)
def test_a_header_with_cr_lf_fails_closed(
    tmp_path: Path, handler: Callable[[], Any], quiet_errors: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path)
    app.add_route("/h", handler, name="h")
    response = get(app, "/h")
    assert response.status_code == 500
    assert "x-user" not in response.headers
    assert "set-cookie" not in response.headers
    assert "location" not in response.headers


def test_a_cookie_value_with_cr_lf_is_quoted_not_split(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/c")
    def cookie() -> Response:
        response = Response("x")
        response.set_cookie("s", SPLIT)
        return response

    response = get(app, "/c")
    assert response.status_code == 200
    (value,) = response.headers.get_list("set-cookie")
    assert "\r" not in value
    assert "\n" not in value
    assert value.startswith('s="v\\015\\012Set-Cookie: x=1"')


@pytest.mark.parametrize(
    "raise_it",
    [
        lambda: abort(400, headers={"x-user": SPLIT}),
        lambda: abort(400, headers=[("x-user\r\nset-cookie", "x=1")]),
        lambda: abort(1000),
        lambda: abort(302, "redirects are responses, not errors"),
        lambda: abort(200),
    ],
)
def test_a_bad_http_error_fails_closed_as_a_500(
    tmp_path: Path, raise_it: Callable[[], Any], quiet_errors: pytest.LogCaptureFixture
) -> None:
    app = make_app(tmp_path)
    app.add_route("/e", raise_it, name="e")
    response = get(app, "/e")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "x-user" not in response.headers
    assert "set-cookie" not in response.headers


def test_http_exception_classes() -> None:
    from vivace.core import exceptions as e

    cases = [
        (e.BadRequest, 400),
        (e.NotFound, 404),
        (e.RequestTimeout, 408),
        (e.PayloadTooLarge, 413),
        (e.UnsupportedMediaType, 415),
        (e.HeaderTooLarge, 431),
    ]
    for cls, status in cases:
        error = cls("why")
        assert isinstance(error, HTTPException)
        assert isinstance(error, e.VivaceError)
        assert (error.status_code, error.detail) == (status, "why")
    allowed = e.MethodNotAllowed(["POST", "GET", "GET"])
    assert allowed.allowed == ["GET", "POST"]
    assert allowed.headers == [("allow", "GET, POST")]
    assert HTTPException(499).title == "Error"
    assert HTTPException(404).detail == "Not Found"
    assert str(HTTPException(409, "taken")) == "409 Conflict: taken"
    assert issubclass(e.MissingDependency, ImportError)
    assert "pip install 'vivace[postgres]'" in str(e.MissingDependency("psycopg", "postgres"))
