"""``app.api``: the OpenAPI document, the docs page and model-backed CRUD of one app.

The api battery switches on when an app first gets a typed route (a handler
with annotated parameters or a return annotation, see ``planner``) or first
touches ``app.api``. Such an app serves its OpenAPI 3.1 document at the
``openapi_url`` setting (``/openapi.json``) and the interactive page at
``docs_url`` (``/docs``), routed when the app builds its stack (first request
or start-up), so a route of the app's own at the same path wins. Set either
setting to ``None`` (``VIVACE_DOCS_URL=`` in the environment) to leave it out.
Neither is in the document itself.

The document is built from the routes on its first request and kept: routes
are fixed once the app serves. Its ``servers`` are only those the app lists in
``app.api.servers``; nothing in it ever comes from the request's ``Host``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.exceptions import ConfigError
from ..core.requests import Request
from ..core.responses import Response
from .validation import as_validation_failed, model_validation_error

if TYPE_CHECKING:
    from ..core.app import App

DEFAULT_SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token: Authorization: Bearer <token>",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "The session cookie",
    },
}


class Api:
    """The API side of one app: ``app.api``.

    Attributes an app may set before it serves: ``title``, ``version``,
    ``description``, ``servers`` (a list of ``{"url": ...}``), ``tags`` (a list
    of ``{"name", "description"}``), ``security_schemes`` (OpenAPI security
    scheme objects by name), ``error_schema`` (the JSON schema of an error
    answer: change it with ``app.error_formatter``) and ``error_media_type``.
    """

    name = "api"

    def __init__(self, app: App) -> None:
        self.app = app
        self.title = app.name
        self.version = "0.1.0"
        self.description: str | None = None
        self.servers: list[dict[str, Any]] = []
        self.tags: list[dict[str, Any]] = []
        self.security_schemes: dict[str, dict[str, Any]] = {
            name: dict(scheme) for name, scheme in DEFAULT_SECURITY_SCHEMES.items()
        }
        from .errors import PROBLEM_SCHEMA

        self.error_schema: dict[str, Any] = PROBLEM_SCHEMA
        self.error_media_type = "application/problem+json"
        self.openapi_url = _url_setting(app.settings.openapi_url, "openapi_url")
        self.docs_url = _url_setting(app.settings.docs_url, "docs_url")
        self._document: dict[str, Any] | None = None
        app.extend(self)

    def install(self, app: App) -> None:
        cls = model_validation_error()
        if cls is not None:
            app.error_handlers.setdefault(cls, _model_errors_as_422)

    def mount(self) -> None:
        """Route the document and the docs page; a route of the app's own at the same path wins."""
        app = self.app
        if self.docs_url is not None and self.openapi_url is None:
            raise ConfigError("the docs page (docs_url) needs the OpenAPI document: set openapi_url too")
        if self.openapi_url is not None and not app.router.has_route("GET", self.openapi_url):
            app.add_route(
                self.openapi_url, self._openapi, ("GET",), name="api:openapi", include_in_schema=False
            )
        if self.docs_url is not None and not app.router.has_route("GET", self.docs_url):
            app.add_route(self.docs_url, self._docs, ("GET",), name="api:docs", include_in_schema=False)
            app.add_route(
                self.docs_url.rstrip("/") + "/<asset>",
                self._docs_asset,
                ("GET",),
                name="api:docs_asset",
                include_in_schema=False,
            )

    async def startup(self, app: App) -> None:
        cls = model_validation_error()
        if cls is not None:
            app.error_handlers.setdefault(cls, _model_errors_as_422)

    # The document ------------------------------------------------------------------------

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of the app's routes (built once, then kept)."""
        if self._document is None:
            from .openapi import build_document

            self._document = build_document(self.app, self)
        return self._document

    async def _openapi(self, request: Request) -> Response:
        from .openapi import document_response

        return document_response(self)

    async def _docs(self, request: Request) -> Response:
        from .openapi.docs import docs_page

        assert self.openapi_url is not None and self.docs_url is not None
        root = request.scope.get("root_path", "") or ""
        return docs_page(self.title, root + self.openapi_url, root + self.docs_url.rstrip("/"))

    async def _docs_asset(self, request: Request, asset: str) -> Response:
        from .openapi.docs import docs_asset

        assert self.openapi_url is not None
        root = request.scope.get("root_path", "") or ""
        return docs_asset(asset, root + self.openapi_url, request.method)

    # CRUD -------------------------------------------------------------------------------

    def crud(
        self,
        model: type,
        prefix: str,
        *,
        filters: Sequence[str] = (),
        ordering: Sequence[str] = (),
        permissions: Callable[..., Any] | None = None,
        actions: Sequence[str] | None = None,
        page_size: int = 20,
        max_page_size: int = 100,
        tags: Sequence[str] | None = None,
        name: str | None = None,
    ) -> None:
        """List, retrieve, create, update, patch and delete ``model`` under ``prefix``.

        ``filters`` names the query parameters a list accepts: a field
        (``"status"``, exact match) or a field and lookup (``"created__gte"``).
        ``ordering`` names the fields ``?ordering=-created,title`` may use.
        ``permissions(request, action, obj=None) -> bool`` (sync or async) is
        asked before each action (``list``, ``retrieve``, ``create``,
        ``update``, ``partial_update``, ``delete``); False answers 403.
        ``actions`` keeps only some of them.
        """
        from .crud import register_crud

        register_crud(
            self.app,
            model,
            prefix,
            filters=filters,
            ordering=ordering,
            permissions=permissions,
            actions=actions,
            page_size=page_size,
            max_page_size=max_page_size,
            tags=tags,
            name=name,
        )

    def __repr__(self) -> str:
        return f"<Api of {self.app!r}>"


def _url_setting(value: str | None, setting: str) -> str | None:
    if not value:
        return None
    if not value.startswith("/") or value.startswith("//") or "<" in value:
        raise ConfigError(f"setting {setting} = {value!r} must be a path starting with '/', or none")
    return value


def mount(app: App) -> None:
    """Build hook: an app that switched the api battery on gets its document and docs routes."""
    api = app.__dict__.get("api")
    if isinstance(api, Api):
        api.mount()


def _model_errors_as_422(request: Request, exc: Exception) -> Response:
    converted = as_validation_failed(exc)
    if converted is None:
        raise exc
    raise converted
