"""Turning errors into responses: the replaceable formatter, the debug page, the 500 page.

Every error a client sees passes through the app's ``error_formatter``
(``formatter(request, exc) -> Response``). The default answers RFC 9457
problem details in JSON, or a small HTML page to browsers. Unexpected
exceptions become a 500 whose traceback goes to the ``vivace.error`` log only;
with ``debug`` on, a debug page shows it (request headers and query values
that carry secrets are redacted).
"""

from __future__ import annotations

import html
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import HTTPException
from .responses import HTMLResponse, JSONResponse, Response

if TYPE_CHECKING:
    from .requests import Request

ErrorFormatter = Callable[["Request", HTTPException], Response]

logger = logging.getLogger("vivace.error")
security_logger = logging.getLogger("vivace.security")

SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-csrf-token"}
)
_SECRET_WORDS = ("pass", "secret", "token", "key", "auth", "session", "csrf", "signature")
REDACTED = "[redacted]"


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def problem_details(request: Request, exc: HTTPException) -> Response:
    """The default formatter: RFC 9457 JSON, or HTML for browsers."""
    headers = exc.headers
    if wants_html(request):
        page = _PAGE.format(
            title=html.escape(f"{exc.status_code} {exc.title}"),
            body=f"<p>{html.escape(exc.detail)}</p>",
        )
        return HTMLResponse(page, exc.status_code, headers)
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": exc.title,
        "status": exc.status_code,
        "detail": exc.detail,
    }
    if exc.errors is not None:
        problem["errors"] = exc.errors
    response = JSONResponse(problem, exc.status_code, headers)
    response.media_type = "application/problem+json"
    return response


def log_exception(request: Request, exc: BaseException) -> None:
    logger.error(
        "unhandled %s on %s %r (request id %s)",
        type(exc).__name__,
        request.method,
        request.path,
        request.id,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


def server_error(request: Request, exc: BaseException, *, debug: bool) -> Response:
    """The 500 answer: a debug page in development, a plain page with the request id otherwise."""
    if debug:
        return debug_response(request, exc)
    detail = f"The server could not answer this request. Request id: {request.id}"
    return problem_details(request, HTTPException(500, detail))


def debug_response(request: Request, exc: BaseException) -> Response:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    if not wants_html(request):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": f"{type(exc).__name__}: {exc}",
            "traceback": "".join(lines).splitlines(),
        }
        return JSONResponse(body, 500)
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in redacted_headers(request)
    )
    query = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in redacted_query(request)
    )
    page = (
        f"<p><b>{html.escape(type(exc).__name__)}</b>: {html.escape(str(exc))}</p>"
        f"<p>{html.escape(request.method)} {html.escape(request.path)} "
        f"&middot; request id {html.escape(request.id)}</p>"
        f"<h2>Traceback</h2><pre>{html.escape(''.join(lines))}</pre>"
        f"<h2>Query</h2><table>{query}</table>"
        f"<h2>Headers</h2><table>{rows}</table>"
        "<p><small>Shown because debug is on. Never run with debug on in production.</small></p>"
    )
    return HTMLResponse(_PAGE.format(title="500 Internal Server Error", body=page), 500)


def is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redacted_headers(request: Request) -> list[tuple[str, str]]:
    return [
        (name, REDACTED if name in SECRET_HEADERS or is_secret_name(name) else value)
        for name, value in request.headers.items()
    ]


def redacted_query(request: Request) -> list[tuple[str, str]]:
    return [
        (name, REDACTED if is_secret_name(name) else value)
        for name, value in request.query_params.multi_items()
    ]


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}}
pre{{background:#f6f6f6;padding:1rem;overflow:auto}}th{{text-align:left;padding-right:1rem;vertical-align:top}}
td{{word-break:break-all}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""
