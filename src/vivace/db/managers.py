"""``Model.objects``: the manager where queries start.

Every ``QuerySet`` method is also a method of the manager
(``Post.objects.filter(...)``); ``get(pk=value)`` skips the QuerySet
altogether: one cached statement, one row, one instance.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic

from .expressions import Q
from .query import M, QuerySet, conditions_text
from .select import PkPlan, pk_plan

if TYPE_CHECKING:
    from .database import Database
    from .raw import RawQuery

# Values that get(pk=...) binds directly; others (None, instances, expressions) take the general path.
PK_VALUE_TYPES = frozenset({int, str, uuid.UUID})


class Manager(Generic[M]):
    """``Model.objects``: where queries start."""

    # Whether get_queryset() is Manager's own, all rows: only such a manager takes get(pk=...)'s path.
    _filters_nothing = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._filters_nothing = cls.get_queryset is Manager.get_queryset

    def __init__(self) -> None:
        self.model: type[M] | None = None
        self.name = "objects"

    def contribute_to_class(self, model: type[M], name: str) -> None:
        self.model = model
        self.name = name

    def __get__(self, instance: Any, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError(
                f"{owner.__name__}.{self.name} is reached through the class, not an instance"
            )
        return self

    def get_queryset(self) -> QuerySet[M]:
        assert self.model is not None
        return QuerySet(self.model)

    def _hinted(self, db: str | None) -> Any:
        """Where a relation of an instance from database ``db`` is read: this manager itself while one
        database serves every model (keeping get(pk=...)'s fast path), else a query hinted with ``db``."""
        model = self.model
        if db is None or model is None or not model._meta.registry.routed:
            return self
        query = self.get_queryset()._clone()
        query._hint = db
        return query

    # get(pk=value) skips the QuerySet: one cached statement, one row, one instance. ----------

    def get(self, *args: Q, **conditions: Any) -> M:
        found = self._by_pk(args, conditions)
        if found is None:
            return self.get_queryset().get(*args, **conditions)
        database, plan, params = found
        rows = database.execute(plan.sql, params).rows
        if not rows:
            raise self._does_not_exist(conditions)
        return plan.instance(rows[0], database.name)  # type: ignore[no-any-return]

    async def aget(self, *args: Q, **conditions: Any) -> M:
        found = self._by_pk(args, conditions)
        if found is None:
            return await self.get_queryset().aget(*args, **conditions)
        database, plan, params = found
        rows = (await database.aexecute(plan.sql, params)).rows
        if not rows:
            raise self._does_not_exist(conditions)
        return plan.instance(rows[0], database.name)  # type: ignore[no-any-return]

    def _by_pk(self, args: tuple[Q, ...], conditions: dict[str, Any]) -> tuple[Database, PkPlan, Any] | None:
        """The database, plan and parameters of ``get(pk=value)``, on a manager that filters nothing."""
        if args or len(conditions) != 1 or not self._filters_nothing:
            return None
        ((name, value),) = conditions.items()
        if type(value) not in PK_VALUE_TYPES:
            return None  # None, model instances, F(), booleans...: the general path handles them
        model = self.model
        assert model is not None
        registry = model._meta.registry
        database = registry.database
        if database is None or registry.routed:
            database = registry.for_read(model)
        plan = pk_plan(model, database)
        if name not in plan.names:
            return None
        return database, plan, plan.params(value)

    def _does_not_exist(self, conditions: dict[str, Any]) -> Exception:
        model = self.model
        assert model is not None
        return model.DoesNotExist(
            f"{model.__name__} matching {conditions_text((), conditions)} does not exist"
        )

    def raw(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> RawQuery[M]:
        """Run your own SQL (values always bound as ``params``) and get instances back."""
        assert self.model is not None
        from .raw import RawQuery

        return RawQuery(self.model, sql, params)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in _MANAGER_METHODS:
            raise AttributeError(name)
        return getattr(self.get_queryset(), name)

    def __getitem__(self, key: int | slice) -> Any:
        return self.get_queryset()[key]

    def __await__(self) -> Generator[Any, None, list[M]]:
        return self.get_queryset().__await__()

    def __aiter__(self) -> AsyncIterator[M]:
        return self.get_queryset().__aiter__()

    def __iter__(self) -> Iterator[M]:
        return iter(self.get_queryset())


_MANAGER_METHODS = frozenset(
    name for name in dir(QuerySet) if not name.startswith("_") and name not in ("model",)
)


def _proxy(name: str) -> Any:
    def method(self: Manager[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(QuerySet, name).__doc__
    return method


# Model.objects.get(...) and the other QuerySet methods as real methods: no __getattr__ per call.
for _name in sorted(_MANAGER_METHODS):
    if _name not in Manager.__dict__:
        setattr(Manager, _name, _proxy(_name))
