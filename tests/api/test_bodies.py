"""Typed bodies: Structs, dataclasses, TypedDicts, pydantic models; content types; unknown fields."""

import dataclasses
from typing import Annotated, Any, TypedDict

import msgspec
import pytest

from vivace import App
from vivace.api import Body
from vivace.testing import TestClient


class Item(msgspec.Struct):
    sku: str
    qty: Annotated[int, msgspec.Meta(ge=1)]


class Order(msgspec.Struct):
    items: list[Item]
    note: str | None = None


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Movie(TypedDict):
    title: str
    year: int


def make(app: App, body_type: Any, **options: Any) -> TestClient:
    @app.post("/b", **options)
    async def b(body: body_type) -> Any:  # type: ignore[valid-type]
        return body

    return TestClient(app)


@pytest.mark.parametrize(
    ("body_type", "good", "bad", "field"),
    [
        (
            Order,
            {"items": [{"sku": "a", "qty": 2}], "note": None},
            {"items": [{"sku": "a", "qty": 0}]},
            "items.0.qty",
        ),
        (Point, {"x": 1, "y": 2}, {"x": "one"}, "x"),
        (Movie, {"title": "M", "year": 1999}, {"title": "M"}, "year"),
        (dict[str, list[int]], {"a": [1, 2]}, {"a": [1, "b"]}, "*.1"),
    ],
)
def test_body_types(app: App, body_type: Any, good: Any, bad: Any, field: str) -> None:
    with make(app, body_type) as client:
        assert client.post("/b", json=good).json() == good
        refused = client.post("/b", json=bad)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        (problem,) = refused.json()["errors"]
        assert problem["in"] == "body"
        assert problem["field"] == field
        assert problem["pointer"] == ("/" + field.replace(".", "/") if field else "")


def test_pydantic_models(app: App) -> None:
    pydantic = pytest.importorskip("pydantic")

    class User(pydantic.BaseModel):
        name: str
        age: int = pydantic.Field(ge=0)

    @app.post("/u", status_code=201)
    async def create(user: User) -> User:
        return user

    with TestClient(app) as client:
        assert client.post("/u", json={"name": "a", "age": 3}).json() == {"name": "a", "age": 3}
        problem = client.post("/u", json={"name": "a", "age": -1}).json()["errors"][0]
        assert (problem["field"], problem["pointer"]) == ("age", "/age")
        malformed = client.post("/u", content=b"{", headers={"content-type": "application/json"})
        assert malformed.status_code == 400
        schema = client.get("/openapi.json").json()
        assert schema["components"]["schemas"]["User"]["properties"]["age"]["minimum"] == 0


def test_content_types(app: App) -> None:
    with make(app, Order) as client:
        ok = {"items": []}
        assert client.post("/b", json=ok).status_code == 200
        vendor_type = {"content-type": "application/vnd.x+json"}
        vendor = client.post("/b", content=b'{"items": []}', headers=vendor_type)
        assert vendor.status_code == 200
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"):
            answer = client.post("/b", content=b'{"items": []}', headers={"content-type": content_type})
            assert answer.status_code == 415, content_type
        assert client.post("/b", content=b'{"items": []}', headers={"content-type": ""}).status_code == 415
        missing = client.post("/b")
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["message"] == "A JSON body is required."


def test_an_optional_body(app: App) -> None:
    @app.post("/o")
    async def o(body: Annotated[Order | None, Body(description="optional")] = None) -> dict[str, Any]:
        return {"given": body is not None}

    with TestClient(app) as client:
        assert client.post("/o").json() == {"given": False}
        assert client.post("/o", json={"items": []}).json() == {"given": True}


def test_unknown_fields_ignored_by_default_forbidden_by_setting(tmp_path: Any) -> None:
    body = {"items": [{"sku": "a", "qty": 1, "price": 3}], "coupon": "FREE"}
    with make(App("a", root=tmp_path), Order) as client:
        assert client.post("/b", json=body).json() == {"items": [{"sku": "a", "qty": 1}], "note": None}
    with make(App("b", root=tmp_path, unknown_fields="forbid"), Order) as client:
        refused = client.post("/b", json=body)
        assert refused.status_code == 422
        assert {e["pointer"] for e in refused.json()["errors"]} == {"/items/0/price", "/coupon"}
    with make(App("c", root=tmp_path), Point, unknown_fields="forbid") as client:
        assert client.post("/b", json={"x": 1, "z": 2}).json()["errors"][0]["field"] == "z"
        assert client.post("/b", json={"x": 1}).status_code == 200


def test_body_over_the_limit_is_413(tmp_path: Any) -> None:
    with make(App("a", root=tmp_path, max_body_size=100), Order) as client:
        answer = client.post("/b", json={"items": [], "note": "x" * 200})
        assert answer.status_code == 413
