"""The ceiling: the driver alone, doing the same work and building a dict per row.

SQLite: ``sqlite3`` with one autocommit connection. For async code the same
calls run inside the coroutine, on the loop's thread, as vivace does: a
SQLite statement that finds the file unlocked never waits, so it needs no
thread. ``aiosqlite`` (a thread hop per statement, the usual async SQLite
driver) is measured beside it as a contender of its own.

PostgreSQL: one psycopg 3 connection in autocommit mode, sync or async, with
PostgreSQL's own ``$1`` placeholders on psycopg's raw cursors, so psycopg
sends the SQL as it is instead of rewriting ``%s`` (which it does on every
execution for statements past 4 KB, such as a bulk insert); otherwise its
defaults (statements prepared on the server after five runs).

The bulk insert is what an ORM that hands back primary keys does, without the
objects: multi-row ``INSERT ... RETURNING id`` statements in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from data import AUTHOR_COLUMNS, PAGE, POST_COLUMNS, PostRow
from targets import SQLITE_PRAGMAS, Target

GET = "SELECT id, author_id, title, body, views FROM post WHERE id = ?"
FILTER = "SELECT id, author_id, title, body, views FROM post WHERE author_id = ? ORDER BY id"
PAGE_POSTS = "SELECT id, author_id, title, body, views FROM post WHERE id >= ? AND id < ? ORDER BY id"
PAGE_JOINED = (
    "SELECT p.id, p.author_id, p.title, p.body, p.views, a.id, a.name, a.email "
    "FROM post p JOIN author a ON a.id = p.author_id WHERE p.id >= ? AND p.id < ? ORDER BY p.id"
)
AUTHOR = "SELECT id, name, email FROM author WHERE id = ?"
# SQLite takes at most 32,766 placeholders in a statement, PostgreSQL 65,535.
MAX_PLACEHOLDERS = {"sqlite": 32_766, "postgres": 65_535}


def insert_sql(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?)"] * rows)
    return f"INSERT INTO bulk_post (author_id, title, body, views) VALUES {values} RETURNING id"


def numbered(sql: str) -> str:
    """``?`` placeholders as PostgreSQL's ``$1, $2...``."""
    parts = sql.split("?")
    return "".join(f"{part}${index}" for index, part in enumerate(parts[:-1], 1)) + parts[-1]


class _Shapes:
    """SQL in the driver's placeholder style, and the batches of the bulk insert."""

    def __init__(self, vendor: str) -> None:
        self.style = (lambda sql: sql) if vendor == "sqlite" else numbered
        self.get, self.filter, self.posts, self.joined, self.author = (
            self.style(sql) for sql in (GET, FILTER, PAGE_POSTS, PAGE_JOINED, AUTHOR)
        )
        self.batch = MAX_PLACEHOLDERS[vendor] // 4
        self._inserts: dict[int, str] = {}

    def batches(self, rows: Sequence[PostRow]) -> list[tuple[str, list[Any]]]:
        out = []
        for start in range(0, len(rows), self.batch):
            chunk = rows[start : start + self.batch]
            sql = self._inserts.get(len(chunk))
            if sql is None:
                sql = self._inserts[len(chunk)] = self.style(insert_sql(len(chunk)))
            out.append((sql, [value for row in chunk for value in row]))
        return out


def _post(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(POST_COLUMNS, row, strict=True))


def _author(row: Sequence[Any]) -> dict[str, Any]:
    return dict(zip(AUTHOR_COLUMNS, row, strict=True))


