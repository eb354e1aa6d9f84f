"""The same typed endpoint in vivace, FastAPI (pydantic) and Litestar (msgspec).

``POST /orders`` takes an order (a customer, an address, 20 line items each
with tags and options), validates it, totals it and answers 201 with a
confirmation that repeats every line with its total. The handler's own work
is the same function in the three apps; only the framework differs.
"""

import datetime
import uuid
from typing import Annotated, Any

import msgspec

ITEMS = 20


def order_document() -> dict[str, Any]:
    return {
        "id": "6f1c2a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f",
        "placed_at": "2024-05-01T12:30:00Z",
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "vip": True},
        "shipping": {"street": "12 Analytical Way", "city": "London", "postcode": "N1 9GU", "country": "GB"},
        "items": [
            {
                "sku": f"SKU-{index:04d}",
                "name": f"Engine part number {index}",
                "quantity": index % 5 + 1,
                "unit_price": 9.99 + index,
                "tags": ["brass", "gear", f"batch-{index % 3}"],
                "options": {"gift": index % 2 == 0, "colour": "black"},
            }
            for index in range(ITEMS)
        ],
        "note": "Leave at the door",
    }


BODY = msgspec.json.encode(order_document())


def confirm(order: Any) -> dict[str, Any]:
    """The handler's work, shared by the three apps: line totals and a grand total."""
    lines = []
    total = 0.0
    for item in order.items:
        amount = round(item.quantity * item.unit_price, 2)
        total += amount
        lines.append({"sku": item.sku, "quantity": item.quantity, "amount": amount})
    return {
        "order_id": order.id,
        "placed_at": order.placed_at,
        "customer": order.customer.name,
        "lines": lines,
        "total": round(total, 2),
    }


# vivace ----------------------------------------------------------------------------------


class Customer(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    email: Annotated[str, msgspec.Meta(max_length=254)]
    vip: bool = False


class Address(msgspec.Struct):
    street: Annotated[str, msgspec.Meta(max_length=200)]
    city: Annotated[str, msgspec.Meta(max_length=100)]
    postcode: Annotated[str, msgspec.Meta(max_length=20)]
    country: Annotated[str, msgspec.Meta(min_length=2, max_length=2)]


class LineItem(msgspec.Struct):
    sku: Annotated[str, msgspec.Meta(max_length=32)]
    name: Annotated[str, msgspec.Meta(max_length=200)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    unit_price: Annotated[float, msgspec.Meta(ge=0)]
    tags: list[str] = []
    options: dict[str, str | bool] = {}


class Order(msgspec.Struct):
    id: uuid.UUID
    placed_at: datetime.datetime
    customer: Customer
    shipping: Address
    items: Annotated[list[LineItem], msgspec.Meta(min_length=1, max_length=100)]
    note: str | None = None


class Line(msgspec.Struct):
    sku: str
    quantity: int
    amount: float


class Confirmation(msgspec.Struct):
    order_id: uuid.UUID
    placed_at: datetime.datetime
    customer: str
    lines: list[Line]
    total: float


# The apps are built inside functions so that importing this module needs none of the
# peers; no ``from __future__ import annotations`` here, so FastAPI reads real types.


def vivace_app(root: str) -> Any:
    from vivace import App

    app = App("bench_api", root=root)

    @app.post("/orders", status_code=201)
    async def place(order: Order) -> Confirmation:
        return confirmation(order)

    return app


def confirmation(order: Order) -> Confirmation:
    """The confirmation as a Struct (vivace and Litestar answer Structs)."""
    result = confirm(order)
    result["lines"] = [Line(**line) for line in result["lines"]]
    return Confirmation(**result)


# FastAPI (pydantic) ----------------------------------------------------------------------


def fastapi_app() -> Any:
    import pydantic
    from fastapi import FastAPI

    class PCustomer(pydantic.BaseModel):
        name: str = pydantic.Field(min_length=1, max_length=100)
        email: str = pydantic.Field(max_length=254)
        vip: bool = False

    class PAddress(pydantic.BaseModel):
        street: str = pydantic.Field(max_length=200)
        city: str = pydantic.Field(max_length=100)
        postcode: str = pydantic.Field(max_length=20)
        country: str = pydantic.Field(min_length=2, max_length=2)

    class PLineItem(pydantic.BaseModel):
        sku: str = pydantic.Field(max_length=32)
        name: str = pydantic.Field(max_length=200)
        quantity: int = pydantic.Field(ge=1, le=1000)
        unit_price: float = pydantic.Field(ge=0)
        tags: list[str] = []
        options: dict[str, str | bool] = {}

    class POrder(pydantic.BaseModel):
        id: uuid.UUID
        placed_at: datetime.datetime
        customer: PCustomer
        shipping: PAddress
        items: list[PLineItem] = pydantic.Field(min_length=1, max_length=100)
        note: str | None = None

    class PLine(pydantic.BaseModel):
        sku: str
        quantity: int
        amount: float

    class PConfirmation(pydantic.BaseModel):
        order_id: uuid.UUID
        placed_at: datetime.datetime
        customer: str
        lines: list[PLine]
        total: float

    app = FastAPI()

    @app.post("/orders", status_code=201)
    async def place(order: POrder) -> PConfirmation:
        # FastAPI's own way: a dict, validated and serialized through the return annotation.
        return confirm(order)  # type: ignore[return-value]

    return app


# Litestar (msgspec) ----------------------------------------------------------------------


def litestar_app() -> Any:
    from litestar import Litestar, post

    @post("/orders", status_code=201)
    async def place(data: Order) -> Confirmation:
        return confirmation(data)

    return Litestar([place], openapi_config=None, logging_config=None)
