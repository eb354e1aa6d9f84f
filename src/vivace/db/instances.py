"""Rows to model instances: a constructor made once per model, vendor and column position.

The constructor fills an instance's ``__dict__`` with one dict display, each
concrete field read straight from its position in the row; a converter runs
only for the columns whose driver value is not yet the field's Python type
(on SQLite: dates and times, decimals, UUIDs, JSON, booleans).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .models import ModelState

if TYPE_CHECKING:
    from .models import Model

InstanceBuilder = Callable[[Any, "str | None"], Any]


def field_reader(field: Any, vendor: str) -> Any:
    """The converter from the driver's value to the field's Python type, or None if none is needed."""
    target = getattr(field, "target_field", None) if getattr(field, "is_relation", False) else None
    return (target or field).db_reader(vendor)


def instance_builder(model: type[Model], vendor: str, start: int = 0) -> InstanceBuilder:
    """``build(row, db)``: an instance of ``model`` from the row's columns ``start`` onwards."""
    cache = model._meta.path_cache
    key = ("instance builder", vendor, start)
    builder = cache.get(key)
    if builder is None:
        builder = _make_builder(model, vendor, start)
        cache[key] = builder
    return builder  # type: ignore[no-any-return]


def _make_builder(model: type[Model], vendor: str, start: int) -> InstanceBuilder:
    namespace: dict[str, Any] = {"new": object.__new__, "model": model, "State": ModelState}
    items = []
    for offset, field in enumerate(model._meta.concrete_fields):
        index = start + offset
        reader = field_reader(field, vendor)
        if reader is None:
            items.append(f"{field.attname!r}: row[{index}]")
        else:
            namespace[f"read{index}"] = reader
            items.append(
                f"{field.attname!r}: None if (v{index} := row[{index}]) is None else read{index}(v{index})"
            )
    items.append("'_state': State(False, db)")
    source = (
        "def build(row, db):\n"
        "    instance = new(model)\n"
        f"    instance.__dict__ = {{{', '.join(items)}}}\n"
        "    return instance\n"
    )
    exec(compile(source, f"<{model.__name__} from a {vendor} row>", "exec"), namespace)
    return namespace["build"]  # type: ignore[no-any-return]
