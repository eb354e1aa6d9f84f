"""Wrapping a user's handler once, at registration.

The signature is read here, never per request: which argument takes the
request, which take path parameters, whether the handler is a coroutine
function (awaited on the loop) or a plain function (run in the app's bounded
thread pool). The wrapper always returns a ``Response``.

A handler whose signature says more than the core knows (annotated
parameters, a return annotation other than a response, a ``status_code``
option) is offered
to the planners that batteries register in ``core.batteries`` (the api
battery reads query parameters, headers, bodies and return types). Each gets
a ``HandlerSignature`` and may return the request handler it built, or
``None``. A handler that no planner takes keeps the plain fast path.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from . import batteries
from .concurrency import ThreadPool
from .exceptions import ConfigError
from .requests import Request
from .responses import HTMLResponse, JSONResponse, Response

if TYPE_CHECKING:
    from .app import App

Handler = Callable[[Request], Awaitable[Response]]


@dataclasses.dataclass(frozen=True, eq=False)
class HandlerSignature:
    """What the core read from a handler, handed to the planners of the batteries.

    ``call(request, kwargs)`` runs the endpoint the way the core would: awaited
    on the loop for ``async def``, in the app's thread pool otherwise, with the
    request first when the handler takes it. ``options`` is the route's own
    dict: a planner may leave what it learned there for others (OpenAPI).
    """

    endpoint: Callable[..., Any]
    takes_request: bool
    path_params: list[str]
    # Every parameter after the request, in order.
    parameters: list[inspect.Parameter]
    return_annotation: Any
    options: dict[str, Any]
    app: App | None
    pool: ThreadPool
    call: Callable[[Request, dict[str, Any]], Awaitable[Any]]
    # The converter of each path parameter (what ``<int:id>`` gives the handler).
    path_converters: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def wrap_handler(
    endpoint: Callable[..., Any],
    path_params: Iterable[str],
    pool: ThreadPool,
    *,
    options: dict[str, Any] | None = None,
    app: App | None = None,
    path_converters: Mapping[str, Any] | None = None,
) -> Handler:
    """Build ``await handler(request) -> Response`` for ``endpoint``."""
    path_params = list(path_params)
    is_async = inspect.iscoroutinefunction(endpoint) or inspect.iscoroutinefunction(
        getattr(endpoint, "__call__", None)  # noqa: B004 - callable objects with async __call__
    )
    planned = _offer_to_planners(endpoint, path_params, pool, is_async, options, app, path_converters)
    if planned is not None:
        return planned
    takes_request, param_names = plan_arguments(endpoint, path_params)

    if not is_async and inspect.iscoroutinefunction(inspect.unwrap(endpoint)):
        # A plain decorator around an ``async def`` (``functools.wraps``): it runs on the
        # loop and may return the coroutine or, short-circuiting, a ready value.

        async def call_wrapped(request: Request) -> Response:
            kwargs = {name: request.path_params[name] for name in param_names}
            result = endpoint(request, **kwargs) if takes_request else endpoint(**kwargs)
            if inspect.isawaitable(result):
                result = await result
            return to_response(result)

        return call_wrapped

    if is_async:
        if takes_request and not param_names:

            async def call_async_request(request: Request) -> Response:
                return to_response(await endpoint(request))

            return call_async_request

        async def call_async(request: Request) -> Response:
            kwargs = {name: request.path_params[name] for name in param_names}
            if takes_request:
                return to_response(await endpoint(request, **kwargs))
            return to_response(await endpoint(**kwargs))

        return call_async

    async def call_sync(request: Request) -> Response:
        kwargs = {name: request.path_params[name] for name in param_names}
        if takes_request:
            result = await pool.run(endpoint, request, **kwargs)
        else:
            result = await pool.run(endpoint, **kwargs)
        return to_response(result)

    return call_sync


def _offer_to_planners(
    endpoint: Callable[..., Any],
    path_params: list[str],
    pool: ThreadPool,
    is_async: bool,
    options: dict[str, Any] | None,
    app: App | None,
    path_converters: Mapping[str, Any] | None = None,
) -> Handler | None:
    """The handler a battery's planner builds, when the signature asks for one."""
    signature = _read_signature(endpoint)
    parameters = list(signature.parameters.values())
    takes_request = bool(parameters) and _is_request_parameter(parameters[0])
    rest = parameters[1:] if takes_request else parameters
    options = {} if options is None else options
    if not _needs_planner(rest, path_params, signature.return_annotation, options):
        return None
    described = HandlerSignature(
        endpoint=endpoint,
        takes_request=takes_request,
        path_params=path_params,
        parameters=rest,
        return_annotation=signature.return_annotation,
        options=options,
        app=app,
        pool=pool,
        call=_caller(endpoint, takes_request, is_async, pool),
        path_converters=path_converters or {},
    )
    for planner in batteries.planners():
        handler = planner(described)
        if handler is not None:
            return handler  # type: ignore[no-any-return]
    return None


def _needs_planner(
    rest: list[inspect.Parameter], path_params: list[str], returns: Any, options: Mapping[str, Any]
) -> bool:
    empty = inspect.Parameter.empty
    for p in rest:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        if p.annotation is not empty:
            return True
    if returns is not empty and not _is_core_return(returns):
        return True
    return "status_code" in options


