"""Routing: the rules shared by decorator routes and URL lists, and the router itself."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from vivace import App, Converter, include, path
from vivace.core.exceptions import ConfigError
from vivace.core.routing import DEFAULT_CONVERTERS, URLBuildError
from vivace.testing import TestClient

from .asgi import body_of, call, chunks, http_scope, status_of

SAMPLE_UUID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"


def make_app(tmp_path: Path, **settings: Any) -> App:
    return App("t", root=tmp_path, **settings)


def raw(app: App, method: str, target: str, headers: list[tuple[bytes, bytes]] | None = None) -> Any:
    """One request straight through ASGI, ``target`` already decoded as a server would."""
    scope = http_scope(method, target, headers or [])
    scope["raw_path"] = quote(target, safe="/").encode()
    sent, _ = call(app, scope, chunks(b""))
    headers_out = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return status_of(sent), headers_out, body_of(sent)


# Two route styles, one path syntax ---------------------------------------------------------------


def test_decorator_paths_are_absolute(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with pytest.raises(ConfigError, match=r"absolute.*'/notes'"):
        app.add_route("notes", lambda: "x")


def test_url_list_patterns_are_relative() -> None:
    with pytest.raises(ConfigError, match=r"relative.*path\('about/'"):
        path("/about/", lambda: "x")


def test_both_styles_share_one_router(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/notes/<int:id>")
    def note(id: int) -> str:
        return f"note {id}"

    def about() -> str:
        return "about"

    def post(slug: str) -> str:
        return f"post {slug}"

    app.urls([path("about/", about, name="about"), path("posts/<slug:slug>/", post, name="post")])
    with TestClient(app) as client:
        assert client.get("/notes/3").text == "note 3"
        assert client.get("/about/").text == "about"
        assert client.get("/posts/hi-there/").text == "post hi-there"
    assert app.url_for("note", id=3) == "/notes/3"
    assert app.url_for("about") == "/about/"
    assert app.url_for("post", slug="x") == "/posts/x/"


def test_include_joins_prefix_and_pattern(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    def index() -> str:
        return "index"

    def detail(slug: str) -> str:
        return slug

    blog = [path("", index, name="index"), path("<slug:slug>/", detail, name="detail")]
    app.urls([path("blog/", include(blog, namespace="blog")), path("news", include(blog, namespace="news"))])
    with TestClient(app) as client:
        assert client.get("/blog/").text == "index"
        assert client.get("/blog/hello/").text == "hello"
        assert client.get("/news/hello/").text == "hello"
    assert app.url_for("blog:index") == "/blog/"
    assert app.url_for("blog:detail", slug="hello") == "/blog/hello/"
    assert app.url_for("news:detail", slug="hello") == "/news/hello/"


def test_nested_namespaces(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    def show(id: int) -> str:
        return str(id)

    inner = [path("items/<int:id>", show, name="item")]
    middle = [path("v1/", include(inner, namespace="inner")), path("plain/", include(inner))]
    app.urls([path("api/", include(middle, namespace="outer"))])
    assert app.url_for("outer:inner:item", id=4) == "/api/v1/items/4"
    # An include without a namespace keeps the names in the enclosing one.
    assert app.url_for("outer:item", id=4) == "/api/plain/items/4"
    with TestClient(app) as client:
        assert client.get("/api/v1/items/4").text == "4"
    with pytest.raises(URLBuildError, match="no route is named 'inner:item'"):
        app.url_for("inner:item", id=4)


# Priority ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("static_first", [True, False])
def test_static_segment_beats_converter_whatever_the_order(tmp_path: Path, static_first: bool) -> None:
    app = make_app(tmp_path)

    def feed() -> str:
        return "feed"

    def article(slug: str) -> str:
        return f"article {slug}"

    routes: list[tuple[str, Callable[..., str]]] = [
        ("/articles/feed", feed),
        ("/articles/<slug:slug>", article),
    ]
    for pattern, view in routes if static_first else reversed(routes):
        app.add_route(pattern, view)
    with TestClient(app) as client:
        assert client.get("/articles/feed").text == "feed"
        assert client.get("/articles/other").text == "article other"


@pytest.mark.parametrize("static_first", [True, False])
def test_static_beats_converter_deeper_in_the_tree(tmp_path: Path, static_first: bool) -> None:
    app = make_app(tmp_path)

    def latest(page: int) -> str:
        return f"latest {page}"

    def by_user(user: str, page: int) -> str:
        return f"{user} {page}"

    routes: list[tuple[str, Callable[..., str]]] = [
        ("/u/latest/<int:page>", latest),
        ("/u/<user>/<int:page>", by_user),
    ]
    for pattern, view in routes if static_first else reversed(routes):
        app.add_route(pattern, view)
    with TestClient(app) as client:
        assert client.get("/u/latest/2").text == "latest 2"
        assert client.get("/u/ann/2").text == "ann 2"
        # The static branch fails further on, so the converter branch gets its turn.
        assert client.get("/u/latest/x").status_code == 404


def test_router_backtracks_out_of_a_static_branch(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/a/feed/rss")
    def rss() -> str:
        return "rss"

    @app.get("/a/<slug>/edit")
    def edit(slug: str) -> str:
        return f"edit {slug}"

    with TestClient(app) as client:
        assert client.get("/a/feed/rss").text == "rss"
        assert client.get("/a/feed/edit").text == "edit feed"


@pytest.mark.parametrize(("first", "expected"), [("int", "int 5"), ("str", "str 5")])
def test_first_registered_wins_among_equals(tmp_path: Path, first: str, expected: str) -> None:
    app = make_app(tmp_path)

    def by_int(value: int) -> str:
        return f"int {value}"

    def by_str(value: str) -> str:
        return f"str {value}"

    views: dict[str, tuple[str, Callable[..., str]]] = {
        "int": ("/v/<int:value>", by_int),
        "str": ("/v/<str:value>", by_str),
    }
    order = [first, "str" if first == "int" else "int"]
    for key in order:
        pattern, view = views[key]
        app.add_route(pattern, view, name=key)
    with TestClient(app) as client:
        assert client.get("/v/5").text == expected
        assert client.get("/v/five").text == "str five"


def test_first_registered_wins_when_a_later_route_shares_a_prefix(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_route("/a/<int:x>/b", lambda x: "int b", name="one")
    app.add_route("/a/<str:y>/c", lambda y: "str c", name="two")
    app.add_route("/a/<int:x>/c", lambda x: "int c", name="three")
    app.add_route("/a/<int:x>/d", lambda x: "int d", name="four")
    with TestClient(app) as client:
        assert client.get("/a/5/b").text == "int b"
        assert client.get("/a/5/c").text == "str c"
        assert client.get("/a/5/d").text == "int d"


def test_one_pattern_declared_in_pieces_shares_methods(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_route("/n/<int:id>", lambda id: "get", name="get")
    app.add_route("/n/<slug>", lambda slug: "slug", name="slug")
    app.add_route("/n/<int:id>", lambda id: "put", ["PUT"], name="put")
    with pytest.raises(ConfigError, match=r"GET /n/<int:id> is already routed"):
        app.add_route("/n/<int:id>", lambda id: "again", name="again")
    with TestClient(app) as client:
        assert client.put("/n/1").text == "put"
        assert client.get("/n/1").text == "get"
        response = client.delete("/n/1")
    assert response.headers["allow"] == "GET, HEAD, PUT"


def test_parameters_beat_the_rest_of_the_path(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/files/<path:rest>")
    def files(rest: str) -> str:
        return f"rest {rest}"

    @app.get("/files/<name>")
    def one(name: str) -> str:
        return f"one {name}"

    with TestClient(app) as client:
        assert client.get("/files/a.txt").text == "one a.txt"
        assert client.get("/files/a/b.txt").text == "rest a/b.txt"
        assert client.get("/files/").status_code == 404


# Converters through the app ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("/x/<v>", "/x/hello", "str:hello"),
        ("/x/<str:v>", "/x/h%20i", "str:h i"),
        ("/x/<int:v>", "/x/42", "int:42"),
        ("/x/<float:v>", "/x/2.5", "float:2.5"),
        ("/x/<slug:v>", "/x/a-b_c", "str:a-b_c"),
        ("/x/<uuid:v>", f"/x/{SAMPLE_UUID}", f"UUID:{SAMPLE_UUID}"),
        ("/x/<path:v>", "/x/a/b/c", "str:a/b/c"),
    ],
)
def test_each_converter_passes_a_typed_value(tmp_path: Path, pattern: str, url: str, expected: str) -> None:
    app = make_app(tmp_path)

    @app.get(pattern)
    def view(v: Any) -> str:
        return f"{type(v).__name__}:{v}"

    with TestClient(app) as client:
        response = client.get(url)
    assert response.status_code == 200
    assert response.text == expected


@pytest.mark.parametrize(
    ("pattern", "url"),
    [
        ("/x/<int:v>", "/x/abc"),
        ("/x/<int:v>", "/x/-1"),
        ("/x/<int:v>", "/x/" + "9" * 30),
        ("/x/<float:v>", "/x/nan"),
        ("/x/<float:v>", "/x/1e999"),
        ("/x/<slug:v>", "/x/a%20b"),
        ("/x/<slug:v>", "/x/%2e%2e"),
        ("/x/<slug:v>", "/x/%00"),
        ("/x/<uuid:v>", "/x/not-a-uuid"),
        ("/x/<str:v>", "/x/a%2Fb"),
        ("/x/<str:v>", "/x/"),
        ("/x/<path:v>", "/x/"),
    ],
)
def test_a_bad_value_is_404_when_no_other_route_fits(tmp_path: Path, pattern: str, url: str) -> None:
    app = make_app(tmp_path)
    calls: list[Any] = []

    @app.get(pattern)
    def view(v: Any) -> str:
        calls.append(v)
        return "hit"

    with TestClient(app) as client:
        assert client.get(url).status_code == 404
    assert calls == []


def test_a_bad_value_falls_through_to_the_next_route(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/item/<int:id>")
    def by_id(id: int) -> str:
        return f"id {id}"

    @app.get("/item/<uuid:key>")
    def by_key(key: uuid.UUID) -> str:
        return f"key {key.hex[:4]}"

    @app.get("/item/<slug:slug>")
    def by_slug(slug: str) -> str:
        return f"slug {slug}"

    with TestClient(app) as client:
        assert client.get("/item/12").text == "id 12"
        assert client.get(f"/item/{SAMPLE_UUID}").text == "key 6f1c"
        assert client.get("/item/twelve").text == "slug twelve"
        assert client.get("/item/tw%20elve").status_code == 404


@pytest.mark.parametrize("converter", sorted(DEFAULT_CONVERTERS))
def test_a_100_kb_segment_is_answered_fast(tmp_path: Path, converter: str) -> None:
    app = make_app(tmp_path)

    @app.get(f"/x/<{converter}:v>")
    def view(v: Any) -> str:
        return "hit"

    for segment in ("a" * 100_000, "1" * 100_000, "a-" * 50_000 + "!", "%" * 100_000):
        start = time.perf_counter()
        status, _, _ = raw(app, "GET", f"/x/{segment}")
        assert status in (200, 404)
        assert time.perf_counter() - start < 0.2


def test_user_defined_converter(tmp_path: Path) -> None:
    class YearConverter(Converter):
        openapi_type = "integer"

        def to_python(self, value: str) -> int:
            if len(value) != 4 or not value.isdigit():
                raise ValueError(value)
            return int(value)

        def to_url(self, value: Any) -> str:
            return f"{value:04d}"

    app = make_app(tmp_path)
    app.add_converter("year", YearConverter)

    @app.get("/archive/<year:year>")
    def archive(year: int) -> dict[str, int]:
        return {"year": year}

    @app.get("/archive/<slug>")
    def other(slug: str) -> str:
        return "other"

    with TestClient(app) as client:
        assert client.get("/archive/2024").json() == {"year": 2024}
        assert client.get("/archive/24").text == "other"
    assert app.url_for("archive", year=999) == "/archive/0999"
    with pytest.raises(URLBuildError):
        app.url_for("archive", year=12345)


def test_add_converter_wants_a_converter_class(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with pytest.raises(ConfigError, match="Converter subclass"):
        app.add_converter("x", str)  # type: ignore[arg-type]


def test_unknown_converter_names_the_known_ones_and_the_fix(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with pytest.raises(ConfigError) as info:
        app.add_route("/x/<year:y>", lambda y: "x")
    message = str(info.value)
    assert "unknown converter 'year'" in message
    assert "float, int, path, slug, str, uuid" in message
    assert "app.add_converter" in message


# Methods ----------------------------------------------------------------------------------------


def test_head_answers_for_every_get_with_headers_and_no_body(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/page")
    def page() -> str:
        return "<p>hello</p>"

    @app.get("/item/<int:id>")
    def item(id: int) -> dict[str, int]:
        return {"id": id}

    def listed() -> str:
        return "listed"

    app.urls([path("listed/", listed)])
    with TestClient(app) as client:
        for url in ("/page", "/item/7", "/listed/"):
            get = client.get(url)
            head = client.head(url)
            assert head.status_code == 200
            assert head.content == b""
            assert head.headers["content-length"] == str(len(get.content))
            assert head.headers["content-type"] == get.headers["content-type"]


def test_head_is_not_added_to_routes_without_get(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.post("/only-post")
    def only_post() -> str:
        return "x"

    with TestClient(app) as client:
        response = client.head("/only-post")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_unknown_path_is_404_problem(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/here")
    def here() -> str:
        return "x"

    with TestClient(app) as client:
        response = client.get("/elsewhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_405_lists_every_method_of_the_path(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/notes/<int:id>")
    def show(id: int) -> str:
        return "show"

    @app.put("/notes/<int:id>")
    def replace(id: int) -> str:
        return "put"

    @app.delete("/notes/<int:id>")
    def remove(id: int) -> str:
        return "delete"

    with TestClient(app) as client:
        response = client.post("/notes/1")
        assert client.put("/notes/1").text == "put"
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PUT"
    assert response.json()["status"] == 405


def test_405_gathers_methods_from_every_route_that_matches_the_path(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.post("/x/<int:id>")
    def by_int(id: int) -> str:
        return "int"

    @app.put("/x/<str:name>")
    def by_str(name: str) -> str:
        return "str"

    with TestClient(app) as client:
        response = client.get("/x/5")
        assert client.put("/x/5").text == "str"
    assert response.status_code == 405
    assert response.headers["allow"] == "POST, PUT"


@pytest.mark.parametrize(
    "method", ["FOO", "TRACE", "get", "Get", "__init__", "__class__", "CONNECT", "PATCH"]
)
def test_method_confusion_is_405(tmp_path: Path, method: str) -> None:
    app = make_app(tmp_path)
    calls: list[str] = []

    @app.get("/x")
    def x() -> str:
        calls.append("x")
        return "x"

    status, headers, _ = raw(app, method, "/x")
    assert status == 405
    assert headers["allow"] == "GET, HEAD"
    assert calls == []


def test_http_method_websocket_is_not_dispatched_to_a_websocket_route(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.websocket("/ws")
    async def ws(websocket: Any) -> None:
        await websocket.accept()

    status, _, _ = raw(app, "WEBSOCKET", "/ws")
    assert status in (400, 404, 405, 501)


# url_for ----------------------------------------------------------------------------------------


def test_url_for_builds_paths_and_query(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/notes/<int:id>", name="note")
    def note(id: int) -> str:
        return "x"

    @app.get("/files/<path:rest>")
    def files(rest: str) -> str:
        return "x"

    @app.get("/tags/<tag>")
    def tag(tag: str) -> str:
        return "x"

    assert app.url_for("note", id=3) == "/notes/3"
    assert app.url_for("note", id=3, page=2, q="a b") == "/notes/3?page=2&q=a+b"
    assert app.url_for("note", id=3, page=None) == "/notes/3"
    assert app.url_for("note", id=3, tag=["a", "b"]) == "/notes/3?tag=a&tag=b"
    assert app.url_for("files", rest="a/b c.txt") == "/files/a/b%20c.txt"
    assert app.url_for("tag", tag="caf\u00e9 & co") == "/tags/caf%C3%A9%20&%20co"
    assert app.url_for("tag", tag="a?b#c") == "/tags/a%3Fb%23c"


def test_url_for_round_trips_through_the_router(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/tags/<tag>/<path:rest>")
    def tag(tag: str, rest: str) -> dict[str, str]:
        return {"tag": tag, "rest": rest}

    url = app.url_for("tag", tag="caf\u00e9 ?#%", rest="x y/z")
    with TestClient(app) as client:
        assert client.get(url).json() == {"tag": "caf\u00e9 ?#%", "rest": "x y/z"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "needs parameter 'id'"),
        ({"id": None}, "needs parameter 'id'"),
        ({"id": "abc"}, "does not fit <int:id>"),
        ({"id": -1}, "does not fit <int:id>"),
        ({"id": True}, "does not fit <int:id>"),
    ],
)
def test_url_for_refuses_missing_or_invalid_params(
    tmp_path: Path, params: dict[str, Any], message: str
) -> None:
    app = make_app(tmp_path)

    @app.get("/notes/<int:id>")
    def note(id: int) -> str:
        return "x"

    with pytest.raises(URLBuildError, match=message):
        app.url_for("note", **params)


@pytest.mark.parametrize(
    ("pattern", "value"),
    [
        ("/t/<tag>", "a/b"),
        ("/t/<slug:tag>", "a b"),
        ("/t/<tag>", ""),
        ("/t/<uuid:tag>", "nope"),
        ("/t/<float:tag>", float("nan")),
        ("/t/<path:tag>", ""),
    ],
)
def test_url_for_refuses_values_that_would_not_route_back(tmp_path: Path, pattern: str, value: Any) -> None:
    app = make_app(tmp_path)
    app.add_route(pattern, lambda tag: "x", name="t")
    with pytest.raises(URLBuildError):
        app.url_for("t", tag=value)


def test_url_for_unknown_name(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    with pytest.raises(URLBuildError, match="no route is named 'nope'"):
        app.url_for("nope")
    assert issubclass(URLBuildError, LookupError)


# Setup mistakes ---------------------------------------------------------------------------------


def test_duplicate_route_and_method_is_a_config_error(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/x")
    def first() -> str:
        return "1"

    with pytest.raises(ConfigError, match=r"GET /x is already routed to .*first"):

        @app.get("/x")
        def second() -> str:
            return "2"


def test_same_path_other_method_is_fine(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/x")
    def read() -> str:
        return "read"

    @app.post("/x")
    def write() -> str:
        return "write"

    with TestClient(app) as client:
        assert client.get("/x").text == "read"
        assert client.post("/x").text == "write"


def test_duplicate_route_through_the_url_list(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    def a() -> str:
        return "a"

    with pytest.raises(ConfigError, match="already routed"):
        app.urls([path("x/", a, name="a1"), path("x/", a, name="a2")])


def test_duplicate_name_on_another_path_is_a_config_error(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_route("/a", lambda: "a", name="same")
    with pytest.raises(ConfigError, match=r"route name 'same' is used by '/a' and '/b'"):
        app.add_route("/b", lambda: "b", name="same")


def test_one_name_for_several_methods_of_one_path(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_route("/a", lambda: "get", name="a")
    app.add_route("/a", lambda: "post", ["POST"], name="a")
    assert app.url_for("a") == "/a"


def test_route_added_after_the_first_request_is_a_config_error(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/early")
    def early() -> str:
        return "early"

    with TestClient(app) as client:
        assert client.get("/early").status_code == 200
        with pytest.raises(ConfigError, match="before the first request"):
            app.add_route("/late", lambda: "late")
        with pytest.raises(ConfigError):
            app.urls([path("later/", lambda: "later")])
        assert client.get("/late").status_code == 404


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("/a/<int:id", "static text or exactly one parameter"),
        ("/a/x<int:id>", "static text or exactly one parameter"),
        ("/a/<int:id>.json", "static text or exactly one parameter"),
        ("/a/<a><b>", "static text or exactly one parameter"),
        ("/a/id>", "static text or exactly one parameter"),
        ("/a/<int:1id>", "'1id' is not a valid parameter name"),
        ("/a/<int:>", "'' is not a valid parameter name"),
        ("/a/<int: id>", "' id' is not a valid parameter name"),
        ("/a/<id>/<int:id>", "parameter 'id' appears twice"),
        ("/a/<nope:id>", "unknown converter 'nope'"),
        ("/a/<path:rest>/edit", "takes the rest of the path, so it must be last"),
    ],
)
def test_bad_patterns_are_config_errors_that_name_the_pattern(
    tmp_path: Path, pattern: str, message: str
) -> None:
    app = make_app(tmp_path)
    with pytest.raises(ConfigError) as info:
        app.add_route(pattern, lambda **kw: "x")
    assert message in str(info.value)
    assert repr(pattern) in str(info.value)


def test_two_rest_parameters_at_one_place_conflict(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_route("/f/<path:a>", lambda a: "a")
    with pytest.raises(ConfigError, match=r"already takes the rest of the path here as <path:a>"):
        app.add_route("/f/<path:b>", lambda b: "b", ["POST"])
    # The same parameter name shares the place, method by method.
    app.add_route("/f/<path:a>", lambda a: "post", ["POST"], name="f_post")
