"""Routing: one path syntax for the decorator style and the URL-list style."""

from .converters import DEFAULT_CONVERTERS, Converter
from .router import Router
from .rules import Param, Route, URLBuildError, parse_pattern
from .urls import Include, URLEntry, include, path

__all__ = [
    "DEFAULT_CONVERTERS",
    "Converter",
    "Include",
    "Param",
    "Route",
    "Router",
    "URLBuildError",
    "URLEntry",
    "include",
    "parse_pattern",
    "path",
]
