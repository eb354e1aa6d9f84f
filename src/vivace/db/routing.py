"""Several named databases: which one each model reads from and writes to.

An app names its databases in settings (``databases={"replica": url}``; the
``"default"`` one is ``database_url``'s). A model is served by, in order:

1. ``QuerySet.using(name)``, ``save(using=name)``... when given;
2. the router's ``db_for_read(model)`` / ``db_for_write(model)``, when the app
   has a router and it returns a name (``None`` falls through);
3. the database of the instance a query starts from (``post.author`` loads the
   author from where the post came from), or that an instance was read from
   (saving it writes it back there);
4. the model's ``Meta.database``;
5. ``"default"``.

Relations stay within one database: a foreign key or many-to-many between
models whose ``Meta.database`` differ is refused when the models are bound,
and so is assigning an instance whose database is not the one the other
instance is written to.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..core.exceptions import ConfigError

if TYPE_CHECKING:
    from .database import Database
    from .models import Model
    from .registry import Registry


class Router:
    """A router to subclass: each method names a database, or returns None to leave the choice alone.

    ``database_router = "myapp.routers:ReadReplica"`` (or ``app.db.router = ReadReplica()``)::

        class ReadReplica(Router):
            def db_for_read(self, model):
                return "replica"
    """

    def db_for_read(self, model: type[Model]) -> str | None:
        return None

    def db_for_write(self, model: type[Model]) -> str | None:
        return None


def unknown_database(name: object, known: Iterable[str]) -> ConfigError:
    names = ", ".join(repr(n) for n in sorted(known))
    return ConfigError(f"no database named {name!r}; the configured databases are: {names}")


def route(registry: Registry, model: type[Model], write: bool, hint: str | None) -> Database:
    router = registry.router
    name = None
    if router is not None:
        name = router.db_for_write(model) if write else router.db_for_read(model)
        if name is not None and name not in registry.databases:
            known = ", ".join(repr(n) for n in sorted(registry.databases))
            kind = "db_for_write" if write else "db_for_read"
            raise ConfigError(
                f"the database router's {kind}({model.__name__}) returned {name!r}, which is not a "
                f"configured database; the configured databases are: {known}"
            )
    if name is None:
        name = hint or model._meta.database
    if name is None:
        return registry.require_database()
    return registry.named(name)


def home(instance: Model) -> str:
    """The database ``instance`` is written to by ``save()``."""
    model = type(instance)
    return model._meta.registry.for_write(model, instance._state.db).name


def check_relation(instance: Model, field_name: str, value: Model) -> None:
    """Refuse to point ``instance`` at a row of another database.

    A new instance not yet tied to a database follows the row it points at (as in Django):
    ``Post(author=author_from_other)`` is saved to "other", unless the router says otherwise.
    """
    if value._state.db is None or not type(instance)._meta.registry.routed:
        return
    theirs = home(value)
    if instance._state.db is None:
        model = type(instance)
        instance._state.db = model._meta.registry.for_write(model, theirs).name
    own = home(instance)
    if own != theirs:
        raise ValueError(
            f"{type(instance).__name__}.{field_name}: cannot point at {type(value).__name__} "
            f"{value.pk!r} of database {theirs!r}; this {type(instance).__name__} is written to "
            f"database {own!r}, and a relation stays within one database"
        )


def check_relations(registry: Registry) -> None:
    """Every relation joins models of one database (by ``Meta.database``), each a configured one."""
    known = ", ".join(repr(n) for n in sorted(registry.databases))
    for model in registry:
        opts = model._meta
        if opts.database is not None and opts.database not in registry.databases:
            raise ConfigError(
                f"{opts.label}: Meta.database = {opts.database!r} is not a configured database; "
                f"the configured databases are: {known} (add it to the databases setting)"
            )
        relations = [f for f in opts.fields if getattr(f, "is_relation", False)] + list(opts.many_to_many)
        for field in relations:
            related = field._related_model
            if related is None:  # named by a label not declared yet: checked once it is bound again
                continue
            mine, theirs = opts.database or "default", related._meta.database or "default"
            if mine != theirs:
                raise ConfigError(
                    f"{opts.label}.{field.name}: {opts.object_name} is on database {mine!r} and "
                    f"{related._meta.object_name} on {theirs!r}; a relation stays within one database: "
                    "give both models the same Meta.database"
                )


def tables_for(registry: Registry, name: str) -> list[sa.Table]:
    """The tables of the models written to database ``name``, in dependency order."""
    wanted = set()
    for model in registry:
        if registry.for_write(model).name == name and model._meta.table is not None:
            wanted.add(model._meta.table)
    return [table for table in registry.metadata.sorted_tables if table in wanted]


def load_router(path: str | None) -> Any:
    """The router the ``database_router`` setting names: ``"package.module:Name"`` (or ``.Name``)."""
    if not path:
        return None
    module_name, sep, attribute = path.partition(":")
    if not sep:
        module_name, _, attribute = path.rpartition(".")
    if not module_name or not attribute:
        raise ConfigError(
            f"setting database_router = {path!r} is invalid: "
            "name a class or an object as 'package.module:Router'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"setting database_router = {path!r}: cannot import {module_name!r}: {exc}"
        ) from None
    found = getattr(module, attribute, None)
    if found is None:
        raise ConfigError(f"setting database_router = {path!r}: module {module_name!r} has no {attribute!r}")
    router = found() if isinstance(found, type) else found
    check_router(router, f"setting database_router = {path!r}")
    return router


def check_router(router: Any, where: str) -> None:
    for method in ("db_for_read", "db_for_write"):
        if not callable(getattr(router, method, None)):
            raise ConfigError(
                f"{where}: a router needs methods db_for_read(model) and db_for_write(model) "
                f"(each returning a database name or None); {router!r} has no {method}()"
            )
