"""Model-backed CRUD: ``app.api.crud(Post, ...)``."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vivace import App, ConfigError
from vivace.db import CASCADE, PROTECT, Registry, fields
from vivace.testing import TestClient


def models() -> tuple[Any, Any, Any]:
    registry = Registry("crud")

    class Author(registry.Model):  # type: ignore[name-defined,misc]
        name = fields.String(max_length=40, unique=True)
        is_staff = fields.Boolean(default=False, editable=False)

        class Meta:
            label = "crud"

    class Post(registry.Model):  # type: ignore[name-defined,misc]
        title = fields.String(max_length=50)
        status = fields.String(max_length=10, choices=["draft", "published"], default="draft")
        author = fields.ForeignKey(Author, on_delete=PROTECT)
        rating = fields.Integer(min_value=0, max_value=5, default=0)
        created = fields.DateTime(auto_now_add=True)

        class Meta:
            label = "crud"

    class Tag(registry.Model):  # type: ignore[name-defined,misc]
        post = fields.ForeignKey(Post, on_delete=CASCADE)
        name = fields.String(max_length=10)

        class Meta:
            label = "crud"

    return registry, Author, Post


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[App, TestClient, list[str]]]:
    registry, Author, Post = models()
    app = App("t", root=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    app.db.use(registry)
    app.db.create_all()
    statements: list[str] = []
    app.events.subscribe("db.query", lambda **event: statements.append(event["sql"]))

    def permissions(request: Any, action: str, obj: Any = None) -> bool:
        if request.headers.get("x-role") == "reader":
            return action in ("list", "retrieve")
        return not (action == "delete" and obj is not None and obj.rating == 5)

    app.api.crud(Author, prefix="/api/authors", filters=["name__icontains"])
    app.api.crud(
        Post,
        prefix="/api/posts",
        filters=["status", "author", "rating__gte", "title__icontains"],
        ordering=["created", "title", "rating"],
        permissions=permissions,
    )
    with TestClient(app) as client:
        ann = client.post("/api/authors", json={"name": "Ann"}).json()
        for title, rating in (("b", 1), ("a", 5), ("c", 3)):
            client.post("/api/posts", json={"title": title, "author": ann["id"], "rating": rating})
        statements.clear()
        yield app, client, statements


def test_list_filters_ordering_and_pages(setup: Any) -> None:
    _, client, _ = setup
    page = client.get("/api/posts").json()
    assert (page["count"], page["limit"], page["offset"]) == (3, 20, 0)
    assert [p["title"] for p in page["results"]] == ["b", "a", "c"]
    assert set(page["results"][0]) == {"id", "title", "status", "author", "rating", "created"}
    titles = [p["title"] for p in client.get("/api/posts?ordering=-title").json()["results"]]
    assert titles == ["c", "b", "a"]
    page = client.get("/api/posts?ordering=-rating,title&limit=2&offset=1").json()
    titles = [p["title"] for p in page["results"]]
    assert titles == ["c", "b"]
    assert client.get("/api/posts?rating__gte=3&ordering=title").json()["count"] == 2
    assert client.get("/api/posts?author=1&status=draft&title__icontains=A").json()["count"] == 1
    assert client.get("/api/posts?offset=10").json()["results"] == []


def test_bounds_are_422_not_a_clamp(setup: Any) -> None:
    _, client, _ = setup
    bad = ("limit=0", "limit=101", "offset=-5", "limit=1000000&offset=-5", "author=abc", "status=gone")
    for query in bad:
        answer = client.get(f"/api/posts?{query}")
        assert answer.status_code == 422, query
        assert answer.json()["errors"][0]["in"] == "query"
    assert client.get("/api/posts?limit=100").status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "ordering=name;DROP TABLE x",
        "ordering=-id,(select 1)",
        "ordering=author__name",
        'filter[title")--]=1',
        "_connector=OR&is_superuser=1",
        "title=a",
        "author__name=Ann",
        "rating__lt=3",
    ],
)
def test_what_is_not_allowed_is_refused_and_never_sql(setup: Any, query: str) -> None:
    _, client, statements = setup
    answer = client.get(f"/api/posts?{query}")
    assert answer.status_code == 400
    assert "allowed:" in answer.json()["detail"]
    assert statements == []


def test_filters_are_parameterized(setup: Any) -> None:
    _, client, statements = setup
    client.get("/api/posts?title__icontains=x%27%29%3B--&status=draft")
    assert statements
    assert all("--" not in sql and "x'" not in sql for sql in statements)


def test_retrieve_create_update_patch_delete(setup: Any) -> None:
    _, client, _ = setup
    post = client.get("/api/posts/1").json()
    assert post["title"] == "b"
    assert client.get("/api/posts/99").status_code == 404
    made = client.post("/api/posts", json={"title": "new", "author": 1})
    assert made.status_code == 201
    assert made.json()["status"] == "draft"
    new_id = made.json()["id"]
    replaced = client.put(f"/api/posts/{new_id}", json={"title": "put", "author": 1, "status": "published"})
    assert replaced.json()["status"] == "published"
    back = client.put(f"/api/posts/{new_id}", json={"title": "put", "author": 1})
    assert back.json()["status"] == "draft"  # left out: back to the default
    patched = client.patch(f"/api/posts/{new_id}", json={"rating": 4})
    assert (patched.json()["rating"], patched.json()["title"]) == (4, "put")
    assert client.delete(f"/api/posts/{new_id}").status_code == 204
    assert client.get(f"/api/posts/{new_id}").status_code == 404


def test_server_owned_fields_cannot_be_set(setup: Any) -> None:
    _, client, _ = setup
    made = client.post("/api/authors", json={"name": "Bob", "id": 77, "is_staff": True}).json()
    assert made["id"] != 77 and made["is_staff"] is False
    post = client.post(
        "/api/posts", json={"title": "t", "author": 1, "created": "2000-01-01T00:00:00Z", "id": 50}
    ).json()
    assert post["id"] != 50 and not post["created"].startswith("2000")
    patched = client.patch("/api/authors/1", json={"is_staff": True, "id": 9}).json()
    assert (patched["id"], patched["is_staff"]) == (1, False)


def test_validation_through_the_model(setup: Any) -> None:
    _, client, _ = setup
    for body, field in (
        ({"title": "x" * 51, "author": 1}, "title"),
        ({"title": "t", "author": 1, "rating": 9}, "rating"),
        ({"title": "t", "author": 1, "status": "gone"}, "status"),
        ({"title": "t"}, "author"),
        ({"title": "bad\x00", "author": 1}, "title"),
    ):
        answer = client.post("/api/posts", json=body)
        assert answer.status_code == 422, body
        assert answer.json()["errors"][0]["field"] == field


def test_constraints_are_409(setup: Any) -> None:
    _, client, _ = setup
    assert client.post("/api/authors", json={"name": "Ann"}).status_code == 409
    assert client.post("/api/posts", json={"title": "t", "author": 999}).status_code == 409
    assert client.delete("/api/authors/1").status_code == 409  # its posts protect it


def test_permissions(setup: Any) -> None:
    _, client, _ = setup
    reader = {"x-role": "reader"}
    assert client.get("/api/posts", headers=reader).status_code == 200
    assert client.post("/api/posts", json={"title": "t", "author": 1}, headers=reader).status_code == 403
    assert client.patch("/api/posts/1", json={"rating": 1}, headers=reader).status_code == 403
    assert client.delete("/api/posts/2").status_code == 403  # rated 5
    assert client.get("/api/posts/2").status_code == 200


def test_in_the_openapi_document(setup: Any) -> None:
    _, client, _ = setup
    doc = client.get("/openapi.json").json()
    posts = doc["paths"]["/api/posts"]
    assert set(posts) == {"get", "post"}
    assert set(doc["paths"]["/api/posts/{pk}"]) == {"get", "put", "patch", "delete"}
    names = [p["name"] for p in posts["get"]["parameters"]]
    assert names == ["limit", "offset", "ordering", "status", "author", "rating__gte", "title__icontains"]
    limit = posts["get"]["parameters"][0]["schema"]
    assert limit == {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    assert posts["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Post"
    }
    assert set(posts["post"]["responses"]) >= {"201", "403", "409", "422"}
    schemas = doc["components"]["schemas"]
    assert set(schemas["PostInput"]["properties"]) == {"title", "status", "author", "rating"}
    assert schemas["PostInput"]["required"] == ["title", "author"]
    assert not schemas["PostPatch"].get("required")
    assert schemas["Post"]["properties"]["status"] == {"enum": ["draft", "published"]}
    assert schemas["AuthorInput"]["properties"] == {"name": {"type": "string", "maxLength": 40}}
    assert doc["paths"]["/api/posts/{pk}"]["delete"]["responses"]["204"] == {"description": "No Content"}


def test_setup_mistakes_are_config_errors(tmp_path: Path) -> None:
    _, _, Post = models()
    app = App("t", root=tmp_path)
    with pytest.raises(ConfigError, match="has no field 'nope'"):
        app.api.crud(Post, prefix="/p", filters=["nope"])
    with pytest.raises(ConfigError, match="unknown lookup 'regex'"):
        app.api.crud(Post, prefix="/p", filters=["title__regex"])
    with pytest.raises(ConfigError, match="has no field 'secret'"):
        app.api.crud(Post, prefix="/p", ordering=["secret"])
    with pytest.raises(ConfigError, match="prefix"):
        app.api.crud(Post, prefix="p/")
    with pytest.raises(ConfigError, match="unknown action"):
        app.api.crud(Post, prefix="/p", actions=["list", "purge"])
    with pytest.raises(ConfigError, match="a model class"):
        app.api.crud(dict, prefix="/p")
