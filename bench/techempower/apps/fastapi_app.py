"""FastAPI, as its tutorial writes an app: a session dependency, async SQLAlchemy, dicts returned as JSON."""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
SessionFactory = async_sessionmaker(engine, expire_on_commit=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionFactory() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def queries_count(queries: str | None = None) -> int:
    try:
        count = int(queries) if queries is not None else 1
    except ValueError:
        return 1
    return min(max(count, 1), 500)


QueriesDep = Annotated[int, Depends(queries_count)]


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/plaintext", response_class=PlainTextResponse)
async def plaintext() -> str:
    return "Hello, World!"


@app.get("/json")
async def json() -> dict[str, str]:
    return {"message": "Hello, World!"}


@app.get("/db")
async def db(session: SessionDep) -> dict[str, int]:
    world = await session.get(World, random.randint(1, 10000))
    return world.as_dict()


@app.get("/queries")
async def queries(session: SessionDep, count: QueriesDep) -> list[dict[str, int]]:
    ids = random.sample(range(1, 10001), count)
    return [(await session.get(World, id_)).as_dict() for id_ in ids]


@app.get("/fortunes", response_class=HTMLResponse)
async def fortunes(request: Request, session: SessionDep) -> HTMLResponse:
    rows = list(await session.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return templates.TemplateResponse(request, "fortunes.html", {"fortunes": rows})


@app.get("/updates")
async def updates(session: SessionDep, count: QueriesDep) -> list[dict[str, int]]:
    ids = sorted(random.sample(range(1, 10001), count))
    async with session.begin():
        worlds = [await session.get(World, id_) for id_ in ids]
        for world in worlds:
            world.randomnumber = random.randint(1, 10000)
    return [world.as_dict() for world in worlds]
