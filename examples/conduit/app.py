"""Conduit: the RealWorld API (users, profiles, articles, tags, favorites, comments) on vivace."""

from __future__ import annotations

import secrets
from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from vivace import App, HTTPException, JSONResponse, Module, Request, Response, slugify
from vivace.api import NonBlank, errors_by_field
from vivace.auth import AbstractUser, aauthenticate, login_required
from vivace.db import CASCADE, Count, Model, fields

app = App(
    __name__,
    auth_scheme="Token",
    token_only=True,
    user_model="User",
    login_by="email",
    password_validators=["length"],
)
api = Module("api", __name__)


class User(AbstractUser):
    bio = fields.Text(null=True, blank=True)
    image = fields.String(max_length=1000, null=True, blank=True)
    following = fields.ManyToMany("self", related_name="followers")


class Tag(Model):
    name = fields.String(max_length=100, unique=True)


class Article(Model):
    slug = fields.Slug(max_length=255, unique=True)
    title = fields.String(max_length=255)
    description = fields.Text()
    body = fields.Text()
    author = fields.ForeignKey(User, on_delete=CASCADE, related_name="articles")
    tags = fields.ManyToMany(Tag, related_name="articles")
    favorited_by = fields.ManyToMany(User, related_name="favorites")
    created_at = fields.DateTime(auto_now_add=True)
    updated_at = fields.DateTime(auto_now=True)


class Comment(Model):
    article = fields.ForeignKey(Article, on_delete=CASCADE, related_name="comments")
    author = fields.ForeignKey(User, on_delete=CASCADE, related_name="comments")
    body = fields.Text()
    created_at = fields.DateTime(auto_now_add=True)
    updated_at = fields.DateTime(auto_now=True)


# Request bodies --------------------------------------------------------------------------


class Registration(Struct):
    username: NonBlank
    email: NonBlank
    password: NonBlank


class Credentials(Struct):
    email: NonBlank
    password: NonBlank


class UserChanges(Struct):
    username: NonBlank | UnsetType = UNSET
    email: NonBlank | UnsetType = UNSET
    password: NonBlank | UnsetType = UNSET
    bio: str | UnsetType | None = UNSET
    image: str | UnsetType | None = UNSET


class NewArticle(Struct):
    title: NonBlank
    description: NonBlank
    body: NonBlank
    tagList: list[Annotated[str, Meta(max_length=100)]] = []


class ArticleChanges(Struct):
    title: NonBlank | UnsetType = UNSET
    description: NonBlank | UnsetType = UNSET
    body: NonBlank | UnsetType = UNSET
    tagList: list[Annotated[str, Meta(max_length=100)]] | UnsetType = UNSET


class NewComment(Struct):
    body: NonBlank


class RegistrationBody(Struct):
    user: Registration


class LoginBody(Struct):
    user: Credentials


class UserChangesBody(Struct):
    user: UserChanges


class NewArticleBody(Struct):
    article: NewArticle


class ArticleChangesBody(Struct):
    article: ArticleChanges


class NewCommentBody(Struct):
    comment: NewComment


# Errors in the RealWorld dialect: {"errors": {"field": ["message"]}} ----------------------


def error(status: int, field: str, message: str) -> HTTPException:
    return HTTPException(status, f"{field} {message}", errors=[{"field": field, "message": message}])


WORDS = {"blank": "can't be blank", "unique": "has already been taken", "not_found": "not found"}


def realworld_errors(request: Request, exc: HTTPException) -> Response:
    errors = {
        field.rpartition(".")[2] or "body": texts for field, texts in errors_by_field(exc, WORDS).items()
    }
    if not errors and exc.status_code == 401:
        errors = {"token": ["is invalid" if "authorization" in request.headers else "is missing"]}
    return JSONResponse({"errors": errors or {"body": [exc.detail]}}, exc.status_code, exc.headers)


app.error_formatter = realworld_errors


@app.errorhandler(User.DoesNotExist)
def no_profile(request: Request, exc: User.DoesNotExist) -> None:
    raise error(404, "profile", "not found")


# Users and profiles --------------------------------------------------------------------------


def user_out(user: User) -> dict[str, object]:
    return {
        "user": {
            "username": user.username,
            "email": user.email,
            "bio": user.bio or None,
            "image": user.image or None,
            "token": app.auth.create_jwt(user),
        }
    }


