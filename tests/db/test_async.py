"""The async forms: ``await qs``, ``async for``, the ``a``-methods; sync calls on the loop are refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from vivace.db import Count, DatabaseUnavailable, F, Sum, SyncInAsyncError, fields

from .blog import Blog
from .conftest import DB
from .test_query import seed, titles


@pytest.fixture
def s(db: DB, blog: Blog) -> dict[str, Any]:
    return seed(blog)


def test_await_and_async_for(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post

    async def main() -> None:
        posts = await Post.objects.filter(author__name="Ann").order_by("views")
        assert titles(posts) == ["First steps", "Second wind", "Fifth element"]
        assert len(await Post.objects) == 5
        assert len(await Post.objects.all()) == 5
        seen = [p.title async for p in Post.objects.order_by("-views")[:2]]
        assert seen == ["Fifth element", "Second wind"]
        assert [p.title async for p in Post.objects.filter(views=0)] == ["Fourth wall"]
        assert len([p async for p in Post.objects]) == 5
        assert await Post.objects.order_by("views").values_list("views", flat=True) == [0, 10, 20, 30, 50]
        assert await Post.objects.filter(pk=s["third"].pk).values("title") == [{"title": "Third time"}]
        query = Post.objects.order_by("pk")
        first = await query
        assert await query is first  # a QuerySet keeps its rows
        assert "not yet run" in repr(Post.objects.all())

    db.run(main())


def test_a_methods(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post, Tag = blog.Post, blog.Tag

    async def main() -> None:
        assert (await Post.objects.aget(slug="third-time")).views == 20
        with pytest.raises(Post.DoesNotExist):
            await Post.objects.aget(slug="nope")
        with pytest.raises(Post.MultipleObjectsReturned):
            await Post.objects.aget(author=s["ann"])
        assert await Post.objects.acount() == 5
        assert await Post.objects.filter(views__gt=25).acount() == 2
        assert await Post.objects.aexists()
        assert not await Post.objects.filter(views__gt=999).aexists()
        assert (await Post.objects.order_by("views").afirst()).views == 0
        assert (await Post.objects.order_by("views").alast()).views == 50
        assert await Post.objects.filter(views__gt=999).afirst() is None
        assert await Post.objects.aaggregate(total=Sum("views")) == {"total": 110}
        bulk = await Post.objects.ain_bulk([s["first"].pk])
        assert bulk[s["first"].pk].title == "First steps"
        tag = await Tag.objects.acreate(name="async")
        assert tag.pk is not None
        again, created = await Tag.objects.aget_or_create(name="async")
        assert again == tag and not created
        _, created = await Tag.objects.aget_or_create(name="fresh")
        assert created
        updated, created = await Tag.objects.aupdate_or_create(name="fresh", defaults={"name": "fresher"})
        assert not created and updated.name == "fresher"
        assert await Post.objects.filter(author=s["bob"]).aupdate(views=F("views") + 5) == 2
        assert sorted(await Post.objects.filter(author=s["bob"]).values_list("views", flat=True)) == [5, 25]
        new = await Tag.objects.abulk_create([Tag(name=f"b{i}") for i in range(5)])
        assert all(t.pk for t in new)
        for t in new:
            t.name = t.name.upper()
        assert await Tag.objects.abulk_update(new, ["name"]) == 5
        assert await Tag.objects.filter(name__startswith="B").acount() == 5
        assert await Tag.objects.filter(name__startswith="B").adelete() == 5
        names = [t.name async for t in Tag.objects.order_by("name").aiterator(chunk_size=2)]
        assert names == ["async", "fresher", "python", "sql", "web"]
        counts = (
            await blog.Author.objects.annotate(n=Count("posts")).order_by("name").values_list("n", flat=True)
        )
        assert counts == [3, 2, 0]

    db.run(main())


def test_instance_methods(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Author = blog.Author

    async def main() -> None:
        author = Author(name="Dee")
        await author.asave()
        assert author.pk is not None
        author.name = "Dee Dee"
        await author.asave(update_fields=["name"])
        await Author.objects.filter(pk=author.pk).aupdate(email="dee@example.com")
        await author.arefresh_from_db()
        assert (author.name, author.email) == ("Dee Dee", "dee@example.com")
        assert await author.adelete() == 1
        assert not await Author.objects.filter(pk=author.pk).aexists()

    db.run(main())


def test_related_managers(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    async def main() -> None:
        ann = await blog.Author.objects.aget(name="Ann")
        assert len(await ann.posts.all()) == 3
        assert await ann.posts.acount() == 3
        created = await ann.posts.acreate(title="Async post", slug="async-post")
        assert created.author_id == ann.pk
        post = await blog.Post.objects.aget(slug="fourth-wall")
        await post.tags.aadd(s["python"], s["web"])
        assert sorted(t.name for t in await post.tags.all()) == ["python", "web"]
        await post.tags.aremove(s["python"])
        assert [t.name async for t in post.tags.all()] == ["web"]
        await post.tags.aset([s["sql"]])
        assert [t.name for t in await post.tags.all()] == ["sql"]
        await post.tags.aclear()
        assert await post.tags.acount() == 0
        posts = await blog.Post.objects.prefetch_related("tags", "comments").order_by("pk")
        assert [t.name for t in posts[1].tags.all()] == ["python", "sql"]
        assert [c.body for c in posts[0].comments.all()] == ["nice", "meh"]

    db.run(main())


def test_concurrent_queries(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post

    async def main() -> None:
        counts = await asyncio.gather(
            *(Post.objects.filter(views__gte=v).acount() for v in (0, 10, 20, 30, 50, 60))
        )
        assert counts == [5, 4, 3, 2, 1, 0]
        tags = await asyncio.gather(*(blog.Tag.objects.acreate(name=f"c{i}") for i in range(10)))
        assert len({t.pk for t in tags}) == 10

    db.run(main())


def test_iterating_many_rows_async(db: DB, blog: Blog) -> None:
    Tag = blog.Tag

    async def main() -> list[str]:
        await Tag.objects.abulk_create([Tag(name=f"n{i:04}") for i in range(3000)])
        return [t.name async for t in Tag.objects.aiterator(chunk_size=1000)]

    with db.queries() as sql:
        names = db.run(main())
    assert names == [f"n{i:04}" for i in range(3000)]
    assert len([q for q in sql if q.lstrip().upper().startswith("SELECT")]) == 4


def test_sync_calls_on_the_event_loop_are_refused(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    Post = blog.Post
    calls = [
        lambda: Post.objects.get(pk=1),
        lambda: Post.objects.count(),
        lambda: list(Post.objects.all()),
        lambda: Post.objects.filter(views=1).exists(),
        lambda: Post.objects.create(title="x", slug="x", author=s["ann"]),
        lambda: Post.objects.update(views=1),
        lambda: Post.objects.filter(views=-1).delete(),
        lambda: s["ann"].save(),
        lambda: s["ann"].posts.count(),
        lambda: s["first"].tags.add(s["web"]),
        lambda: Post.objects.first(),
        lambda: bool(Post.objects.all()),
    ]

    async def main() -> None:
        for call in calls:
            with pytest.raises(SyncInAsyncError) as caught:
                call()
            message = str(caught.value)
            assert "event loop" in message and "async form" in message and "await" in message

    with db.queries() as sql:
        db.run(main())
    assert sql == []
    # Nothing was written.
    assert Post.objects.count() == 5 and Post.objects.filter(views=1).count() == 0


def test_lazy_relation_in_async_code_is_refused(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    async def main() -> None:
        post = await blog.Post.objects.aget(slug="third-time")
        with pytest.raises(SyncInAsyncError):
            post.author  # noqa: B018
        post = await blog.Post.objects.select_related("author").aget(slug="third-time")
        assert post.author.name == "Bob"

    db.run(main())


def test_locked_sqlite_waits_off_the_loop_then_answers_503(tmp_path: Any) -> None:
    """ATTACKS 34: another process holds the write lock; the loop keeps running while we wait."""
    import sqlite3
    import time

    from vivace import App
    from vivace.db import Registry

    registry = Registry("locked")

    class Item(registry.Model):
        name = fields.String(max_length=10)

    path = tmp_path / "locked.sqlite3"
    app = App("locked", root=tmp_path, database_url=f"sqlite:///{path}", database_busy_timeout=0.5)
    app.db.use(registry)
    app.db.create_all()
    Item.objects.create(name="before")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO test_async_item (name) VALUES ('holder')")

    async def main() -> tuple[int, float]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        try:
            with pytest.raises(DatabaseUnavailable) as caught:
                await Item.objects.acreate(name="blocked")
            assert caught.value.status_code == 503
            # Reads still work in WAL mode while the writer holds its lock.
            assert await Item.objects.acount() == 1
        finally:
            task.cancel()
            await app.db.database.aclose()
        return ticks, time.perf_counter() - started

    ticks, waited = asyncio.run(main())
    assert 0.4 < waited < 5
    assert ticks >= 10  # the loop ran while the write waited for the lock
    with pytest.raises(DatabaseUnavailable):
        Item.objects.create(name="sync")
    holder.execute("ROLLBACK")
    holder.close()
    Item.objects.create(name="after")
    assert sorted(Item.objects.values_list("name", flat=True)) == ["after", "before"]
    app.db.database.close()


def test_pool_exhaustion_answers_503_in_bounded_time(db: DB, tmp_path: Any) -> None:
    """ATTACKS 35: with every connection held, the next waits pool_timeout and gets a 503."""
    import time

    from vivace import App
    from vivace.db import Registry, atomic

    registry = Registry("pool")

    class Item(registry.Model):
        name = fields.String(max_length=10)

    url = db.database.url.render_as_string(hide_password=False)
    app = App("pool", root=tmp_path, database_url=url, database_pool_size=2, database_pool_timeout=0.5)
    app.db.use(registry)
    app.db.create_all()

    async def hold(release: asyncio.Event) -> None:
        async with atomic(app):
            await Item.objects.acreate(name="held")
            await release.wait()

    async def main() -> float:
        release = asyncio.Event()
        holders = [asyncio.create_task(hold(release)) for _ in range(2)]
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        with pytest.raises(DatabaseUnavailable) as caught:
            async with atomic(app):
                pass  # pragma: no cover
        waited = time.perf_counter() - started
        assert caught.value.status_code == 503
        assert ("retry-after", "5") in [(k.lower(), v) for k, v in caught.value.headers]
        release.set()
        await asyncio.gather(*holders)
        async with atomic(app):
            await Item.objects.acreate(name="after")
        return waited

    async def run() -> float:
        try:
            return await main()
        finally:
            await app.db.database.aclose()

    waited = asyncio.run(run())
    assert 0.3 < waited < 3
    assert sorted(Item.objects.values_list("name", flat=True)) == ["after", "held", "held"]
    app.db.database.close()
