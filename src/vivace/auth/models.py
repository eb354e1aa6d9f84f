"""The built-in tables: users, groups, permissions, sessions, API tokens, login throttling.

All are models of vivace's default registry with the label ``auth``
(tables ``auth_user``, ``auth_group`` ...). Profile fields belong in a model
of the app's own, one-to-one with ``User``::

    class Profile(Model):
        user = OneToOne("auth.User", on_delete=CASCADE, related_name="profile")
        bio = fields.Text(default="")

An app that needs another user table subclasses ``AbstractUser`` and names
it in the ``user_model`` setting before its first migration (see the README
of the auth battery: switching later leaves the rows in ``auth_user``
behind). Sessions and tokens refer to a user by its primary key as text, not
by a foreign key, so they serve any user model, or a table that a
``user_loader`` reads.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..db import ManyToMany, Model, ValidationError, fields
from ..db.migrations import register

__all__ = [
    "APIToken",
    "AbstractUser",
    "AnonymousUser",
    "Group",
    "Permission",
    "SessionRecord",
    "ThrottleRecord",
    "UniqueEmail",
    "User",
]


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Permission(Model):
    """``<label>.<codename>``: ``blog.change_post``; made for every model at start-up."""

    label = fields.String(100)
    codename = fields.String(100)
    name = fields.String(255, default="")

    class Meta:
        label = "auth"
        unique_together = [("label", "codename")]
        ordering = ("label", "codename")

    @property
    def full_name(self) -> str:
        return f"{self.label}.{self.codename}"

    def __str__(self) -> str:
        return self.full_name


class Group(Model):
    name = fields.String(150, unique=True)
    permissions = ManyToMany(Permission)

    class Meta:
        label = "auth"
        ordering = ("name",)

    def __str__(self) -> str:
        return str(self.name)


class PermissionsMixin:
    """``has_perm`` for users with ``is_superuser``, groups and permissions of their own."""

    def _permission_cache(self) -> set[str] | None:
        return self.__dict__.get("_vivace_permissions")

    def _store_permissions(self, names: set[str]) -> set[str]:
        self.__dict__["_vivace_permissions"] = names
        return names

    def _permission_queries(self) -> tuple[Any, Any]:
        name = self._meta.model_name  # type: ignore[attr-defined]
        pk = self.pk  # type: ignore[attr-defined]
        own = Permission.objects.filter(**{name: pk}).values_list("label", "codename")
        grouped = Permission.objects.filter(**{f"group__{name}": pk}).values_list("label", "codename")
        return own, grouped

    def get_all_permissions(self) -> set[str]:
        """``{"blog.change_post", ...}`` from the user's own permissions and its groups' (cached)."""
        cached = self._permission_cache()
        if cached is not None:
            return cached
        own, grouped = self._permission_queries()
        return self._store_permissions({f"{label}.{code}" for label, code in [*own, *grouped]})

    async def aget_all_permissions(self) -> set[str]:
        cached = self._permission_cache()
        if cached is not None:
            return cached
        own, grouped = self._permission_queries()
        rows = [*(await own), *(await grouped)]
        return self._store_permissions({f"{label}.{code}" for label, code in rows})

    def has_perm(self, permission: str) -> bool:
        """Whether the user holds ``"label.codename"``; a superuser holds every one."""
        if not getattr(self, "is_active", False):
            return False
        if getattr(self, "is_superuser", False):
            return True
        return permission in self.get_all_permissions()

    async def ahas_perm(self, permission: str) -> bool:
        if not getattr(self, "is_active", False):
            return False
        if getattr(self, "is_superuser", False):
            return True
        return permission in await self.aget_all_permissions()

    def has_perms(self, permissions: list[str]) -> bool:
        return all(self.has_perm(p) for p in permissions)


class UniqueEmail(fields.Email):
    """An e-mail address that no two rows share, whatever its case; blank addresses are not counted.

    Addresses are kept lowercase (saved as ``alice@example.com`` whatever was typed) and the
    database keeps them unique: a unique index on the column for the rows whose address is not
    blank (``uq_<table>_email``). Two requests racing to register one address cannot both win,
    and the loser's ``IntegrityError`` names the field (a 409 out of a handler).
    """

    def pre_save(self, instance: Any, adding: bool) -> Any:
        value = getattr(instance, self.attname)
        if isinstance(value, str) and value != value.lower():
            value = value.lower()
            setattr(instance, self.attname, value)
        return value

    def on_model_ready(self) -> None:
        assert self.model is not None
        table = self.model._meta.table
        assert table is not None
        column = table.c[self.column]
        given = column != ""
        name = f"uq_{table.name}_{self.column}"
        sa.Index(name, column, unique=True, sqlite_where=given, postgresql_where=given)


def email_taken() -> ValidationError:
    return ValidationError({"email": ["A user with this e-mail address exists already."]})


class AbstractUser(PermissionsMixin, Model):
    """The fields and behaviour of a user; subclass it for a user model of your own."""

    username = fields.String(150, unique=True)
    # Unique in the database whatever its case (blank is allowed for any number of users). A user
    # model that must allow shared addresses declares email = fields.Email(...) instead.
    email = UniqueEmail(blank=True, default="")
    # An argon2id hash; "" for a user who cannot log in with a password.
    password = fields.String(255, blank=True, default="")
    is_active = fields.Boolean(default=True)
    is_staff = fields.Boolean(default=False)
    is_superuser = fields.Boolean(default=False)
    last_login = fields.DateTime(null=True, blank=True)
    date_joined = fields.DateTime(default=now)
    # Reverse names follow the model (Group.user_set, Permission.user_set), so a user model
    # of the app's own can live beside auth.User.
    groups = ManyToMany(Group)
    user_permissions = ManyToMany(Permission)

    class Meta:
        abstract = True

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.pk)

    @property
    def has_usable_password(self) -> bool:
        password = str(self.password or "")
        return password.startswith("$")

    def __str__(self) -> str:
        return str(self.username)


class User(AbstractUser):
    class Meta:
        label = "auth"


class AnonymousUser:
    """``request.user`` when nobody is logged in."""

    pk = None
    id = None
    username = ""
    email = ""
    is_active = False
    is_staff = False
    is_superuser = False
    is_authenticated = False
    is_anonymous = True

    def has_perm(self, permission: str) -> bool:
        return False

    async def ahas_perm(self, permission: str) -> bool:
        return False

    def has_perms(self, permissions: list[str]) -> bool:
        return False

    def get_all_permissions(self) -> set[str]:
        return set()

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return "AnonymousUser"

    def __repr__(self) -> str:
        return "<AnonymousUser>"


class SessionRecord(Model):
    """A server-side session; the key is a SHA-256 of the cookie's id, so a leaked table logs nobody in."""

    key = fields.String(64, primary_key=True)
    data = fields.Text(default="{}")
    user_id = fields.String(64, null=True, blank=True, index=True)
    created = fields.DateTime()
    last_seen = fields.DateTime()
    expires = fields.DateTime(index=True)

    class Meta:
        label = "auth"
        table_name = "auth_session"


class APIToken(Model):
    """A personal API token: its public prefix, and a SHA-256 of its secret (the token is shown once)."""

    prefix = fields.String(16, unique=True)
    digest = fields.String(64)
    user_id = fields.String(64, index=True)
    name = fields.String(100, default="", blank=True)
    scopes = fields.JSON(default=list, blank=True)
    created = fields.DateTime(default=now)
    expires = fields.DateTime(null=True, blank=True)
    last_used = fields.DateTime(null=True, blank=True)

    class Meta:
        label = "auth"
        table_name = "auth_token"

    @property
    def expired(self) -> bool:
        expires: dt.datetime | None = self.expires  # type: ignore[assignment]
        return expires is not None and expires <= now()

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.prefix})"


class ThrottleRecord(Model):
    """Failed logins counted per key (a hash of the account and address) until ``reset_at``."""

    key = fields.String(64, primary_key=True)
    count = fields.Integer(default=0)
    reset_at = fields.DateTime()

    class Meta:
        label = "auth"
        table_name = "auth_throttle"


# The tables above get their history from the auth branch of migrations, shipped in this package.
register("auth", Path(__file__).parent / "migrations")
