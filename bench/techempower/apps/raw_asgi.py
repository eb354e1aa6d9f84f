"""The ceiling: a bare ASGI callable on the raw database driver, no framework.

Every response's headers are built once; the server adds ``Server`` and
``Date``. ``DATABASE_URL`` picks the database: ``sqlite:///path`` uses the
standard ``sqlite3`` module on the event loop's thread (a SQLite read of one
row takes microseconds, less than a hop to a thread would), and
``postgresql://...`` uses asyncpg with a pool, the faster of the two
PostgreSQL drivers measured here; ``RAW_PG_DRIVER=psycopg`` switches to
psycopg 3's async pool for comparison.
"""

from __future__ import annotations

import html
import os
import random
import sqlite3
from operator import itemgetter
from typing import Any

import orjson

DATABASE_URL = os.environ["DATABASE_URL"]
PG_DRIVER = os.environ.get("RAW_PG_DRIVER", "asyncpg")
POOL_SIZE = int(os.environ.get("RAW_POOL_SIZE", "16"))
ADDED_FORTUNE = (0, "Additional fortune added at request time.")

SELECT_WORLD = "SELECT id, randomnumber FROM world WHERE id = {}"
UPDATE_WORLD = "UPDATE world SET randomnumber = {} WHERE id = {}"
SELECT_FORTUNES = "SELECT id, message FROM fortune"

PAGE_HEAD = (
    "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>"
    "<tr><th>id</th><th>message</th></tr>"
)
PAGE_TAIL = "</table></body></html>"

TEXT = [(b"content-type", b"text/plain")]
JSON = [(b"content-type", b"application/json")]
HTML = [(b"content-type", b"text/html; charset=utf-8")]
NOT_FOUND = b"Not Found"


def queries_count(query_string: bytes) -> int:
    for pair in query_string.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"queries":
            try:
                count = int(value)
            except ValueError:
                return 1
            return 1 if count < 1 else min(count, 500)
    return 1


def random_ids(count: int) -> list[int]:
    return random.sample(range(1, 10001), count)


def render_fortunes(rows: list[tuple[int, str]]) -> bytes:
    rows.append(ADDED_FORTUNE)
    rows.sort(key=itemgetter(1))
    cells = "".join(f"<tr><td>{id_}</td><td>{html.escape(message)}</td></tr>" for id_, message in rows)
    return (PAGE_HEAD + cells + PAGE_TAIL).encode()


