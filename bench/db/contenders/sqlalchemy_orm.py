"""SQLAlchemy's ORM over the benchmark's tables: a ``Session`` per operation, as a request would use.

Sync code uses the standard drivers (pysqlite, psycopg 3); async code an
``AsyncSession`` on aiosqlite or psycopg 3's async connection. The engines
keep their default pools and transactional behaviour: a session begins a
transaction on its first statement and rolls it back when closed. Sessions
do not expire objects on commit, so the bulk insert's ids are read without
reloading them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data import PAGE, PostRow
from sqlalchemy import ForeignKey, String, Text, create_engine, event, select
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, joinedload, mapped_column, relationship
from targets import SQLITE_PRAGMAS, Target

Pair = tuple[Any, Any]


class Base(AsyncAttrs, DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(200))


class Post(Base):
    __tablename__ = "post"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    views: Mapped[int]
    author: Mapped[Author] = relationship()


class BulkPost(Base):
    __tablename__ = "bulk_post"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    views: Mapped[int]


def _page(start: int, *, joined: bool) -> Any:
    statement = select(Post).where(Post.id >= start, Post.id < start + PAGE).order_by(Post.id)
    return statement.options(joinedload(Post.author)) if joined else statement


def _sqlite_pragmas(engine: Any) -> None:
    @event.listens_for(engine, "connect")
    def pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()


class SQLAlchemyORM:
    name = "sqlalchemy"

    def __init__(self, target: Target) -> None:
        self.engine = create_engine(target.sqlalchemy_url(asynchronous=False))
        self.aengine = create_async_engine(target.sqlalchemy_url(asynchronous=True))
        if target.is_sqlite:
            _sqlite_pragmas(self.engine)
            _sqlite_pragmas(self.aengine.sync_engine)

    def get(self, pk: int) -> Post | None:
        with Session(self.engine) as session:
            return session.get(Post, pk)

    def filter(self, author: int) -> list[Post]:
        with Session(self.engine) as session:
            return list(session.scalars(select(Post).where(Post.author_id == author).order_by(Post.id)))

    def bulk(self, rows: Sequence[PostRow]) -> list[BulkPost]:
        objects = [BulkPost(author_id=a, title=t, body=b, views=v) for a, t, b, v in rows]
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add_all(objects)
        return objects

    def join(self, start: int) -> list[Pair]:
        with Session(self.engine) as session:
            return [(post, post.author) for post in session.scalars(_page(start, joined=True)).unique()]

    def lazy(self, start: int) -> list[Pair]:
        with Session(self.engine) as session:
            return [(post, post.author) for post in session.scalars(_page(start, joined=False))]

    async def aget(self, pk: int) -> Post | None:
        async with AsyncSession(self.aengine) as session:
            return await session.get(Post, pk)

    async def afilter(self, author: int) -> list[Post]:
        async with AsyncSession(self.aengine) as session:
            result = await session.scalars(select(Post).where(Post.author_id == author).order_by(Post.id))
            return list(result)

    async def abulk(self, rows: Sequence[PostRow]) -> list[BulkPost]:
        objects = [BulkPost(author_id=a, title=t, body=b, views=v) for a, t, b, v in rows]
        async with AsyncSession(self.aengine, expire_on_commit=False) as session, session.begin():
            session.add_all(objects)
        return objects

    async def ajoin(self, start: int) -> list[Pair]:
        async with AsyncSession(self.aengine) as session:
            result = await session.scalars(_page(start, joined=True))
            return [(post, post.author) for post in result.unique()]

    async def alazy(self, start: int) -> list[Pair]:
        async with AsyncSession(self.aengine) as session:
            posts = list(await session.scalars(_page(start, joined=False)))
            return [(post, await post.awaitable_attrs.author) for post in posts]

    async def aclose(self) -> None:
        await self.aengine.dispose()

    def close(self) -> None:
        self.engine.dispose()
