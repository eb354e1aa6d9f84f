"""Users' accounts, the part of ``app.auth`` that makes users and sets their passwords.

``Auth`` (battery.py) inherits these methods; they need its ``app``, ``settings``,
``hasher`` and ``user_model``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..db import ValidationError
from .models import UniqueEmail, email_taken
from .passwords import validate_password

if TYPE_CHECKING:
    from ..core.app import App
    from ..core.config import Settings
    from .passwords import PasswordHasher


class Accounts:
    """Create users, hash and check their passwords, hold passwords to the app's rules."""

    app: App
    settings: Settings
    hasher: PasswordHasher
    user_model: Any

    def set_password(self, user: Any, password: str, *, validate: bool = False) -> None:
        """Hash ``password`` into ``user.password`` (not saved).

        ``validate=True`` first holds it to ``password_validators``: a password that breaks
        them raises ``ValidationError({"password": [...]})`` (a 422 out of a handler).
        """
        if validate:
            self.require_valid_password(password, user)
        user.password = self.hasher.hash(password)

    async def aset_password(self, user: Any, password: str, *, validate: bool = False) -> None:
        """``set_password`` for async code: the hash (deliberately slow) runs in the thread pool."""
        if validate:
            self.require_valid_password(password, user)
        user.password = await self.app.pool.run(self.hasher.hash, password)

    def check_password(self, user: Any, password: str) -> bool:
        return self.hasher.verify(getattr(user, "password", "") or "", password)

    def validate_password(self, password: str, user: Any = None) -> list[str]:
        """The messages of the ``password_validators`` that ``password`` breaks."""
        return validate_password(password, self.settings, user)

    def require_valid_password(self, password: str, user: Any = None) -> None:
        """``ValidationError`` on ``password`` listing the rules ``password`` breaks, if any."""
        problems = self.validate_password(password, user)
        if problems:
            raise ValidationError({"password": problems})

    def _new_user(
        self, username: str, password: str | None, email: str, validate: bool, extra: dict[str, Any]
    ) -> Any:
        user = self.user_model(username=username, email=email, **extra)
        if password is not None:
            self.set_password(user, password, validate=validate)
        return user

    def create_user(
        self,
        username: str,
        password: str | None = None,
        *,
        email: str = "",
        validate: bool = False,
        **extra: Any,
    ) -> Any:
        """Make and save a user (sync code); with no password, the user cannot log in with one.

        ``validate=True`` holds the password to ``password_validators`` (see ``set_password``).

        A username or e-mail address taken already raises ``IntegrityError`` naming the field
        (a 409 out of a handler); a user model whose e-mail is not unique in the database gets
        a ``ValidationError`` on ``email`` instead, while the ``unique_email`` setting is on.
        """
        user = self._new_user(username, password, email, validate, extra)
        taken = self._email_query(email)
        if taken is not None and taken.exists():
            raise email_taken()
        user.save()
        return user

    async def acreate_user(
        self,
        username: str,
        password: str | None = None,
        *,
        email: str = "",
        validate: bool = False,
        **extra: Any,
    ) -> Any:
        user = await self.app.pool.run(self._new_user, username, password, email, validate, extra)
        taken = self._email_query(email)
        if taken is not None and await taken.aexists():
            raise email_taken()
        await user.asave()
        return user

    def _email_query(self, email: str) -> Any:
        """The users sharing ``email`` when the app, not the database, must keep addresses unique."""
        model = self.user_model
        if (
            not email
            or not self.settings.unique_email
            or isinstance(model._meta.get_field("email"), UniqueEmail)
        ):
            return None
        return model.objects.filter(email__iexact=email)

    def create_superuser(self, username: str, password: str | None, *, email: str = "", **extra: Any) -> Any:
        return self.create_user(username, password, email=email, is_staff=True, is_superuser=True, **extra)
