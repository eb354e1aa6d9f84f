"""``app.db``: the data layer attached to an app.

The database comes from the ``database_url`` setting, else the
``DATABASE_URL`` environment variable, else a SQLite file ``db.sqlite3``
beside the app. An app uses the default registry's models (its own, and
those of batteries such as auth) unless another running app holds them: a
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
from ..core.types import ASGIApp, Receive, Scope, Send
from .database import Database
from .registry import Registry, default_registry
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
        self.database = Database(
            database_url(app),
            pool_size=settings.database_pool_size,
            pool_timeout=settings.database_pool_timeout,
            busy_timeout=settings.database_busy_timeout,
            max_lifetime=settings.database_max_lifetime,
        )
        # The database calls the bus's live listener list: nothing is timed until someone listens.
        self.database.listeners = app.events.listeners("db.query")
        self.registries: list[Registry] = []
        app.extend(self)
        if settings.atomic_requests:
            app.add_middleware(AtomicRequests, database=self.database)

    def install(self, app: App) -> None:
        """Nothing more to set up until start-up."""

    def use(self, registry: Registry) -> None:
        """Bind ``registry``'s models to this app's database now."""
        registry.bind(self.database)
        if registry not in self.registries:
            self.registries.append(registry)

    def include(self, registry: Registry) -> None:
        """Bind ``registry`` to this app's database now if no running app holds it, else at start-up."""
        if registry not in self.registries:
            self.registries.append(registry)
        holder = registry.database
        if holder is None or not holder.serving:
            registry.bind(self.database)

    def bind_all(self) -> None:
        """Bind every registry this app uses; the default one too unless another running app holds it."""
        if default_registry.models and default_registry not in self.registries:
            holder = default_registry.database
            if holder is None or not holder.serving or owns_default_models(self.app):
                self.include(default_registry)
        for registry in self.registries:
            registry.bind(self.database)

    def create_all(self) -> None:
        """Create the tables of every bound registry (for scripts and tests; use migrations in projects).

        The app's batteries are prepared first, so the tables of those it uses are included.
        """
        self.app.prepare()
        self.bind_all()
        for registry in self.registries:
            self.database.create_all(registry.metadata)

    def drop_all(self) -> None:
        for registry in self.registries:
            self.database.drop_all(registry.metadata)

    def atomic(self) -> atomic:
        return atomic(self.database)

    async def startup(self, app: App) -> None:
        self.bind_all()
        self.database.serving = True

    async def shutdown(self, app: App) -> None:
        self.database.serving = False
        await self.database.aclose()
        self.database.close()
        # The models may serve the next app started in this process (tests start many).
        for registry in self.registries:
            if registry.database is self.database:
                registry.database = None


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


def owns_default_models(app: App) -> bool:
    """Whether a model of the default registry is declared in the app's own files."""
    root = app.root.resolve()
    for model in default_registry:
        source = getattr(sys.modules.get(model.__module__), "__file__", None)
        if source and Path(source).resolve().is_relative_to(root):
            return True
    return False


def _start(app: App) -> None:
    if "db" not in app.__dict__ and owns_default_models(app):
        app.db  # noqa: B018 - builds the data layer so the app's models get a database


batteries.provide("db", DataLayer)
# Before the stack is built, so that atomic_requests can still add its middleware.
batteries.on_app_build(_start)
