"""Which JOIN select_related and filters across relations use: INNER along non-null keys, else LEFT OUTER."""

from __future__ import annotations

import re

from vivace.db import CASCADE, SET_NULL, Count, fields

from .blog import Blog
from .conftest import DB


def joins(sql: str) -> list[str]:
    """The joins of a statement in order, each as ``"INNER j0"`` or ``"LEFT j1"``."""
    found = re.findall(r"(LEFT OUTER JOIN|JOIN) \S+ AS (\w+)", sql)
    return [f"{'LEFT' if kind.startswith('LEFT') else 'INNER'} {alias}" for kind, alias in found]


def make_thread(blog: Blog) -> tuple[object, object, object]:
    author = blog.Author.objects.create(name="ann")
    post = blog.Post.objects.create(title="t", slug="t", author=author)
    signed = blog.Comment.objects.create(post=post, author=author, body="signed")
    anonymous = blog.Comment.objects.create(post=post, author=None, body="anonymous")
    return post, signed, anonymous


def test_non_null_chain_is_inner_joined(db: DB, blog: Blog) -> None:
    make_thread(blog)
    with db.queries() as sql:
        comments = list(blog.Comment.objects.select_related("post__author").order_by("id"))
    assert joins(sql[0]) == ["INNER j0", "INNER j1"]
    assert [c.post.author.name for c in comments] == ["ann", "ann"]


def test_nullable_link_is_left_outer_joined(db: DB, blog: Blog) -> None:
    make_thread(blog)
    with db.queries() as sql:
        comments = list(blog.Comment.objects.select_related("author").order_by("id"))
    assert joins(sql[0]) == ["LEFT j0"]
    # The comment without an author is kept, its author None.
    assert [(c.body, c.author and c.author.name) for c in comments] == [
        ("signed", "ann"),
        ("anonymous", None),
    ]


def test_mixed_paths_each_get_their_own_join(db: DB, blog: Blog) -> None:
    make_thread(blog)
    with db.queries() as sql:
        comments = list(blog.Comment.objects.select_related("post__author", "author").order_by("id"))
    assert joins(sql[0]) == ["INNER j0", "INNER j1", "LEFT j2"]
    assert [c.author.name if c.author else None for c in comments] == ["ann", None]
    assert all(c.post.title == "t" for c in comments)


def test_left_outer_from_the_first_nullable_link_on(db: DB) -> None:
    class Owner(db.Model):
        name = fields.String(max_length=20)

    class Box(db.Model):
        owner = fields.ForeignKey(Owner, on_delete=CASCADE)

    class Item(db.Model):
        box = fields.ForeignKey(Box, on_delete=SET_NULL, null=True)

    class Label(db.Model):
        item = fields.ForeignKey(Item, on_delete=CASCADE)

    db.create_all()
    owner = Owner.objects.create(name="o")
    box = Box.objects.create(owner=owner)
    filed = Item.objects.create(box=box)
    loose = Item.objects.create(box=None)
    Label.objects.create(item=filed)
    Label.objects.create(item=loose)
    with db.queries() as sql:
        labels = list(Label.objects.select_related("item__box__owner").order_by("id"))
    # Label -> Item is required, Item -> Box may be null, so Box -> Owner must stay outer too.
    assert joins(sql[0]) == ["INNER j0", "LEFT j1", "LEFT j2"]
    assert [label.item.box.owner.name if label.item.box else None for label in labels] == ["o", None]


def test_filter_across_a_required_key_is_inner_joined(db: DB, blog: Blog) -> None:
    make_thread(blog)
    with db.queries() as sql:
        found = list(blog.Post.objects.filter(author__name="ann"))
        excluded = list(blog.Comment.objects.exclude(author__name="ann"))
    assert joins(sql[0]) == ["INNER j0"]
    assert [p.slug for p in found] == ["t"]
    # Across a nullable key the join stays outer, so the comment without an author is kept.
    assert joins(sql[1]) == ["LEFT j0"]
    assert [c.body for c in excluded] == ["anonymous"]


def test_reverse_and_many_to_many_stay_outer(db: DB, blog: Blog) -> None:
    post, _, _ = make_thread(blog)
    lonely = blog.Author.objects.create(name="bo")
    with db.queries() as sql:
        counted = {a.name: a.n for a in blog.Author.objects.annotate(n=Count("posts"))}
        untagged = list(blog.Post.objects.filter(tags__isnull=True))
    assert joins(sql[0]) == ["LEFT j0"]
    assert counted == {"ann": 1, lonely.name: 0}
    assert all(kind.startswith("LEFT") for kind in joins(sql[1]))
    assert [p.pk for p in untagged] == [post.pk]


def test_async_select_related_inner_join(db: DB, blog: Blog) -> None:
    make_thread(blog)

    async def fetch() -> list[object]:
        return await blog.Comment.objects.select_related("post__author").order_by("id")

    with db.queries() as sql:
        comments = db.run(fetch())
    assert joins(sql[0]) == ["INNER j0", "INNER j1"]
    assert [c.post.author.name for c in comments] == ["ann", "ann"]
