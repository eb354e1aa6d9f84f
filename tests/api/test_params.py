"""Parameters from the signature: path, query, headers, cookies, forms, files, dependencies."""

import enum
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, Literal

import msgspec
import pytest

from vivace import App, ConfigError, Request
from vivace.api import Cookie, Depends, File, Form, Header, Path, Query, UploadFile
from vivace.testing import TestClient

Client = Callable[[], TestClient]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def problems(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    return response.json()["errors"]  # type: ignore[no-any-return]


def test_query_parameters_typed_by_annotation(app: App, client: Client) -> None:
    @app.get("/search")
    async def search(
        q: str,
        limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20,
        tags: list[str] = [],  # noqa: B006
        color: Color = Color.RED,
        after: uuid.UUID | None = None,
        kind: Literal["a", "b"] = "a",
        exact: bool = False,
        ratio: float = 1.0,
    ) -> dict[str, Any]:
        return {
            "q": q,
            "limit": limit,
            "tags": tags,
            "color": color,
            "after": after,
            "kind": kind,
            "exact": exact,
            "ratio": ratio,
        }

    c = client()
    assert c.get("/search?q=x").json() == {
        "q": "x",
        "limit": 20,
        "tags": [],
        "color": "red",
        "after": None,
        "kind": "a",
        "exact": False,
        "ratio": 1.0,
    }
    some = "12345678-1234-5678-1234-567812345678"
    got = c.get(f"/search?q=x&limit=5&tags=a&tags=b&color=blue&after={some}&kind=b&exact=true&ratio=0.5")
    assert got.json() == {
        "q": "x",
        "limit": 5,
        "tags": ["a", "b"],
        "color": "blue",
        "after": some,
        "kind": "b",
        "exact": True,
        "ratio": 0.5,
    }
    errors = problems(c.get("/search?limit=0&color=green&kind=c&exact=maybe&after=zz&ratio=nan"))
    by_field = {e["field"]: e for e in errors}
    assert set(by_field) == {"q", "limit", "color", "kind", "exact", "after", "ratio"}
    assert all(e["in"] == "query" for e in errors)
    assert by_field["limit"]["message"] == "Expected `int` >= 1"
    assert "Missing required query parameter 'q'" in by_field["q"]["message"]
    assert problems(c.get("/search?q=x&limit=101"))[0]["message"] == "Expected `int` <= 100"
    assert problems(c.get("/search?q=x&limit=" + "9" * 10_000))[0]["field"] == "limit"


def test_optional_query_value_names_its_type(app: App, client: Client) -> None:
    @app.get("/x")
    async def x(page: int | None = None) -> dict[str, Any]:
        return {"page": page}

    assert client().get("/x").json() == {"page": None}
    assert problems(client().get("/x?page=abc"))[0]["message"] == "Expected `int`, got `str`"


def test_path_parameter_converted_by_its_annotation(app: App, client: Client) -> None:
    @app.get("/a/<n>")
    async def a(n: int) -> dict[str, int]:
        return {"n": n}

    @app.get("/b/<int:n>")
    def b(
        request: Request, n: Annotated[int, msgspec.Meta(le=10), Path(description="at most 10")]
    ) -> dict[str, int]:
        return {"n": n}

    c = client()
    assert c.get("/a/7").json() == {"n": 7}
    assert problems(c.get("/a/x")) == [{"in": "path", "field": "n", "message": "Expected `int`, got `str`"}]
    assert c.get("/b/3").json() == {"n": 3}
    assert problems(c.get("/b/11"))[0]["in"] == "path"


def test_headers_and_cookies(app: App, client: Client) -> None:
    @app.get("/h")
    async def h(
        x_token: Annotated[str, Header()],
        agent: Annotated[str | None, Header(alias="User-Agent")] = None,
        accept: Annotated[list[str], Header()] = [],  # noqa: B006
        theme: Annotated[str, Cookie()] = "light",
        seen: Annotated[int, Cookie(alias="seen-count")] = 0,
    ) -> dict[str, Any]:
        return {"token": x_token, "agent": agent, "accept": accept, "theme": theme, "seen": seen}

    c = client()
    got = c.get("/h", headers={"x-token": "t", "user-agent": "ua", "accept": "a", "cookie": "theme=dark"})
    assert got.json() == {"token": "t", "agent": "ua", "accept": ["a"], "theme": "dark", "seen": 0}
    errors = problems(c.get("/h", headers={"cookie": "seen-count=many"}))
    assert {(e["in"], e["field"]) for e in errors} == {("header", "x-token"), ("cookie", "seen-count")}


def test_form_fields_and_files(app: App, client: Client) -> None:
    class Login(msgspec.Struct):
        username: str
        age: int
        roles: list[str] = []

    @app.post("/login")
    async def login(form: Annotated[Login, Form()]) -> Login:
        return form

    @app.post("/upload")
    async def upload(
        title: Annotated[str, Form()],
        document: UploadFile,
        extras: Annotated[list[UploadFile], File()] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {
            "title": title,
            "name": document.filename,
            "data": (await document.read()).decode(),
            "extras": [e.filename for e in extras],
        }

    c = client()
    assert c.post("/login", data={"username": "ann", "age": "3", "roles": ["a", "b"]}).json() == {
        "username": "ann",
        "age": 3,
        "roles": ["a", "b"],
    }
    assert problems(c.post("/login", data={"username": "ann", "age": "x"}))[0]["field"] == "age"
    got = c.post(
        "/upload",
        data={"title": "t"},
        files=[("document", ("../../a.txt", b"hi")), ("extras", ("b.txt", b"")), ("extras", ("c.txt", b""))],
    )
    assert got.json() == {"title": "t", "name": "a.txt", "data": "hi", "extras": ["b.txt", "c.txt"]}
    errors = problems(c.post("/upload", data={"title": "t", "document": "not a file"}))
    assert errors == [{"in": "body", "field": "document", "message": "Expected a file"}]
    assert c.post("/upload", json={"title": "t"}).status_code == 415


def test_dependencies_are_resolved_once_per_request(app: App, client: Client) -> None:
    calls: list[str] = []

    async def settings() -> dict[str, int]:
        calls.append("settings")
        return {"page": 10}

    def pagination(
        config: Annotated[dict[str, int], Depends(settings)],
        limit: Annotated[int, msgspec.Meta(ge=1, le=50)] = 0,
    ) -> int:
        calls.append(f"pagination in {threading.current_thread().name[:14]}")
        return limit or config["page"]

    async def user(request: Request, x_user: Annotated[str, Header()]) -> str:
        calls.append("user")
        return f"{x_user}@{request.path}"

    @app.get("/items")
    async def items(
        size: Annotated[int, Depends(pagination)],
        config: Annotated[dict[str, int], Depends(settings)],
        who: Annotated[str, Depends(user)],
    ) -> dict[str, Any]:
        return {"size": size, "config": config, "who": who}

    c = client()
    assert c.get("/items?limit=5", headers={"x-user": "ann"}).json() == {
        "size": 5,
        "config": {"page": 10},
        "who": "ann@/items",
    }
    assert calls == ["settings", "pagination in vivace-handler", "user"]
    calls.clear()
    errors = problems(c.get("/items?limit=500"))
    assert {(e["in"], e["field"]) for e in errors} == {("query", "limit"), ("header", "x-user")}
    assert calls == []  # nothing runs once a parameter is refused


def test_generator_dependencies_clean_up_after_the_handler(app: App, client: Client) -> None:
    events: list[str] = []

    async def transaction() -> AsyncIterator[str]:
        events.append("begin")
        try:
            yield "tx"
        except RuntimeError:
            events.append("rollback")
            raise
        else:
            events.append("commit")

    def connection() -> Iterator[str]:
        events.append("open")
        yield "conn"
        events.append("close")

    @app.get("/ok")
    async def ok(
        tx: Annotated[str, Depends(transaction)], conn: Annotated[str, Depends(connection)]
    ) -> dict[str, str]:
        events.append("handler")
        return {"tx": tx, "conn": conn}

    @app.get("/fail")
    async def fail(tx: Annotated[str, Depends(transaction)]) -> dict[str, str]:
        raise RuntimeError("boom")

    c = client()
    assert c.get("/ok").json() == {"tx": "tx", "conn": "conn"}
    assert events == ["begin", "open", "handler", "close", "commit"]
    events.clear()
    assert c.get("/fail").status_code == 500
    assert events == ["begin", "rollback"]


def test_dependency_cycles_and_bad_signatures_are_config_errors(app: App) -> None:
    def first(x: Annotated[int, Depends(lambda: 1)]) -> int:
        return x

    def loop_a(b: Annotated[int, Depends(lambda: 0)]) -> int:
        return b

    def loop_b(a: Annotated[int, Depends(loop_a)]) -> int:
        return a

    loop_a.__signature__ = __import__("inspect").Signature(  # type: ignore[attr-defined]
        [
            __import__("inspect").Parameter(
                "b", __import__("inspect").Parameter.KEYWORD_ONLY, annotation=Annotated[int, Depends(loop_b)]
            )
        ]
    )

    with pytest.raises(ConfigError, match="in a circle"):

        @app.get("/cycle")
        async def cycle(a: Annotated[int, Depends(loop_a)]) -> dict[str, int]:
            return {}

    with pytest.raises(ConfigError, match="one body"):

        @app.post("/two")
        async def two(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
            return {}

    with pytest.raises(ConfigError, match="cannot be read from text"):

        @app.get("/header")
        async def header(h: Annotated[dict[str, int], Header()]) -> dict[str, int]:
            return {}

    with pytest.raises(ConfigError, match="status_code"):

        @app.get("/status", status_code=99)
        async def status() -> dict[str, int]:
            return {}

    with pytest.raises(ConfigError, match="has no <other>"):

        @app.get("/p")
        async def marked(other: Annotated[int, Path()]) -> dict[str, int]:
            return {}


def test_a_query_marker_and_a_default_marker(app: App, client: Client) -> None:
    @app.get("/m")
    async def m(
        request: Request,
        name: Annotated[str, Query(alias="n")] = "x",
        user: str = Depends(lambda: "dep"),
    ) -> dict[str, str]:
        return {"name": name, "user": user}

    assert client().get("/m?n=y").json() == {"name": "y", "user": "dep"}
