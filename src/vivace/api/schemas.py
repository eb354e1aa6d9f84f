"""Schemas derived from models: one Struct to answer with, one to create or replace, one to patch.

``Post`` gives three msgspec Structs, built once per model from ``_meta``:

- ``Post``: every column, as the API answers it (a foreign key as the related
  primary key, under the field's name: ``"author": 3``);
- ``PostInput``: the fields a client may set (not the primary key, not
  ``auto_now``/``auto_now_add`` fields, not ``editable=False`` ones); those
  without a default and not nullable are required;
- ``PostPatch``: the same fields, all optional.

Types and bounds come from the fields (``max_length``, integer ranges,
``choices`` as an enumeration, ``null`` as ``| None``), so the OpenAPI
document and the decoder agree with the model; ``full_clean`` still runs
before a write, for the rules a schema cannot say.
"""

from __future__ import annotations

import datetime
import decimal
import typing
import uuid
from typing import Annotated, Any, Literal

import msgspec

from .params import bare, is_model_class

_CACHE: dict[tuple[type, str], type[msgspec.Struct]] = {}


def writable_fields(model: type) -> list[Any]:
    """The fields a client may set: editable, not the primary key, not set by the server."""
    return [
        f
        for f in model._meta.concrete_fields  # type: ignore[attr-defined]
        if f.editable
        and not f.primary_key
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]


def output_struct(model: type) -> type[msgspec.Struct]:
    fields = model._meta.concrete_fields  # type: ignore[attr-defined]
    return _cached(model, "", lambda: _build(model, "", fields, "output"))


def input_struct(model: type) -> type[msgspec.Struct]:
    return _cached(model, "Input", lambda: _build(model, "Input", writable_fields(model), "input"))


def patch_struct(model: type) -> type[msgspec.Struct]:
    return _cached(model, "Patch", lambda: _build(model, "Patch", writable_fields(model), "patch"))


def _cached(
    model: type, suffix: str, build: typing.Callable[[], type[msgspec.Struct]]
) -> type[msgspec.Struct]:
    key = (model, suffix)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = build()
    return found


def _build(model: type, suffix: str, fields: list[Any], mode: str) -> type[msgspec.Struct]:
    specs: list[tuple[str, Any, Any]] = []
    for field in fields:
        annotation = field_type(field)
        if mode == "output" or (mode == "input" and not (field.has_default or field.null)):
            specs.append((field.name, annotation, msgspec.NODEFAULT))
        else:
            specs.append((field.name, annotation | msgspec.UnsetType, msgspec.UNSET))
    required = [s for s in specs if s[2] is msgspec.NODEFAULT]
    optional = [s for s in specs if s[2] is not msgspec.NODEFAULT]
    opts = model._meta  # type: ignore[attr-defined]
    what = {
        "output": f"A {opts.verbose_name}.",
        "input": f"The fields of a {opts.verbose_name} a client may set.",
        "patch": f"Some fields of a {opts.verbose_name}: those given are changed.",
    }[mode]
    return msgspec.defstruct(
        f"{model.__name__}{suffix}",
        [*required, *optional],
        kw_only=True,
        module=model.__module__,
        namespace={"__doc__": what},
    )


def field_type(field: Any) -> Any:
    """The annotation (with msgspec constraints) of one model field's values."""
    target = getattr(field, "target_field", None) if getattr(field, "is_relation", False) else None
    base = (target or field).python_type
    meta: dict[str, Any] = {}
    if base is object:
        annotation: Any = Any
    elif field.choices is not None and all(isinstance(c, (str, int)) for c in field.choices):
        annotation = Literal[tuple(field.choices)]
    else:
        annotation = _SIMPLE.get(base, base)
        source = target or field
        max_length = getattr(source, "max_length", None)
        if max_length is not None and annotation is str:
            meta["max_length"] = max_length
        min_length = getattr(source, "min_length", None)
        if min_length is not None and annotation is str:
            meta["min_length"] = min_length
        if annotation is int:
            low, high = getattr(source, "MIN", None), getattr(source, "MAX", None)
            if getattr(source, "min_value", None) is not None:
                low = max(low, source.min_value) if low is not None else source.min_value
            if getattr(source, "max_value", None) is not None:
                high = min(high, source.max_value) if high is not None else source.max_value
            if low is not None:
                meta["ge"] = low
            if high is not None:
                meta["le"] = high
    if field.help_text:
        meta["description"] = field.help_text
    elif target is not None:
        meta["description"] = f"The {target.name} of the related {field.related_model.__name__}."
    if meta and annotation is not Any:
        annotation = Annotated[annotation, msgspec.Meta(**meta)]
    if field.null:
        annotation = annotation | None
    return annotation


_SIMPLE: dict[Any, Any] = {
    str: str,
    int: int,
    float: float,
    bool: bool,
    bytes: bytes,
    decimal.Decimal: decimal.Decimal,
    datetime.datetime: datetime.datetime,
    datetime.date: datetime.date,
    datetime.time: datetime.time,
    uuid.UUID: uuid.UUID,
}


def substitute_models(annotation: Any) -> Any:
    """``annotation`` with every model class replaced by its output Struct (``list[Post]``...)."""
    if is_model_class(annotation):
        return output_struct(annotation)
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return typing.Annotated[(substitute_models(args[0]), *annotation.__metadata__)]
    if not any(is_model_class(bare(a)) or typing.get_args(a) for a in args if a is not Ellipsis):
        return annotation
    new_args = tuple(a if a is Ellipsis else substitute_models(a) for a in args)
    if origin in (typing.Union,) or type(annotation).__name__ == "UnionType":
        return typing.Union[new_args]  # noqa: UP007 - built from a tuple
    return origin[new_args] if len(new_args) > 1 else origin[new_args[0]]
