"""What a route asks of the auth guard: its decorators' marks, its module's, and the app's settings.

``@csrf_exempt``, ``@token_only`` and ``@csrf_always`` leave a mark on the
endpoint (or on a ``Module``); the guard reads the marks once per route, when
the app builds its stack. The ``token_only`` setting marks every route.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.routing import Route

__all__ = ["MARK", "Policy", "marked"]

MARK = "__vivace_auth__"


class Policy:
    """What a route's decorators ask of the guard."""

    __slots__ = ("csrf_always", "csrf_exempt", "token_only")

    def __init__(self, *, csrf_exempt: bool = False, token_only: bool = False, csrf_always: bool = False):
        self.csrf_exempt = csrf_exempt
        self.token_only = token_only
        self.csrf_always = csrf_always

    @classmethod
    def of(cls, route: Route, *, token_only: bool = False) -> Policy:
        """The marks of ``route``; ``token_only`` (the app's setting) marks it token-only whatever it says."""
        marks: dict[str, Any] = {}
        endpoint: Any = route.endpoint
        while endpoint is not None:
            marks = {**getattr(endpoint, MARK, {}), **marks}
            endpoint = getattr(endpoint, "__wrapped__", None)
        module = route.options.get("module")
        if getattr(module, MARK, {}).get("token_only"):
            marks["token_only"] = True
        return cls(
            csrf_exempt=bool(marks.get("csrf_exempt")),
            token_only=token_only or bool(marks.get("token_only")),
            csrf_always=bool(marks.get("csrf_always")),
        )


def marked(route: Route) -> bool:
    endpoint: Any = route.endpoint
    while endpoint is not None:
        if getattr(endpoint, MARK, None):
            return True
        endpoint = getattr(endpoint, "__wrapped__", None)
    return bool(getattr(route.options.get("module"), MARK, None))
