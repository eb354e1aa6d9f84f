"""A blog end to end: authors, posts, tags and comments, written and read in sync and async code."""

from __future__ import annotations

import datetime as dt
from typing import Any

from vivace import App
from vivace.db import Count, F, Max, Q, Registry, atomic

from .blog import Blog, declare
from .conftest import DB

UTC = dt.UTC


def write_blog(blog: Blog) -> None:
    ann = blog.Author.objects.create(name="Ann", email="ann@example.com")
    bob = blog.Author.objects.create(name="Bob")
    blog.Profile.objects.create(author=ann, bio="Writes about databases")
    tags = {
        t.name: t for t in blog.Tag.objects.bulk_create([blog.Tag(name=n) for n in ("sql", "python", "web")])
    }
    with atomic(blog.Post._meta.registry):
        for index in range(12):
            author = ann if index % 3 else bob
            post = blog.Post.objects.create(
                title=f"Post {index:02}",
                slug=f"post-{index:02}",
                author=author,
                body="SQL and Python" if index % 2 else "The web",
                published=dt.datetime(2024, 1 + index % 12, 1, tzinfo=UTC) if index != 11 else None,
            )
            post.tags.set([tags["sql"], tags["python"]] if index % 2 else [tags["web"]])
            blog.Comment.objects.bulk_create(
                [
                    blog.Comment(post=post, author=bob if c % 2 else ann, body=f"comment {c}")
                    for c in range(index % 4)
                ]
            )


def read_blog(db: DB, blog: Blog) -> dict[str, Any]:
    with db.queries() as sql:
        front = list(
            blog.Post.objects.filter(published__isnull=False)
            .select_related("author")
            .prefetch_related("tags", "comments")
            .order_by("-published", "title")[:5]
        )
        page = [
            (p.title, p.author.name, sorted(t.name for t in p.tags.all()), len(p.comments.all()))
            for p in front
        ]
    front_page_queries = len(sql)
    authors = list(
        blog.Author.objects.annotate(posts_n=Count("posts", distinct=True), top=Max("posts__views")).order_by(
            "name"
        )
    )
    search = sorted(
        p.slug
        for p in blog.Post.objects.filter(
            Q(title__icontains="post 1") | Q(body__icontains="web"), author__name="Ann"
        )
    )
    tag_counts = dict(blog.Tag.objects.annotate(n=Count("posts")).order_by("name").values_list("name", "n"))
    return {
        "page": page,
        "front_page_queries": front_page_queries,
        "authors": [(a.name, a.posts_n, a.top) for a in authors],
        "search": search,
        "tags": tag_counts,
        "profile": blog.Author.objects.get(name="Ann").profile.bio,
        "commenters": sorted(
            blog.Author.objects.filter(comments__post__author__name="Ann")
            .distinct()
            .values_list("name", flat=True)
        ),
    }


EXPECTED = {
    "page": [
        ("Post 10", "Ann", ["web"], 2),
        ("Post 09", "Bob", ["python", "sql"], 1),
        ("Post 08", "Ann", ["web"], 0),
        ("Post 07", "Ann", ["python", "sql"], 3),
        ("Post 06", "Bob", ["web"], 2),
    ],
    "front_page_queries": 4,  # posts with authors, the tag links, the tags, the comments
    "authors": [("Ann", 8, 0), ("Bob", 4, 0)],
    "search": ["post-02", "post-04", "post-08", "post-10", "post-11"],
    "tags": {"python": 6, "sql": 6, "web": 6},
    "profile": "Writes about databases",
    "commenters": ["Ann", "Bob"],
}


def test_blog_sync(db: DB, blog: Blog) -> None:
    write_blog(blog)
    assert read_blog(db, blog) == EXPECTED
    # Views counted in the database, then a deleted author takes posts, comments and links along.
    blog.Post.objects.filter(author__name="Bob").update(views=F("views") + 10)
    assert blog.Post.objects.filter(views=10).count() == 4
    through = blog.Post._meta.get_field("tags").through
    before = through.objects.count()
    blog.Author.objects.filter(name="Bob").delete()
    assert blog.Post.objects.count() == 8
    assert through.objects.count() == before - 6
    assert blog.Comment.objects.filter(author__isnull=True).count() > 0  # Bob's comments on Ann's posts stay
    assert blog.Comment.objects.filter(post__author__name="Bob").count() == 0


