"""The ``App``: an ASGI application that owns its routes, settings and batteries.

Nothing here is global: two apps in one process share no state. A request goes
Host check → middleware (if any) → router → handler → response, errors turned
into responses innermost, so middleware sees every answer.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from . import batteries
from .concurrency import ThreadPool
from .config import Settings, load_settings
from .errors import ErrorFormatter, log_exception, problem_details, security_logger, server_error
from .events import EventBus
from .exceptions import BadRequest, ConfigError, HTTPException, MethodNotAllowed, NotFound
from .handlers import to_response, wrap_handler
from .heap import freeze_once
from .hosts import HostPolicy
from .module import Module, RouteDef, mounted, root_of
from .requests import ClientDisconnect, Request, State
from .responses import RedirectResponse, Response
from .routing import DEFAULT_CONVERTERS, Converter, Route, Router, URLBuildError, parse_pattern
from .secret_key import resolve_secret_key
from .types import ASGIApp, Receive, Scope, Send
from .websockets import WebSocket, WebSocketDisconnect

# The __call__ of responses that send their whole body in one message.
_SENT_WHOLE = Response.__call__

logger = logging.getLogger("vivace")


class Extension(Protocol):
    """What a battery implements to attach to an app.

    ``install`` runs at once; ``startup(app)`` and ``shutdown(app)`` are
    optional coroutines run with the app's life cycle.
    """

    name: str

    def install(self, app: App) -> None: ...


class App(Module):
    """A vivace application.

    ``App(__name__)`` finds ``templates/``, ``static/`` and ``vivace.toml``
    beside the calling module; keyword arguments override settings.
    """

    def __init__(
        self, import_name: str = "__main__", *, root: str | Path | None = None, **settings: Any
    ) -> None:
        root_path = Path(root) if root is not None else root_of(import_name)
        name = import_name.rpartition(".")[2] if import_name != "__main__" else root_path.name or "app"
        self.settings: Settings = load_settings(root_path, settings)
        super().__init__(
            name or "app",
            import_name,
            root=root_path,
            templates_dir=self.settings.templates_dir,
            static_dir=self.settings.static_dir,
        )
        self.import_name = import_name
        self.router = Router()
        self.converters: dict[str, type[Converter]] = dict(DEFAULT_CONVERTERS)
        self.named_routes: dict[str, Route] = {}
        self.pool = ThreadPool(self.settings.thread_pool_size)
        self.events = EventBus()
        self.extensions: dict[str, Any] = {}
        self.state = State({})
        self.modules: list[Module] = []
        self.template_dirs: list[Path] = [self.templates_path]
        self.error_formatter: ErrorFormatter = problem_details
        self._middleware: list[tuple[Callable[..., ASGIApp], dict[str, Any]]] = []
        # Routes and middleware are fixed once the stack is built (first request or start-up).
        self._stack: ASGIApp | None = None
        self._running = 0
        self._prepared_routes = -1
        self._preparing = False
        self._secret_key: str | None = None
        self.hosts = HostPolicy(self.settings.allowed_hosts)
        self._security_headers = _security_headers(self.settings)
        if self.static_path.is_dir():
            self._add_static_route()

    def __getattr__(self, name: str) -> Any:
        # Battery attributes (app.db ...) are built on first use by the battery that offers them.
        if name.startswith("_"):
            raise AttributeError(name)
        factory = batteries.attribute_factories.get(name)
        if factory is None:
            hint = batteries.KNOWN.get(name)
            extra = f"; it comes with {hint}: import it first" if hint else ""
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}{extra}")
        value = factory(self)
        self.__dict__[name] = value
        return value

    @property
    def debug(self) -> bool:
        return self.settings.debug

    @property
    def secret_key(self) -> str:
        """The key batteries sign with; generated into a local file only when debug is on."""
        if self._secret_key is None:
            self._secret_key = resolve_secret_key(self.settings.secret_key, self.debug, self.root)
        return self._secret_key

    # Registration ---------------------------------------------------------------

    def _add(self, definition: RouteDef) -> None:
        if self._stack is not None:
            raise ConfigError(
                f"cannot add route {definition.path!r}: the app has started serving; "
                "declare every route before the first request"
            )
        segments = parse_pattern(definition.path, self.converters)
        params = [s.name for s in segments if not isinstance(s, str)]
        options = dict(definition.options)
        if "WEBSOCKET" in definition.methods:
            if not inspect.iscoroutinefunction(definition.endpoint):
                raise ConfigError(f"websocket route {definition.path!r} needs an 'async def' handler")
            handler: Callable[..., Any] = definition.endpoint
        else:
            converters = {s.name: s.converter for s in segments if not isinstance(s, str)}
            handler = wrap_handler(
                definition.endpoint, params, self.pool, options=options, app=self, path_converters=converters
            )
        route = Route(
            definition.path,
            segments,
            definition.methods,
            definition.endpoint,
            handler,
            definition.name,
            options,
        )
        if definition.module is not None:
            options["module"] = definition.module
        self.router.add(route)
        self.definitions.append(definition)
        if definition.name is not None:
            existing = self.named_routes.get(definition.name)
            if existing is not None and existing.path != route.path:
                raise ConfigError(
                    f"route name {definition.name!r} is used by {existing.path!r} and "
                    f"{route.path!r}; give one of them another name="
                )
            self.named_routes[definition.name] = route

    def add_converter(self, name: str, converter: type[Converter]) -> None:
        """Make ``<name:param>`` available in route paths declared after this call."""
        if not (isinstance(converter, type) and issubclass(converter, Converter)):
            raise ConfigError(f"add_converter({name!r}): expected a Converter subclass")
        self.converters[name] = converter

    def register(self, module: Module, *, prefix: str = "", namespace: str | None = None) -> None:
        """Mount ``module`` under ``prefix``; its route names become ``namespace:name``."""
        if prefix and not prefix.startswith("/"):
            raise ConfigError(f"register({module.name!r}, prefix={prefix!r}): the prefix must start with '/'")
        for definition in mounted(module, prefix or "/", namespace or module.name):
            self._add(definition)
        self._adopt(module)

    def _adopt(self, module: Module) -> None:
        if module not in self.modules:
            self.modules.append(module)
            self.template_dirs.append(module.templates_path)

    def urls(self, entries: Iterable[Any]) -> None:
        entries = list(entries)
        super().urls(entries)
        from .routing.urls import Include

        def modules_in(items: Iterable[Any]) -> Iterable[Module]:
            for entry in items:
                view = entry.view
                if isinstance(view, Include):
                    if view.module is not None:
                        yield view.module
                    elif view.entries is not None:
                        yield from modules_in(view.entries)

        for module in modules_in(entries):
            self._adopt(module)

    def _add_static_route(self) -> None:
        from .staticfiles import StaticFiles

        files = StaticFiles(self.static_path)

        def static(request: Request, filename: str) -> Response:
            return files.response(filename, method=request.method)

        url = self.settings.static_url
        if not (url.startswith("/") and url.endswith("/")):
            raise ConfigError(f"setting static_url = {url!r} must start and end with '/'")
        self.add_route(url + "<path:filename>", static, ("GET",), name="static")

    def add_middleware(self, middleware: Callable[..., ASGIApp], **options: Any) -> None:
        """Wrap the app in ``middleware(app, **options)``; the last added runs first."""
        if self._stack is not None:
            raise ConfigError("cannot add middleware after the app has started serving")
        self._middleware.append((middleware, options))

    def extend(self, extension: Extension) -> Extension:
        """Attach a battery: it installs now, starts and stops with the app."""
        if extension.name in self.extensions:
            raise ConfigError(f"extension {extension.name!r} is already installed")
        self.extensions[extension.name] = extension
        extension.install(self)
        return extension

    # URLs --------------------------------------------------------------------

    def url_for(self, name: str, /, **params: Any) -> str:
        """The path of the route called ``name`` (``"blog:detail"``); extra params go to the query."""
        route = self.named_routes.get(name)
        if route is None:
            raise URLBuildError(f"no route is named {name!r}")
        return route.build(params)

    # Serving -----------------------------------------------------------------

    def prepare(self) -> None:
        """Let the batteries the app uses add their routes and middleware.

        Runs before the first request or start-up, and again there if routes
        were added since; commands that need to know which batteries an app
        uses (``vivace migrate``, ``app.db.create_all()``) call it too.
        """
        if self._preparing or self._prepared_routes == len(self.router.routes):
            return
        self._preparing = True
        try:
            for battery_hook in list(batteries.build_hooks):
                battery_hook(self)
        finally:
            self._preparing = False
        # Routes added after this run the hooks again when the stack is built.
        self._prepared_routes = len(self.router.routes)

    def _build_stack(self) -> ASGIApp:
        self.prepare()
        app: ASGIApp = self._dispatch
        for middleware, options in self._middleware:
            app = middleware(app, **options)
        return app

    async def startup(self) -> None:
        """Run the start-up hooks; each start is paired with one ``shutdown()``.

        Starts nest (two test clients on one app): only the first start and
        the last shutdown run the hooks.
        """
        self._running += 1
        if self._running > 1:
            return
        if self._stack is None:
            self._stack = self._build_stack()
        started: list[Any] = []
        try:
            for battery_hook in list(batteries.start_hooks):
                battery_hook(self)
            for extension in list(self.extensions.values()):
                start = getattr(extension, "startup", None)
                if start is not None:
                    await start(self)
                started.append(extension)
            for hook in [*self.startup_hooks, *(h for m in self.modules for h in m.startup_hooks)]:
                await _call_hook(hook)
            if self.settings.gc_freeze:
                freeze_once()
        except BaseException:
            # A failed start leaves nothing running: what started is stopped again.
            self._running = 0
            for extension in reversed(started):
                stop = getattr(extension, "shutdown", None)
                if stop is not None:
                    await stop(self)
            raise

    async def shutdown(self) -> None:
        if not self._running:
            return
        self._running -= 1
        if self._running:
            return
        hooks = [*self.shutdown_hooks, *(h for m in self.modules for h in m.shutdown_hooks)]
        for hook in reversed(hooks):
            await _call_hook(hook)
        for extension in reversed(list(self.extensions.values())):
            stop = getattr(extension, "shutdown", None)
            if stop is not None:
                await stop(self)
        self.pool.shutdown()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._stack is None:
            self._stack = self._build_stack()
        host = self.hosts.allowed_host(scope["headers"])
        if host is None:
            await self._refuse_host(scope, receive, send)
            return
        if self.settings.https_redirect and scope.get("scheme") in ("http", "ws"):
            await self._to_https(scope, receive, send, host)
            return
        await self._stack(scope, receive, send)

    async def _to_https(self, scope: Scope, receive: Receive, send: Send, host: bytes) -> None:
        """Send a plain-HTTP request to the same URL over HTTPS (the host was checked already)."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        name = host.decode("ascii").rsplit(":", 1)[0] if not host.startswith(b"[") else host.decode("ascii")
        path = quote(scope.get("root_path", "") + scope["path"], safe="/-._~!$&'()*+,;=:@")
        query = scope.get("query_string", b"").decode("latin-1")
        location = f"https://{name}{path}" + (f"?{query}" if query else "")
        response = RedirectResponse(location, 301 if scope.get("method") in ("GET", "HEAD") else 308)
        response.default_headers = self._security_headers
        await response(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._dispatch_websocket(scope, receive, send)
            return
        request = Request(scope, receive, self)
        try:
            method = scope["method"]
            if method == "WEBSOCKET":
                # The router's name for websocket routes is not a method HTTP clients may use.
                raise MethodNotAllowed(())
            route, request.path_params = self.router.match(method, scope["path"])
            request.route = route
            response = await route.handler(request)
        except ClientDisconnect:
            return
        except Exception as exc:
            response = await self.handle_exception(request, exc)
        response.default_headers = self._security_headers
        try:
            if type(response).__call__ is _SENT_WHOLE:
                # A body known up front is sent from here: a coroutine less per request.
                start, body = response.messages(scope)
                await send(start)
                await send(body)
            else:
                await response(scope, receive, send)
        finally:
            if request._form is not None:
                await request.close()

    async def handle_exception(self, request: Request, exc: Exception) -> Response:
        """The response for ``exc``: a registered handler, the formatter, or a 500."""
        if isinstance(exc, NotFound) and request.route is None:
            redirect = self._slash_redirect(request)
            if redirect is not None:
                return redirect
        handler = self._find_error_handler(request, exc)
        if handler is not None:
            try:
                result = handler(request, exc)
                if inspect.isawaitable(result):
                    result = await result
                return to_response(result)
            except Exception as inner:
                exc = inner
        if not isinstance(exc, HTTPException):
            # An error that knows its HTTP answer (the data layer's ValidationError is a 422).
            answer = getattr(exc, "http_exception", None)
            if callable(answer):
                exc = answer()
        if isinstance(exc, HTTPException):
            formatter = self._formatter_for(request)
            return formatter(request, exc)
        log_exception(request, exc)
        return server_error(request, exc, debug=self.settings.debug)

    def _find_error_handler(self, request: Request, exc: Exception) -> Callable[..., Any] | None:
        module = request.route.options.get("module") if request.route is not None else None
        tables = [module.error_handlers, self.error_handlers] if module else [self.error_handlers]
        for table in tables:
            if not table:
                continue
            for cls in type(exc).__mro__:
                if cls in table:
                    return table[cls]
            if isinstance(exc, HTTPException) and exc.status_code in table:
                return table[exc.status_code]
        return None

    def _formatter_for(self, request: Request) -> ErrorFormatter:
        module = request.route.options.get("module") if request.route is not None else None
        if module is not None and module.error_formatter is not None:
            return module.error_formatter  # type: ignore[no-any-return]
        return self.error_formatter

    def _slash_redirect(self, request: Request) -> Response | None:
        """Redirect ``/notes`` to ``/notes/`` (or back) when only the other one is routed."""
        if self.settings.trailing_slash != "redirect":
            return None
        path = request.path
        other = path[:-1] if path.endswith("/") else path + "/"
        # "//evil.com/" or "/\evil.com" would leave the site once used as a Location.
        if not other.startswith("/") or other.startswith(("//", "/\\")) or "\\" in other:
            return None
        method = request.method
        if not self.router.has_route(method, other):
            return None
        location = self_root(request) + quote(other, safe="/-._~!$&'()*+,;=:@")
        if request.query_string:
            location += "?" + request.query_string
        return RedirectResponse(location, 301 if method in ("GET", "HEAD") else 308)

    async def _refuse_host(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent = [value for name, value in scope["headers"] if name == b"host"]
        shown = repr(sent[0][:100].decode("latin-1")) if len(sent) == 1 else "missing or repeated"
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        security_logger.warning("refused Host %s on %s %r", shown, scope.get("method"), scope.get("path"))
        request = Request(scope, receive, self)
        detail = "Invalid Host header; add the host to the allowed_hosts setting"
        response = self.error_formatter(request, BadRequest(detail))
        response.default_headers = self._security_headers
        await response(scope, receive, send)

    async def _dispatch_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send, self)
        try:
            route, params = self.router.match("WEBSOCKET", scope["path"])
        except (NotFound, MethodNotAllowed):
            await send({"type": "websocket.close", "code": 1000})
            return
        websocket.path_params = params
        try:
            await route.handler(websocket, **params)
        except WebSocketDisconnect:
            return
        except Exception:
            logger.exception("unhandled error in websocket handler for %r", scope["path"])
            if not websocket.closed:
                await websocket.close(1011)
            return
        if not websocket.closed:
            await websocket.close()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                await self.startup()
            except BaseException as exc:
                logger.exception("start-up failed")
                await send({"type": "lifespan.startup.failed", "message": f"{type(exc).__name__}: {exc}"})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        if message["type"] == "lifespan.shutdown":
            try:
                await self.shutdown()
            except BaseException as exc:
                logger.exception("shut-down failed")
                await send({"type": "lifespan.shutdown.failed", "message": f"{type(exc).__name__}: {exc}"})
                return
            await send({"type": "lifespan.shutdown.complete"})

    def run(self, host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info") -> None:
        """Serve the app with vivace's hardened uvicorn (``python app.py``)."""
        from ..server import serve

        print(f" * vivace serving {self.name} on http://{host}:{port}/ (Ctrl+C to stop)")
        serve(self, host=host, port=port, limits=server_limits(self.settings), log_level=log_level)

    def __repr__(self) -> str:
        return f"<App {self.name!r}>"


def server_limits(settings: Settings) -> Any:
    """The server limits that the settings ask for."""
    from ..server import ServerLimits

    return ServerLimits(
        max_header_size=settings.max_header_size,
        max_header_count=settings.max_header_count,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        keepalive_timeout=settings.keepalive_timeout,
    )


def self_root(request: Request) -> str:
    return request.scope.get("root_path", "") or ""


async def _call_hook(hook: Callable[..., Any]) -> None:
    result = hook()
    if inspect.isawaitable(result):
        await result


def _security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    if not settings.security_headers:
        return []
    headers = [
        (b"x-frame-options", settings.frame_options.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", settings.referrer_policy.encode("latin-1")),
    ]
    if settings.hsts_seconds:
        headers.append((b"strict-transport-security", f"max-age={settings.hsts_seconds}".encode()))
    return headers
