"""The router alone: patterns, matching, 404 and 405 without an app."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from vivace import Converter, Request
from vivace.core.exceptions import ConfigError, MethodNotAllowed, NotFound
from vivace.core.routing import DEFAULT_CONVERTERS, Route, Router, parse_pattern
from vivace.core.routing.rules import Param
from vivace.testing import TestClient

from .test_routing import make_app

# The router alone -------------------------------------------------------------------------------


def make_route(pattern: str, methods: tuple[str, ...] = ("GET",), name: str | None = None) -> Route:
    def endpoint() -> None:
        return None

    segments = parse_pattern(pattern, DEFAULT_CONVERTERS)
    return Route(pattern, segments, frozenset(methods), endpoint, endpoint, name or pattern)


def test_parse_pattern_segments() -> None:
    segments = parse_pattern("/a/<int:id>/<rest>/", DEFAULT_CONVERTERS)
    assert segments[0] == "a"
    assert isinstance(segments[1], Param)
    assert (segments[1].name, segments[1].converter_name) == ("id", "int")
    assert isinstance(segments[2], Param)
    assert segments[2].converter_name == "str"
    assert segments[3] == ""
    assert parse_pattern("/", DEFAULT_CONVERTERS) == [""]


def test_parse_pattern_wants_a_leading_slash() -> None:
    with pytest.raises(ConfigError, match="must start with '/'"):
        parse_pattern("a/b", DEFAULT_CONVERTERS)


def test_router_match_returns_route_and_params() -> None:
    router = Router()
    static = make_route("/a/b")
    dynamic = make_route("/a/<int:x>/<y>")
    rest = make_route("/r/<path:p>")
    for route in (static, dynamic, rest):
        router.add(route)
    assert router.match("GET", "/a/b") == (static, {})
    assert router.match("GET", "/a/3/z") == (dynamic, {"x": 3, "y": "z"})
    assert router.match("GET", "/r/1/2/") == (rest, {"p": "1/2/"})
    assert router.has_route("GET", "/a/b")
    assert not router.has_route("POST", "/a/b")
    assert router.routes == [static, dynamic, rest]


@pytest.mark.parametrize("target", ["", "a/b", "/a/b/", "/a/x/z", "/a/3", "/a/3/z/w", "/r/", "/r"])
def test_router_not_found(target: str) -> None:
    router = Router()
    for pattern in ("/a/b", "/a/<int:x>/<y>", "/r/<path:p>"):
        router.add(make_route(pattern))
    with pytest.raises(NotFound):
        router.match("GET", target)


def test_router_method_not_allowed_carries_allow() -> None:
    router = Router()
    router.add(make_route("/a", ("GET", "HEAD", "POST")))
    router.add(make_route("/b/<x>", ("PUT",)))
    router.add(make_route("/r/<path:p>", ("DELETE",)))
    router.add(make_route("/ws", ("WEBSOCKET",)))
    for target, allowed in [("/a", ["GET", "HEAD", "POST"]), ("/b/1", ["PUT"]), ("/r/x/y", ["DELETE"])]:
        with pytest.raises(MethodNotAllowed) as info:
            router.match("PATCH", target)
        assert info.value.allowed == allowed
        assert ("allow", ", ".join(allowed)) in info.value.headers
    # A websocket-only path is not found for HTTP methods.
    with pytest.raises(NotFound):
        router.match("GET", "/ws")


def test_router_duplicate_leaves_the_table_unchanged() -> None:
    router = Router()
    router.add(make_route("/x", ("HEAD",)))
    with pytest.raises(ConfigError):
        router.add(make_route("/x", ("GET", "HEAD")))
    router.add(make_route("/x", ("GET",)))  # GET was not taken by the refused route
    router.add(make_route("/d/<a>", ("HEAD",)))
    with pytest.raises(ConfigError):
        router.add(make_route("/d/<a>", ("POST", "HEAD", "GET", "PUT")))
    for method in ("POST", "GET", "PUT"):
        router.add(make_route("/d/<a>", (method,)))


def test_router_match_cost_does_not_grow_with_the_number_of_routes() -> None:
    router = Router()
    for i in range(2000):
        router.add(make_route(f"/s{i}/<int:id>"))
        router.add(make_route(f"/static/{i}"))
    start = time.perf_counter()
    for _ in range(2000):
        router.match("GET", "/s1999/5")
        router.match("GET", "/static/1999")
    assert time.perf_counter() - start < 0.5


def test_converter_error_other_than_value_error_propagates() -> None:
    class Broken(Converter):
        def to_python(self, value: str) -> str:
            raise KeyError(value)

    router = Router()
    segments = parse_pattern("/b/<broken:x>", {**DEFAULT_CONVERTERS, "broken": Broken})
    router.add(Route("/b/<broken:x>", segments, frozenset({"GET"}), print, print, "b"))
    with pytest.raises(KeyError):
        router.match("GET", "/b/1")


def test_request_knows_its_route_and_params(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/r/<int:id>", name="rr")
    def r(request: Request, id: int) -> dict[str, Any]:
        assert request.route is not None
        return {"name": request.route.name, "path": request.route.path, "params": request.path_params}

    with TestClient(app) as client:
        assert client.get("/r/9").json() == {"name": "rr", "path": "/r/<int:id>", "params": {"id": 9}}
