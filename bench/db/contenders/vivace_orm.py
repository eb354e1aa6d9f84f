"""vivace's models over the benchmark's tables, used as an application would use them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data import PAGE, PostRow
from targets import Target

from vivace.db import CASCADE, Database, ForeignKey, Registry, atomic, fetch_related, fields

registry = Registry("bench")


class Author(registry.Model):
    name = fields.String(max_length=100)
    email = fields.String(max_length=200)

    class Meta:
        label = "bench"
        table_name = "author"


class Post(registry.Model):
    author = ForeignKey(Author, on_delete=CASCADE, related_name="posts")
    title = fields.String(max_length=200)
    body = fields.Text()
    views = fields.Integer()

    class Meta:
        label = "bench"
        table_name = "post"


class BulkPost(registry.Model):
    author = ForeignKey(Author, on_delete=CASCADE, related_name="bulk_posts")
    title = fields.String(max_length=200)
    body = fields.Text()
    views = fields.Integer()

    class Meta:
        label = "bench"
        table_name = "bulk_post"


Pair = tuple[Any, Any]


class Vivace:
    name = "vivace"

    def __init__(self, target: Target) -> None:
        self.database = Database(target.vivace_url)
        registry.bind(self.database)

    def get(self, pk: int) -> Post:
        return Post.objects.get(pk=pk)

    def filter(self, author: int) -> list[Post]:
        return list(Post.objects.filter(author_id=author).order_by("id"))

    def bulk(self, rows: Sequence[PostRow]) -> list[BulkPost]:
        objects = [BulkPost(author_id=a, title=t, body=b, views=v) for a, t, b, v in rows]
        with atomic(self.database):
            return BulkPost.objects.bulk_create(objects)

    def join(self, start: int) -> list[Pair]:
        posts = Post.objects.filter(id__gte=start, id__lt=start + PAGE).select_related("author")
        return [(post, post.author) for post in posts.order_by("id")]

    def lazy(self, start: int) -> list[Pair]:
        posts = Post.objects.filter(id__gte=start, id__lt=start + PAGE).order_by("id")
        return [(post, post.author) for post in posts]

    async def aget(self, pk: int) -> Post:
        return await Post.objects.aget(pk=pk)

    async def afilter(self, author: int) -> list[Post]:
        return await Post.objects.filter(author_id=author).order_by("id")

    async def abulk(self, rows: Sequence[PostRow]) -> list[BulkPost]:
        objects = [BulkPost(author_id=a, title=t, body=b, views=v) for a, t, b, v in rows]
        async with atomic(self.database):
            return await BulkPost.objects.abulk_create(objects)

    async def ajoin(self, start: int) -> list[Pair]:
        posts = await (
            Post.objects.filter(id__gte=start, id__lt=start + PAGE).select_related("author").order_by("id")
        )
        return [(post, post.author) for post in posts]

    async def alazy(self, start: int) -> list[Pair]:
        # Async code cannot load a relation on attribute access; fetch_related is the one-object load.
        posts = await Post.objects.filter(id__gte=start, id__lt=start + PAGE).order_by("id")
        pairs = []
        for post in posts:
            await fetch_related(post, "author")
            pairs.append((post, post.author))
        return pairs

    async def aclose(self) -> None:
        await self.database.aclose()

    def close(self) -> None:
        self.database.close()
