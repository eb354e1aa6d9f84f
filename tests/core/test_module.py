"""``Module``: routes declared apart from the app, mounted under a prefix and a namespace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vivace import App, Module, Request, include, path
from vivace.core.exceptions import ConfigError
from vivace.core.module import HTTP_METHODS, RouteDef, flatten, mounted
from vivace.testing import TestClient


def make_blog(tmp_path: Path) -> Module:
    blog = Module("blog", root=tmp_path / "blog")

    @blog.get("/")
    def index() -> str:
        return "index"

    @blog.get("/<slug:slug>/", name="detail")
    def detail(slug: str) -> str:
        return f"post {slug}"

    @blog.post("/<slug:slug>/comments")
    def comment(request: Request, slug: str) -> tuple[str, int]:
        return f"comment on {slug}", 201

    return blog


@pytest.mark.parametrize("name", ["", "a:b", "a/b"])
def test_module_name_is_checked(name: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be non-empty, without ':' or '/'"):
        Module(name, root=tmp_path)


def test_module_paths(tmp_path: Path) -> None:
    module = Module("shop", root=tmp_path, templates_dir="tpl", static_dir="assets")
    assert module.root == tmp_path
    assert module.templates_path == tmp_path / "tpl"
    assert module.static_path == tmp_path / "assets"
    assert repr(module) == "<Module 'shop'>"
    assert Module("here", __name__).root == Path(__file__).resolve().parent


def test_declaring_routes_records_definitions(tmp_path: Path) -> None:
    module = Module("m", root=tmp_path)

    @module.get("/g")
    def g() -> str:
        return "g"

    @module.post("/p")
    def p() -> str:
        return "p"

    @module.put("/u")
    def u() -> str:
        return "u"

    @module.patch("/a")
    def a() -> str:
        return "a"

    @module.delete("/d")
    def d() -> str:
        return "d"

    @module.route("/r", ["get", "Post"], name="arr", max_body_size=10)
    def r() -> str:
        return "r"

    @module.websocket("/ws")
    async def ws(websocket: Any) -> None:
        return None

    found = {d.path: (sorted(d.methods), d.name) for d in module.definitions}
    assert found == {
        "/g": (["GET", "HEAD"], "g"),
        "/p": (["POST"], "p"),
        "/u": (["PUT"], "u"),
        "/a": (["PATCH"], "a"),
        "/d": (["DELETE"], "d"),
        "/r": (["GET", "HEAD", "POST"], "arr"),
        "/ws": (["WEBSOCKET"], "ws"),
    }
    (route_r,) = [d for d in module.definitions if d.path == "/r"]
    assert route_r.options == {"max_body_size": 10}


def test_route_paths_are_absolute(tmp_path: Path) -> None:
    module = Module("m", root=tmp_path)
    with pytest.raises(ConfigError, match=r"absolute.*'/x'"):
        module.add_route("x", lambda: "x")


def test_unknown_methods_are_refused(tmp_path: Path) -> None:
    module = Module("m", root=tmp_path)
    with pytest.raises(ConfigError, match=r"unknown method\(s\) \['FOO', 'TRACE'\]"):
        module.add_route("/x", lambda: "x", ["GET", "trace", "foo"])
    assert "TRACE" not in HTTP_METHODS
    with pytest.raises(ConfigError, match=r"methods is a list of names such as \['POST'\], not a string"):
        module.add_route("/x", lambda: "x", "post")


def test_a_lambda_gets_no_default_name(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    app.add_route("/a", lambda: "a")
    app.add_route("/b", lambda: "b")
    assert "<lambda>" not in app.named_routes
    with TestClient(app) as client:
        assert client.get("/b").text == "b"


def test_register_mounts_under_prefix_and_namespace(tmp_path: Path) -> None:
    blog = make_blog(tmp_path)
    app = App("t", root=tmp_path)
    app.register(blog, prefix="/blog")
    app.register(make_blog(tmp_path), prefix="/news/", namespace="news")
    assert app.url_for("blog:index") == "/blog/"
    assert app.url_for("blog:detail", slug="hi") == "/blog/hi/"
    assert app.url_for("news:detail", slug="hi") == "/news/hi/"
    assert blog in app.modules
    with TestClient(app) as client:
        assert client.get("/blog/").text == "index"
        assert client.get("/blog/hi/").text == "post hi"
        response = client.post("/news/hi/comments")
        assert (response.status_code, response.text) == (201, "comment on hi")


def test_register_at_the_root(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    app.register(make_blog(tmp_path))
    assert app.url_for("blog:index") == "/"
    assert app.url_for("blog:detail", slug="a") == "/a/"


def test_register_prefix_must_be_absolute(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    with pytest.raises(ConfigError, match="the prefix must start with '/'"):
        app.register(make_blog(tmp_path), prefix="blog")


def test_a_module_route_knows_its_module(tmp_path: Path) -> None:
    blog = Module("blog", root=tmp_path)

    @blog.get("/who")
    def who(request: Request) -> str:
        assert request.route is not None
        return str(request.route.options["module"].name)

    app = App("t", root=tmp_path)
    app.register(blog, prefix="/b")
    with TestClient(app) as client:
        assert client.get("/b/who").text == "blog"


def test_module_url_list_is_relative_to_its_prefix(tmp_path: Path) -> None:
    shop = Module("shop", root=tmp_path)

    def item(id: int) -> str:
        return f"item {id}"

    shop.urls([path("items/<int:id>/", item, name="item")])
    app = App("t", root=tmp_path)
    app.register(shop, prefix="/shop")
    assert app.url_for("shop:item", id=2) == "/shop/items/2/"
    with TestClient(app) as client:
        assert client.get("/shop/items/2/").text == "item 2"


def test_a_route_added_after_mounting_is_refused(tmp_path: Path) -> None:
    blog = make_blog(tmp_path)
    app = App("t", root=tmp_path)
    app.register(blog, prefix="/blog")
    with pytest.raises(ConfigError, match=r"already mounted at '/blog/'; declare its routes before"):

        @blog.get("/late")
        def late() -> str:
            return "late"


def test_a_module_can_be_mounted_twice(tmp_path: Path) -> None:
    blog = make_blog(tmp_path)
    app = App("t", root=tmp_path)
    app.urls([path("a/", include(blog, namespace="a")), path("b/", include(blog, namespace="b"))])
    assert app.url_for("a:index") == "/a/"
    assert app.url_for("b:index") == "/b/"
    assert app.modules.count(blog) == 1


def test_module_static_files_route(tmp_path: Path) -> None:
    root = tmp_path / "blog"
    (root / "static").mkdir(parents=True)
    (root / "static" / "style.css").write_text("body{}")
    blog = Module("blog", root=root)
    app = App("t", root=tmp_path)
    app.register(blog, prefix="/blog")
    assert app.url_for("blog:static", filename="style.css") == "/blog/static/style.css"
    with TestClient(app) as client:
        response = client.get("/blog/static/style.css")
    assert response.status_code == 200
    assert response.text == "body{}"


def test_errorhandler_key_is_checked(tmp_path: Path) -> None:
    module = Module("m", root=tmp_path)
    with pytest.raises(ConfigError, match="expected a status code or an exception class"):
        module.errorhandler("404")  # type: ignore[arg-type]

    @module.errorhandler(404)
    def missing(request: Request, exc: Exception) -> str:
        return "missing"

    @module.errorhandler(KeyError)
    def key(request: Request, exc: Exception) -> str:
        return "key"

    assert module.error_handlers == {404: missing, KeyError: key}


def test_module_life_cycle_hooks_run_with_the_app(tmp_path: Path) -> None:
    calls: list[str] = []
    module = Module("m", root=tmp_path)

    @module.on_startup
    def start() -> None:
        calls.append("start")

    @module.on_shutdown
    async def stop() -> None:
        calls.append("stop")

    app = App("t", root=tmp_path)
    app.register(module, prefix="/m")
    with TestClient(app) as client:
        assert calls == ["start"]
        client.get("/m/")
    assert calls == ["start", "stop"]


def test_flatten_and_mounted_resolve_absolute_paths_and_names(tmp_path: Path) -> None:
    def v() -> str:
        return "v"

    defs = flatten(
        [path("a/", v, name="a"), path("n/", include([path("b/", v, name="b")], namespace="n"))],
        "/root/",
        "top",
    )
    assert [(d.path, d.name, sorted(d.methods)) for d in defs] == [
        ("/root/a/", "top:a", ["GET", "HEAD"]),
        ("/root/n/b/", "top:n:b", ["GET", "HEAD"]),
    ]
    module = Module("m", root=tmp_path)
    module.add_route("/x", v, name="x")
    (found,) = mounted(module, "/p/", "ns")
    assert found == RouteDef("/p/x", v, frozenset({"GET", "HEAD"}), "ns:x", {}, module)
