"""vivace: Flask's start with Django's batteries.

``from vivace import App`` is the first line of every app. Names of the core
are imported at once; battery names (``render``...) load their battery on
first use, so ``import vivace`` stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .core.app import App
from .core.exceptions import ConfigError, HTTPException, abort
from .core.module import Module
from .core.requests import Request
from .core.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from .core.routing import Converter, include, path
from .core.websockets import WebSocket, WebSocketDisconnect
from .text import slugify

if TYPE_CHECKING:
    from .core.fileresponse import FileResponse
    from .templates import render

__all__ = [
    "App",
    "ConfigError",
    "Converter",
    "FileResponse",
    "HTMLResponse",
    "HTTPException",
    "JSONResponse",
    "Module",
    "PlainTextResponse",
    "RedirectResponse",
    "Request",
    "Response",
    "StreamingResponse",
    "WebSocket",
    "WebSocketDisconnect",
    "abort",
    "include",
    "path",
    "redirect",
    "render",
    "slugify",
]

__version__ = "0.1.0"

_LAZY = {
    "render": "vivace.templates",
    "FileResponse": "vivace.core.fileresponse",
}


def redirect(url: str, status_code: int = 302) -> RedirectResponse:
    """Redirect to ``url`` (build it with ``app.url_for``)."""
    return RedirectResponse(url, status_code)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vivace' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
