"""Path converters: each checks one URL segment and turns it into a Python value.

Converters never use regular expressions on the request path, so a 100 KB
segment costs one linear scan, never backtracking.
"""

from __future__ import annotations

import math
import uuid
from typing import Any, ClassVar

_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
_FLOAT_CHARS = frozenset("0123456789.")


class Converter:
    """Base converter: a non-empty segment, as text.

    Subclasses override ``to_python`` (raise ``ValueError`` to refuse the
    segment, so the router tries the next route) and ``to_url``. Set
    ``matches_slashes = True`` to take the rest of the path.
    """

    matches_slashes: ClassVar[bool] = False
    # Shown in OpenAPI and `vivace routes`.
    openapi_type: ClassVar[str] = "string"

    def to_python(self, value: str) -> Any:
        if not value:
            raise ValueError("empty segment")
        return value

    def to_url(self, value: Any) -> str:
        return str(value)


class StrConverter(Converter):
    pass


class IntConverter(Converter):
    openapi_type = "integer"

    def to_python(self, value: str) -> int:
        # isdigit() alone accepts non-ASCII digits such as "²"; int() would reject 10,000 digits.
        if not (value.isascii() and value.isdigit()) or len(value) > 18:
            raise ValueError(value)
        return int(value)

    def to_url(self, value: Any) -> str:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"expected a non-negative int, got {value!r}")
        return str(value)


class FloatConverter(Converter):
    openapi_type = "number"

    def to_python(self, value: str) -> float:
        if not value or len(value) > 40 or not _FLOAT_CHARS.issuperset(value) or value.count(".") > 1:
            raise ValueError(value)
        result = float(value)
        if not math.isfinite(result):
            raise ValueError(value)
        return result


class SlugConverter(Converter):
    def to_python(self, value: str) -> str:
        if not value or not _SLUG_CHARS.issuperset(value):
            raise ValueError(value)
        return value


class UUIDConverter(Converter):
    """The canonical 8-4-4-4-12 form only; ``uuid.UUID`` alone would also take
    ``urn:``, braces, misplaced hyphens and ``int()`` oddities such as ``_``."""

    def to_python(self, value: str) -> uuid.UUID:
        if len(value) != 36 or value[8] != "-" or value[13] != "-" or value[18] != "-" or value[23] != "-":
            raise ValueError(value)
        digits = value.replace("-", "")
        # isalnum() refuses the "_", "+" and spaces that int() takes; "0x" is refused apart.
        if len(digits) != 32 or not (digits.isascii() and digits.isalnum()) or digits[1] in "xX":
            raise ValueError(value)
        return _uuid_from_int(int(digits, 16))


# UUID keeps its value in two slots; filling them directly skips re-parsing the text,
# which makes the strict converter faster than uuid.UUID(text) alone.
_UUID_SLOTS = {"int", "is_safe"} <= set(getattr(uuid.UUID, "__slots__", ()))
_set_slot = object.__setattr__
_UNKNOWN_SAFETY = uuid.SafeUUID.unknown
_new_uuid = uuid.UUID.__new__


def _uuid_from_int(number: int) -> uuid.UUID:
    if not _UUID_SLOTS:
        return uuid.UUID(int=number)
    result = _new_uuid(uuid.UUID)
    _set_slot(result, "int", number)
    _set_slot(result, "is_safe", _UNKNOWN_SAFETY)
    return result


class PathConverter(Converter):
    """The rest of the path, slashes included (never empty)."""

    matches_slashes = True


DEFAULT_CONVERTERS: dict[str, type[Converter]] = {
    "str": StrConverter,
    "int": IntConverter,
    "float": FloatConverter,
    "slug": SlugConverter,
    "uuid": UUIDConverter,
    "path": PathConverter,
}
