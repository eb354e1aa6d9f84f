"""A sample API for the Schemathesis run: typed endpoints and model-backed CRUD.

Every operation declares its request and answer schemas: typed endpoints by
their signatures, the CRUD of ``Author`` and ``Post`` by the models. Build it
with ``create_app(folder)``; its SQLite database lives in that folder. Serve
it with ``python -m tests.api.sample_app FOLDER PORT``.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import sys
import uuid
from pathlib import Path
from typing import Annotated

import msgspec

from vivace import App, HTTPException, Request
from vivace.api import Body, Depends, Form, Header, Query
from vivace.db import CASCADE, Registry, fields


class Status(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class LineItem(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    unit_price: Annotated[decimal.Decimal, msgspec.Meta(description="Price of one unit")]


class Address(msgspec.Struct):
    street: Annotated[str, msgspec.Meta(max_length=200)]
    city: Annotated[str, msgspec.Meta(max_length=100)]
    country: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]


class Order(msgspec.Struct):
    customer: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    items: Annotated[list[LineItem], msgspec.Meta(min_length=1, max_length=50)]
    shipping: Address
    note: str | None = None


class OrderSummary(msgspec.Struct):
    id: uuid.UUID
    customer: str
    lines: int
    units: int
    total: decimal.Decimal
    received: datetime.datetime


class Hit(msgspec.Struct):
    term: str
    rank: int


class SearchResult(msgspec.Struct):
    query: str
    status: Status
    tags: list[str]
    hits: list[Hit]


class Session(msgspec.Struct):
    user: str
    remember: bool


class Me(msgspec.Struct):
    user: str
    agent: str | None


class Scored(msgspec.Struct):
    value: float
    score: Annotated[float, msgspec.Meta(ge=0, le=1)]


def build_models() -> tuple[Registry, type, type]:
    registry = Registry("sample")

    class Author(registry.Model):  # type: ignore[name-defined,misc]
        name = fields.String(max_length=80, unique=True)
        email = fields.Email(null=True)

        class Meta:
            label = "sample"

    class Post(registry.Model):  # type: ignore[name-defined,misc]
        title = fields.String(max_length=120)
        body = fields.Text(default="")
        status = fields.String(max_length=10, choices=["draft", "published"], default="draft")
        author = fields.ForeignKey(Author, on_delete=CASCADE, related_name="posts")
        rating = fields.Integer(min_value=0, max_value=5, default=0)
        created = fields.DateTime(auto_now_add=True)
        updated = fields.DateTime(auto_now=True)

        class Meta:
            label = "sample"

    return registry, Author, Post


def current_user(x_user: Annotated[str, Header(alias="x-user")]) -> str:
    """The caller, from a header (there is no auth battery yet)."""
    if len(x_user) > 64 or not x_user.isprintable():
        raise HTTPException(401, "bad user header")
    return x_user


def create_app(folder: str | Path) -> App:
    folder = Path(folder)
    app = App("sample", root=folder, database_url=f"sqlite:///{folder / 'sample.sqlite3'}")
    registry, Author, Post = build_models()
    app.db.use(registry)
    app.db.create_all()
    app.api.title = "vivace sample API"
    app.api.version = "1.0.0"

    @app.post("/api/orders", status_code=201, tags=["orders"])
    async def place_order(order: Order) -> OrderSummary:
        """Place an order.

        Totals the line items; nothing is stored.
        """
        total = sum((item.unit_price * item.quantity for item in order.items), decimal.Decimal(0))
        return OrderSummary(
            id=uuid.uuid4(),
            customer=order.customer,
            lines=len(order.items),
            units=sum(item.quantity for item in order.items),
            total=total,
            received=datetime.datetime.now(datetime.UTC),
        )

    @app.get("/api/search", tags=["search"])
    async def search(
        q: Annotated[str, msgspec.Meta(min_length=1, max_length=50), Query(examples=["vivace"])],
        limit: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5,
        status: Status = Status.PUBLISHED,
        tags: list[str] = [],  # noqa: B006 - never mutated
    ) -> SearchResult:
        """Search the catalogue."""
        hits = [Hit(term=f"{q}-{rank}", rank=rank) for rank in range(1, limit + 1)]
        return SearchResult(query=q, status=status, tags=tags, hits=hits)

    @app.get("/api/items/<int:item_id>", tags=["items"], responses={404: "No such item"})
    def get_item(item_id: int, verbose: bool = False) -> dict[str, int | bool]:
        """An item by id; odd ids do not exist."""
        if item_id % 2:
            raise HTTPException(404, f"no item {item_id}")
        return {"id": item_id, "verbose": verbose}

    @app.post("/api/sessions", status_code=201, tags=["auth"])
    async def login(
        username: Annotated[str, Form(), msgspec.Meta(min_length=1, max_length=40)],
        remember: Annotated[bool, Form()] = False,
    ) -> Session:
        """Open a session from a form."""
        return Session(user=username, remember=remember)

    @app.get("/api/me", tags=["auth"], security=["bearerAuth"], responses={401: "Not signed in"})
    async def me(
        request: Request,
        user: Annotated[str, Depends(current_user)],
        agent: Annotated[str | None, Header(alias="user-agent")] = None,
    ) -> Me:
        """Who is calling."""
        return Me(user=user, agent=agent)

    @app.put("/api/scores/<slug:name>", tags=["scores"])
    async def score(
        name: str, body: Annotated[list[Annotated[float, msgspec.Meta(ge=-1e9, le=1e9)]], Body()]
    ) -> list[Scored]:
        """Scale numbers to 0..1 by the largest."""
        top = max((abs(v) for v in body), default=0.0) or 1.0
        return [Scored(value=v, score=abs(v) / top) for v in body]

    @app.delete("/api/cache", tags=["cache"])
    async def clear_cache(older_than: Annotated[int, msgspec.Meta(ge=0)] = 0) -> None:
        """Empty the cache (204)."""

    app.api.crud(Author, prefix="/api/authors", filters=["name", "name__icontains"], ordering=["name"])
    app.api.crud(
        Post,
        prefix="/api/posts",
        filters=["status", "author", "rating__gte", "title__icontains"],
        ordering=["created", "title", "rating"],
        permissions=lambda request, action, obj=None: action != "delete" or obj is None or obj.rating < 5,
    )
    return app


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
