"""Errors raised by the data layer.

VivaceError
 └── DatabaseError                  base of every data-layer error
      ├── FieldError                 an unknown field or lookup; lists the model's fields
      ├── ValidationError            values that break field rules: {field: [messages]}
      ├── ObjectDoesNotExist         get() found nothing (each model has its own DoesNotExist)
      ├── MultipleObjectsReturned    get() found more than one row
      ├── IntegrityError             a unique or foreign-key constraint refused the write
      ├── ProtectedError             on_delete=PROTECT/RESTRICT refused a delete
      ├── SyncInAsyncError           a sync database call from the event loop's thread
      └── DatabaseUnavailable        down, unreachable or locked past its timeout: answered 503
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..core.exceptions import HTTPException, VivaceError


class DatabaseError(VivaceError):
    """Base class of the data layer's errors."""


class FieldError(DatabaseError, LookupError):
    """A field or lookup that the model does not have."""


class ValidationError(DatabaseError, ValueError):
    """Field values that break the model's rules, mapped field name → messages.

    ``"__all__"`` holds errors that belong to no single field.
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


class ObjectDoesNotExist(DatabaseError, LookupError):
    """``get()`` matched no row."""


class MultipleObjectsReturned(DatabaseError, LookupError):
    """``get()`` matched more than one row."""


class IntegrityError(DatabaseError):
    """A constraint refused the write; the transaction was rolled back."""

    def __init__(self, message: str, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class ProtectedError(IntegrityError):
    """A delete refused because related rows protect the object."""


class SyncInAsyncError(DatabaseError, RuntimeError):
    """A blocking database call was made on the event loop's thread."""


class DatabaseUnavailable(DatabaseError, HTTPException):
    """The database is down, unreachable or locked: the request gets 503 with Retry-After."""

    status_code = 503

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        HTTPException.__init__(self, 503, detail, headers=[("retry-after", str(retry_after))])