# What the core answers by itself; ``-> str`` or ``-> Response`` needs no planner.
_CORE_RETURNS = frozenset({"str", "bytes", "None", "Response", "Any", "typing.Any"})


def _is_core_return(annotation: Any) -> bool:
    if isinstance(annotation, str):
        name = annotation.rpartition(".")[2]
        return annotation in _CORE_RETURNS or name.endswith("Response")
    if annotation in (str, bytes, Any):
        return True
    return isinstance(annotation, type) and issubclass(annotation, Response)


def _caller(
    endpoint: Callable[..., Any], takes_request: bool, is_async: bool, pool: ThreadPool
) -> Callable[[Request, dict[str, Any]], Awaitable[Any]]:
    if is_async:
        if takes_request:

            async def call_async_request(request: Request, kwargs: dict[str, Any]) -> Any:
                return await endpoint(request, **kwargs)

            return call_async_request

        async def call_async(request: Request, kwargs: dict[str, Any]) -> Any:
            return await endpoint(**kwargs)

        return call_async

    if inspect.iscoroutinefunction(inspect.unwrap(endpoint)):

        async def call_wrapped(request: Request, kwargs: dict[str, Any]) -> Any:
            result = endpoint(request, **kwargs) if takes_request else endpoint(**kwargs)
            return await result if inspect.isawaitable(result) else result

        return call_wrapped

    async def call_sync(request: Request, kwargs: dict[str, Any]) -> Any:
        if takes_request:
            return await pool.run(endpoint, request, **kwargs)
        return await pool.run(endpoint, **kwargs)

    return call_sync


def _read_signature(endpoint: Callable[..., Any]) -> inspect.Signature:
    try:
        return inspect.signature(endpoint)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"cannot read the signature of handler {endpoint!r}: {exc}") from None


def plan_arguments(endpoint: Callable[..., Any], path_params: list[str]) -> tuple[bool, list[str]]:
    """Whether the handler takes the request first, and which path parameters it takes."""
    signature = _read_signature(endpoint)
    parameters = list(signature.parameters.values())
    takes_request = bool(parameters) and _is_request_parameter(parameters[0])
    rest = parameters[1:] if takes_request else parameters
    accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in rest)
    names = {p.name for p in rest if p.kind is not inspect.Parameter.VAR_POSITIONAL}
    name = getattr(endpoint, "__qualname__", repr(endpoint))
    for p in rest:
        if p.kind is inspect.Parameter.POSITIONAL_ONLY and p.name in path_params:
            raise ConfigError(
                f"handler {name}() takes the path parameter {p.name!r} as positional-only; "
                "path parameters are passed by name, so remove the '/' before it"
            )
    for param in path_params:
        if param not in names and not accepts_any:
            raise ConfigError(
                f"handler {name}() has no argument {param!r} for the path parameter "
                f"<{param}>; add it to the signature"
            )
    for p in rest:
        if p.name in path_params or p.default is not inspect.Parameter.empty:
            continue
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        raise ConfigError(
            f"handler {name}() argument {p.name!r} is not a path parameter and has no default; "
            "the first argument named 'request' receives the request, and typed parameters "
            "(query, headers, bodies) come with vivace.api"
        )
    return takes_request, list(path_params)


def _is_request_parameter(param: inspect.Parameter) -> bool:
    annotation = param.annotation
    if annotation is Request or annotation == "Request":
        return True
    return param.name in ("request", "req")


def to_response(value: Any) -> Response:
    """Turn what a handler returned into a ``Response``."""
    kind = type(value)
    if kind is str:
        return HTMLResponse(value)
    if kind is dict or kind is list:
        return JSONResponse(value)
    if isinstance(value, Response):
        return value
    if kind is tuple:
        return _from_tuple(value)
    if kind is bytes:
        return Response(value, media_type="application/octet-stream")
    if isinstance(value, msgspec.Struct) or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return JSONResponse(value)
    # Subclasses after the exact types: Jinja's Markup is a str, OrderedDict a dict.
    if isinstance(value, str):
        return HTMLResponse(str(value))
    if isinstance(value, (dict, list)):
        return JSONResponse(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Response(bytes(value), media_type="application/octet-stream")
    if value is None:
        raise TypeError("the handler returned None; return a response, a str, bytes, a dict or a list")
    if inspect.isawaitable(value):
        raise TypeError("the handler returned an awaitable; declare it 'async def' or await it")
    raise TypeError(f"the handler returned a {kind.__name__}, which is not a response")


def _from_tuple(value: tuple[Any, ...]) -> Response:
    if len(value) not in (2, 3) or not isinstance(value[1], int) or isinstance(value[1], bool):
        raise TypeError("a tuple return must be (body, status) or (body, status, headers)")
    if not 100 <= value[1] <= 599:
        raise TypeError(f"the handler returned status {value[1]}; a status is 100 to 599")
    response = to_response(value[0])
    response.status_code = int(value[1])
    if len(value) == 3:
        headers = value[2]
        items = headers.items() if isinstance(headers, Mapping) else headers
        for key, header_value in items:
            response.headers[key] = header_value
    return response