def profile_out(user: User, following: bool) -> dict[str, object]:
    return {
        "username": user.username,
        "bio": user.bio or None,
        "image": user.image or None,
        "following": following,
    }


@api.post("/users", status_code=201)
async def register(request: Request, body: RegistrationBody) -> dict[str, object]:
    new = body.user
    user = await app.auth.acreate_user(new.username, new.password, email=new.email, validate=True)
    return user_out(user)


@api.post("/users/login")
async def log_in(request: Request, body: LoginBody) -> dict[str, object]:
    user = await aauthenticate(request, body.user.email, body.user.password)
    if user is None:
        raise error(401, "credentials", "invalid")
    return user_out(user)


@api.get("/user")
@login_required
async def current_user(request: Request) -> dict[str, object]:
    return user_out(request.user)


@api.put("/user")
@login_required
async def update_user(request: Request, body: UserChangesBody) -> dict[str, object]:
    changes, user = body.user, request.user
    if changes.image and not changes.image.startswith(("https://", "http://")):
        raise error(422, "image", "must be an http or https URL")
    for name in ("username", "email", "bio", "image"):
        value = getattr(changes, name)
        if value is not UNSET:
            setattr(user, name, value or None)
    if changes.password is not UNSET:
        await app.auth.aset_password(user, changes.password, validate=True)
    await user.asave()
    return user_out(user)


async def followed(viewer: User, authors: list[int]) -> set[int]:
    """The users among ``authors`` whom ``viewer`` follows."""
    if not viewer.is_authenticated:
        return set()
    return set(await viewer.following.filter(pk__in=authors).values_list("pk", flat=True))


@api.get("/profiles/<username>")
async def profile(request: Request, username: str) -> dict[str, object]:
    user = await User.objects.aget(username=username)
    return {"profile": profile_out(user, user.pk in await followed(request.user, [user.pk]))}


@api.post("/profiles/<username>/follow")
@login_required
async def follow(request: Request, username: str) -> dict[str, object]:
    user = await User.objects.aget(username=username)
    await request.user.following.aadd(user)
    return {"profile": profile_out(user, True)}


@api.delete("/profiles/<username>/follow")
@login_required
async def unfollow(request: Request, username: str) -> dict[str, object]:
    user = await User.objects.aget(username=username)
    await request.user.following.aremove(user)
    return {"profile": profile_out(user, False)}


# Articles, favorites, tags -------------------------------------------------------------------

Limit = Annotated[int, Meta(ge=1, le=100)]
Offset = Annotated[int, Meta(ge=0)]


def articles() -> object:
    return (
        Article.objects.select_related("author")
        .prefetch_related("tags")
        .annotate(favorites_count=Count("favorited_by", distinct=True))
        .order_by("-created_at", "-pk")
    )


async def articles_out(viewer: User, found: list[Article], *, body: bool = False) -> list[dict[str, object]]:
    following = await followed(viewer, [article.author_id for article in found])
    favorited: set[int] = set()
    if viewer.is_authenticated:
        ids = [article.pk for article in found]
        favorited = set(await viewer.favorites.filter(pk__in=ids).values_list("pk", flat=True))
    return [
        {
            "slug": article.slug,
            "title": article.title,
            "description": article.description,
            **({"body": article.body} if body else {}),
            "tagList": sorted(tag.name for tag in article.tags.all()),
            "createdAt": article.created_at,
            "updatedAt": article.updated_at,
            "favorited": article.pk in favorited,
            "favoritesCount": article.favorites_count,
            "author": profile_out(article.author, article.author_id in following),
        }
        for article in found
    ]


async def article_out(viewer: User, slug: str) -> dict[str, object]:
    article = await articles().aget(slug=slug)
    return {"article": (await articles_out(viewer, [article], body=True))[0]}


async def page_of(viewer: User, query: object, limit: int, offset: int) -> dict[str, object]:
    found = await query[offset : offset + limit]
    return {"articles": await articles_out(viewer, found), "articlesCount": await query.acount()}


@api.get("/articles")
async def list_articles(
    request: Request,
    tag: str | None = None,
    author: str | None = None,
    favorited: str | None = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, object]:
    query = articles()
    if tag is not None:
        query = query.filter(tags__name=tag)
    if author is not None:
        query = query.filter(author__username=author)
    if favorited is not None:
        query = query.filter(favorited_by__username=favorited)
    return await page_of(request.user, query, limit, offset)