class SQLiteStore:
    def __init__(self, path: str) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None

    async def open(self) -> None:
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)

    async def close(self) -> None:
        if self.connection is not None:
            self.connection.close()

    async def world(self, id_: int) -> dict[str, int]:
        assert self.connection is not None
        row = self.connection.execute(SELECT_WORLD.format("?"), (id_,)).fetchone()
        return {"id": row[0], "randomNumber": row[1]}

    async def worlds(self, ids: list[int]) -> list[dict[str, int]]:
        assert self.connection is not None
        execute = self.connection.execute
        select = SELECT_WORLD.format("?")
        return [
            {"id": row[0], "randomNumber": row[1]}
            for row in (execute(select, (id_,)).fetchone() for id_ in ids)
        ]

    async def fortunes(self) -> list[tuple[int, str]]:
        assert self.connection is not None
        return self.connection.execute(SELECT_FORTUNES).fetchall()

    async def update(self, ids: list[int]) -> list[dict[str, int]]:
        assert self.connection is not None
        ids.sort()
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            worlds = await self.worlds(ids)
            for world in worlds:
                world["randomNumber"] = random.randint(1, 10000)
            connection.executemany(
                UPDATE_WORLD.format("?", "?"), [(w["randomNumber"], w["id"]) for w in worlds]
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return worlds


class AsyncpgStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: Any = None

    async def open(self) -> None:
        import asyncpg

        self.pool = await asyncpg.create_pool(self.url, min_size=POOL_SIZE, max_size=POOL_SIZE)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def world(self, id_: int) -> dict[str, int]:
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(SELECT_WORLD.format("$1"), id_)
        return {"id": row[0], "randomNumber": row[1]}

    async def worlds(self, ids: list[int]) -> list[dict[str, int]]:
        async with self.pool.acquire() as connection:
            statement = await connection.prepare(SELECT_WORLD.format("$1"))
            return [{"id": id_, "randomNumber": await statement.fetchval(id_, column=1)} for id_ in ids]

    async def fortunes(self) -> list[tuple[int, str]]:
        async with self.pool.acquire() as connection:
            return [tuple(row) for row in await connection.fetch(SELECT_FORTUNES)]

    async def update(self, ids: list[int]) -> list[dict[str, int]]:
        ids.sort()
        async with self.pool.acquire() as connection:
            statement = await connection.prepare(SELECT_WORLD.format("$1"))
            worlds = []
            for id_ in ids:
                await statement.fetchval(id_, column=1)
                worlds.append({"id": id_, "randomNumber": random.randint(1, 10000)})
            await connection.executemany(
                UPDATE_WORLD.format("$1", "$2"), [(w["randomNumber"], w["id"]) for w in worlds]
            )
        return worlds


class PsycopgStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: Any = None

    async def open(self) -> None:
        from psycopg_pool import AsyncConnectionPool

        self.pool = AsyncConnectionPool(
            self.url, min_size=POOL_SIZE, max_size=POOL_SIZE, open=False, kwargs={"autocommit": True}
        )
        await self.pool.open(wait=True)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def world(self, id_: int) -> dict[str, int]:
        async with self.pool.connection() as connection:
            cursor = await connection.execute(SELECT_WORLD.format("%s"), (id_,), prepare=True)
            row = await cursor.fetchone()
        return {"id": row[0], "randomNumber": row[1]}

    async def worlds(self, ids: list[int]) -> list[dict[str, int]]:
        select = SELECT_WORLD.format("%s")
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            worlds = []
            for id_ in ids:
                await cursor.execute(select, (id_,), prepare=True)
                row = await cursor.fetchone()
                worlds.append({"id": row[0], "randomNumber": row[1]})
            return worlds

    async def fortunes(self) -> list[tuple[int, str]]:
        async with self.pool.connection() as connection:
            cursor = await connection.execute(SELECT_FORTUNES, prepare=True)
            return await cursor.fetchall()

    async def update(self, ids: list[int]) -> list[dict[str, int]]:
        ids.sort()
        worlds = await self.worlds(ids)
        for world in worlds:
            world["randomNumber"] = random.randint(1, 10000)
        async with self.pool.connection() as connection, connection.cursor() as cursor:
            await cursor.executemany(
                UPDATE_WORLD.format("%s", "%s"), [(w["randomNumber"], w["id"]) for w in worlds]
            )
        return worlds


def make_store(url: str) -> SQLiteStore | AsyncpgStore | PsycopgStore:
    if url.startswith("sqlite:///"):
        return SQLiteStore(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        return PsycopgStore(url) if PG_DRIVER == "psycopg" else AsyncpgStore(url)
    raise ValueError(f"DATABASE_URL {url!r}: expected sqlite:///PATH or postgresql://...")


store = make_store(DATABASE_URL)


async def send_body(send: Any, headers: list[tuple[bytes, bytes]], body: bytes, status: int = 200) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def plaintext(scope: Any, send: Any) -> None:
    await send_body(send, TEXT, b"Hello, World!")


async def json(scope: Any, send: Any) -> None:
    await send_body(send, JSON, orjson.dumps({"message": "Hello, World!"}))


async def db(scope: Any, send: Any) -> None:
    world = await store.world(random.randint(1, 10000))
    await send_body(send, JSON, orjson.dumps(world))


async def queries(scope: Any, send: Any) -> None:
    worlds = await store.worlds(random_ids(queries_count(scope["query_string"])))
    await send_body(send, JSON, orjson.dumps(worlds))


async def fortunes(scope: Any, send: Any) -> None:
    await send_body(send, HTML, render_fortunes(list(await store.fortunes())))


async def updates(scope: Any, send: Any) -> None:
    worlds = await store.update(random_ids(queries_count(scope["query_string"])))
    await send_body(send, JSON, orjson.dumps(worlds))


ROUTES = {
    "/plaintext": plaintext,
    "/json": json,
    "/db": db,
    "/queries": queries,
    "/fortunes": fortunes,
    "/updates": updates,
}


async def lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await store.open()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await store.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    handler = ROUTES.get(scope["path"])
    if handler is None:
        await send_body(send, TEXT, NOT_FOUND, 404)
        return
    await handler(scope, send)
