"""TestClient and the pytest plugin's fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vivace import App, PlainTextResponse, redirect


@pytest.fixture
def app(tmp_path: Path) -> App:
    """Overrides the plugin's empty app, as a project's conftest does."""
    app = App("t", root=tmp_path)
    app.state.started = False

    @app.on_startup
    def start() -> None:
        app.state.started = True

    @app.get("/started")
    def started(request: Any) -> dict[str, bool]:
        return {"started": request.app.state.started}

    @app.get("/login")
    def login(request: Any) -> Any:
        response = PlainTextResponse("in")
        response.set_cookie("sid", "abc123")
        return response

    @app.get("/whoami")
    def whoami(request: Any) -> str:
        return request.cookies.get("sid", "nobody")  # type: ignore[no-any-return]

    @app.get("/go")
    def go(request: Any) -> Any:
        return redirect(app.url_for("whoami"))

    @app.post("/upload")
    async def upload(request: Any) -> dict[str, Any]:
        form = await request.form()
        file = form["doc"]
        return {"title": form["title"], "name": file.filename, "size": len(await file.read())}

    return app


def test_client_fixture_runs_the_lifespan(client: Any) -> None:
    assert client.get("/started").json() == {"started": True}


def test_cookies_persist_between_requests(client: Any) -> None:
    assert client.get("/whoami").text == "nobody"
    client.get("/login")
    assert client.get("/whoami").text == "abc123"


def test_redirects_are_not_followed_unless_asked(client: Any) -> None:
    response = client.get("/go")
    assert response.status_code == 302
    assert response.headers["location"] == "/whoami"
    assert client.get("/go", follow_redirects=True).text == "nobody"


def test_forms_and_files(client: Any) -> None:
    response = client.post("/upload", data={"title": "Report"}, files={"doc": ("r.txt", b"x" * 5000)})
    assert response.json() == {"title": "Report", "name": "r.txt", "size": 5000}


def test_plugin_default_app_is_empty(tmp_path: Path) -> None:
    from vivace.testing import TestClient

    with TestClient(App("empty", root=tmp_path)) as client:
        assert client.get("/").status_code == 404
