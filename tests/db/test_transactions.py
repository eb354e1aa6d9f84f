"""``atomic()``: blocks and decorators, sync and async, nested with savepoints; requests in transactions."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import pytest

from vivace import App
from vivace.db import IntegrityError, atomic

from .blog import Blog, declare
from .conftest import DB


class Boom(Exception):
    pass


def tag_names(blog: Blog) -> list[str]:
    return sorted(blog.Tag.objects.values_list("name", flat=True))


def test_commit_and_rollback(db: DB, blog: Blog) -> None:
    with atomic(db.app):
        blog.Tag.objects.create(name="kept")
    with pytest.raises(Boom), atomic(db.app):
        blog.Tag.objects.create(name="lost")
        assert tag_names(blog) == ["kept", "lost"]  # visible inside the block
        raise Boom
    assert tag_names(blog) == ["kept"]


def test_using_forms(db: DB, blog: Blog) -> None:
    for using in (db.app, db.database, db.registry):
        with atomic(using):
            blog.Tag.objects.create(name=f"t{len(tag_names(blog))}")
    with db.app.db.atomic():
        blog.Tag.objects.create(name="battery")
    assert len(tag_names(blog)) == 4


def test_nested_savepoints(db: DB, blog: Blog) -> None:
    with atomic(db.app):
        blog.Tag.objects.create(name="outer")
        try:
            with atomic(db.app):
                blog.Tag.objects.create(name="inner")
                raise Boom
        except Boom:
            pass
        with atomic(db.app):
            blog.Tag.objects.create(name="inner-kept")
            with pytest.raises(Boom), atomic(db.app):
                blog.Tag.objects.create(name="deepest")
                raise Boom
        assert tag_names(blog) == ["inner-kept", "outer"]
    assert tag_names(blog) == ["inner-kept", "outer"]


def test_outer_failure_undoes_committed_savepoints(db: DB, blog: Blog) -> None:
    with pytest.raises(Boom), atomic(db.app):
        with atomic(db.app):
            blog.Tag.objects.create(name="inner")
        raise Boom
    assert tag_names(blog) == []


def test_integrity_error_caught_in_a_savepoint_keeps_the_transaction(db: DB, blog: Blog) -> None:
    with atomic(db.app):
        blog.Tag.objects.create(name="one")
        with pytest.raises(IntegrityError), atomic(db.app):
            blog.Tag.objects.create(name="one")
        blog.Tag.objects.create(name="two")  # the transaction is still usable (PostgreSQL included)
    assert tag_names(blog) == ["one", "two"]


def test_integrity_error_rolls_the_transaction_back(db: DB, blog: Blog) -> None:
    with pytest.raises(IntegrityError), atomic(db.app):
        blog.Tag.objects.create(name="first")
        blog.Tag.objects.create(name="first")
    assert tag_names(blog) == []
    blog.Tag.objects.create(name="after")  # the connection went back to the pool clean
    assert tag_names(blog) == ["after"]


def test_get_or_create_inside_a_transaction(db: DB, blog: Blog) -> None:
    with atomic(db.app):
        blog.Tag.objects.create(name="python")
        with pytest.raises(IntegrityError):
            blog.Tag.objects.get_or_create(name="python ", defaults={"name": "python"})
        _, created = blog.Tag.objects.get_or_create(name="sql")
        assert created
    assert tag_names(blog) == ["python", "sql"]


def test_decorator(db: DB, blog: Blog) -> None:
    @atomic(db.app)
    def add(name: str, fail: bool = False) -> str:
        blog.Tag.objects.create(name=name)
        if fail:
            raise Boom
        return name

    assert add("ok") == "ok"
    assert add.__name__ == "add"
    with pytest.raises(Boom):
        add("bad", fail=True)
    assert tag_names(blog) == ["ok"]

    @atomic(db.app)
    def outer() -> None:
        blog.Tag.objects.create(name="outer")
        with contextlib.suppress(Boom):
            add("inner", fail=True)

    outer()
    assert tag_names(blog) == ["ok", "outer"]


def test_uncommitted_rows_are_invisible_to_other_connections(db: DB, blog: Blog) -> None:
    seen: list[int] = []

    def count_elsewhere() -> None:
        seen.append(blog.Tag.objects.count())

    with atomic(db.app):
        blog.Tag.objects.create(name="pending")
        other = threading.Thread(target=count_elsewhere)
        other.start()
        other.join(10)
        assert blog.Tag.objects.count() == 1
    count_elsewhere()
    assert seen == [0, 1]


def test_each_thread_has_its_own_transaction(db: DB, blog: Blog) -> None:
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with atomic(db.app):
                blog.Tag.objects.create(name=name)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(tag_names(blog)) == 4


# Async ------------------------------------------------------------------------------------


def test_async_commit_rollback_and_savepoints(db: DB, blog: Blog) -> None:
    Tag = blog.Tag

    async def main() -> list[str]:
        async with atomic(db.app):
            await Tag.objects.acreate(name="outer")
            try:
                async with atomic(db.app):
                    await Tag.objects.acreate(name="inner")
                    assert await Tag.objects.acount() == 2
                    raise Boom
            except Boom:
                pass
            async with atomic(db.app):
                await Tag.objects.acreate(name="kept")
        with pytest.raises(Boom):
            async with atomic(db.app):
                await Tag.objects.acreate(name="lost")
                raise Boom
        return sorted(await Tag.objects.values_list("name", flat=True))

    assert db.run(main()) == ["kept", "outer"]


def test_async_decorator(db: DB, blog: Blog) -> None:
    Tag = blog.Tag

    @atomic(db.app)
    async def add(name: str, fail: bool = False) -> str:
        await Tag.objects.acreate(name=name)
        if fail:
            raise Boom
        return name

    async def main() -> list[str]:
        assert await add("ok") == "ok"
        with pytest.raises(Boom):
            await add("bad", fail=True)
        async with atomic(db.app):
            await Tag.objects.acreate(name="outer")
            with pytest.raises(Boom):
                await add("inner", fail=True)
        return sorted(await Tag.objects.values_list("name", flat=True))

    assert db.run(main()) == ["ok", "outer"]


def test_async_integrity_error_inside_a_transaction(db: DB, blog: Blog) -> None:
    Tag = blog.Tag

    async def main() -> list[str]:
        async with atomic(db.app):
            await Tag.objects.acreate(name="one")
            with pytest.raises(IntegrityError):
                async with atomic(db.app):
                    await Tag.objects.acreate(name="one")
            await Tag.objects.acreate(name="two")
        with pytest.raises(IntegrityError):
            async with atomic(db.app):
                await Tag.objects.acreate(name="three")
                await Tag.objects.acreate(name="one")
        return sorted(await Tag.objects.values_list("name", flat=True))

    assert db.run(main()) == ["one", "two"]


def test_concurrent_async_transactions_are_isolated(db: DB, blog: Blog) -> None:
    Tag = blog.Tag

    async def writer(name: str, fail: bool) -> None:
        async with atomic(db.app):
            await Tag.objects.acreate(name=name)
            await asyncio.sleep(0.01)
            if fail:
                raise Boom

    async def main() -> list[str]:
        results = await asyncio.gather(
            *(writer(f"t{i}", fail=i % 2 == 1) for i in range(4)), return_exceptions=True
        )
        assert [type(r) for r in results] == [type(None), Boom, type(None), Boom]
        return sorted(await Tag.objects.values_list("name", flat=True))

    assert db.run(main()) == ["t0", "t2"]


def test_sync_atomic_inside_the_event_loop_is_refused(db: DB, blog: Blog) -> None:
    from vivace.db import SyncInAsyncError

    async def main() -> None:
        with atomic(db.app):
            pass  # pragma: no cover

    with pytest.raises(SyncInAsyncError, match="async"):
        db.run(main())


# Requests in transactions -------------------------------------------------------------------


def test_atomic_requests(db: DB, tmp_path: Any) -> None:
    from vivace.db import Registry
    from vivace.testing import TestClient

    registry = Registry("requests")
    blog = declare(registry)
    url = str(db.database.url.render_as_string(hide_password=False))
    app = App("site", root=tmp_path, database_url=url, atomic_requests=True)
    app.db.use(registry)

    @app.post("/tags/<name>")
    async def add(request: Any, name: str) -> Any:
        await blog.Tag.objects.acreate(name=name)
        if name == "fail":
            raise RuntimeError("after the write")
        if name == "error-status":
            return "nope", 500
        return {"ok": name}

    app.db.create_all()  # after the routes: create_all() prepares the app's batteries
    with TestClient(app) as client:
        assert client.post("/tags/good").status_code == 200
        assert client.post("/tags/fail").status_code == 500
        assert client.post("/tags/error-status").status_code == 500
        assert sorted(blog.Tag.objects.values_list("name", flat=True)) == ["good"]
    app.db.database.close()


def test_async_get_or_create_inside_a_transaction(db: DB, blog: Blog) -> None:
    Tag = blog.Tag

    async def main() -> list[str]:
        async with atomic(db.app):
            await Tag.objects.acreate(name="python")
            with pytest.raises(IntegrityError):
                await Tag.objects.aget_or_create(name="python ", defaults={"name": "python"})
            _, created = await Tag.objects.aget_or_create(name="sql")
            assert created
            _, created = await Tag.objects.aupdate_or_create(name="sql", defaults={"name": "sql2"})
            assert not created
        return sorted(await Tag.objects.values_list("name", flat=True))

    assert db.run(main()) == ["python", "sql2"]


def test_one_atomic_object_shared_by_concurrent_tasks(postgres_server: Any, tmp_path: Any) -> None:
    """A module-level ``tx = atomic(app)`` used by two requests at once keeps their transactions apart.

    On PostgreSQL only: SQLite runs the two one after the other (BEGIN IMMEDIATE waits for the
    write lock), which this interleaving would deadlock.
    """
    from vivace.db import Registry

    registry = Registry("shared")
    blog = declare(registry)
    app = App("shared", root=tmp_path, database_url=postgres_server.fresh_url())
    app.db.use(registry)
    app.db.create_all()
    Tag = blog.Tag
    block = atomic(app)

    async def main() -> tuple[list[Any], list[str]]:
        a_in, b_in, a_out = asyncio.Event(), asyncio.Event(), asyncio.Event()

        async def a() -> None:
            try:
                async with block:
                    await Tag.objects.acreate(name="a")
                    a_in.set()
                    await b_in.wait()
            finally:
                a_out.set()

        async def b() -> None:
            await a_in.wait()
            try:
                async with block:
                    await Tag.objects.acreate(name="b")
                    b_in.set()
                    await a_out.wait()
                    raise Boom
            finally:
                b_in.set()

        try:
            results = await asyncio.gather(a(), b(), return_exceptions=True)
            return [type(r) for r in results], sorted(await Tag.objects.values_list("name", flat=True))
        finally:
            await app.db.database.aclose()

    try:
        assert asyncio.run(main()) == ([type(None), Boom], ["a"])
    finally:
        app.db.database.close()