def test_blog_async(db: DB, blog: Blog) -> None:
    Post, Author, Tag, Comment = blog.Post, blog.Author, blog.Tag, blog.Comment

    async def write() -> None:
        ann = await Author.objects.acreate(name="Ann", email="ann@example.com")
        bob = await Author.objects.acreate(name="Bob")
        await blog.Profile.objects.acreate(author=ann, bio="Writes about databases")
        made = await Tag.objects.abulk_create([Tag(name=n) for n in ("sql", "python", "web")])
        tags = {t.name: t for t in made}
        async with atomic(db.app):
            for index in range(12):
                author = ann if index % 3 else bob
                post = await Post.objects.acreate(
                    title=f"Post {index:02}",
                    slug=f"post-{index:02}",
                    author=author,
                    body="SQL and Python" if index % 2 else "The web",
                    published=dt.datetime(2024, 1 + index % 12, 1, tzinfo=UTC) if index != 11 else None,
                )
                await post.tags.aset([tags["sql"], tags["python"]] if index % 2 else [tags["web"]])
                await Comment.objects.abulk_create(
                    [
                        Comment(post=post, author=bob if c % 2 else ann, body=f"comment {c}")
                        for c in range(index % 4)
                    ]
                )

    async def read() -> dict[str, Any]:
        with db.queries() as sql:
            front = await (
                Post.objects.filter(published__isnull=False)
                .select_related("author")
                .prefetch_related("tags", "comments")
                .order_by("-published", "title")[:5]
            )
            page = [
                (p.title, p.author.name, sorted(t.name for t in p.tags.all()), len(p.comments.all()))
                for p in front
            ]
        authors = await Author.objects.annotate(
            posts_n=Count("posts", distinct=True), top=Max("posts__views")
        ).order_by("name")
        search = sorted(
            [
                p.slug
                async for p in Post.objects.filter(
                    Q(title__icontains="post 1") | Q(body__icontains="web"), author__name="Ann"
                )
            ]
        )
        tag_counts = dict(
            await Tag.objects.annotate(n=Count("posts")).order_by("name").values_list("name", "n")
        )
        ann = await Author.objects.prefetch_related("profile").aget(name="Ann")
        commenters = await (
            Author.objects.filter(comments__post__author__name="Ann")
            .distinct()
            .values_list("name", flat=True)
        )
        return {
            "page": page,
            "front_page_queries": len(sql),
            "authors": [(a.name, a.posts_n, a.top) for a in authors],
            "search": search,
            "tags": tag_counts,
            "profile": ann.profile.bio,
            "commenters": sorted(commenters),
        }

    async def change() -> tuple[int, int]:
        await Post.objects.filter(author__name="Bob").aupdate(views=F("views") + 10)
        await Author.objects.filter(name="Bob").adelete()
        return await Post.objects.acount(), await Post.objects.filter(views=10).acount()

    db.run(write())
    assert db.run(read()) == EXPECTED
    assert db.run(change()) == (8, 0)


def test_blog_over_http(db: DB, tmp_path: Any) -> None:
    """A small site: each page runs a bounded number of queries, whatever the number of rows."""
    from vivace.testing import TestClient

    registry = Registry("site")
    blog = declare(registry)
    url = db.database.url.render_as_string(hide_password=False)
    app = App("site", root=tmp_path, database_url=url)
    app.db.use(registry)

    @app.get("/")
    async def index(request: Any) -> Any:
        order = request.query_params.get("order", "-published")
        posts = await (
            blog.Post.objects.filter(published__isnull=False)
            .select_related("author")
            .prefetch_related("tags")
            .order_by(order, "pk")[:20]
        )
        return [
            {"title": p.title, "author": p.author.name, "tags": sorted(t.name for t in p.tags.all())}
            for p in posts
        ]

    @app.get("/posts/<slug:slug>")
    def detail(request: Any, slug: str) -> Any:
        post = blog.Post.objects.select_related("author").get(slug=slug)
        comments = list(post.comments.order_by("pk").values_list("body", flat=True))
        return {"title": post.title, "author": post.author.name, "comments": comments}

    @app.post("/posts/<slug:slug>/view")
    async def view(request: Any, slug: str) -> Any:
        updated = await blog.Post.objects.filter(slug=slug).aupdate(views=F("views") + 1)
        return {"updated": updated}

    app.db.create_all()  # after the routes: create_all() prepares the app's batteries
    write_blog(blog)
    queries: list[str] = []
    app.events.subscribe("db.query", lambda **event: queries.append(event["sql"]))
    with TestClient(app) as client:
        queries.clear()
        listing = client.get("/")
        assert listing.status_code == 200
        assert len(listing.json()) == 11
        assert listing.json()[0] == {"title": "Post 10", "author": "Ann", "tags": ["web"]}
        assert len(queries) == 3  # posts with authors, tag links, tags: no N+1
        queries.clear()
        page = client.get("/posts/post-07")
        assert page.json() == {
            "title": "Post 07",
            "author": "Ann",
            "comments": ["comment 0", "comment 1", "comment 2"],
        }
        assert len(queries) == 2
        for _ in range(3):
            assert client.post("/posts/post-07/view").json() == {"updated": 1}
        assert blog.Post.objects.get(slug="post-07").views == 3
        assert client.get("/posts/nope").status_code in (404, 500)
        # A sort field from the query string is checked: an error, never SQL.
        assert client.get("/", params={"order": "title;DROP TABLE blog_post"}).status_code >= 400
        assert client.get("/", params={"order": "-title"}).json()[0]["title"] == "Post 10"
    app.db.database.close()
