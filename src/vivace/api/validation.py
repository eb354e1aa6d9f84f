"""Field errors in one shape, whoever found them.

Every problem with a request becomes ``{"in": where, "field": name, "message": what}``:
``where`` is ``path``, ``query``, ``header``, ``cookie`` or ``body``; for a body
``field`` is a dotted path (``items.0.qty``) and ``pointer`` the same place as a
JSON pointer (``/items/0/qty``, RFC 6901). msgspec, pydantic and the models'
``full_clean`` each say it their own way; the functions here translate.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from .constraints import BLANK, BLANK_MESSAGE
from .exceptions import ValidationFailed

FieldError = dict[str, Any]


def error(where: str, field: str, message: str) -> FieldError:
    return {"in": where, "field": field, "message": message}


def body_error(steps: Iterable[str | int], message: str) -> FieldError:
    """An error at ``steps`` inside a body: both a dotted path and a JSON pointer."""
    parts = [str(step) for step in steps]
    pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)
    return {"in": "body", "field": ".".join(parts), "pointer": pointer, "message": message}


def split_msgspec(exc: msgspec.ValidationError) -> tuple[str, list[str | int]]:
    """msgspec's ``"Expected `int` - at `$.items[0].qty`"`` as the message and the steps."""
    text = str(exc)
    message, marker, where = text.rpartition(" - at `")
    if not marker:
        return text, []
    return message, _steps(where.rstrip("`"))


def _steps(path: str) -> list[str | int]:
    """``$.items[0].qty`` as ``["items", 0, "qty"]``; a dict key msgspec hides as ``[...]`` is "*"."""
    steps: list[str | int] = []
    i, n = 1, len(path)  # past the "$"
    while i < n:
        if path[i] == ".":
            end = i + 1
            while end < n and path[end] not in ".[":
                end += 1
            steps.append(path[i + 1 : end])
            i = end
        elif path[i] == "[":
            end = path.find("]", i)
            if end < 0:
                break
            inner = path[i + 1 : end]
            steps.append(int(inner) if inner.isdigit() else "*")
            i = end + 1
        else:
            break
    return steps


_MISSING = "Object missing required field `"


def from_msgspec(exc: msgspec.ValidationError, where: str, prefix: Iterable[str | int] = ()) -> FieldError:
    message, steps = split_msgspec(exc)
    if message.startswith(_MISSING) and message.endswith("`"):
        # The error is the missing field's, not the object's.
        steps = [*steps, message[len(_MISSING) : -1]]
    coded = BLANK if message == BLANK_MESSAGE else None
    if coded is not None:
        message = coded["message"]
    if where == "body":
        found = body_error([*prefix, *steps], message)
    else:
        found = error(where, ".".join(str(s) for s in [*prefix, *steps]), message)
    if coded is not None:
        found["code"] = coded["code"]
    return found


def from_pydantic(exc: Any) -> list[FieldError]:
    """The errors of a pydantic ``ValidationError``, each at its ``loc``."""
    return [body_error(item.get("loc", ()), item.get("msg", "invalid")) for item in exc.errors()]


def from_model_errors(
    errors: Mapping[str, Iterable[str]], prefix: Iterable[str | int] = ()
) -> list[FieldError]:
    """A model's ``ValidationError.errors`` ({field: [messages]}) as body errors.

    ``__all__`` (errors of no single field) is placed at the body itself.
    """
    found: list[FieldError] = []
    for name, messages in errors.items():
        steps = [*prefix] if name == "__all__" else [*prefix, name]
        found.extend(body_error(steps, message) for message in messages)
    return found


def model_validation_error() -> type[Exception] | None:
    """The data layer's ``ValidationError`` class, if the data layer is loaded."""
    module = sys.modules.get("vivace.db.exceptions")
    return getattr(module, "ValidationError", None) if module is not None else None


def as_validation_failed(exc: BaseException) -> ValidationFailed | None:
    """A model's ``ValidationError`` (raised by ``full_clean`` or ``save``) as a 422, else None."""
    cls = model_validation_error()
    if cls is None or not isinstance(exc, cls):
        return None
    return ValidationFailed(from_model_errors(exc.errors))  # type: ignore[attr-defined]


def errors_by_field(exc: Any, messages: Mapping[str, str] | None = None) -> dict[str, list[str]]:
    """``{field: [messages]}`` from an HTTP error's ``errors``: for formatters of other dialects.

    ``messages`` rewords the errors that carry a stable ``code``, in the app's words:
    ``{"blank": "can't be blank", "unique": "has already been taken", "not_found": "not found"}``.
    """
    reworded = messages or {}
    grouped: dict[str, list[str]] = {}
    for item in getattr(exc, "errors", None) or ():
        message = reworded.get(item.get("code"), item.get("message", ""))
        grouped.setdefault(str(item.get("field", "")), []).append(str(message))
    return grouped
