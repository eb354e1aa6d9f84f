"""The blog schema most tests use: authors, profiles, posts, tags (many-to-many) and comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vivace.db import CASCADE, SET_NULL, Registry, fields


@dataclass
class Blog:
    Author: Any
    Profile: Any
    Tag: Any
    Post: Any
    Comment: Any


def declare(registry: Registry) -> Blog:
    """Declare the blog's models on ``registry`` (their label is ``blog``, from this module)."""

    class Author(registry.Model):
        name = fields.String(max_length=100)
        email = fields.Email(unique=True, null=True, blank=True)

    class Profile(registry.Model):
        author = fields.OneToOne(Author, on_delete=CASCADE, related_name="profile")
        bio = fields.Text(blank=True, default="")

    class Tag(registry.Model):
        name = fields.String(max_length=50, unique=True)

    class Post(registry.Model):
        title = fields.String(max_length=200)
        slug = fields.Slug(unique=True)
        body = fields.Text(blank=True, default="")
        author = fields.ForeignKey(Author, on_delete=CASCADE, related_name="posts")
        tags = fields.ManyToMany(Tag, related_name="posts")
        views = fields.Integer(default=0)
        rating = fields.Decimal(max_digits=4, decimal_places=2, null=True)
        published = fields.DateTime(null=True)
        created = fields.DateTime(auto_now_add=True)
        updated = fields.DateTime(auto_now=True)

    class Comment(registry.Model):
        post = fields.ForeignKey(Post, on_delete=CASCADE, related_name="comments")
        author = fields.ForeignKey(Author, on_delete=SET_NULL, null=True, related_name="comments")
        body = fields.Text()

    return Blog(Author, Profile, Tag, Post, Comment)
