"""The JSON cases of ATTACKS.md (14-16, 19) against typed endpoints: answered 400/413/415/422, never a 500.

Each request must be answered within a bounded time, and the app must answer
a normal request afterwards.
"""

import time
from typing import Annotated, Any

import msgspec
import pytest

from vivace import App
from vivace.testing import TestClient


class Profile(msgspec.Struct):
    username: str
    bio: str = ""


class Wrapper(msgspec.Struct):
    user: Profile


class Article(msgspec.Struct):
    title: str
    tagList: list[str] = []
    score: float = 0.0
    count: int = 0


@pytest.fixture
def client(app: App) -> Any:
    @app.post("/users")
    async def register(body: Wrapper) -> Wrapper:
        return body

    @app.post("/articles")
    async def article(body: Article) -> Article:
        return body

    @app.get("/articles")
    async def articles(limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/anything")
    async def anything(body: dict[str, Any]) -> dict[str, Any]:
        return body

    with TestClient(app) as test_client:
        yield test_client


def send(client: Any, path: str, content: bytes, content_type: str = "application/json") -> Any:
    started = time.monotonic()
    answer = client.post(path, content=content, headers={"content-type": content_type})
    assert time.monotonic() - started < 2, "took too long"
    assert answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text and "/src/" not in answer.text
    return answer


@pytest.mark.parametrize(
    "content",
    [
        b'{"user": {"username": "x"',
        b'\xef\xbb\xbf{"user": {"username": "x"}}',
        b'{"user": {"username": "\xff\xfe"}}',
        b'{"user": {"username": "\\ud800"}}',
        b"",
        b"null",
        b"[]",
    ],
)
def test_malformed(client: Any, content: bytes) -> None:
    answer = send(client, "/users", content)
    assert answer.status_code in (400, 422)
    assert answer.headers["content-type"] == "application/problem+json"


def test_wrong_content_type_on_a_typed_body(client: Any) -> None:
    assert send(client, "/users", b'{"user": {"username": "x"}}', "text/plain").status_code == 415


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("/anything", b"[" * 100_000),
        ("/anything", b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("/articles", b'{"title": "t", "count": ' + b"9" * 10_000 + b"}"),
        ("/anything", b'{"n": ' + b"9" * 10_000 + b"}"),
        ("/articles", b'{"title": "t", "score": 1e999999}'),
        ("/anything", b'{"n": 1e999999}'),
        ("/articles", b'{"title": "t", "score": NaN}'),
        ("/articles", b'{"title": "t", "score": Infinity}'),
        ("/articles", b'{"title": "t", "title": 5}'),
    ],
)
def test_pathological(client: Any, path: str, content: bytes) -> None:
    assert send(client, path, content).status_code in (400, 422)


def test_duplicate_keys_take_the_last_value(client: Any) -> None:
    answer = send(client, "/articles", b'{"title": "a", "title": "b"}')
    assert answer.json()["title"] == "b"


def test_ten_megabyte_string_is_413(client: Any) -> None:
    assert send(client, "/articles", b'{"title": "' + b"x" * 10_000_000 + b'"}').status_code == 413


def test_mass_assignment_and_types(client: Any) -> None:
    answer = send(client, "/users", b'{"user": {"username": "a", "is_staff": true, "id": 1}}')
    assert answer.json() == {"user": {"username": "a", "bio": ""}}
    wrong = send(client, "/articles", b'{"title": "t", "tagList": "x"}')
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "tagList"
    for limit in ("-1", "10000000", "1" + "0" * 5000):
        answer = client.get(f"/articles?limit={limit}")
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "limit"
    assert client.get("/articles?limit=5").json() == {"limit": 5}
