"""One operation, two ways to run it.

Operations that need several statements (a fetch plus its prefetches, a
get-or-create) are written once as generators that ``yield`` a ``Statement``
and receive its ``Result``. ``run_sync`` drives them with blocking calls,
``run_async`` with awaits, so the sync and async APIs cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from .database import Database, Result

T = TypeVar("T")


@dataclass(slots=True)
class Statement:
    sql: str
    params: Any
    many: bool = False
    # Savepoint statements only run inside a transaction; outside one each statement stands alone.
    savepoint: bool = False
    # SQL written by hand (Model.objects.raw): the driver's own placeholders, and the result
    # carries its column names to match them to fields.
    raw: bool = False


Operation = Generator[Statement, Result, T]

_EMPTY = Result([], 0)


def run_sync(database: Database, operation: Operation[T]) -> T:
    try:
        statement = next(operation)
        while True:
            if statement.savepoint and database._current() is None:
                result = _EMPTY
            else:
                try:
                    result = database.execute(
                        statement.sql, statement.params, many=statement.many, raw=statement.raw
                    )
                except Exception as exc:
                    statement = operation.throw(exc)
                    continue
            statement = operation.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def run_async(database: Database, operation: Operation[T]) -> T:
    try:
        statement = next(operation)
        while True:
            if statement.savepoint and database._current() is None:
                result = _EMPTY
            else:
                try:
                    result = await database.aexecute(
                        statement.sql, statement.params, many=statement.many, raw=statement.raw
                    )
                except Exception as exc:
                    statement = operation.throw(exc)
                    continue
            statement = operation.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
