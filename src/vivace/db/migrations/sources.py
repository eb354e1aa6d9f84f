"""Where each line of the schema history lives, and which tables it owns.

A project has one history, the branch labelled ``app``, in ``migrations/``
beside the app. A battery that ships its own tables (auth, sessions, the
monitor) declares them on its own ``Registry`` and registers a source for it
once, at import time, next to its models::

    from vivace.db import Registry
    from vivace.db.migrations import register

    registry = Registry("auth")
    register(registry, label="auth", directory=Path(__file__).parent / "migrations")

When an app uses the battery (``app.db.use(registry)``), its history joins
the app's as a separate Alembic branch labelled ``auth``; the project's
branch never creates, alters or drops a table that a battery owns.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ...core.exceptions import ConfigError

if TYPE_CHECKING:
    from ..registry import Registry

__all__ = ["PROJECT", "VERSION_TABLE", "MigrationSource", "register", "source_for", "sources", "unregister"]

#: The branch label of the project's own history.
PROJECT = "app"
#: The table that records which revisions a database has applied.
VERSION_TABLE = "vivace_migrations"
# Revision ids are "<label>_<NNNN>" and must fit Alembic's version column (32 characters).
MAX_LABEL_LENGTH = 24


@dataclass(frozen=True)
class MigrationSource:
    """One branch of the history: its label, its folder of revisions, the registry whose tables it owns."""

    label: str
    directory: Path
    registry: Registry | None = None

    @property
    def tables(self) -> set[str]:
        if self.registry is None:
            return set()
        return set(self.registry.metadata.tables)


_registered: dict[Registry, MigrationSource] = {}


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


def register(registry: Registry, *, label: str, directory: str | Path) -> MigrationSource:
    """Give the tables of ``registry`` their own history, kept in ``directory`` under ``label``."""
    check_label(label)
    if label == PROJECT:
        raise ConfigError(f"the migration label {PROJECT!r} is the project's own; choose another")
    for existing in _registered.values():
        if existing.label == label and existing.registry is not registry:
            raise ConfigError(
                f"the migration label {label!r} is already registered for registry "
                f"{existing.registry.name if existing.registry else '?'!r}; labels must be unique"
            )
    source = MigrationSource(label, Path(directory).resolve(), registry)
    _registered[registry] = source
    return source


def unregister(registry: Registry) -> None:
    """Forget the source of ``registry`` (for tests)."""
    _registered.pop(registry, None)


def source_for(registry: Registry) -> MigrationSource | None:
    """The source registered for ``registry``, or ``None`` when its tables belong to the project."""
    return _registered.get(registry)


def sources() -> list[MigrationSource]:
    """Every registered battery source, in registration order."""
    return list(_registered.values())
