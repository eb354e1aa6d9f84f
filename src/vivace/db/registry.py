"""Registries: which models exist together, their tables, and the database they use.

Models declared with ``Model`` join the default registry. A test (or an app
that wants its own set) makes a ``Registry()`` and declares
``class Note(registry.Model)``, so nothing leaks between registries. An app
binds a registry to its database when the database battery starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..core.exceptions import ConfigError

if TYPE_CHECKING:
    from .database import Database
    from .models import Model as ModelClass

# Named constraints, so migrations can find (and drop) them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Registry:
    def __init__(self, name: str = "models") -> None:
        self.name = name
        self.metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
        self.models: dict[str, type[ModelClass]] = {}
        # The "default" database, and every database by name (see routing.py).
        self.database: Database | None = None
        self.databases: dict[str, Database] = {}
        self.router: Any = None
        # False while one database serves every model: then no routing is done per query.
        self.routed = False
        # Relations waiting for a model not declared yet, by label.
        self.pending: dict[str, list[Any]] = {}
        self._base: type[ModelClass] | None = None

    @property
    def Model(self) -> type[ModelClass]:
        """A ``Model`` base class whose subclasses join this registry."""
        if self._base is None:
            from .models import Model

            self._base = type("Model", (Model,), {"__module__": __name__, "Meta": _abstract_meta(self)})
        return self._base

    def register(self, model: type[ModelClass]) -> None:
        key = model._meta.label_lower
        if key in self.models and self.models[key] is not model:
            raise ConfigError(
                f"model {model._meta.label} is declared twice in registry {self.name!r}; "
                "give one a Meta.label or declare it once"
            )
        self.models[key] = model
        if model._meta.database is not None:
            self.routed = True
        for callback in self.pending.pop(key, []):
            callback(model)

    def unresolved(self) -> list[str]:
        """Labels that relations point at but no model declares."""
        return sorted(self.pending)

    def get_model(self, label: str) -> type[ModelClass]:
        """A model by ``"blog.Post"`` (case-insensitive)."""
        model = self.models.get(label.lower())
        if model is None:
            known = ", ".join(sorted(m._meta.label for m in self.models.values()))
            raise LookupError(f"no model {label!r} in registry {self.name!r}; known: {known}")
        return model

    def __iter__(self) -> Iterator[type[ModelClass]]:
        return iter(list(self.models.values()))

    def bind(
        self, database: Database, databases: dict[str, Database] | None = None, router: Any = None
    ) -> None:
        """Serve these models from ``database`` (and the other named ``databases``, as ``router`` says).

        Refused while another running app holds them.
        """
        holder = self.database
        if holder is not None and holder is not database and holder.serving:
            raise ConfigError(
                f"registry {self.name!r} is already bound to database {self.database.url_for_display}; "
                "an app that needs its own models declares them on its own Registry()"
            )
        from .routing import check_relations

        self.database = database
        self.databases = {database.name: database, **(databases or {})}
        self.router = router
        self.routed = (
            router is not None
            or len(self.databases) > 1
            or any(m._meta.database is not None for m in self.models.values())
        )
        check_relations(self)

    def unbind(self) -> None:
        self.database = None
        self.databases = {}
        self.router = None
        self.routed = False

    def for_read(self, model: type[ModelClass], hint: str | None = None) -> Database:
        """The database ``model`` reads from; ``hint`` is the database of the instance a query starts at."""
        if not self.routed:
            database = self.database  # get(pk=...)'s path: no second call while one database serves all
            return database if database is not None else self.require_database()
        from .routing import route

        return route(self, model, False, hint)

    def for_write(self, model: type[ModelClass], hint: str | None = None) -> Database:
        if not self.routed:
            database = self.database
            return database if database is not None else self.require_database()
        from .routing import route

        return route(self, model, True, hint)

    def named(self, name: str) -> Database:
        """The database called ``name``; an unknown name is an error listing the configured ones."""
        database = self.databases.get(name) if isinstance(name, str) else None
        if database is None:
            self.require_database()
            from .routing import unknown_database

            raise unknown_database(name, self.databases)
        return database

    def require_database(self) -> Database:
        database = self.database
        if database is None:
            raise ConfigError(
                f"the models of registry {self.name!r} have no database yet: they get one when "
                "an app using them starts (TestClient or the server), or call app.db"
            )
        return database


def _abstract_meta(registry: Registry) -> Any:
    class Meta:
        abstract = True

    Meta.registry = registry  # type: ignore[attr-defined]
    return Meta


default_registry = Registry("default")
