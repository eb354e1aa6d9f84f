"""``app.db``: the data layer attached to an app.

The ``"default"`` database comes from the ``database_url`` setting, else
the ``DATABASE_URL`` environment variable, else a SQLite file ``db.sqlite3``
beside the app; the ``databases`` setting names more, and a router
(``database_router``, or ``app.db.router = ...``) picks each model's
database (see ``routing.py``). An app uses the default registry's models
(its own, and those of batteries such as auth) unless another running app holds them: a
registry serves one running app at a time and is released at shut-down. A
test or an app with its own ``Registry()`` calls ``app.db.use(registry)``.
Every statement is announced on the app's event bus as ``"db.query"`` (sql,
duration, rowcount, database).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import batteries
from ..core.exceptions import ConfigError
from ..core.types import ASGIApp, Receive, Scope, Send
from .database import Database
from .registry import Registry, default_registry
from .routing import check_router, load_router, tables_for, unknown_database
from .transactions import atomic

if TYPE_CHECKING:
    from ..core.app import App


def database_url(app: App) -> str:
    configured = app.settings.database_url or os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{app.root / 'db.sqlite3'}"


class DataLayer:
    """The databases of one app and the registries bound to them."""

    name = "db"

    def __init__(self, app: App) -> None:
        self.app = app
        settings = app.settings
        self.databases: dict[str, Database] = open_databases(app)
        self.database = self.databases["default"]
        # The databases call the bus's live listener list: nothing is timed until someone listens.
        listeners = app.events.listeners("db.query")
        for database in self.databases.values():
            database.listeners = listeners
        self._router: Any = load_router(settings.database_router)
        self.registries: list[Registry] = []
        app.extend(self)
        if settings.atomic_requests:
            app.add_middleware(AtomicRequests, database=self.database)

    def install(self, app: App) -> None:
        """Nothing more to set up until start-up."""

    @property
    def router(self) -> Any:
        """The object that picks each model's database (``routing.Router``), or None."""
        return self._router

    @router.setter
    def router(self, router: Any) -> None:
        if router is not None:
            check_router(router, "app.db.router")
        self._router = router
        for registry in self.registries:
            if registry.database is self.database:
                self._bind(registry)

    def named(self, name: str) -> Database:
        """The database called ``name``; an unknown name is an error listing the configured ones."""
        database = self.databases.get(name) if isinstance(name, str) else None
        if database is None:
            raise unknown_database(name, self.databases)
        return database

    def _bind(self, registry: Registry) -> None:
        registry.bind(self.database, self.databases, self._router)

    def use(self, registry: Registry) -> None:
        """Bind ``registry``'s models to this app's databases now."""
        self._bind(registry)
        if registry not in self.registries:
            self.registries.append(registry)

    def include(self, registry: Registry) -> None:
        """Bind ``registry`` to this app's databases now if no running app holds it, else at start-up."""
        if registry not in self.registries:
            self.registries.append(registry)
        holder = registry.database
        if holder is None or not holder.serving:
            self._bind(registry)

    def bind_all(self) -> None:
        """Bind every registry this app uses; the default one too unless another running app holds it."""
        if default_registry.models and default_registry not in self.registries:
            holder = default_registry.database
            if holder is None or not holder.serving or owns_default_models(self.app):
                self.include(default_registry)
        for registry in self.registries:
            self._bind(registry)

    def create_all(self) -> None:
        """Create the tables of every bound registry (for scripts and tests; use migrations in projects).

        Each model's table goes to the database it is written to. The app's batteries are
        prepared first, so the tables of those it uses are included.
        """
        self.app.prepare()
        self.bind_all()
        for registry in self.registries:
            for name, database in self.databases.items():
                tables = tables_for(registry, name)
                if tables:
                    database.create_all(registry.metadata, tables)

    def drop_all(self) -> None:
        for registry in self.registries:
            for name, database in self.databases.items():
                tables = tables_for(registry, name)
                if tables:
                    database.drop_all(registry.metadata, tables)

    def atomic(self, using: str = "default") -> atomic:
        """A transaction on the database called ``using``."""
        return atomic(self.named(using))

    async def startup(self, app: App) -> None:
        self.bind_all()
        for database in self.databases.values():
            database.serving = True

    async def shutdown(self, app: App) -> None:
        for database in self.databases.values():
            database.serving = False
            await database.aclose()
            database.close()
        # The models may serve the next app started in this process (tests start many).
        for registry in self.registries:
            if registry.database is self.database:
                registry.unbind()


class AtomicRequests:
    """Each request in one transaction: committed unless the answer is a server error."""

    def __init__(self, app: ASGIApp, database: Database) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def watch(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        block = atomic(self.database)
        await block.__aenter__()
        failed: BaseException | None = None
        try:
            await self.app(scope, receive, watch)
        except BaseException as exc:
            failed = exc
            raise
        finally:
            if failed is None and status >= 500:
                failed = RuntimeError("server error")
            await block.__aexit__(type(failed) if failed else None, failed, None)


def open_databases(app: App) -> dict[str, Database]:
    """The app's databases by name, from ``database_url`` and ``databases``; checked now, opened lazily."""
    settings = app.settings
    options = {
        "pool_size": settings.database_pool_size,
        "pool_timeout": settings.database_pool_timeout,
        "busy_timeout": settings.database_busy_timeout,
        "max_lifetime": settings.database_max_lifetime,
    }
    named = dict(settings.databases)
    if "default" in named and settings.database_url and named["default"] != settings.database_url:
        raise ConfigError(
            f"setting databases['default'] = {named['default']!r} differs from database_url = "
            f"{settings.database_url!r}: give the default database once"
        )
    default = named.pop("default", None) or database_url(app)
    databases = {"default": Database(default, name="default", **options)}
    for name, url in named.items():
        if not name.isidentifier():
            raise ConfigError(
                f"setting databases has the name {name!r}: a database name is a word of letters, "
                "digits and underscores, such as 'replica'"
            )
        if not isinstance(url, str) or not url:
            raise ConfigError(f"setting databases[{name!r}] = {url!r} is invalid: give the database's URL")
        try:
            databases[name] = Database(url, name=name, **options)
        except ConfigError as exc:
            raise ConfigError(f"setting databases[{name!r}]: {exc}") from None
    return databases


def owns_default_models(app: App) -> bool:
    """Whether a model of the default registry is declared in the app's own files."""
    root = app.root.resolve()
    for model in default_registry:
        source = getattr(sys.modules.get(model.__module__), "__file__", None)
        if source and Path(source).resolve().is_relative_to(root):
            return True
    return False


def _start(app: App) -> None:
    if "db" in app.__dict__:
        return
    settings = app.settings
    # Builds the data layer so the app's models get a database, and named databases and a
    # router are checked at start-up rather than at the first query.
    if settings.databases or settings.database_router or owns_default_models(app):
        app.db  # noqa: B018


batteries.provide("db", DataLayer)
# Before the stack is built, so that atomic_requests can still add its middleware.
batteries.on_app_build(_start)
