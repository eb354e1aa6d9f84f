"""Data-layer errors out of handlers: a missing row is a 404, a refused write a 409, on both databases."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vivace import App, HTTPException, JSONResponse, Request
from vivace.api import errors_by_field
from vivace.db import PROTECT, IntegrityError, ObjectDoesNotExist, Registry, UniqueConstraint, fields
from vivace.db.exceptions import unique_fields
from vivace.testing import TestClient


def models() -> tuple[Registry, Any, Any]:
    registry = Registry("dberrors")

    class Author(registry.Model):  # type: ignore[name-defined,misc]
        name = fields.String(max_length=40, unique=True)
        city = fields.String(max_length=40, default="", blank=True)

        class Meta:
            label = "dberrors"

    class BlogPost(registry.Model):  # type: ignore[name-defined,misc]
        author = fields.ForeignKey(Author, on_delete=PROTECT)
        title = fields.String(max_length=50)

        class Meta:
            label = "dberrors"
            constraints = [UniqueConstraint("author", "title")]

    return registry, Author, BlogPost


@dataclasses.dataclass
class Served:
    app: App
    client: TestClient
    Author: Any


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[Served]:
    registry, Author, BlogPost = models()
    app = App("t", root=tmp_path, database_url=database_url)
    app.db.use(registry)
    app.db.create_all()

    @app.get("/sync/authors/<name>")
    def sync_author(request: Request, name: str) -> dict[str, str]:
        return {"name": Author.objects.get(name=name).name}

    @app.get("/async/authors/<name>")
    async def async_author(request: Request, name: str) -> dict[str, str]:
        return {"name": (await Author.objects.aget(name=name)).name}

    @app.get("/posts/<int:pk>")
    async def post(request: Request, pk: int) -> dict[str, str]:
        return {"title": (await BlogPost.objects.aget(pk=pk)).title}

    @app.get("/by-city/<city>")
    async def by_city(request: Request, city: str) -> dict[str, str]:
        return {"name": (await Author.objects.aget(city=city)).name}

    @app.post("/sync/authors/<name>")
    def sync_add(request: Request, name: str) -> dict[str, int]:
        return {"id": Author.objects.create(name=name).pk}

    @app.post("/async/authors/<name>")
    async def async_add(request: Request, name: str) -> dict[str, int]:
        return {"id": (await Author.objects.acreate(name=name)).pk}

    @app.post("/authors/<name>/posts/<title>")
    async def add_post(request: Request, name: str, title: str) -> dict[str, int]:
        author = await Author.objects.aget(name=name)
        return {"id": (await BlogPost.objects.acreate(author=author, title=title)).pk}

    @app.delete("/authors/<name>")
    async def remove(request: Request, name: str) -> None:
        await (await Author.objects.aget(name=name)).adelete()

    @app.post("/untyped/authors/<name>")
    def untyped_add(request, name):  # type: ignore[no-untyped-def]  # the core's wrapper, not vivace.api's
        return {"id": Author.objects.create(name=name, city=request.query_params.get("city", "")).pk}

    @app.get("/untyped/authors/<id>")
    async def untyped_get(request, id):  # type: ignore[no-untyped-def]
        return {"name": (await Author.objects.aget(pk=id)).name}

    with TestClient(app) as client:
        yield Served(app, client, Author)
    app.db.database.close()


@pytest.mark.parametrize("style", ["sync", "async"])
def test_a_missing_row_is_a_404_naming_the_model(served: Served, style: str) -> None:
    response = served.client.get(f"/{style}/authors/nobody")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["detail"] == "Author not found"
    assert problem["errors"] == [{"field": "author", "message": "not found", "code": "not_found"}]
    assert "nobody" not in response.text
    assert served.client.get("/posts/999").json()["detail"] == "BlogPost not found"


def test_more_than_one_row_stays_a_server_error(served: Served) -> None:
    served.Author.objects.create(name="a", city="Oslo")
    served.Author.objects.create(name="b", city="Oslo")
    response = served.client.get("/by-city/Oslo")
    assert response.status_code == 500
    assert "Oslo" not in response.text and response.json()["title"] == "Internal Server Error"


def test_the_exception_keeps_its_message_for_logs() -> None:
    author = models()[1]
    exc = author.DoesNotExist("Author matching name='x' does not exist")
    assert str(exc) == "Author matching name='x' does not exist"
    assert isinstance(exc, HTTPException) and isinstance(exc, LookupError)
    assert (exc.status_code, exc.detail) == (404, "Author not found")
    assert ObjectDoesNotExist().detail == "Object not found"


def test_an_errorhandler_still_takes_over(served: Served) -> None:

    @served.app.errorhandler(served.Author.DoesNotExist)
    def no_author(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"missing": "author"}, 410)

    assert served.client.get("/async/authors/x").status_code == 410
    assert served.client.get("/posts/1").status_code == 404


def test_a_formatter_of_another_dialect_reads_the_field_error(served: Served) -> None:

    def dialect(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"errors": errors_by_field(exc)}, exc.status_code)

    served.app.error_formatter = dialect
    assert served.client.get("/async/authors/x").json() == {"errors": {"author": ["not found"]}}
    served.client.post("/async/authors/ann")
    assert served.client.post("/async/authors/ann").json() == {"errors": {"name": ["already exists"]}}


@pytest.mark.parametrize("style", ["sync", "async"])
def test_a_unique_conflict_is_a_409_naming_the_field(served: Served, style: str) -> None:
    assert served.client.post(f"/{style}/authors/ann").status_code == 200
    response = served.client.post(f"/{style}/authors/ann")
    assert response.status_code == 409
    problem = response.json()
    assert problem["detail"] == "Author with this name already exists."
    assert problem["errors"] == [{"field": "name", "message": "already exists", "code": "unique"}]
    for leak in ("UNIQUE", "unique constraint", "dberrors_author", "INSERT", "duplicate key"):
        assert leak not in response.text


def test_a_constraint_on_two_fields_names_both(served: Served) -> None:
    served.client.post("/async/authors/ann")
    assert served.client.post("/authors/ann/posts/hello").status_code == 200
    response = served.client.post("/authors/ann/posts/hello")
    assert response.status_code == 409
    assert [error["field"] for error in response.json()["errors"]] == ["author", "title"]
    assert response.json()["detail"] == "Blog post with this author and title already exists."


def test_a_protected_delete_is_a_409_without_fields(served: Served) -> None:
    served.client.post("/async/authors/ann")
    served.client.post("/authors/ann/posts/hello")
    response = served.client.delete("/authors/ann")
    assert response.status_code == 409
    assert response.json()["detail"] == "The change conflicts with existing data."
    assert "errors" not in response.json()


def test_an_integrity_errorhandler_still_takes_over(served: Served) -> None:

    @served.app.errorhandler(IntegrityError)
    def taken(request: Request, exc: IntegrityError) -> JSONResponse:
        return JSONResponse({"taken": exc.fields}, 422)

    served.client.post("/async/authors/ann")
    response = served.client.post("/async/authors/ann")
    assert (response.status_code, response.json()) == (422, {"taken": ["name"]})


def test_unknown_constraints_name_no_field() -> None:
    models()
    assert unique_fields("no_such_constraint") == (None, [])
    assert unique_fields("index 'nowhere'") == (None, [])
    assert unique_fields("nowhere.column") == (None, [])
    exc = IntegrityError(
        "integrity error: NOT NULL constraint failed: dberrors_author.name", "dberrors_author.name"
    )
    assert (exc.fields, exc.errors, exc.status_code) == ([], None, 409)
    assert "NOT NULL" in str(exc) and "NOT NULL" not in exc.detail


def test_a_model_validation_error_out_of_an_untyped_handler_is_a_422(served: Served) -> None:
    response = served.client.post(f"/untyped/authors/{'n' * 41}?city={'c' * 41}")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request did not validate: 2 problems."
    assert {error["field"] for error in body["errors"]} == {"name", "city"}
    assert all("40 characters" in error["message"] for error in body["errors"])
    assert served.Author.objects.count() == 0


@pytest.mark.parametrize("id", ["ten", str(10**25)])
def test_a_bad_primary_key_out_of_an_untyped_handler_is_a_422_naming_it(served: Served, id: str) -> None:
    response = served.client.get(f"/untyped/authors/{id}")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["id"]


def test_an_errorhandler_for_validation_errors_still_takes_over(served: Served) -> None:
    from vivace.db import ValidationError

    @served.app.errorhandler(ValidationError)
    def own_words(request: Request, exc: ValidationError) -> JSONResponse:
        return JSONResponse({"invalid": sorted(exc.errors)}, 400)

    response = served.client.post(f"/untyped/authors/{'n' * 41}")
    assert (response.status_code, response.json()) == (400, {"invalid": ["name"]})


def test_without_typed_handlers_the_core_answers_the_422(tmp_path: Path, database_url: str) -> None:
    registry, Author, _ = models()
    app = App("t", root=tmp_path, database_url=database_url)
    app.db.use(registry)
    app.db.create_all()

    @app.post("/authors/<name>")
    async def add(request, name):  # type: ignore[no-untyped-def]
        return {"id": (await Author.objects.acreate(name=name)).pk}

    with TestClient(app) as client:
        response = client.post(f"/authors/{'n' * 41}")
        assert "api" not in app.extensions  # no planner: the core answers alone
    app.db.database.close()
    assert response.status_code == 422
    assert response.json()["detail"] == "The request did not validate: 1 problem."
    assert [error["field"] for error in response.json()["errors"]] == ["name"]
