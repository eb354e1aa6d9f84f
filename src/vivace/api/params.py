"""Where a handler's parameters come from: the markers, and the rules without them.

A parameter says where its value comes from with a marker in ``Annotated``::

    async def search(
        request,
        q: str,                                           # query (the default for plain values)
        limit: Annotated[int, msgspec.Meta(ge=1, le=100)] = 20,
        tags: list[str] = [],                             # ?tags=a&tags=b
        agent: Annotated[str | None, Header(alias="user-agent")] = None,
        theme: Annotated[str, Cookie()] = "light",
        user: Annotated[User, Depends(current_user)],     # a request-scoped dependency
    ) -> list[Result]: ...

Without a marker: a name in the route's path is a path parameter; a msgspec
``Struct``, dataclass, ``TypedDict``, pydantic model, or a dict or list of them
is the JSON body; an ``UploadFile`` (or a list of them) is a file of a
multipart form; anything else is a query parameter. Bounds and formats are
msgspec's own ``Meta`` constraints, kept in the same ``Annotated``.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal, Union

import msgspec

from ..core.uploads import UploadFile

__all__ = [
    "Body",
    "Cookie",
    "Depends",
    "File",
    "Form",
    "Header",
    "Param",
    "Path",
    "Query",
    "UploadFile",
]


@dataclasses.dataclass(frozen=True)
class Param:
    """Base of the markers: where a value comes from, and what the docs say of it.

    ``alias`` is the name on the wire when it differs from the argument's
    (a header ``x_token`` is read as ``x-token`` unless an alias says otherwise).
    """

    alias: str | None = None
    description: str | None = None
    examples: Sequence[Any] | None = None
    deprecated: bool = False

    where: ClassVar[str] = "query"


@dataclasses.dataclass(frozen=True)
class Query(Param):
    where: ClassVar[str] = "query"


@dataclasses.dataclass(frozen=True)
class Header(Param):
    where: ClassVar[str] = "header"


@dataclasses.dataclass(frozen=True)
class Cookie(Param):
    where: ClassVar[str] = "cookie"


@dataclasses.dataclass(frozen=True)
class Path(Param):
    where: ClassVar[str] = "path"


@dataclasses.dataclass(frozen=True)
class Body(Param):
    """The JSON body; needed only for types that would otherwise be query values."""

    where: ClassVar[str] = "body"


@dataclasses.dataclass(frozen=True)
class Form(Param):
    """A field of a url-encoded or multipart form, or the whole form as a Struct."""

    where: ClassVar[str] = "form"


@dataclasses.dataclass(frozen=True)
class File(Param):
    """A file of a multipart form (an ``UploadFile``, or a list of them)."""

    where: ClassVar[str] = "file"


@dataclasses.dataclass(frozen=True)
class Depends:
    """A value made per request by ``provider``, whose own parameters are resolved like a handler's.

    The provider may be ``def`` (run in the thread pool) or ``async def``, and
    may ``yield`` its value to clean up after the handler (a transaction, a
    connection). Within one request each provider runs once; the value is
    shared by every parameter that asks for it, unless ``use_cache=False``.
    ``security`` names the security schemes (``"bearerAuth"``...) that the
    OpenAPI document lists for operations using this dependency.
    """

    provider: Callable[..., Any]
    use_cache: bool = True
    security: Sequence[str] = ()


Marker = Param | Depends


# Reading annotations -----------------------------------------------------------------------


def split_annotated(annotation: Any) -> tuple[Any, list[Marker]]:
    """The type without vivace's markers (msgspec ``Meta`` kept), and the markers."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation, []
    base, *extras = typing.get_args(annotation)
    markers = [e for e in extras if isinstance(e, (Param, Depends))]
    kept = [e for e in extras if not isinstance(e, (Param, Depends))]
    if not markers:
        return annotation, []
    return (Annotated[(base, *kept)] if kept else base), markers


def bare(annotation: Any) -> Any:
    """The type under any ``Annotated``."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def without_none(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` as ``(X, True)``; other types as ``(type, False)``."""
    inner = bare(annotation)
    if _is_union(inner):
        args = [a for a in typing.get_args(inner) if a is not type(None)]
        if len(args) < len(typing.get_args(inner)):
            if len(args) == 1:
                return args[0], True
            return Union[tuple(args)], True  # noqa: UP007 - built from a tuple
    return annotation, False


def _is_union(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    return origin is Union or origin is types.UnionType


_SEQUENCES = (list, tuple, set, frozenset, Sequence)


def item_type(annotation: Any) -> Any | None:
    """The item type of ``list[X]``, ``tuple[X, ...]``, ``set[X]``; None for other types."""
    inner, _ = without_none(annotation)
    inner = bare(inner)
    origin = typing.get_origin(inner)
    if inner in (list, tuple, set, frozenset):
        return str
    if origin not in _SEQUENCES:
        return None
    args = typing.get_args(inner)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        return None
    return args[0] if args else str


def is_pydantic_model(annotation: Any) -> bool:
    pydantic = sys.modules.get("pydantic")
    return (
        pydantic is not None and isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)
    )


def is_model_class(annotation: Any) -> bool:
    """A vivace.db model class (without importing the data layer)."""
    models = sys.modules.get("vivace.db.models")
    return models is not None and isinstance(annotation, type) and issubclass(annotation, models.Model)


def is_structured(annotation: Any) -> bool:
    """Whether values of this type come as a JSON document rather than a query string."""
    inner, _ = without_none(annotation)
    inner = bare(inner)
    if _is_union(inner):
        return any(is_structured(arg) for arg in typing.get_args(inner))
    if isinstance(inner, type):
        if issubclass(inner, msgspec.Struct) or dataclasses.is_dataclass(inner):
            return True
        if typing.is_typeddict(inner) or is_pydantic_model(inner) or is_model_class(inner):
            return True
        if issubclass(inner, dict):
            return True
    origin = typing.get_origin(inner)
    if origin is dict or origin is Mapping:
        return True
    item = item_type(inner)
    return item is not None and is_structured(item)


def is_upload(annotation: Any) -> bool:
    inner, _ = without_none(annotation)
    inner = bare(inner)
    if inner is UploadFile:
        return True
    item = item_type(inner)
    return item is not None and bare(item) is UploadFile


def is_scalar(annotation: Any) -> bool:
    """Whether a query, header or cookie value of this type can be read from text."""
    inner, _ = without_none(annotation)
    inner = bare(inner)
    if inner in (str, int, float, bool, Any) or typing.get_origin(inner) is Literal:
        return True
    if _is_union(inner):
        return all(is_scalar(arg) for arg in typing.get_args(inner))
    if isinstance(inner, type):
        import datetime
        import decimal
        import uuid

        return issubclass(
            inner, (enum.Enum, datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID)
        )
    return False
