"""The URL-list style: ``path()`` entries and ``include()``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from vivace import App, Module, include, path
from vivace.core.exceptions import ConfigError
from vivace.core.routing.urls import Include, URLEntry, join, qualify
from vivace.testing import TestClient


def view() -> str:
    return "view"


def test_path_records_pattern_view_name_methods_and_options() -> None:
    entry = path("notes/<int:id>/", view, name="note", methods=["get", "POST"], max_body_size=10)
    assert entry == URLEntry("notes/<int:id>/", view, "note", ("get", "POST"), {"max_body_size": 10})


def test_path_answers_get_and_head_by_default(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    app.urls([path("v/", view, name="v"), path("w/", view, name="w", methods=["post", "put"])])
    with TestClient(app) as client:
        assert client.get("/v/").text == "view"
        assert client.head("/v/").status_code == 200
        assert client.post("/v/").headers["allow"] == "GET, HEAD"
        assert client.post("/w/").text == "view"
        assert client.get("/w/").headers["allow"] == "POST, PUT"


def test_path_options_reach_the_route(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    app.urls([path("small/", view, methods=["POST"], max_body_size=4)])
    (found,) = [r for r in app.router.routes if r.path == "/small/"]
    assert found.options["max_body_size"] == 4


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: path("/abs/", view), r"relative.*path\('abs/'"),
        (lambda: path("x/", "not callable"), "the view must be callable"),  # type: ignore[arg-type]
        (lambda: path("x/", include([]), name="n"), "takes no name or methods"),
        (lambda: path("x/", include([]), methods=["GET"]), "takes no name or methods"),
        (lambda: path("x/", view, methods=["GET", "FOO"]), r"path\('x/'\): unknown method\(s\) \['FOO'\]"),
        (lambda: path("x/", view, methods="POST"), r"methods is a list of names such as \['POST'\]"),
        (lambda: path("x/", view, methods=[]), "no methods given"),
    ],
)
def test_path_mistakes(call: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        call()


def test_include_of_a_list() -> None:
    entries = [path("a/", view)]
    found = include(entries, namespace="ns")
    assert found == Include(entries=entries, namespace="ns")


@pytest.mark.parametrize("namespace", ["", "a:b"])
def test_include_namespace_must_be_a_plain_name(namespace: str) -> None:
    with pytest.raises(ConfigError, match="namespace is a non-empty name without ':'"):
        include([], namespace=namespace)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ([path("a/", view), "b/"], "expected path"),
        (42, "expected a list of path"),
        ("vivace_no_such_module_here", "cannot import it"),
        ("vivace.core.routing.urls", "has no 'urlpatterns' list"),
    ],
)
def test_include_mistakes(target: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        include(target)


def test_include_a_python_module_by_object_and_by_dotted_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg_for_urls"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "urls.py").write_text(
        "from vivace import path\n\n"
        "def hello(name):\n    return f'hello {name}'\n\n"
        "urlpatterns = [path('hello/<name>/', hello, name='hello')]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pkg_for_urls", raising=False)
    monkeypatch.delitem(sys.modules, "pkg_for_urls.urls", raising=False)
    import importlib

    module = importlib.import_module("pkg_for_urls.urls")
    app = App("t", root=tmp_path)
    app.urls(
        [
            path("by-name/", include("pkg_for_urls.urls", namespace="named")),
            path("by-object/", include(module, namespace="obj")),
        ]
    )
    assert app.url_for("named:hello", name="x") == "/by-name/hello/x/"
    assert app.url_for("obj:hello", name="x") == "/by-object/hello/x/"
    with TestClient(app) as client:
        assert client.get("/by-name/hello/ann/").text == "hello ann"


def test_include_of_a_module_uses_its_name_as_namespace(tmp_path: Path) -> None:
    blog = Module("blog", root=tmp_path)

    @blog.get("/<slug:slug>/", name="detail")
    def detail(slug: str) -> str:
        return f"post {slug}"

    app = App("t", root=tmp_path)
    app.urls([path("blog/", include(blog)), path("journal/", include(blog, namespace="journal"))])
    assert app.url_for("blog:detail", slug="hi") == "/blog/hi/"
    assert app.url_for("journal:detail", slug="hi") == "/journal/hi/"
    assert blog in app.modules
    with TestClient(app) as client:
        assert client.get("/blog/hi/").text == "post hi"
        assert client.get("/journal/hi/").text == "post hi"


def test_a_module_included_inside_a_namespace_keeps_its_own(tmp_path: Path) -> None:
    blog = Module("blog", root=tmp_path)

    @blog.get("/<slug:slug>/", name="detail")
    def detail(slug: str) -> str:
        return slug

    app = App("t", root=tmp_path)
    app.urls([path("site/", include([path("blog/", include(blog))], namespace="site"))])
    # As app.register(blog) does, the module's name is its namespace, nested in "site".
    assert app.url_for("site:blog:detail", slug="x") == "/site/blog/x/"
    assert blog in app.modules


@pytest.mark.parametrize(
    ("prefix", "pattern", "joined"),
    [("/", "", "/"), ("/", "a/", "/a/"), ("/blog/", "<slug>/", "/blog/<slug>/"), ("/blog", "x", "/blog/x")],
)
def test_join(prefix: str, pattern: str, joined: str) -> None:
    assert join(prefix, pattern) == joined


def test_qualify() -> None:
    assert qualify(None, "detail") == "detail"
    assert qualify("blog", "detail") == "blog:detail"
    assert qualify("blog", None) is None
    assert qualify(None, None) is None
