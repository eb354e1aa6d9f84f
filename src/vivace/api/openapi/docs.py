"""The interactive docs page: Swagger UI, served by the app itself, no internet needed.

The page is vivace's own few lines of HTML; the scripts and styles of
Swagger UI come from the ``swagger-ui-py`` package (the ``api`` extra), which
ships the built files of Swagger UI 5, the first line of Swagger UI that reads
OpenAPI 3.1. They are served from ``<docs_url>/<file>`` with a day of caching;
the page loads nothing from anywhere else, and its start-up script is a file
too, so a ``script-src 'self'`` Content-Security-Policy allows it. Without the
package, ``/docs`` raises ``MissingDependency`` naming the extra.
"""

from __future__ import annotations

import html
import importlib.util
import os
from pathlib import Path

import msgspec

from ...core.exceptions import MissingDependency, NotFound
from ...core.fileresponse import FileResponse
from ...core.responses import HTMLResponse, Response

PACKAGE = "swagger_ui"
DISTRIBUTION = "swagger-ui-py"

# The files the page uses, and nothing else of the package.
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
_CACHE = {"cache-control": "public, max-age=86400"}


def assets_folder() -> Path:
    """Where the installed package keeps Swagger UI's files."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency(DISTRIBUTION, "api")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    if not (folder / "swagger-ui-bundle.js").is_file():
        raise MissingDependency(DISTRIBUTION, "api")
    return folder


def docs_page(title: str, openapi_url: str, base: str) -> Response:
    assets_folder()
    page = _PAGE.format(
        title=html.escape(title),
        css=html.escape(f"{base}/swagger-ui.css"),
        icon=html.escape(f"{base}/favicon-32x32.png"),
        bundle=html.escape(f"{base}/swagger-ui-bundle.js"),
        init=html.escape(f"{base}/init.js"),
    )
    return HTMLResponse(page)


def docs_asset(name: str, openapi_url: str, method: str) -> Response:
    if name == "init.js":
        script = _INIT.replace("URL", msgspec.json.encode(openapi_url).decode())
        return Response(script, headers=_CACHE, media_type="text/javascript")
    media_type = ASSETS.get(name)
    if media_type is None:
        raise NotFound()
    path = assets_folder() / name
    return FileResponse(path, headers=_CACHE, media_type=media_type, stat_result=os.stat(path))


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API docs</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""

_INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: URL,
    dom_id: "#swagger-ui",
    deepLinking: true,
    tryItOutEnabled: true,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
"""
