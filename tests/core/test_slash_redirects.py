"""Trailing-slash redirects: canonical URLs that never leave the site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from vivace import App, Converter
from vivace.testing import TestClient

from .test_routing import make_app, raw

# Trailing slashes -------------------------------------------------------------------------------


def slash_app(tmp_path: Path, **settings: Any) -> App:
    app = make_app(tmp_path, **settings)

    @app.route("/notes/", ["GET", "POST"])
    def notes() -> str:
        return "notes"

    @app.get("/about")
    def about() -> str:
        return "about"

    return app


def test_slash_redirect_for_get_and_head_is_301_keeping_the_query(tmp_path: Path) -> None:
    with TestClient(slash_app(tmp_path)) as client:
        response = client.get("/notes?page=2&q=a%20b")
        assert response.status_code == 301
        assert response.headers["location"] == "/notes/?page=2&q=a%20b"
        head = client.head("/notes")
        assert head.status_code == 301
        assert head.headers["location"] == "/notes/"
        back = client.get("/about/")
        assert back.status_code == 301
        assert back.headers["location"] == "/about"
        assert client.get("/notes", follow_redirects=True).text == "notes"


def test_slash_redirect_for_other_methods_is_308(tmp_path: Path) -> None:
    with TestClient(slash_app(tmp_path)) as client:
        response = client.post("/notes?x=1", content=b"body")
    assert response.status_code == 308
    assert response.headers["location"] == "/notes/?x=1"


def test_slash_redirect_only_when_the_other_form_takes_the_method(tmp_path: Path) -> None:
    with TestClient(slash_app(tmp_path)) as client:
        assert client.delete("/notes").status_code == 404
        assert client.get("/nowhere").status_code == 404


def test_slash_redirect_never_leaves_the_site_on_a_405(tmp_path: Path) -> None:
    with TestClient(slash_app(tmp_path)) as client:
        response = client.delete("/notes/")
    assert response.status_code == 405
    assert "location" not in response.headers


def test_trailing_slash_strict_answers_404(tmp_path: Path) -> None:
    with TestClient(slash_app(tmp_path, trailing_slash="strict")) as client:
        assert client.get("/notes").status_code == 404
        assert client.get("/about/").status_code == 404
        assert client.get("/notes/").text == "notes"


class _NoTrailingSlash(Converter):
    """Takes any rest of the path that does not end with '/'."""

    matches_slashes = True

    def to_python(self, value: str) -> str:
        if not value or value.endswith("/"):
            raise ValueError(value)
        return value


class _TrailingSlash(Converter):
    """Takes any rest of the path that ends with '/'."""

    matches_slashes = True

    def to_python(self, value: str) -> str:
        if not value.endswith("/"):
            raise ValueError(value)
        return value


EVIL_PATHS = [
    "//evil.com/",
    "//evil.com",
    "///evil.com/",
    "/\\evil.com",
    "/\\evil.com/",
    "/\\/evil.com/",
    "/\t/evil.com",
    "/\t/evil.com/",
    "/\n/evil.com",
    "/\r\n/evil.com/",
    "/ /evil.com",
    "/.//evil.com",
    "/%2f%2fevil.com",
    "/%5cevil.com/",
    "/https:evil.com",
    "/\x00/evil.com",
]


@pytest.mark.parametrize("converter", [_NoTrailingSlash, _TrailingSlash])
@pytest.mark.parametrize("target", EVIL_PATHS)
def test_slash_redirect_never_points_off_site(
    tmp_path: Path, converter: type[Converter], target: str
) -> None:
    app = make_app(tmp_path)
    app.add_converter("any", converter)

    @app.get("/<any:rest>")
    def catch(rest: str) -> str:
        return "caught"

    status, headers, _ = raw(app, "GET", target)
    location = headers.get("location")
    if location is None:
        return
    assert status in (301, 308)
    # Browsers drop tabs and newlines and read '\' as '/' before resolving a Location.
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    assert cleaned == location
    assert location.startswith("/")
    assert not location.startswith("//")
    assert location.isprintable()
    assert httpx.URL("https://good.example/here").join(location).host == "good.example"


def test_slash_redirect_through_the_client_for_encoded_tab(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/<a>/<b>/")
    def two(a: str, b: str) -> str:
        return "two"

    with TestClient(app) as client:
        response = client.get("/%09/evil.com")
    assert response.status_code == 301
    assert response.headers["location"] == "/%09/evil.com/"


def test_slash_redirect_keeps_a_literal_percent(tmp_path: Path) -> None:
    app = make_app(tmp_path)

    @app.get("/<a>/")
    def one(a: str) -> str:
        return a

    with TestClient(app) as client:
        response = client.get("/x%2541")
        assert response.headers["location"] == "/x%2541/"
        assert client.get(response.headers["location"]).text == "x%41"


def test_slash_redirect_skips_a_double_slash_path(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.add_converter("any", _NoTrailingSlash)

    @app.get("/<any:rest>")
    def catch(rest: str) -> str:
        return "caught"

    with TestClient(app) as client:
        response = client.get("http://testserver//evil.com/")
    assert response.status_code == 404
    assert "location" not in response.headers