@api.get("/articles/feed")
@login_required
async def feed(request: Request, limit: Limit = 20, offset: Offset = 0) -> dict[str, object]:
    return await page_of(request.user, articles().filter(author__followers=request.user.pk), limit, offset)


@api.get("/articles/<slug>")
async def get_article(request: Request, slug: str) -> dict[str, object]:
    return await article_out(request.user, slug)


async def tags_named(names: list[str]) -> list[Tag]:
    return [(await Tag.objects.aget_or_create(name=name))[0] for name in dict.fromkeys(names) if name]


def new_slug(title: str) -> str:
    words = slugify(title, max_length=200)
    return f"{words}-{secrets.token_hex(4)}" if words else secrets.token_hex(8)


@api.post("/articles", status_code=201)
@login_required
async def create_article(request: Request, body: NewArticleBody) -> dict[str, object]:
    new = body.article
    article = await Article.objects.acreate(
        slug=new_slug(new.title),
        title=new.title,
        description=new.description,
        body=new.body,
        author=request.user,
    )
    await article.tags.aset(await tags_named(new.tagList))
    return await article_out(request.user, article.slug)


async def own_article(request: Request, slug: str) -> Article:
    article = await Article.objects.aget(slug=slug)
    if article.author_id != request.user.pk:
        raise error(403, "article", "forbidden")
    return article


@api.put("/articles/<slug>")
@login_required
async def update_article(request: Request, slug: str, body: ArticleChangesBody) -> dict[str, object]:
    changes = body.article
    article = await own_article(request, slug)
    for name in ("title", "description", "body"):
        if getattr(changes, name) is not UNSET:
            setattr(article, name, getattr(changes, name))
    await article.asave()
    if changes.tagList is not UNSET:
        await article.tags.aset(await tags_named(changes.tagList))
    return await article_out(request.user, slug)


@api.delete("/articles/<slug>")
@login_required
async def delete_article(request: Request, slug: str) -> Response:
    await (await own_article(request, slug)).adelete()
    return Response(status_code=204)


@api.post("/articles/<slug>/favorite")
@login_required
async def favorite(request: Request, slug: str) -> dict[str, object]:
    await (await Article.objects.aget(slug=slug)).favorited_by.aadd(request.user)
    return await article_out(request.user, slug)


@api.delete("/articles/<slug>/favorite")
@login_required
async def unfavorite(request: Request, slug: str) -> dict[str, object]:
    await (await Article.objects.aget(slug=slug)).favorited_by.aremove(request.user)
    return await article_out(request.user, slug)


@api.get("/tags")
async def tags(request: Request) -> dict[str, object]:
    return {"tags": await Tag.objects.order_by("name").values_list("name", flat=True)}


# Comments --------------------------------------------------------------------------------------


async def comments_out(viewer: User, found: list[Comment]) -> list[dict[str, object]]:
    following = await followed(viewer, [comment.author_id for comment in found])
    return [
        {
            "id": comment.pk,
            "createdAt": comment.created_at,
            "updatedAt": comment.updated_at,
            "body": comment.body,
            "author": profile_out(comment.author, comment.author_id in following),
        }
        for comment in found
    ]


@api.get("/articles/<slug>/comments")
async def list_comments(request: Request, slug: str) -> dict[str, object]:
    article = await Article.objects.aget(slug=slug)
    found = await article.comments.select_related("author").order_by("-created_at", "-pk")
    return {"comments": await comments_out(request.user, found)}


@api.post("/articles/<slug>/comments", status_code=201)
@login_required
async def add_comment(request: Request, slug: str, body: NewCommentBody) -> dict[str, object]:
    article = await Article.objects.aget(slug=slug)
    comment = await Comment.objects.acreate(article=article, author=request.user, body=body.comment.body)
    return {"comment": (await comments_out(request.user, [comment]))[0]}


@api.delete("/articles/<slug>/comments/<int:id>")
@login_required
async def delete_comment(request: Request, slug: str, id: int) -> Response:
    article = await Article.objects.aget(slug=slug)
    comment = await article.comments.aget(pk=id)
    if comment.author_id != request.user.pk:
        raise error(403, "comment", "forbidden")
    await comment.adelete()
    return Response(status_code=204)


app.register(api, prefix="/api")
