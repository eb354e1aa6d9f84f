"""Multi-valued, case-insensitive containers for headers, query strings and forms."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload
from urllib.parse import parse_qsl

V = TypeVar("V")
_T = TypeVar("_T")


class MultiDict(Mapping[str, V], Generic[V]):
    """An immutable mapping that keeps every value of a repeated key.

    ``md[key]`` and ``md.get(key)`` give the last value (what a form with a
    repeated field usually means); ``md.getlist(key)`` gives all of them.
    """

    __slots__ = ("_dict", "_items")

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        self._items = list(items)
        self._dict = {k: v for k, v in self._items}

    def __getitem__(self, key: str) -> V:
        return self._dict[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def getlist(self, key: str) -> list[V]:
        return [v for k, v in self._items if k == key]

    def multi_items(self) -> list[tuple[str, V]]:
        return list(self._items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return sorted(self._items) == sorted(other._items)
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


class QueryParams(MultiDict[str]):
    """The query string, decoded; blank values are kept (``?a=&b=1``)."""

    __slots__ = ()

    def __init__(self, query: str | bytes | Iterable[tuple[str, str]] = "") -> None:
        if isinstance(query, bytes):
            query = query.decode("latin-1")
        if isinstance(query, str):
            super().__init__(parse_qsl(query, keep_blank_values=True, max_num_fields=None))
        else:
            super().__init__(query)


class Headers(Mapping[str, str]):
    """Request headers: case-insensitive, multi-valued, read-only.

    Built from the ASGI ``headers`` list (lower-case byte names); decoded only
    when a header is asked for.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]] | Mapping[str, str] | None = None) -> None:
        if type(raw) is list:
            # The ASGI list itself: the common case, checked first because it is on every request.
            self._raw: list[tuple[bytes, bytes]] = raw
        elif raw is None:
            self._raw = []
        elif isinstance(raw, Mapping):
            self._raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw.items()]
        else:
            self._raw = raw

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        return self._raw

    def __getitem__(self, key: str) -> str:
        name = key.lower().encode("latin-1")
        for k, v in self._raw:
            if k == name:
                return v.decode("latin-1")
        raise KeyError(key)

    @overload
    def get(self, key: str) -> str | None: ...
    @overload
    def get(self, key: str, default: str | _T) -> str | _T: ...
    def get(self, key: str, default: Any = None) -> Any:
        name = key.lower().encode("latin-1")
        for k, v in self._raw:
            if k == name:
                return v.decode("latin-1")
        return default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name = key.lower().encode("latin-1")
        return any(k == name for k, _ in self._raw)

    def getlist(self, key: str) -> list[str]:
        name = key.lower().encode("latin-1")
        return [v.decode("latin-1") for k, v in self._raw if k == name]

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for k, _ in self._raw:
            seen.setdefault(k.decode("latin-1"), None)
        return iter(seen)

    def __len__(self) -> int:
        return len({k for k, _ in self._raw})

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in self._raw]

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"


class MutableHeaders(Headers):
    """Response headers: the same reads as ``Headers`` plus set, add and delete.

    Values are checked when set: a CR, LF or NUL would split the response, so
    it raises ``ValueError`` instead of ever reaching the wire.
    """

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        name, data = _encode_header(key, value)
        self._raw[:] = [(k, v) for k, v in self._raw if k != name]
        self._raw.append((name, data))

    def add(self, key: str, value: str) -> None:
        self._raw.append(_encode_header(key, value))

    def setdefault(self, key: str, value: str) -> str:
        existing = self.get(key)
        if existing is None:
            self.add(key, value)
            return value
        return existing

    def __delitem__(self, key: str) -> None:
        name = key.lower().encode("latin-1")
        self._raw[:] = [(k, v) for k, v in self._raw if k != name]

    def pop(self, key: str, default: str | None = None) -> str | None:
        value = self.get(key, default)
        del self[key]
        return value

    def update(self, other: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        items = other.items() if isinstance(other, Mapping) else other
        for k, v in items:
            self[k] = v


# RFC 9110: a field name is a token; a value has no control character but tab.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def check_header(key: str, value: str) -> None:
    """Raise ``ValueError`` unless ``key: value`` is a header safe to send."""
    _encode_header(key, value)


def _encode_header(key: str, value: str) -> tuple[bytes, bytes]:
    if _HEADER_NAME.fullmatch(key) is None:
        raise ValueError(f"invalid header name {key!r}")
    if _BAD_IN_VALUE.search(value) is not None:
        raise ValueError(
            f"header {key!r} has a CR, LF, NUL or other control character in its value; "
            "refusing to split the response"
        )
    return key.lower().encode("latin-1"), value.encode("latin-1")
