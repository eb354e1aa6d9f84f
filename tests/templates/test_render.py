"""Templates: inheritance, autoescape, the globals, module folders, caching."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest

from vivace import App, Module, render
from vivace.templates import templates_for
from vivace.testing import TestClient


def write(folder: Path, name: str, text: str) -> None:
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, "utf-8")


@pytest.fixture
def app(tmp_path: Path) -> App:
    templates = tmp_path / "templates"
    write(
        templates,
        "base.html",
        "<title>{% block title %}site{% endblock %}</title><main>{% block body %}{% endblock %}</main>",
    )
    write(
        templates,
        "note.html",
        '{% extends "base.html" %}{% block title %}{{ note }}{% endblock %}'
        '{% block body %}<a href="{{ url_for("note", id=7) }}">{{ note }}</a>'
        '<link href="{{ static("site.css") }}">{{ request.path }}{% endblock %}',
    )
    write(tmp_path / "static", "site.css", "main{}")
    app = App("t", root=tmp_path)

    @app.get("/note/<int:id>")
    def note(request: Any, id: int) -> Any:
        return render(request, "note.html", note=request.query_params.get("text", "plain"))

    return app


def test_inheritance_globals_and_request(app: App) -> None:
    with TestClient(app) as client:
        response = client.get("/note/7")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == (
        '<title>plain</title><main><a href="/note/7">plain</a><link href="/static/site.css">/note/7</main>'
    )


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", '" onmouseover="x', "'><img src=x>", "{{ 7*7 }}", "{% debug %}"],
)
def test_user_text_is_escaped_and_never_evaluated(app: App, payload: str) -> None:
    with TestClient(app) as client:
        text = client.get("/note/7", params={"text": payload}).text
    assert "<script>" not in text and "<img" not in text and '" onmouseover' not in text
    assert "49" not in text
    if "{" in payload:
        assert payload in text


def test_unicode_survives(app: App) -> None:
    with TestClient(app) as client:
        text = client.get("/note/7", params={"text": "フレームワークのベンチマーク 🎉"}).text
    assert "フレームワークのベンチマーク 🎉" in text


def test_module_templates_are_found_after_the_apps(tmp_path: Path) -> None:
    write(tmp_path / "templates", "shared.html", "app wins")
    blog_root = tmp_path / "blog"
    write(blog_root / "templates", "shared.html", "module loses")
    write(blog_root / "templates", "blog/list.html", "blog list")
    app = App("t", root=tmp_path)
    blog = Module("blog", root=blog_root)

    @blog.get("/")
    def listing(request: Any) -> Any:
        return render(request, ["missing.html", "blog/list.html"])

    @blog.get("/shared")
    def shared(request: Any) -> Any:
        return render(request, "shared.html")

    app.register(blog, prefix="/blog")
    with TestClient(app) as client:
        assert client.get("/blog/").text == "blog list"
        assert client.get("/blog/shared").text == "app wins"


def test_missing_template_is_a_500_in_production_and_named_in_debug(tmp_path: Path) -> None:
    app = App("t", root=tmp_path, debug=True)

    @app.get("/")
    def index(request: Any) -> Any:
        return render(request, "nope.html")

    with TestClient(app) as client:
        response = client.get("/")
    assert response.status_code == 500
    assert "nope.html" in response.json()["detail"]


def test_undefined_variables_fail_loudly_in_debug(tmp_path: Path) -> None:
    write(tmp_path / "templates", "t.html", "{{ missing }}")
    debug = templates_for(App("t", root=tmp_path, debug=True))
    with pytest.raises(jinja2.UndefinedError):
        debug.render_string("t.html")
    assert templates_for(App("t", root=tmp_path)).render_string("t.html") == ""


def test_compiled_templates_are_cached(tmp_path: Path) -> None:
    write(tmp_path / "templates", "t.html", "{{ x }}")
    templates = templates_for(App("t", root=tmp_path))
    first = templates.env.get_template("t.html")
    assert templates.env.get_template("t.html") is first


def test_context_may_use_the_names_of_renders_own_parameters(tmp_path: Path) -> None:
    write(tmp_path / "templates", "hello.html", "{{ name }} {{ request }}")
    app = App("t", root=tmp_path)

    @app.get("/")
    def index(request: Any) -> Any:
        return render(request, "hello.html", name="Ada", request="shown")

    with TestClient(app) as client:
        assert client.get("/").text == "Ada shown"
