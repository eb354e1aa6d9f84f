"""Errors as data: problem details by default, another dialect by replacing the formatter."""

from typing import Annotated, Any

import msgspec

from vivace import App, HTTPException, JSONResponse, Request
from vivace.api import ValidationFailed, errors_by_field
from vivace.core.responses import Response
from vivace.testing import TestClient


class NewUser(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(min_length=3)]
    username: str


def routes(app: App) -> None:
    @app.post("/users", status_code=201)
    async def register(user: NewUser) -> NewUser:
        if user.email == "taken@example.com":
            raise ValidationFailed([{"in": "body", "field": "email", "message": "has already been taken"}])
        return user

    @app.get("/missing")
    async def missing() -> NewUser:
        raise HTTPException(404, "no such user")


def test_default_is_rfc_9457_problem_details(app: App) -> None:
    routes(app)
    with TestClient(app) as client:
        answer = client.post("/users", json={"email": "xyz"})
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["type"] == "about:blank"
        assert problem["status"] == 422
        assert problem["title"]
        assert problem["detail"] == "The request did not validate: 1 problem."
        assert problem["errors"] == [
            {
                "in": "body",
                "field": "username",
                "pointer": "/username",
                "message": "Object missing required field `username`",
            }
        ]


def test_another_dialect_without_touching_handlers(app: App) -> None:
    def realworld(request: Request, exc: HTTPException) -> Response:
        grouped = errors_by_field(exc) or {"body": [exc.detail]}
        return JSONResponse({"errors": grouped}, exc.status_code, exc.headers)

    app.error_formatter = realworld
    routes(app)
    with TestClient(app) as client:
        taken = client.post("/users", json={"email": "taken@example.com", "username": "u"})
        assert taken.status_code == 422
        assert taken.json() == {"errors": {"email": ["has already been taken"]}}
        short = client.post("/users", json={"email": "x", "username": "u"})
        assert short.json() == {"errors": {"email": ["Expected `str` of length >= 3"]}}
        assert client.get("/missing").json() == {"errors": {"body": ["no such user"]}}
        assert client.post("/users", content=b'{"e', headers={"content-type": "application/json"}).json() == {
            "errors": {"": ["malformed JSON: Input data was truncated"]}
        }


def test_a_model_validation_error_is_a_422_in_the_same_shape(app: App) -> None:
    from vivace.db import ValidationError

    @app.post("/notes")
    async def add(title: str) -> dict[str, Any]:
        raise ValidationError({"title": ["Ensure this value has at most 5 characters."], "__all__": ["no"]})

    @app.post("/untyped")
    async def untyped(request):  # type: ignore[no-untyped-def]
        raise ValidationError({"body": ["can't be empty"]})

    with TestClient(app) as client:
        answer = client.post("/notes?title=abcdefgh")
        assert answer.status_code == 422
        assert answer.json()["errors"] == [
            {
                "in": "body",
                "field": "title",
                "pointer": "/title",
                "message": "Ensure this value has at most 5 characters.",
            },
            {"in": "body", "field": "", "pointer": "", "message": "no"},
        ]
        # app.api is on, so an untyped handler's model error is answered the same way.
        assert client.post("/untyped").json()["errors"][0]["field"] == "body"