def _joined(rows: Sequence[Sequence[Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(_post(row[:5]), _author(row[5:])) for row in rows]


def sqlite_connection(target: Target) -> sqlite3.Connection:
    connection = sqlite3.connect(str(target.path), isolation_level=None, check_same_thread=False)
    for pragma in SQLITE_PRAGMAS:
        connection.execute(pragma)
    return connection


class RawSQLite:
    """``sqlite3``, sync, and the same calls inside coroutines for async."""

    name = "raw"

    def __init__(self, target: Target) -> None:
        self.connection = sqlite_connection(target)
        self.sql = _Shapes("sqlite")

    def get(self, pk: int) -> dict[str, Any]:
        row = self.connection.execute(self.sql.get, (pk,)).fetchone()
        return _post(row)

    def filter(self, author: int) -> list[dict[str, Any]]:
        return [_post(row) for row in self.connection.execute(self.sql.filter, (author,)).fetchall()]

    def bulk(self, rows: Sequence[PostRow]) -> list[int]:
        connection = self.connection
        ids: list[int] = []
        connection.execute("BEGIN")
        try:
            for sql, params in self.sql.batches(rows):
                ids.extend(row[0] for row in connection.execute(sql, params).fetchall())
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return ids

    def join(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return _joined(self.connection.execute(self.sql.joined, (start, start + PAGE)).fetchall())

    def lazy(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        execute = self.connection.execute
        posts = [_post(row) for row in execute(self.sql.posts, (start, start + PAGE)).fetchall()]
        return [(post, _author(execute(self.sql.author, (post["author_id"],)).fetchone())) for post in posts]

    async def aget(self, pk: int) -> dict[str, Any]:
        return self.get(pk)

    async def afilter(self, author: int) -> list[dict[str, Any]]:
        return self.filter(author)

    async def abulk(self, rows: Sequence[PostRow]) -> list[int]:
        return self.bulk(rows)

    async def ajoin(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return self.join(start)

    async def alazy(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return self.lazy(start)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()


class AioSQLite:
    """``aiosqlite``: each statement runs on the connection's own thread (async only)."""

    name = "aiosqlite"
    sync = False

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sql = _Shapes("sqlite")
        self.connection: Any = None

    async def aopen(self) -> None:
        import aiosqlite

        self.connection = await aiosqlite.connect(str(self.target.path), isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            await self.connection.execute(pragma)

    async def aget(self, pk: int) -> dict[str, Any]:
        async with self.connection.execute(self.sql.get, (pk,)) as cursor:
            return _post(await cursor.fetchone())

    async def afilter(self, author: int) -> list[dict[str, Any]]:
        async with self.connection.execute(self.sql.filter, (author,)) as cursor:
            return [_post(row) for row in await cursor.fetchall()]

    async def abulk(self, rows: Sequence[PostRow]) -> list[int]:
        connection = self.connection
        ids: list[int] = []
        await connection.execute("BEGIN")
        try:
            for sql, params in self.sql.batches(rows):
                async with connection.execute(sql, params) as cursor:
                    ids.extend(row[0] for row in await cursor.fetchall())
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")
        return ids

    async def ajoin(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        async with self.connection.execute(self.sql.joined, (start, start + PAGE)) as cursor:
            return _joined(list(await cursor.fetchall()))

    async def alazy(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        async with self.connection.execute(self.sql.posts, (start, start + PAGE)) as cursor:
            posts = [_post(row) for row in await cursor.fetchall()]
        pairs = []
        for post in posts:
            async with self.connection.execute(self.sql.author, (post["author_id"],)) as cursor:
                pairs.append((post, _author(await cursor.fetchone())))
        return pairs

    async def aclose(self) -> None:
        if self.connection is not None:
            await self.connection.close()


class RawPostgres:
    """psycopg 3: one sync and one async connection, autocommit, raw cursors."""

    name = "raw"

    def __init__(self, target: Target) -> None:
        import psycopg

        self.target = target
        self.connection = psycopg.connect(target.conninfo, autocommit=True, cursor_factory=psycopg.RawCursor)
        self.aconnection: Any = None
        self.sql = _Shapes("postgres")

    async def aopen(self) -> None:
        import psycopg

        self.aconnection = await psycopg.AsyncConnection.connect(
            self.target.conninfo, autocommit=True, cursor_factory=psycopg.AsyncRawCursor
        )

    def get(self, pk: int) -> dict[str, Any]:
        row = self.connection.execute(self.sql.get, (pk,)).fetchone()
        return _post(row)  # type: ignore[arg-type]

    def filter(self, author: int) -> list[dict[str, Any]]:
        return [_post(row) for row in self.connection.execute(self.sql.filter, (author,)).fetchall()]

    def bulk(self, rows: Sequence[PostRow]) -> list[int]:
        ids: list[int] = []
        with self.connection.transaction(), self.connection.cursor() as cursor:
            for sql, params in self.sql.batches(rows):
                cursor.execute(sql, params)
                ids.extend(row[0] for row in cursor.fetchall())
        return ids

    def join(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return _joined(self.connection.execute(self.sql.joined, (start, start + PAGE)).fetchall())

    def lazy(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        execute = self.connection.execute
        posts = [_post(row) for row in execute(self.sql.posts, (start, start + PAGE)).fetchall()]
        return [
            (post, _author(execute(self.sql.author, (post["author_id"],)).fetchone()))  # type: ignore[arg-type]
            for post in posts
        ]

    async def aget(self, pk: int) -> dict[str, Any]:
        cursor = await self.aconnection.execute(self.sql.get, (pk,))
        return _post(await cursor.fetchone())

    async def afilter(self, author: int) -> list[dict[str, Any]]:
        cursor = await self.aconnection.execute(self.sql.filter, (author,))
        return [_post(row) for row in await cursor.fetchall()]

    async def abulk(self, rows: Sequence[PostRow]) -> list[int]:
        ids: list[int] = []
        async with self.aconnection.transaction(), self.aconnection.cursor() as cursor:
            for sql, params in self.sql.batches(rows):
                await cursor.execute(sql, params)
                ids.extend(row[0] for row in await cursor.fetchall())
        return ids

    async def ajoin(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        cursor = await self.aconnection.execute(self.sql.joined, (start, start + PAGE))
        return _joined(await cursor.fetchall())

    async def alazy(self, start: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        execute = self.aconnection.execute
        cursor = await execute(self.sql.posts, (start, start + PAGE))
        posts = [_post(row) for row in await cursor.fetchall()]
        pairs = []
        for post in posts:
            cursor = await execute(self.sql.author, (post["author_id"],))
            pairs.append((post, _author(await cursor.fetchone())))
        return pairs

    async def aclose(self) -> None:
        if self.aconnection is not None:
            await self.aconnection.close()
        self.close()

    def close(self) -> None:
        self.connection.close()
