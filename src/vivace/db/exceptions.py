"""Errors raised by the data layer.

VivaceError
 └── DatabaseError                  base of every data-layer error
      ├── FieldError                 an unknown field or lookup; lists the model's fields
      ├── ValidationError            values that break field rules: {field: [messages]}; answered 422
      ├── ObjectDoesNotExist         get() found nothing (each model has its own DoesNotExist): answered 404
      ├── MultipleObjectsReturned    get() found more than one row
      ├── IntegrityError             a unique or foreign-key constraint refused the write: answered 409
      │    └── ProtectedError        on_delete=PROTECT/RESTRICT refused a delete
      ├── SyncInAsyncError           a sync database call from the event loop's thread
      └── DatabaseUnavailable        down, unreachable or locked past its timeout: answered 503

The errors marked "answered" are also ``HTTPException``s: raised out of a
handler, they reach the client through the app's error formatter (a missing
row is a 404 naming the model, a refused write a 409 naming the unique
fields), never as a 500. A ``ValidationError`` is not one (its ``errors`` is a
mapping) but answers a 422 through ``http_exception()`` all the same.
``@app.errorhandler(Article.DoesNotExist)`` or ``@app.errorhandler(IntegrityError)``
still takes over. Their ``str()`` keeps the full message for logs; the client
sees only ``detail`` and ``errors``, which hold no SQL and no driver text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..core.exceptions import HTTPException, VivaceError


class DatabaseError(VivaceError):
    """Base class of the data layer's errors."""


class FieldError(DatabaseError, LookupError):
    """A field or lookup that the model does not have."""


class ValidationError(DatabaseError, ValueError):
    """Field values that break the model's rules, mapped field name → messages.

    ``"__all__"`` holds errors that belong to no single field. Out of a handler they are
    a 422 with one field error per message (a typed handler's also carry JSON pointers).
    """

    def __init__(self, errors: Mapping[str, Iterable[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors: dict[str, list[str]] = {name: list(messages) for name, messages in errors.items()}
        summary = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())
        super().__init__(summary)

    def as_list(self) -> list[dict[str, str]]:
        """One entry per message, in the shape of the API's field errors."""
        return [{"field": name, "message": m} for name, messages in self.errors.items() for m in messages]

    def http_exception(self) -> HTTPException:
        """The 422 answered when a handler lets this error go: one field error per message."""
        errors = self.as_list()
        plural = "s" if len(errors) != 1 else ""
        detail = f"The request did not validate: {len(errors)} problem{plural}."
        return HTTPException(422, detail, errors=errors)


class ObjectDoesNotExist(DatabaseError, HTTPException, LookupError):
    """``get()`` matched no row: a 404 naming the model ("Article not found") when a handler lets it go.

    The field error is ``{"field": "article", "message": "not found", "code": "not_found"}``, so a
    formatter of another dialect can say it its own way.
    """

    status_code = 404

    def __init__(self, *args: Any) -> None:
        name = type(self).__qualname__.partition(".")[0]
        if name == "ObjectDoesNotExist":
            name = "Object"
        error = {"field": name.lower(), "message": "not found", "code": "not_found"}
        HTTPException.__init__(self, 404, f"{name} not found", errors=[error])
        self.args = args or (f"{name} does not exist",)

    def __str__(self) -> str:
        return str(self.args[0]) if len(self.args) == 1 else str(self.args)


class MultipleObjectsReturned(DatabaseError, LookupError):
    """``get()`` matched more than one row."""


class IntegrityError(DatabaseError, HTTPException):
    """A constraint refused the write; the transaction was rolled back.

    ``constraint`` is the constraint's name (PostgreSQL) or what SQLite names (``table.column``),
    when known. As an HTTP answer it is a 409; a unique constraint that a model declares is named
    by its fields (``fields``), each with the field error
    ``{"field": "email", "message": "already exists", "code": "unique"}``.
    """

    status_code = 409

    def __init__(self, message: str, constraint: str | None = None) -> None:
        self.constraint = constraint
        self.model: Any = None
        self.fields: list[str] = []
        if "unique" in message.lower() and constraint:
            self.model, self.fields = unique_fields(constraint)
        errors = [{"field": name, "message": "already exists", "code": "unique"} for name in self.fields]
        HTTPException.__init__(self, 409, self._detail(), errors=errors or None)
        self.args = (message,)

    def _detail(self) -> str:
        if not self.fields:
            return "The change conflicts with existing data."
        name = self.model._meta.verbose_name
        return f"{name[:1].upper()}{name[1:]} with this {' and '.join(self.fields)} already exists."

    def __str__(self) -> str:
        return str(self.args[0])


class ProtectedError(IntegrityError):
    """A delete refused because related rows protect the object."""


class SyncInAsyncError(DatabaseError, RuntimeError):
    """A blocking database call was made on the event loop's thread."""


class DatabaseUnavailable(DatabaseError, HTTPException):
    """The database is down, unreachable or locked: the request gets 503 with Retry-After."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        HTTPException.__init__(self, 503, detail, headers=[("retry-after", str(retry_after))])


def unique_fields(constraint: str) -> tuple[Any, list[str]]:
    """The model and field names of a unique constraint or index, by what the database called it.

    PostgreSQL names the constraint or index (``uq_app_user_username``); SQLite names the columns
    (``app_user.username, app_user.email``) or, for an index on an expression, ``index 'name'``.
    An unknown name gives ``(None, [])``.
    """
    import sqlalchemy as sa

    from .models import Model

    named = constraint.removeprefix("index ").strip("'\"")
    columns_of_table: dict[str, list[str]] = {}
    if "." in constraint and "'" not in constraint:
        for part in constraint.split(","):
            table, _, column = part.strip().partition(".")
            columns_of_table.setdefault(table, []).append(column)
    for model in _concrete_models(Model):
        table = model._meta.table
        if len(columns_of_table) == 1 and table.name in columns_of_table:
            return model, _field_names(model, columns_of_table[table.name])
        for item in [*table.constraints, *table.indexes]:
            if getattr(item, "name", None) == named and isinstance(item, sa.UniqueConstraint | sa.Index):
                columns = [
                    column.name
                    for expression in getattr(item, "expressions", None) or item.columns
                    for column in sa.sql.visitors.iterate(expression)
                    if isinstance(column, sa.Column)
                ]
                return model, _field_names(model, columns)
    return None, []


def _concrete_models(base: type) -> Iterable[Any]:
    for model in base.__subclasses__():
        if getattr(model._meta, "table", None) is not None:
            yield model
        yield from _concrete_models(model)


def _field_names(model: Any, columns: list[str]) -> list[str]:
    by_column = {field.column: field.name for field in model._meta.concrete_fields}
    return [by_column.get(column, column) for column in dict.fromkeys(columns)]
