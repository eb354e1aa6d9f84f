"""A one-file app in both routing styles, over a real socket."""

from __future__ import annotations

from types import ModuleType

import httpx

from .conftest import RunningServer


def test_page_with_inheritance_and_stylesheet(server: RunningServer) -> None:
    page = httpx.get(server.url + "/")
    assert page.status_code == 200
    assert page.text.startswith("<!doctype html>")
    assert '<a href="/blog/hello-world/">Hello, world</a>' in page.text
    assert '<a href="/about/">about</a>' in page.text
    css = httpx.get(server.url + "/static/site.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "font-family" in css.text


def test_both_routing_styles_and_url_for(server: RunningServer, site: ModuleType) -> None:
    assert httpx.get(server.url + "/notes/42").json() == {"id": 42, "url": "/notes/42"}
    assert httpx.get(server.url + "/about/").text == "<p>about us</p>"
    assert httpx.get(server.url + "/blog/").json() == {"posts": ["/blog/hello-world/", "/blog/second/"]}
    assert httpx.get(server.url + "/blog/second/").json() == {"title": "A second post"}
    assert httpx.get(server.url + "/blog/nope/").status_code == 404
    assert site.app.url_for("about") == "/about/"
    assert site.app.url_for("blog:detail", slug="x") == "/blog/x/"


def test_static_segment_beats_converter(server: RunningServer) -> None:
    assert httpx.get(server.url + "/articles/feed").text == "feed"
    assert httpx.get(server.url + "/articles/other").text == "article other"


def test_missing_slash_redirects_on_site(server: RunningServer) -> None:
    response = httpx.get(server.url + "/about?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == "/about/?x=1"


def test_head_404_405(server: RunningServer) -> None:
    head = httpx.head(server.url + "/notes/1")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert httpx.get(server.url + "/missing").status_code == 404
    wrong = httpx.delete(server.url + "/notes/1")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, HEAD"
