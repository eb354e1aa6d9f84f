"""The OpenAPI 3.1 document and the docs page."""

import importlib.util
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest

from vivace import App, Module
from vivace.api import Body, Depends, Header, Query
from vivace.core.exceptions import MissingDependency
from vivace.testing import TestClient


class Pet(msgspec.Struct):
    """A pet of the shop."""

    name: Annotated[str, msgspec.Meta(max_length=20, examples=["Rex"])]
    age: int = 0


def token(authorization: Annotated[str, Header()]) -> str:
    return authorization


def build(app: App) -> None:
    pets = Module("pets")

    @pets.get("/pets/<int:id>")
    async def get_pet(id: int, detail: Annotated[bool, Query(description="More")] = False) -> Pet:
        """Get a pet.

        By its id.
        """
        return Pet(name="x")

    @app.post("/pets", status_code=201, tags=["shop"], responses={409: "Taken"})
    async def add_pet(
        pet: Annotated[Pet, Body(examples=[{"name": "Rex"}])],
        who: Annotated[str, Depends(token, security=["bearerAuth"])],
    ) -> Pet:
        return pet

    @app.get("/plain/<slug:slug>")
    def plain(request, slug):  # type: ignore[no-untyped-def]
        """Not typed."""
        return "x"

    @app.get("/hidden", include_in_schema=False)
    async def hidden() -> Pet:
        return Pet(name="h")

    app.register(pets)


def test_document(app: App) -> None:
    build(app)
    with TestClient(app) as client:
        doc = client.get("/openapi.json", headers={"host": "localhost"}).json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"] == {"title": "t", "version": "0.1.0"}
    assert "servers" not in doc
    assert set(doc["paths"]) == {"/pets/{id}", "/pets", "/plain/{slug}"}
    get = doc["paths"]["/pets/{id}"]["get"]
    assert get["summary"] == "Get a pet." and get["description"] == "By its id."
    assert get["tags"] == ["pets"]
    assert get["operationId"] == "pets_get_pet"
    assert get["parameters"] == [
        {
            "name": "id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 10**18 - 1},
        },
        {
            "name": "detail",
            "in": "query",
            "required": False,
            "description": "More",
            "schema": {"type": "boolean", "default": False},
        },
    ]
    answer = get["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/Pet"}
    assert set(get["responses"]) == {"200", "404", "422"}
    post = doc["paths"]["/pets"]["post"]
    assert post["tags"] == ["shop"]
    assert post["security"] == [{"bearerAuth": []}]
    assert post["parameters"][0]["name"] == "authorization"
    body = post["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["examples"] == {"example1": {"value": {"name": "Rex"}}}
    assert set(post["responses"]) == {"201", "400", "409", "413", "415", "422"}
    assert post["responses"]["409"]["description"] == "Taken"
    problem = post["responses"]["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
    plain = doc["paths"]["/plain/{slug}"]["get"]
    assert plain["parameters"][0]["schema"] == {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}
    schemas = doc["components"]["schemas"]
    assert schemas["Pet"]["description"] == "A pet of the shop."
    assert schemas["Pet"]["properties"]["name"]["examples"] == ["Rex"]
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "sessionCookie"}
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_servers_come_from_the_app_never_from_the_host(tmp_path: Path) -> None:
    app = App("t", root=tmp_path, allowed_hosts=["*"])
    build(app)
    app.api.servers = [{"url": "https://api.example.com"}]
    with TestClient(app) as client:
        doc = client.get("/openapi.json", headers={"host": "evil.example"}).json()
        assert doc["servers"] == [{"url": "https://api.example.com"}]
        assert "evil" not in client.get("/openapi.json", headers={"host": "evil.example"}).text
        page = client.get("/docs", headers={"host": "evil.example"}).text
        assert "evil" not in page and "http" not in page.replace("http-equiv", "")


def test_urls_are_settings(tmp_path: Path) -> None:
    app = App("t", root=tmp_path, openapi_url="/schema.json", docs_url=None)
    build(app)
    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 404
        assert client.get("/schema.json").json()["openapi"] == "3.1.0"
        assert client.get("/docs").status_code == 404


def test_an_app_route_at_the_same_path_wins(app: App) -> None:
    build(app)

    @app.get("/docs")
    def my_docs(request):  # type: ignore[no-untyped-def]
        return "my docs"

    with TestClient(app) as client:
        assert client.get("/docs").text == "my docs"


def test_an_untyped_app_gets_no_document_until_it_touches_app_api(app: App) -> None:
    @app.get("/")
    def index(request):  # type: ignore[no-untyped-def]
        return "x"

    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 404


def test_docs_page_works_offline(app: App) -> None:
    build(app)
    if importlib.util.find_spec("swagger_ui") is None:
        pytest.skip("the api extra (swagger-ui-py) is not installed")
    with TestClient(app) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        assert '<script src="/docs/swagger-ui-bundle.js">' in page.text
        assert "//" not in page.text.split("<body>")[1]  # nothing loaded from elsewhere
        init = client.get("/docs/init.js")
        assert '"/openapi.json"' in init.text
        bundle = client.get("/docs/swagger-ui-bundle.js")
        assert bundle.status_code == 200 and len(bundle.content) > 100_000
        assert bundle.headers["content-type"].startswith("text/javascript")
        assert client.get("/docs/swagger-ui.css").status_code == 200
        assert client.get("/docs/index.html").status_code == 404
        assert client.get("/docs/..%2f..%2fcore.py").status_code == 404


def test_docs_without_the_extra_name_it(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from vivace.api.openapi import docs

    build(app)
    monkeypatch.setattr(docs, "PACKAGE", "no_such_package_for_vivace")
    with pytest.raises(MissingDependency, match=r"pip install 'vivace\[api\]'"):
        docs.assets_folder()
    with TestClient(app) as client:
        assert client.get("/docs").status_code == 500
        assert client.get("/openapi.json").status_code == 200


def test_document_of_a_form_and_files(app: App) -> None:
    from vivace.api import Form, UploadFile

    @app.post("/upload")
    async def upload(title: Annotated[str, Form()], files: list[UploadFile]) -> dict[str, Any]:
        return {}

    with TestClient(app) as client:
        body = client.get("/openapi.json").json()["paths"]["/upload"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["properties"]["files"] == {"type": "array", "items": {"type": "string", "format": "binary"}}
    assert schema["required"] == ["title", "files"]
    assert "application/x-www-form-urlencoded" not in body["content"]
