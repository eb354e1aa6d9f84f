"""Ready-made constraints for typed parameters and bodies: ``NonBlank``, ``Int64``.

``NonBlank`` is a string with at least one character that is not white space::

    class Signup(msgspec.Struct):
        username: NonBlank
        bio: str = ""

A blank value is a 422 whose field error carries the stable code ``"blank"``
(``{"field": "username", "message": "must not be blank", "code": "blank"}``),
so an error formatter can say it in the app's own words
(``errors_by_field(exc, {"blank": "can't be blank"})``).

``Int64`` is what a typed ``int`` query, path, header or cookie parameter
becomes when it states no bound of its own: a signed 64-bit integer, the
widest a database column holds, so ``?offset=99999999999999999999999`` is a
422 naming the parameter rather than an overflow deep in a driver. A bound the
handler gives wins; the side it leaves open gets the 64-bit limit.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

import msgspec

__all__ = ["INT64_MAX", "INT64_MIN", "Int64", "NonBlank", "bounded"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

BLANK_PATTERN = r"\S"
NonBlank = Annotated[str, msgspec.Meta(pattern=BLANK_PATTERN, description="Not blank")]
Int64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]

# What msgspec says of a string that fails NonBlank's pattern, and what the client reads instead.
BLANK_MESSAGE = f"Expected `str` matching regex {BLANK_PATTERN!r}"
BLANK = {"message": "must not be blank", "code": "blank"}


def bounded(annotation: Any) -> Any:
    """``annotation`` with every ``int`` in it (alone, optional or in a list) held to 64 bits."""
    if annotation is int:
        return Int64
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return _bounded_annotated(annotation, args[0], args[1:])
    if origin is Union or origin is types.UnionType:
        parts = tuple(bounded(arg) for arg in args)
        return Union[parts] if parts != args else annotation  # noqa: UP007 - built from a tuple
    if origin is list and len(args) == 1:
        item = bounded(args[0])
        return list[item] if item is not args[0] else annotation  # type: ignore[valid-type]
    return annotation


def _bounded_annotated(annotation: Any, base: Any, metadata: tuple[Any, ...]) -> Any:
    if base is not int:
        return annotation
    metas = [m for m in metadata if isinstance(m, msgspec.Meta)]
    missing: dict[str, int] = {}
    if all(m.ge is None and m.gt is None for m in metas):
        missing["ge"] = INT64_MIN
    if all(m.le is None and m.lt is None for m in metas):
        missing["le"] = INT64_MAX
    return Annotated[annotation, msgspec.Meta(**missing)] if missing else annotation
