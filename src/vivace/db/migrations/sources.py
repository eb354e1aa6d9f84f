"""Where each line of the schema history lives, and which tables it owns.

A project has one history, the branch labelled ``app``, in ``migrations/``
beside the app. A battery that ships its own tables (auth, sessions, the
monitor) keeps their history inside its package and registers it once, at
import time, next to its models::

    from vivace.db.migrations import register

    register("auth", Path(__file__).parent / "migrations")

The branch ``auth`` then owns the tables of every model labelled ``auth``
(``auth.User`` ...), in whichever registry they are declared; a battery
whose models have a ``Registry`` of their own may instead claim all of it
with ``register("shop", folder, registry=shop_registry)``. The project's
branch never creates, alters or drops a table that a battery owns, and a
project revision whose foreign keys point at a battery's table depends on
that battery's latest revision, so Alembic applies them in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.exceptions import ConfigError

if TYPE_CHECKING:
    from ..models import Model
    from ..registry import Registry

__all__ = ["PROJECT", "VERSION_TABLE", "MigrationSource", "owner_of", "register", "sources", "unregister"]

#: The branch label of the project's own history.
PROJECT = "app"
#: The table that records which revisions a database has applied.
VERSION_TABLE = "vivace_migrations"
# Revision ids are "<label>_<NNNN>" and must fit Alembic's version column (32 characters).
MAX_LABEL_LENGTH = 24


@dataclass(frozen=True)
class MigrationSource:
    """A battery's branch: its label, its folder of revisions, and which models it owns."""

    label: str
    directory: Path
    registry: Registry | None = None

    def owns(self, model: type[Model]) -> bool:
        if self.registry is not None:
            return model._meta.registry is self.registry
        return model._meta.label_prefix == self.label


_registered: dict[str, MigrationSource] = {}


def check_label(label: str) -> str:
    if (
        not label
        or len(label) > MAX_LABEL_LENGTH
        or not label.isidentifier()
        or not label.isascii()
        or label != label.lower()
    ):
        raise ConfigError(
            f"migration label {label!r} must be a lower-case identifier of at most "
            f"{MAX_LABEL_LENGTH} characters, such as 'auth'"
        )
    return label


def register(label: str, directory: str | Path, *, registry: Registry | None = None) -> MigrationSource:
    """Keep the history of the models labelled ``label`` (or of all of ``registry``) in ``directory``."""
    check_label(label)
    if label == PROJECT:
        raise ConfigError(f"the migration label {PROJECT!r} is the project's own; choose another")
    source = MigrationSource(label, Path(directory).resolve(), registry)
    existing = _registered.get(label)
    if existing is not None and existing != source:
        raise ConfigError(
            f"the migration label {label!r} is already registered for {existing.directory}; "
            "each battery needs a label of its own"
        )
    _registered[label] = source
    return source


def unregister(label: str) -> None:
    """Forget the source labelled ``label`` (for tests)."""
    _registered.pop(label, None)


def owner_of(model: type[Model]) -> MigrationSource | None:
    """The battery source that owns ``model``'s table, or ``None`` when the project does."""
    for source in _registered.values():
        if source.owns(model):
            return source
    return None


def sources() -> list[MigrationSource]:
    """Every registered battery source, in registration order."""
    return list(_registered.values())
