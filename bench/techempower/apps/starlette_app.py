"""Starlette, as its documentation writes an app: routes, a lifespan, async SQLAlchemy, Jinja2Templates."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates


def async_url(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url.replace("sqlite://", "sqlite+aiosqlite://", 1)
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


class Base(DeclarativeBase):
    pass


class World(Base):
    __tablename__ = "world"
    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]

    def as_dict(self) -> dict[str, int]:
        return {"id": self.id, "randomNumber": self.randomnumber}


class Fortune(Base):
    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


engine = create_async_engine(async_url(os.environ["DATABASE_URL"]))
Session = async_sessionmaker(engine, expire_on_commit=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def queries_count(request: Request) -> int:
    try:
        count = int(request.query_params.get("queries", "1"))
    except ValueError:
        return 1
    return min(max(count, 1), 500)


async def plaintext(request: Request) -> Response:
    return PlainTextResponse("Hello, World!")


async def json(request: Request) -> Response:
    return JSONResponse({"message": "Hello, World!"})


async def db(request: Request) -> Response:
    async with Session() as session:
        world = await session.get(World, random.randint(1, 10000))
    return JSONResponse(world.as_dict())


async def queries(request: Request) -> Response:
    ids = random.sample(range(1, 10001), queries_count(request))
    async with Session() as session:
        worlds = [(await session.get(World, id_)).as_dict() for id_ in ids]
    return JSONResponse(worlds)


async def fortunes(request: Request) -> Response:
    async with Session() as session:
        rows = list(await session.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


async def updates(request: Request) -> Response:
    ids = sorted(random.sample(range(1, 10001), queries_count(request)))
    async with Session() as session, session.begin():
        worlds = [await session.get(World, id_) for id_ in ids]
        for world in worlds:
            world.randomnumber = random.randint(1, 10000)
    return JSONResponse([world.as_dict() for world in worlds])


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = Starlette(
    routes=[
        Route("/plaintext", plaintext),
        Route("/json", json),
        Route("/db", db),
        Route("/queries", queries),
        Route("/fortunes", fortunes),
        Route("/updates", updates),
    ],
    lifespan=lifespan,
)
