"""Django's ORM, configured in-process (``settings.configure``) over the benchmark's tables.

Django's async methods (``aget``, ``abulk_create``, ``async for``) run the
sync ORM in a worker thread through ``sync_to_async``; in async code a
relation is not loaded on attribute access, so the N+1 case awaits
``Author.objects.aget`` per post, which is what Django's documentation offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from data import PAGE, PostRow
from targets import Target

Pair = tuple[Any, Any]


def _configure(target: Target) -> tuple[Any, Any, Any]:
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={"default": target.django_database()},
        INSTALLED_APPS=[],
        USE_TZ=True,
        DEBUG=False,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=100)
        email = models.CharField(max_length=200)

        class Meta:
            app_label = "bench"
            db_table = "author"

    class Post(models.Model):
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="posts")
        title = models.CharField(max_length=200)
        body = models.TextField()
        views = models.IntegerField()

        class Meta:
            app_label = "bench"
            db_table = "post"

    class BulkPost(models.Model):
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bulk_posts")
        title = models.CharField(max_length=200)
        body = models.TextField()
        views = models.IntegerField()

        class Meta:
            app_label = "bench"
            db_table = "bulk_post"

    return Author, Post, BulkPost


class DjangoORM:
    name = "django"

    def __init__(self, target: Target) -> None:
        self.Author, self.Post, self.BulkPost = _configure(target)

    def get(self, pk: int) -> Any:
        return self.Post.objects.get(pk=pk)

    def filter(self, author: int) -> list[Any]:
        return list(self.Post.objects.filter(author_id=author).order_by("id"))

    def bulk(self, rows: Sequence[PostRow]) -> list[Any]:
        # bulk_create wraps its batches in one transaction itself.
        make = self.BulkPost
        return self.BulkPost.objects.bulk_create(  # type: ignore[no-any-return]
            [make(author_id=a, title=t, body=b, views=v) for a, t, b, v in rows]
        )

    def join(self, start: int) -> list[Pair]:
        posts = self.Post.objects.filter(id__gte=start, id__lt=start + PAGE).select_related("author")
        return [(post, post.author) for post in posts.order_by("id")]

    def lazy(self, start: int) -> list[Pair]:
        posts = self.Post.objects.filter(id__gte=start, id__lt=start + PAGE).order_by("id")
        return [(post, post.author) for post in posts]

    async def aget(self, pk: int) -> Any:
        return await self.Post.objects.aget(pk=pk)

    async def afilter(self, author: int) -> list[Any]:
        return [post async for post in self.Post.objects.filter(author_id=author).order_by("id")]

    async def abulk(self, rows: Sequence[PostRow]) -> list[Any]:
        make = self.BulkPost
        return await self.BulkPost.objects.abulk_create(  # type: ignore[no-any-return]
            [make(author_id=a, title=t, body=b, views=v) for a, t, b, v in rows]
        )

    async def ajoin(self, start: int) -> list[Pair]:
        posts = self.Post.objects.filter(id__gte=start, id__lt=start + PAGE).select_related("author")
        return [(post, post.author) async for post in posts.order_by("id")]

    async def alazy(self, start: int) -> list[Pair]:
        posts = [
            post async for post in self.Post.objects.filter(id__gte=start, id__lt=start + PAGE).order_by("id")
        ]
        return [(post, await self.Author.objects.aget(pk=post.author_id)) for post in posts]

    async def aclose(self) -> None:
        from asgiref.sync import sync_to_async

        await sync_to_async(self.close)()

    def close(self) -> None:
        from django.db import connections

        connections.close_all()
