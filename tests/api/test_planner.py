"""How the core hands handlers to the api planner, and what stays on the core's fast path."""

import subprocess
import sys
from typing import Any

import msgspec

from vivace import App, Request
from vivace.core import batteries
from vivace.testing import TestClient


class Point(msgspec.Struct):
    x: int
    y: int


def test_untyped_handlers_keep_the_core_wrapper(app: App) -> None:
    @app.get("/plain/<int:id>")
    async def plain(request, id):  # type: ignore[no-untyped-def]
        return {"id": id}

    @app.get("/annotated/<int:id>")
    async def annotated(request: Request, id: int) -> dict[str, Any]:
        return {"id": id}

    @app.get("/html")
    def html() -> str:
        return "<p>hi</p>"

    routes = {r.name: r for r in app.router.routes}
    assert routes["plain"].handler.__module__ == "vivace.core.handlers"
    # A path parameter its converter already gives needs no planning either.
    assert routes["html"].handler.__module__ == "vivace.core.handlers"
    assert "api" not in routes["plain"].options
    assert routes["annotated"].handler.__module__ == "vivace.api.planner"


def test_typed_handler_is_planned(app: App) -> None:
    @app.post("/p")
    async def p(body: Point) -> Point:
        return body

    route = next(r for r in app.router.routes if r.name == "p")
    assert route.handler.__module__ == "vivace.api.planner"
    with TestClient(app) as client:
        assert client.post("/p", json={"x": 1, "y": 2}).json() == {"x": 1, "y": 2}


def test_the_planner_is_registered_through_the_batteries_hook() -> None:
    from vivace.api import plan_handler

    assert plan_handler in batteries.planners()


def test_untyped_app_loads_no_api_battery() -> None:
    code = (
        "import sys\n"
        "from vivace import App\n"
        "app = App('t')\n"
        "@app.get('/')\n"
        "def index(request):\n"
        "    return 'x'\n"
        "@app.get('/<int:id>')\n"
        "def item(request, id):\n"
        "    return {'id': id}\n"
        "assert 'vivace.api' not in sys.modules, 'api loaded'\n"
        "import msgspec\n"
        "class P(msgspec.Struct):\n"
        "    x: int\n"
        "@app.post('/p')\n"
        "async def p(body: P) -> P:\n"
        "    return body\n"
        "assert 'vivace.api' in sys.modules\n"
        "assert 'vivace.api.openapi' not in sys.modules and 'vivace.api.crud' not in sys.modules\n"
        "assert 'vivace.db' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_plain_json_answers_stay_on_the_fast_path_and_are_documented(app: App) -> None:
    @app.get("/counts")
    async def counts(request: Request) -> dict[str, int]:
        return {"a": 1}

    @app.get("/a/<n>")
    async def converted(n: int) -> dict[str, int]:
        return {"n": n}

    routes = {r.name: r for r in app.router.routes}
    assert routes["counts"].handler.__module__ == "vivace.core.handlers"
    assert routes["converted"].handler.__module__ == "vivace.api.planner"  # <n> gives a str
    with TestClient(app) as client:
        assert client.get("/counts").json() == {"a": 1}
        assert client.get("/a/3").json() == {"n": 3}
        doc = client.get("/openapi.json").json()
    schema = doc["paths"]["/counts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"type": "object", "additionalProperties": {"type": "integer"}}
