"""Answers from the return annotation: encoding, status codes, no second validation pass."""

import dataclasses
import datetime
import decimal
import uuid
from typing import Any

import msgspec
import pytest

from vivace import App, ConfigError, JSONResponse
from vivace.testing import TestClient


class Receipt(msgspec.Struct):
    id: uuid.UUID
    at: datetime.datetime
    total: decimal.Decimal
    day: datetime.date


@dataclasses.dataclass
class Pair:
    a: int
    b: int


RECEIPT = Receipt(
    id=uuid.UUID(int=1),
    at=datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC),
    total=decimal.Decimal("12.50"),
    day=datetime.date(2024, 5, 1),
)


def test_encoding_of_typed_answers(app: App) -> None:
    @app.get("/r")
    async def r() -> Receipt:
        return RECEIPT

    @app.get("/many")
    def many() -> list[Pair]:
        return [Pair(1, 2)]

    @app.get("/mapping")
    async def mapping() -> dict[str, datetime.date]:
        return {"d": datetime.date(2020, 1, 2)}

    with TestClient(app) as client:
        answer = client.get("/r")
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == {
            "id": "00000000-0000-0000-0000-000000000001",
            "at": "2024-05-01T12:00:00Z",
            "total": "12.50",
            "day": "2024-05-01",
        }
        assert client.get("/many").json() == [{"a": 1, "b": 2}]
        assert client.get("/mapping").json() == {"d": "2020-01-02"}


def test_status_codes(app: App) -> None:
    @app.post("/made", status_code=201)
    async def made() -> Pair:
        return Pair(1, 1)

    @app.delete("/gone")
    async def gone() -> None:
        return None

    @app.post("/choose", status_code=201)
    async def choose(accepted: bool = False) -> Pair:
        if accepted:
            return Pair(0, 0), 202  # type: ignore[return-value]
        return Pair(2, 2)

    @app.get("/raw")
    async def raw() -> Pair:
        return JSONResponse({"raw": True}, 203)  # type: ignore[return-value]

    @app.get("/html", status_code=203)
    def html() -> str:
        return "<p>x</p>"

    with TestClient(app) as client:
        assert client.post("/made").status_code == 201
        gone_answer = client.delete("/gone")
        assert (gone_answer.status_code, gone_answer.content) == (204, b"")
        assert client.post("/choose").status_code == 201
        assert client.post("/choose?accepted=true").status_code == 202
        assert client.get("/raw").json() == {"raw": True}
        assert (client.get("/html").status_code, client.get("/html").text) == (203, "<p>x</p>")


def test_no_second_validation_unless_asked(app: App) -> None:
    @app.get("/loose")
    async def loose() -> Pair:
        return {"a": "not an int"}  # type: ignore[return-value]

    @app.get("/strict", validate_response=True)
    async def strict() -> Pair:
        return {"a": "not an int"}  # type: ignore[return-value]

    with TestClient(app) as client:
        assert client.get("/loose").json() == {"a": "not an int"}
        assert client.get("/strict").status_code == 500


def test_bad_status_code_is_a_config_error(app: App) -> None:
    with pytest.raises(ConfigError, match="status_code"):
        app.add_route("/x", lambda: "x", status_code="201")


def test_unencodable_answer_is_a_500(app: App) -> None:
    @app.get("/odd")
    async def odd() -> Any:
        return {"x": object()}

    with TestClient(app) as client:
        assert client.get("/odd").status_code == 500
