"""``Model.objects.raw(sql, params)``: your own SQL, its rows as model instances."""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .exceptions import FieldError
from .instances import field_reader
from .runner import Operation, Statement, run_async, run_sync

if TYPE_CHECKING:
    from .models import Model

M = TypeVar("M", bound="Model")


class RawQuery(Generic[M]):
    """Rows of your own SQL as instances; columns matched to fields by name."""

    def __init__(self, model: type[M], sql: str, params: Sequence[Any] | dict[str, Any]) -> None:
        self.model = model
        self.sql = sql
        self.params = params

    def _fetch(self) -> Operation[list[M]]:
        database = self.model._meta.registry.for_read(self.model)
        result = yield Statement(self.sql, self.params, raw=True)
        by_column = {f.column: f for f in self.model._meta.concrete_fields}
        by_column.update({f.attname: f for f in self.model._meta.concrete_fields})
        names = result.columns or []
        unknown = [name for name in names if name not in by_column]
        if unknown:
            raise FieldError(
                f"raw(): column(s) {', '.join(unknown)} are not fields of {self.model.__name__}; "
                "alias them to field names"
            )
        fields = [by_column[name] for name in names]
        readers = [field_reader(f, database.vendor) for f in fields]
        attnames = [f.attname for f in fields]
        return [
            self.model.from_row(
                attnames,
                [v if r is None or v is None else r(v) for v, r in zip(row, readers, strict=True)],
                database.name,
            )
            for row in result.rows
        ]

    def __iter__(self) -> Iterator[M]:
        return iter(run_sync(self.model._meta.registry.for_read(self.model), self._fetch()))

    def __await__(self) -> Generator[Any, None, list[M]]:
        return run_async(self.model._meta.registry.for_read(self.model), self._fetch()).__await__()
