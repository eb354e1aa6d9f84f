"""Jinja2 templates: ``render(request, "page.html", **context)``.

Each app gets its own environment on first use, searching the app's
``templates/`` folder first, then each registered module's. Autoescape is on
for HTML and XML; compiled templates are cached (and reloaded on change when
``debug`` is on). Templates see ``url_for``, ``static`` and ``request``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2

from ..core.app import App
from ..core.requests import Request
from ..core.responses import HTMLResponse

__all__ = ["Templates", "render", "templates_for"]


class Templates:
    """The Jinja2 environment of one app."""

    name = "templates"

    def __init__(self, app: App) -> None:
        self.app = app
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in app.template_dirs]),
            autoescape=jinja2.select_autoescape(("html", "htm", "xml", "svg", "jinja")),
            auto_reload=app.debug,
            cache_size=1000,
            undefined=jinja2.StrictUndefined if app.debug else jinja2.Undefined,
        )
        self.env.globals.update(url_for=app.url_for, static=self.static_url)
        # Batteries add their globals here (csrf_token from auth, for instance).
        self.context_processors: list[Callable[[Request], Mapping[str, Any]]] = []

    def static_url(self, filename: str) -> str:
        return self.app.url_for("static", filename=filename)

    def render_string(self, name: str | list[str], request: Request | None = None, /, **context: Any) -> str:
        template = self.env.get_or_select_template(list(name) if isinstance(name, list) else name)
        if request is not None:
            context.setdefault("request", request)
            for processor in self.context_processors:
                for key, value in processor(request).items():
                    context.setdefault(key, value)
        return template.render(context)


def templates_for(app: App) -> Templates:
    """The app's template environment, created on first use."""
    templates = app.extensions.get("templates")
    if templates is None:
        templates = app.extensions["templates"] = Templates(app)
    assert isinstance(templates, Templates)
    return templates


def render(
    request: Request,
    name: str | list[str],
    /,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render template ``name`` with ``context`` into an HTML response."""
    html = templates_for(request.app).render_string(name, request, **context)
    return HTMLResponse(html, status, headers)
