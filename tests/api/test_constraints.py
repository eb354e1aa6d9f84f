"""``Int64``, the default bound of typed ``int`` parameters, and ``NonBlank``, a visible string."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import msgspec
import pytest

from vivace import App, HTTPException, JSONResponse, Request
from vivace.api import Header, Int64, NonBlank, errors_by_field
from vivace.api.constraints import INT64_MAX, INT64_MIN, bounded
from vivace.db import Registry, fields
from vivace.testing import TestClient

Client = Callable[[], TestClient]
HUGE = "9" * 25


def problems(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    return response.json()["errors"]  # type: ignore[no-any-return]


# Int64 ---------------------------------------------------------------------------------------------


def test_bounded_adds_only_the_missing_side() -> None:
    assert bounded(int) is Int64
    assert bounded(str) is str and bounded(bool) is bool and bounded(float) is float
    own = Annotated[int, msgspec.Meta(ge=1, le=100)]
    assert bounded(own) is own
    assert msgspec.json.schema(bounded(Annotated[int, msgspec.Meta(ge=0)])) == {
        "type": "integer",
        "minimum": 0,
        "maximum": INT64_MAX,
    }
    assert msgspec.json.schema(bounded(list[int] | None))["anyOf"][0]["items"]["minimum"] == INT64_MIN


@pytest.mark.parametrize("style", ["sync", "async"])
def test_an_int_query_parameter_is_a_64_bit_integer(app: App, client: Client, style: str) -> None:
    def page(request: Request, offset: int = 0, ids: list[int] = [], after: int | None = None) -> dict:  # noqa: B006
        return {"offset": offset, "ids": ids, "after": after}

    async def apage(request: Request, offset: int = 0, ids: list[int] = [], after: int | None = None) -> dict:  # noqa: B006
        return {"offset": offset, "ids": ids, "after": after}

    app.get("/page")(page if style == "sync" else apage)
    c = client()
    assert c.get(f"/page?offset={INT64_MAX}&ids={INT64_MIN}").json() == {
        "offset": INT64_MAX,
        "ids": [INT64_MIN],
        "after": None,
    }
    [offset] = problems(c.get(f"/page?offset={HUGE}"))
    assert (offset["in"], offset["field"]) == ("query", "offset")
    assert str(INT64_MAX) in offset["message"]
    assert problems(c.get(f"/page?offset=-{HUGE}"))[0]["field"] == "offset"
    assert problems(c.get(f"/page?ids=1&ids={INT64_MAX + 1}"))[0]["field"] == "ids.1"
    assert problems(c.get(f"/page?after={HUGE}"))[0]["field"] == "after"


def test_a_bound_of_the_handler_wins_and_the_open_side_is_closed(app: App, client: Client) -> None:
    @app.get("/items/<item>")
    async def item(
        request: Request,
        item: int,
        size: Annotated[int, msgspec.Meta(ge=1, le=50)] = 10,
        start: Annotated[int, msgspec.Meta(ge=0)] = 0,
        retries: Annotated[int, Header()] = 0,
    ) -> dict[str, int]:
        return {"item": item, "size": size, "start": start}

    c = client()
    assert c.get("/items/5?size=50").json() == {"item": 5, "size": 50, "start": 0}
    assert "<= 50" in problems(c.get("/items/5?size=51"))[0]["message"]
    assert problems(c.get("/items/5?start=-1"))[0]["field"] == "start"
    assert problems(c.get(f"/items/5?start={HUGE}"))[0]["field"] == "start"
    assert problems(c.get(f"/items/{HUGE}"))[0] | {"message": ""} == {
        "in": "path",
        "field": "item",
        "message": "",
    }
    assert problems(c.get("/items/5", headers={"retries": HUGE}))[0]["field"] == "retries"
    schema = c.get("/openapi.json").json()["paths"]["/items/{item}"]["get"]["parameters"]
    by_name = {p["name"]: p["schema"] for p in schema}
    assert by_name["start"] == {"type": "integer", "minimum": 0, "maximum": INT64_MAX, "default": 0}
    assert by_name["size"]["maximum"] == 50


# Out of range in the data layer -----------------------------------------------------------------


def counter_models() -> Any:
    registry = Registry("bounds")

    class Counter(registry.Model):  # type: ignore[name-defined,misc]
        hits = fields.Integer(default=0)
        total = fields.BigInteger(default=0)

        class Meta:
            label = "bounds"

    return registry, Counter


def test_an_out_of_range_integer_in_a_filter_or_a_save_is_a_422(tmp_path: Path, database_url: str) -> None:
    registry, Counter = counter_models()
    app = App("t", root=tmp_path, database_url=database_url)
    app.db.use(registry)
    app.db.create_all()

    @app.get("/find")
    async def find(request: Request) -> dict[str, int]:
        hits = int(request.query_params["hits"])
        return {"found": await Counter.objects.filter(hits__gte=hits).acount()}

    @app.post("/save")
    def save(request: Request) -> dict[str, int]:
        return {"id": Counter.objects.create(total=int(request.query_params["total"])).pk}

    with TestClient(app) as c:
        assert c.get("/find?hits=0").json() == {"found": 0}
        assert c.post(f"/save?total={INT64_MAX}").status_code == 200
        for response, field in (
            (c.get(f"/find?hits={HUGE}"), "hits__gte"),
            (c.post(f"/save?total={HUGE}"), "total"),
        ):
            [problem] = problems(response)
            assert problem["field"] == field
            assert "64-bit integer" in problem["message"]
    app.db.database.close()


def test_a_column_narrower_than_64_bits_keeps_its_own_range() -> None:
    Counter = counter_models()[1]
    assert Counter._meta.get_field("hits").clean(2**40)[1] == [
        "Ensure this value is between -2147483648 and 2147483647."
    ]
    assert Counter._meta.get_field("total").clean(2**40) == (2**40, [])
    assert "64-bit" in Counter._meta.get_field("total").clean(2**64)[1][0]
    assert Counter._meta.get_field("total").clean(str(2**64))[1][0].startswith("Ensure this value is between")


# NonBlank --------------------------------------------------------------------------------------


class Signup(msgspec.Struct):
    username: NonBlank
    email: NonBlank
    bio: str = ""
    nickname: NonBlank | msgspec.UnsetType = msgspec.UNSET


class SignupBody(msgspec.Struct):
    user: Signup


@pytest.mark.parametrize("style", ["sync", "async"])
def test_a_blank_string_is_refused_with_a_stable_code(app: App, client: Client, style: str) -> None:
    def sync_signup(request: Request, body: SignupBody) -> dict[str, str]:
        return {"username": body.user.username}

    async def async_signup(request: Request, body: SignupBody) -> dict[str, str]:
        return {"username": body.user.username}

    app.post("/users")(sync_signup if style == "sync" else async_signup)
    c = client()
    assert c.post("/users", json={"user": {"username": " ann ", "email": "a@b.c", "bio": ""}}).json() == {
        "username": " ann "
    }
    for blank in ("", "   ", "\t\n"):
        [problem] = problems(c.post("/users", json={"user": {"username": blank, "email": "a@b.c"}}))
        assert problem == {
            "in": "body",
            "field": "user.username",
            "pointer": "/user/username",
            "message": "must not be blank",
            "code": "blank",
        }
    nickname = problems(c.post("/users", json={"user": {"username": "a", "email": "e", "nickname": " "}}))
    assert nickname[0]["field"] == "user.nickname" and nickname[0]["code"] == "blank"
    wrong_type = problems(c.post("/users", json={"user": {"username": 5, "email": "e"}}))
    assert "code" not in wrong_type[0] and wrong_type[0]["message"] == "Expected `str`, got `int`"


def test_a_formatter_rewords_coded_messages(app: App, client: Client) -> None:
    @app.post("/users")
    async def signup(request: Request, body: SignupBody) -> dict[str, str]:
        return {"username": body.user.username}

    def realworld(request: Request, exc: HTTPException) -> JSONResponse:
        words = {"blank": "can't be blank"}
        errors = {name.rpartition(".")[2]: texts for name, texts in errors_by_field(exc, words).items()}
        return JSONResponse({"errors": errors}, exc.status_code)

    app.error_formatter = realworld
    c = client()
    blank = c.post("/users", json={"user": {"username": "", "email": "e"}})
    assert (blank.status_code, blank.json()) == (422, {"errors": {"username": ["can't be blank"]}})
    wrong = c.post("/users", json={"user": {"username": "a", "email": 3}})
    assert wrong.json() == {"errors": {"email": ["Expected `str`, got `int`"]}}


def test_non_blank_query_parameters_and_the_document(app: App, client: Client) -> None:
    @app.get("/search")
    async def search(request: Request, q: NonBlank) -> dict[str, str]:
        return {"q": q}

    c = client()
    assert c.get("/search?q=x").json() == {"q": "x"}
    [problem] = problems(c.get("/search?q=%20%20"))
    assert problem == {"in": "query", "field": "q", "message": "must not be blank", "code": "blank"}
    [parameter] = c.get("/openapi.json").json()["paths"]["/search"]["get"]["parameters"]
    assert parameter["schema"]["pattern"] == r"\S"
