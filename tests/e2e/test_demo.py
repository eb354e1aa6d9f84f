"""The demo app, through TestClient: inheritance, static files, the form, JSON and url_for."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from vivace.demo.app import Guestbook, app
from vivace.testing import TestClient

XSS_NAME = '<img src=x onerror="alert(1)">'
XSS_MESSAGE = "<script>alert('guestbook-xss')</script> & more"


@pytest.fixture
def client() -> Iterator[TestClient]:
    app.state.guestbook = Guestbook()
    with TestClient(app) as test_client:
        yield test_client


def sign(client: TestClient, name: str, message: str) -> None:
    response = client.post("/sign", data={"name": name, "message": message})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/#entries"


def test_index_extends_the_base_template(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert html.startswith("<!doctype html>")
    assert "<title>Guestbook · vivace demo</title>" in html  # base.html's block, unchanged
    assert "This page extends <code>base.html</code>" in html  # base.html's footer
    assert "<h1>Sign the guestbook</h1>" in html  # index.html's content block
    assert "No entries yet" in html


def test_other_pages_fill_the_title_block(client: TestClient) -> None:
    assert "<title>About · vivace demo</title>" in client.get("/about/").text
    assert "<title>Notes · vivace demo</title>" in client.get("/notes/").text


def test_stylesheet_link_resolves(client: TestClient) -> None:
    html = client.get("/").text
    found = re.search(r'<link rel="stylesheet" href="([^"]+)">', html)
    assert found is not None
    href = found.group(1)
    assert href == app.url_for("static", filename="style.css") == "/static/style.css"
    css = client.get(href)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "body {" in css.text


def test_form_round_trip_escapes_what_visitors_type(client: TestClient) -> None:
    sign(client, XSS_NAME, XSS_MESSAGE)
    html = client.get("/").text
    entries = html[html.index('<section id="entries">') :]
    assert "&lt;script&gt;alert(&#39;guestbook-xss&#39;)&lt;/script&gt; &amp; more" in entries
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in entries
    assert XSS_MESSAGE not in html
    assert XSS_NAME not in html
    assert "Entries <small>(1)</small>" in html


def test_invalid_form_is_shown_again_with_errors(client: TestClient) -> None:
    response = client.post("/sign", data={"name": '"><b>x', "message": "   "})
    assert response.status_code == 422
    assert "<li>Please write a message.</li>" in response.text
    assert 'value="&#34;&gt;&lt;b&gt;x"' in response.text  # kept, escaped
    assert client.get("/api/entries").json()["count"] == 0


def test_too_long_values_are_refused(client: TestClient) -> None:
    response = client.post("/sign", data={"name": "n" * 61, "message": "m" * 501})
    assert response.status_code == 422
    assert "at most 60 characters" in response.text
    assert "at most 500 characters" in response.text


def test_a_file_instead_of_text_is_refused(client: TestClient) -> None:
    response = client.post(
        "/sign", data={"name": "Ada"}, files={"message": ("note.txt", b"hi", "text/plain")}
    )
    assert response.status_code == 400
    assert "must be text" in response.text


def test_json_endpoint(client: TestClient) -> None:
    empty = client.get("/api/entries")
    assert empty.status_code == 200
    assert empty.headers["content-type"] == "application/json"
    assert empty.json() == {"count": 0, "entries": []}
    sign(client, "Ada", "first")
    sign(client, XSS_NAME, XSS_MESSAGE)
    data = client.get("/api/entries").json()
    assert data["count"] == 2
    assert [(e["name"], e["message"]) for e in data["entries"]] == [
        (XSS_NAME, XSS_MESSAGE),  # newest first, as typed: JSON is not HTML
        ("Ada", "first"),
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["entries"][0]["created"])


def test_url_for_in_both_routing_styles(client: TestClient) -> None:
    # Decorator routes (@app.get / @app.post): absolute paths.
    assert app.url_for("index") == "/"
    assert app.url_for("sign") == "/sign"
    assert app.url_for("entries") == "/api/entries"
    # URL-list routes (app.urls([path(...), path("notes/", include(...))])): relative, namespaced.
    assert app.url_for("about") == "/about/"
    assert app.url_for("notes:list") == "/notes/"
    assert app.url_for("notes:detail", slug="routing") == "/notes/routing/"
    # The templates build their links with the same url_for.
    nav = client.get("/").text
    for href in ("/", "/notes/", "/about/", "/api/entries"):
        assert f'href="{href}"' in nav
    assert 'action="/sign"' in nav
    notes = client.get("/notes/").text
    assert 'href="/notes/routing/"' in notes
    assert 'href="/notes/routing/"' in client.get("/about/").text


def test_notes(client: TestClient) -> None:
    page = client.get("/notes/routing/")
    assert page.status_code == 200
    assert "<h1>One router, two styles</h1>" in page.text
    assert client.get("/notes/nothing-here/").status_code == 404


def test_entries_belong_to_the_app(client: TestClient) -> None:
    sign(client, "Ada", "hello")
    book = app.state.guestbook
    assert isinstance(book, Guestbook)
    assert [entry.name for entry in book] == ["Ada"]


def test_the_guestbook_keeps_the_latest_entries() -> None:
    book = Guestbook(keep=2)
    for number in range(3):
        book.add(f"n{number}", "m")
    assert [entry.name for entry in book] == ["n2", "n1"]
