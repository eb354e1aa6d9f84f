"""``atomic()``: a transaction as a block or a decorator, sync or async, nested with savepoints.

The outermost block takes a connection, begins, and commits on success or
rolls back on an exception; inner blocks are savepoints, so an inner failure
that is caught undoes only the inner block. Statements inside the block, in
the same thread or task, run on its connection.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from ..core.exceptions import ConfigError
from .database import Database, current_connections

F = TypeVar("F", bound=Callable[..., Any])

_savepoint_ids = itertools.count(1)

# (database, connection, context token of the outermost block, savepoint name of an inner block)
Frame = tuple[Database, Any, Any, "str | None"]
_open_blocks: contextvars.ContextVar[tuple[tuple[Any, Frame], ...]] = contextvars.ContextVar(
    "vivace_atomic_blocks", default=()
)


def _database_of(using: Any) -> Database:
    if isinstance(using, Database):
        return using
    if using is None or isinstance(using, str):
        from .registry import default_registry

        if using is None:
            return default_registry.require_database()
        return default_registry.named(using)  # a database's name, among those of the app serving Model
    database = getattr(using, "db", None)  # an App
    if database is not None and hasattr(database, "database"):
        return database.database  # type: ignore[no-any-return]
    registry_database = getattr(using, "database", None)  # a Registry
    if isinstance(registry_database, Database):
        return registry_database
    raise ConfigError(
        f"atomic(using={using!r}): expected a database's name, a Database, an App or a Registry"
    )


class atomic:
    """``with atomic():``, ``async with atomic():``, ``@atomic`` or ``@atomic(using=db)``.

    ``using`` is a database's name (``"replica"``), a ``Database``, an ``App`` (its default
    database) or a ``Registry``; ``app.db.atomic("replica")`` names one of an app's databases.
    """

    def __init__(self, using: Any = None) -> None:
        if callable(using) and not isinstance(using, Database) and not hasattr(using, "db"):
            # Bare @atomic on a function.
            self.func: Callable[..., Any] | None = using
            self.using: Any = None
            functools.update_wrapper(self, using)
        else:
            self.func = None
            self.using = using

    # Open blocks live in a context variable, so one atomic object (a module-level
    # ``tx = atomic(app)``) can be open in several tasks or threads at once.

    def _push(self, frame: Frame) -> None:
        _open_blocks.set((*_open_blocks.get(), (self, frame)))

    def _pop(self) -> Frame:
        blocks = _open_blocks.get()
        for index in range(len(blocks) - 1, -1, -1):
            owner, frame = blocks[index]
            if owner is self:
                _open_blocks.set(blocks[:index] + blocks[index + 1 :])
                return frame
        raise RuntimeError("atomic block exited that was not entered in this task or thread")

    # Decorator ------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.func is None:
            (func,) = args
            return _decorate(func, self.using)
        return _decorate(self.func, None)(*args, **kwargs)

    # Sync block -----------------------------------------------------------------------

    def __enter__(self) -> atomic:
        database = _database_of(self.using)
        database._guard()
        connections = current_connections.get() or {}
        connection = connections.get(id(database))
        backend = database.backend
        if connection is None:
            connection = backend.acquire()
            try:
                backend.begin(connection)
            except BaseException:
                backend.release(connection)
                raise
            token = current_connections.set({**connections, id(database): connection})
            self._push((database, connection, token, None))
        else:
            name = f"vivace_sp{next(_savepoint_ids)}"
            database.execute(f"SAVEPOINT {name}")
            self._push((database, connection, None, name))
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        database, connection, token, savepoint = self._pop()
        backend = database.backend
        if savepoint is not None:
            if kind is not None:
                database.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            database.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        try:
            backend.run(connection, "ROLLBACK" if kind is not None else "COMMIT", (), False)
        except BaseException:
            if kind is None:
                backend.run(connection, "ROLLBACK", (), False)
            raise
        finally:
            current_connections.reset(token)
            backend.release(connection)

    # Async block ----------------------------------------------------------------------

    async def __aenter__(self) -> atomic:
        database = _database_of(self.using)
        connections = current_connections.get() or {}
        connection = connections.get(id(database))
        backend = database.backend
        if connection is None:
            connection = await backend.aacquire()
            try:
                await backend.abegin(connection)
            except BaseException:
                await backend.arelease(connection)
                raise
            token = current_connections.set({**connections, id(database): connection})
            self._push((database, connection, token, None))
        else:
            name = f"vivace_sp{next(_savepoint_ids)}"
            await database.aexecute(f"SAVEPOINT {name}")
            self._push((database, connection, None, name))
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        database, connection, token, savepoint = self._pop()
        backend = database.backend
        if savepoint is not None:
            if kind is not None:
                await database.aexecute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            await database.aexecute(f"RELEASE SAVEPOINT {savepoint}")
            return
        try:
            await backend.arun(connection, "ROLLBACK" if kind is not None else "COMMIT", (), False)
        except BaseException:
            if kind is None:
                await backend.arun(connection, "ROLLBACK", (), False)
            raise
        finally:
            current_connections.reset(token)
            await backend.arelease(connection)


def _decorate(func: F, using: Any) -> F:
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            async with atomic(using):
                return await func(*args, **kwargs)

        return run_async  # type: ignore[return-value]

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with atomic(using):
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]
