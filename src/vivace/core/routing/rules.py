"""Route patterns: parsing ``/notes/<int:id>`` once, and building URLs back from it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from ..exceptions import ConfigError
from .converters import Converter

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_methods(methods: Iterable[str], where: str) -> frozenset[str]:
    """The upper-cased method set of a route; GET brings HEAD. ``where`` names the route in errors."""
    if isinstance(methods, str):
        raise ConfigError(f"{where}: methods is a list of names such as [{methods.upper()!r}], not a string")
    found = frozenset(m.upper() for m in methods)
    unknown = found - HTTP_METHODS - {"WEBSOCKET"}
    if unknown:
        raise ConfigError(f"{where}: unknown method(s) {sorted(unknown)}; use {sorted(HTTP_METHODS)}")
    if not found:
        raise ConfigError(f"{where}: no methods given")
    return found | {"HEAD"} if "GET" in found else found


class URLBuildError(LookupError):
    """``url_for`` could not build a URL: unknown name, or missing/invalid parameters."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    converter: Converter
    converter_name: str


Segment = str | Param


def parse_pattern(pattern: str, converters: Mapping[str, type[Converter]]) -> list[Segment]:
    """Split an absolute pattern into static strings and parameters.

    A segment is either all static text or exactly one parameter; a ``path``
    parameter takes the rest of the URL, so it must be the last segment.
    """
    if not pattern.startswith("/"):
        raise ConfigError(f"route path {pattern!r} must start with '/'")
    segments: list[Segment] = []
    names: set[str] = set()
    parts = pattern[1:].split("/")
    for index, part in enumerate(parts):
        if "<" not in part and ">" not in part:
            segments.append(part)
            continue
        if not (part.startswith("<") and part.endswith(">")) or part.count("<") != 1:
            raise ConfigError(
                f"route path {pattern!r}: segment {part!r} must be static text or exactly one "
                "parameter such as <int:id>"
            )
        spec = part[1:-1]
        conv_name, _, name = spec.rpartition(":")
        conv_name = conv_name or "str"
        if not name.isidentifier():
            raise ConfigError(f"route path {pattern!r}: {name!r} is not a valid parameter name")
        if name in names:
            raise ConfigError(f"route path {pattern!r}: parameter {name!r} appears twice")
        if conv_name not in converters:
            known = ", ".join(sorted(converters))
            raise ConfigError(
                f"route path {pattern!r}: unknown converter {conv_name!r} (known: {known}); "
                "register your own with app.add_converter(name, ConverterClass)"
            )
        converter = converters[conv_name]()
        if converter.matches_slashes and index != len(parts) - 1:
            raise ConfigError(
                f"route path {pattern!r}: <{spec}> takes the rest of the path, so it must be last"
            )
        names.add(name)
        segments.append(Param(name, converter, conv_name))
    return segments


@dataclass(eq=False)
class Route:
    """One registered route: its pattern, methods, wrapped handler and name."""

    path: str
    segments: list[Segment]
    methods: frozenset[str]
    endpoint: Callable[..., Any]
    # The endpoint wrapped once at registration: ``await handler(request)`` gives a Response.
    handler: Callable[..., Any]
    name: str | None = None
    # Per-route options that batteries read (body limits, auth flags, OpenAPI data...).
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def is_static(self) -> bool:
        return all(isinstance(s, str) for s in self.segments)

    @property
    def param_names(self) -> list[str]:
        return [s.name for s in self.segments if isinstance(s, Param)]

    def build(self, params: Mapping[str, Any]) -> str:
        """The URL path for ``params``; names not in the pattern go to the query string."""
        parts: list[str] = []
        used: set[str] = set()
        for segment in self.segments:
            if isinstance(segment, str):
                parts.append(quote(segment, safe=_SAFE))
                continue
            if params.get(segment.name) is None:
                raise URLBuildError(
                    f"url_for({self.name!r}) needs parameter {segment.name!r} for {self.path!r}"
                )
            try:
                text = segment.converter.to_url(params[segment.name])
                if "/" in text and not segment.converter.matches_slashes:
                    raise ValueError("a '/' would split the segment")
                segment.converter.to_python(text)
            except ValueError as exc:
                raise URLBuildError(
                    f"url_for({self.name!r}): {segment.name}={params[segment.name]!r} does not "
                    f"fit <{segment.converter_name}:{segment.name}> ({exc})"
                ) from None
            used.add(segment.name)
            safe = _SAFE + "/" if segment.converter.matches_slashes else _SAFE
            parts.append(quote(text, safe=safe))
        url = "/" + "/".join(parts)
        extra = {k: v for k, v in params.items() if k not in used and v is not None}
        if extra:
            url += "?" + urlencode(extra, doseq=True)
        return url


# Characters left unescaped in a built path segment (RFC 3986 pchar minus '/').
_SAFE = "-._~!$&'()*+,;=:@"
