"""Litestar, as its documentation writes an app: dependencies, async SQLAlchemy, Jinja templates.

The session comes from a plain dependency rather than Litestar's SQLAlchemy
plugin, which needs the separate ``advanced-alchemy`` package.
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from pathlib import Path

from litestar import Litestar, MediaType, get
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig
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


async def provide_session() -> AsyncIterator[AsyncSession]:
    async with SessionFactory() as session:
        yield session


def clamp(queries: str | None) -> int:
    try:
        count = int(queries) if queries is not None else 1
    except ValueError:
        return 1
    return min(max(count, 1), 500)


@get("/plaintext", media_type=MediaType.TEXT)
async def plaintext() -> str:
    return "Hello, World!"


@get("/json")
async def json() -> dict[str, str]:
    return {"message": "Hello, World!"}


@get("/db")
async def db(session: AsyncSession) -> dict[str, int]:
    world = await session.get(World, random.randint(1, 10000))
    return world.as_dict()


@get("/queries")
async def queries(session: AsyncSession, queries: str | None = None) -> list[dict[str, int]]:
    ids = random.sample(range(1, 10001), clamp(queries))
    return [(await session.get(World, id_)).as_dict() for id_ in ids]


@get("/fortunes")
async def fortunes(session: AsyncSession) -> Template:
    rows = list(await session.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return Template(template_name="fortunes.html", context={"fortunes": rows})


@get("/updates")
async def updates(session: AsyncSession, queries: str | None = None) -> list[dict[str, int]]:
    ids = sorted(random.sample(range(1, 10001), clamp(queries)))
    async with session.begin():
        worlds = [await session.get(World, id_) for id_ in ids]
        for world in worlds:
            world.randomnumber = random.randint(1, 10000)
    return [world.as_dict() for world in worlds]


async def dispose_engine() -> None:
    await engine.dispose()


app = Litestar(
    route_handlers=[plaintext, json, db, queries, fortunes, updates],
    dependencies={"session": Provide(provide_session)},
    template_config=TemplateConfig(directory=Path(__file__).parent / "templates", engine=JinjaTemplateEngine),
    on_shutdown=[dispose_engine],
)
