"""The route table: static paths in a dict, dynamic ones in a segment tree.

Matching a static path is one dict lookup. A dynamic path walks the tree one
segment at a time: at each node the static child is tried first, then the
parameter children in registration order, so ``/articles/feed`` beats
``/articles/<slug>`` whatever the order of registration, and among equally
specific routes the first registered wins. Cost grows with the depth of the
path, not with the number of routes.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import ConfigError, MethodNotAllowed, NotFound
from .rules import Param, Route


class Endpoint:
    """The routes sharing one pattern, by method."""

    __slots__ = ("allow", "by_method")

    def __init__(self) -> None:
        self.by_method: dict[str, Route] = {}
        self.allow: list[str] = []

    def add(self, route: Route, methods: frozenset[str]) -> None:
        for method in sorted(methods):
            existing = self.by_method.get(method)
            if existing is not None:
                raise ConfigError(
                    f"{method} {route.path} is already routed to "
                    f"{_describe(existing.endpoint)}; remove one of the two routes"
                )
        for method in methods:
            self.by_method[method] = route
        self.allow = sorted(m for m in self.by_method if m != "WEBSOCKET")


class Node:
    __slots__ = ("endpoint", "params", "rest", "static")

    def __init__(self) -> None:
        self.static: dict[str, Node] = {}
        self.params: list[tuple[Param, Node]] = []
        self.rest: tuple[Param, Endpoint] | None = None
        self.endpoint: Endpoint | None = None

    def child_for(self, param: Param) -> Node:
        # Sharing only the last child keeps the try order equal to the registration
        # order: /a/<int:x>/c registered after /a/<str:y>/c must not be tried first.
        if self.params:
            last, node = self.params[-1]
            if last.name == param.name and type(last.converter) is type(param.converter):
                return node
        node = Node()
        self.params.append((param, node))
        return node


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.static: dict[str, Endpoint] = {}
        # Dynamic patterns already placed: more methods for one pattern share its endpoint.
        self.dynamic: dict[str, Endpoint] = {}
        self.root = Node()

    def add(self, route: Route) -> None:
        if route.is_static:
            endpoint = self.static.setdefault(route.path, Endpoint())
        else:
            endpoint = self.dynamic.get(route.path) or self._place(route)
            self.dynamic[route.path] = endpoint
        endpoint.add(route, route.methods)
        self.routes.append(route)

    def _place(self, route: Route) -> Endpoint:
        """The endpoint of a new dynamic pattern, creating the tree nodes it needs."""
        node = self.root
        for segment in route.segments:
            if isinstance(segment, str):
                node = node.static.setdefault(segment, Node())
            elif segment.converter.matches_slashes:
                if node.rest is None:
                    node.rest = (segment, Endpoint())
                elif node.rest[0].name != segment.name:
                    raise ConfigError(
                        f"{route.path}: another route already takes the rest of the "
                        f"path here as <{node.rest[0].converter_name}:{node.rest[0].name}>"
                    )
                return node.rest[1]
            else:
                node = node.child_for(segment)
        if node.endpoint is None:
            node.endpoint = Endpoint()
        return node.endpoint

    def match(self, method: str, path: str) -> tuple[Route, dict[str, Any]]:
        """The route for ``method`` and ``path`` and its converted parameters.

        Raises ``NotFound``, or ``MethodNotAllowed`` carrying every method that
        the path accepts.
        """
        endpoint = self.static.get(path)
        if endpoint is not None:
            route = endpoint.by_method.get(method)
            if route is not None:
                return route, {}
            allowed = set(endpoint.allow)
        else:
            allowed = set()
        params: dict[str, Any] = {}
        parts = path[1:].split("/") if path.startswith("/") else None
        if parts is not None:
            found = _walk(self.root, parts, 0, method, params, allowed)
            if found is not None:
                return found, params
        if allowed:
            raise MethodNotAllowed(allowed)
        raise NotFound()

    def has_route(self, method: str, path: str) -> bool:
        try:
            self.match(method, path)
        except (NotFound, MethodNotAllowed):
            return False
        return True


def _walk(
    node: Node,
    parts: list[str],
    index: int,
    method: str,
    params: dict[str, Any],
    allowed: set[str],
) -> Route | None:
    if index == len(parts):
        endpoint = node.endpoint
        if endpoint is None:
            return None
        route = endpoint.by_method.get(method)
        if route is None:
            allowed.update(endpoint.allow)
        return route
    segment = parts[index]
    child = node.static.get(segment)
    if child is not None:
        found = _walk(child, parts, index + 1, method, params, allowed)
        if found is not None:
            return found
    for param, child in node.params:
        try:
            value = param.converter.to_python(segment)
        except ValueError:
            continue
        params[param.name] = value
        found = _walk(child, parts, index + 1, method, params, allowed)
        if found is not None:
            return found
        del params[param.name]
    if node.rest is not None:
        param, endpoint = node.rest
        rest = "/".join(parts[index:])
        try:
            value = param.converter.to_python(rest)
        except ValueError:
            return None
        route = endpoint.by_method.get(method)
        if route is None:
            allowed.update(endpoint.allow)
            return None
        params[param.name] = value
        return route
    return None


def _describe(func: Any) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', func)}"
