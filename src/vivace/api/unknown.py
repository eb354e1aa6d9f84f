"""Finding fields a body sends that its type does not declare.

msgspec ignores unknown object keys unless a Struct says
``forbid_unknown_fields=True``, and it has no such switch for dataclasses or
TypedDicts. With the ``unknown_fields = "forbid"`` setting, a valid body is
decoded a second time, as plain JSON, and walked beside the type: each key
that no field declares is reported, at any depth, with its place. The walk
costs nothing when the setting is ``"ignore"`` (the default).
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi

from .validation import FieldError, body_error

MAX_REPORTED = 20

_decoder = msgspec.json.Decoder()
_OBJECTS = (mi.StructType, mi.DataclassType, mi.TypedDictType)
_SEQUENCES = (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)


class UnknownFields:
    """Checks decoded bodies of one type for undeclared keys."""

    def __init__(self, annotation: Any) -> None:
        self.info = mi.type_info(annotation)

    def check(self, data: bytes, errors: list[FieldError]) -> None:
        found: list[list[str | int]] = []
        _walk(self.info, _decoder.decode(data), [], found)
        for steps in found:
            errors.append(body_error(steps, f"Unknown field {steps[-1]!r}; it is not part of the schema"))

    @property
    def needed(self) -> bool:
        """Whether the type has any object that could receive an unknown key."""
        return _has_objects(self.info, set())


def _walk(info: Any, value: Any, steps: list[str | int], found: list[list[str | int]]) -> None:
    if len(found) >= MAX_REPORTED:
        return
    if isinstance(info, mi.Metadata):
        _walk(info.type, value, steps, found)
    elif isinstance(info, _OBJECTS):
        if not isinstance(value, dict):
            return
        fields = {f.encode_name: f for f in info.fields}
        tag_field = getattr(info, "tag_field", None)
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                if key != tag_field:
                    found.append([*steps, key])
                continue
            _walk(field.type, item, [*steps, key], found)
    elif isinstance(info, _SEQUENCES):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _walk(info.item_type, item, [*steps, index], found)
    elif isinstance(info, mi.TupleType):
        if isinstance(value, list):
            for index, (item_info, item) in enumerate(zip(info.item_types, value, strict=False)):
                _walk(item_info, item, [*steps, index], found)
    elif isinstance(info, mi.DictType):
        if isinstance(value, dict):
            for key, item in value.items():
                _walk(info.value_type, item, [*steps, key], found)
    elif isinstance(info, mi.UnionType):
        _walk_union(info, value, steps, found)


def _walk_union(info: mi.UnionType, value: Any, steps: list[str | int], found: list[list[str | int]]) -> None:
    types = [t.type if isinstance(t, mi.Metadata) else t for t in info.types]
    if isinstance(value, dict):
        objects = [t for t in types if isinstance(t, _OBJECTS)]
        tagged = [t for t in objects if getattr(t, "tag_field", None) is not None]
        if tagged:
            for candidate in tagged:
                if value.get(getattr(candidate, "tag_field", None)) == getattr(candidate, "tag", None):
                    _walk(candidate, value, steps, found)
                    return
            return
        if len(objects) == 1:
            _walk(objects[0], value, steps, found)
            return
        mappings = [t for t in types if isinstance(t, mi.DictType)]
        if len(mappings) == 1 and not objects:
            _walk(mappings[0], value, steps, found)
    elif isinstance(value, list):
        sequences = [t for t in types if isinstance(t, (*_SEQUENCES, mi.TupleType))]
        if len(sequences) == 1:
            _walk(sequences[0], value, steps, found)


def _has_objects(info: Any, seen: set[int]) -> bool:
    if id(info) in seen:
        return False
    seen.add(id(info))
    if isinstance(info, _OBJECTS):
        return True
    if isinstance(info, mi.Metadata):
        return _has_objects(info.type, seen)
    if isinstance(info, _SEQUENCES):
        return _has_objects(info.item_type, seen)
    if isinstance(info, mi.TupleType):
        return any(_has_objects(t, seen) for t in info.item_types)
    if isinstance(info, mi.DictType):
        return _has_objects(info.value_type, seen)
    if isinstance(info, mi.UnionType):
        return any(_has_objects(t, seen) for t in info.types)
    return False
