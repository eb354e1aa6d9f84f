"""Planning a typed handler once, at registration, and running the plan per request.

``plan_handler`` is the planner the api battery gives the core (see
``core.handlers``). It reads the signature with its annotations evaluated,
decides where each parameter comes from (``params``), builds one reader per
parameter (``inputs``), plans the dependencies the same way, recursively, and
plans the answer from the return annotation (``outputs``). What it learned is
kept in ``route.options["api"]`` for the OpenAPI document.

Per request the handler runs the readers of its own parameters and of every
dependency's, collecting every problem, and answers 422 with all of them if
any, before any provider runs. Then it resolves the dependencies (each once
per request, generator dependencies cleaned up after the handler), calls the
endpoint and renders its value. A handler whose parameters need none of this (only path
parameters the route's converters already give) is left to the core.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.exceptions import ConfigError
from ..core.handlers import HandlerSignature, to_response
from ..core.requests import Request
from ..core.responses import Response
from .constraints import bounded
from .exceptions import ValidationFailed
from .inputs import (
    AsyncReader,
    BodySpec,
    Errors,
    Input,
    Reader,
    form_model_reader,
    form_reader,
    json_reader,
    path_reader,
    text_reader,
)
from .outputs import Output, core_renders_alike, plan_output
from .params import (
    Body,
    Depends,
    File,
    Form,
    Param,
    bare,
    is_scalar,
    is_structured,
    is_upload,
    item_type,
    split_annotated,
    without_none,
)
from .unknown import UnknownFields
from .validation import as_validation_failed

if TYPE_CHECKING:
    from ..core.concurrency import ThreadPool

_EMPTY = inspect.Parameter.empty


@dataclasses.dataclass
class Operation:
    """What the planner learned about one handler: kept in ``route.options["api"]``."""

    endpoint: Callable[..., Any]
    inputs: list[Input]
    body: BodySpec | None
    output: Output
    security: list[str]
    dependencies: list[Callable[..., Any]]


def plan_handler(signature: HandlerSignature) -> Callable[[Request], Awaitable[Response]] | None:
    """The request handler for a typed endpoint, or None when the core's plain one will do."""
    endpoint = signature.endpoint
    where = f"handler {_name(endpoint)}()"
    settings = signature.app.settings if signature.app is not None else None
    forbid = getattr(settings, "unknown_fields", "ignore") == "forbid"
    forbid = signature.options.get("unknown_fields", "forbid" if forbid else "ignore") == "forbid"
    hints = _hints(endpoint, signature.parameters, signature.path_params, where)
    plan = _Planner(signature.pool, forbid, signature.path_converters).plan(
        signature.parameters, hints, signature.path_params, where, top=True
    )
    returns = hints.get("return", signature.return_annotation)
    render, output = plan_output(returns, signature.options, where)
    if plan.trivial and render is None:
        return None
    for name in signature.path_params:
        if name not in plan.names and not plan.var_keyword:
            raise ConfigError(f"{where} has no argument {name!r} for the path parameter <{name}>")
    signature.options["api"] = Operation(
        endpoint,
        plan.documented_inputs(),
        plan.body_spec(),
        output,
        _security(signature.options, plan),
        plan.all_dependencies(),
    )
    if signature.app is not None:
        signature.app.api  # noqa: B018 - mounts /openapi.json and /docs with the first typed route
    if plan.trivial and core_renders_alike(output, signature.options):
        return None  # documented, and answered by the core's own wrapper: the same bytes, faster
    return _build(plan, signature.call, render or to_response, signature.pool)


def _name(endpoint: Any) -> str:
    return getattr(endpoint, "__qualname__", None) or type(endpoint).__qualname__


def _security(options: dict[str, Any], plan: _Plan) -> list[str]:
    names = list(options.get("security", ()))
    for dependency in plan.walk_dependencies():
        names.extend(n for n in dependency.marker.security if n not in names)
    return names


# Annotations -----------------------------------------------------------------------------------


def _hints(
    endpoint: Callable[..., Any], parameters: list[inspect.Parameter], path_params: list[str], where: str
) -> dict[str, Any]:
    """Each parameter's annotation, evaluated (``from __future__ import annotations`` gives strings)."""
    try:
        evaluated = inspect.signature(endpoint, eval_str=True)
    except Exception:
        evaluated = None
    hints: dict[str, Any] = {}
    if evaluated is not None:
        for p in evaluated.parameters.values():
            hints[p.name] = p.annotation
        hints["return"] = evaluated.return_annotation
        return hints
    namespace = _namespace(endpoint)
    for p in parameters:
        if isinstance(p.annotation, str):
            try:
                hints[p.name] = eval(p.annotation, namespace)
            except Exception as exc:
                if p.name in path_params:
                    hints[p.name] = _EMPTY
                    continue
                raise ConfigError(
                    f"{where}: cannot evaluate the annotation {p.annotation!r} of {p.name!r} ({exc}); "
                    "declare the types it names at module level"
                ) from None
    return hints


def _namespace(endpoint: Callable[..., Any]) -> dict[str, Any]:
    target: Any = endpoint
    while isinstance(target, functools.partial):
        target = target.func
    target = inspect.unwrap(target)
    if not inspect.isfunction(target) and callable(target):
        target = getattr(type(target), "__call__", target)  # noqa: B004
    return dict(getattr(target, "__globals__", {}))


# Planning --------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Dependency:
    name: str
    marker: Depends
    plan: _Plan
    kind: str  # "async", "sync", "asyncgen" or "gen"
    takes_request: bool


@dataclasses.dataclass
class _Plan:
    """The readers of one callable's parameters (a handler's or a dependency's)."""

    names: set[str]
    var_keyword: bool
    simple: list[tuple[str, Reader]]
    path_only: bool
    body: tuple[str, AsyncReader] | None
    forms: list[tuple[str, AsyncReader]]
    dependencies: list[_Dependency]
    inputs: list[Input]
    body_info: BodySpec | None
    form_fields: list[tuple[str, Any, bool, bool]]
    form_model: Any = None
    request_names: list[str] = dataclasses.field(default_factory=list)

    @property
    def trivial(self) -> bool:
        """Only path parameters that need no conversion: the core's own wrapper does the same."""
        return (
            self.path_only
            and self.body is None
            and not self.forms
            and not self.dependencies
            and not self.request_names
        )

    def walk_dependencies(self) -> list[_Dependency]:
        found: list[_Dependency] = []
        for dependency in self.dependencies:
            found.extend(dependency.plan.walk_dependencies())
            found.append(dependency)
        return found

    def all_dependencies(self) -> list[Callable[..., Any]]:
        return [d.marker.provider for d in self.walk_dependencies()]

    def documented_inputs(self) -> list[Input]:
        seen: dict[tuple[str, str], Input] = {}
        for item in [*self.inputs, *(i for d in self.walk_dependencies() for i in d.plan.inputs)]:
            seen.setdefault((item.where, item.name.lower() if item.where == "header" else item.name), item)
        return list(seen.values())

    def body_spec(self) -> BodySpec | None:
        specs = [self.body_info] + [d.plan.body_info for d in self.walk_dependencies()]
        found = [s for s in specs if s is not None]
        if found:
            return found[0]
        fields = list(self.form_fields)
        for dependency in self.walk_dependencies():
            fields.extend(dependency.plan.form_fields)
        if fields:
            return BodySpec("form", None, any(f[2] for f in fields), None, tuple(fields))
        return None


class _Planner:
    def __init__(self, pool: ThreadPool, forbid_unknown: bool, converters: Mapping[str, Any]) -> None:
        self.pool = pool
        self.forbid_unknown = forbid_unknown
        self.converters = converters
        self.stack: list[Callable[..., Any]] = []

    def plan(
        self,
        parameters: list[inspect.Parameter],
        hints: dict[str, Any],
        path_params: list[str],
        where: str,
        *,
        top: bool = False,
    ) -> _Plan:
        plan = _Plan(set(), False, [], True, None, [], [], [], None, [])
        for p in parameters:
            if p.kind is inspect.Parameter.VAR_KEYWORD:
                plan.var_keyword = True
                continue
            if p.kind is inspect.Parameter.VAR_POSITIONAL:
                continue
            if p.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise ConfigError(
                    f"{where}: argument {p.name!r} is positional-only; arguments are passed by name, "
                    "so remove the '/' before it"
                )
            plan.names.add(p.name)
            self._plan_one(plan, p, hints.get(p.name, p.annotation), path_params, where)
        if plan.var_keyword and top:
            for name in path_params:
                if name not in plan.names:
                    spec = Input("path", name, Any, True, None, None)
                    plan.inputs.append(spec)
                    plan.simple.append((name, path_reader(spec)))
        return plan

    def _plan_one(
        self, plan: _Plan, p: inspect.Parameter, annotation: Any, path_params: list[str], where: str
    ) -> None:
        annotation, markers = split_annotated(annotation)
        default = p.default
        if isinstance(default, (Param, Depends)):
            markers.append(default)
            default = _EMPTY
        if len(markers) > 1:
            raise ConfigError(f"{where}: argument {p.name!r} has more than one marker: {markers}")
        marker = markers[0] if markers else None
        if bare(annotation) is Request:
            plan.request_names.append(p.name)
            return
        if isinstance(marker, Depends):
            plan.dependencies.append(self._dependency(p.name, marker, path_params, where))
            return
        required = default is _EMPTY
        value_default = None if required else default
        typed = annotation if annotation is not _EMPTY else str
        location = marker.where if marker is not None else None
        if location is None:
            if p.name in path_params:
                location = "path"
            elif is_upload(typed):
                location = "file"
            elif is_structured(typed):
                location = "body"
            else:
                location = "query"
        name = (marker.alias if marker is not None and marker.alias else None) or p.name
        if location == "path":
            if p.name not in path_params:
                raise ConfigError(f"{where}: {p.name!r} is marked Path() but the route has no <{p.name}>")
            typed = Any
            if annotation is not _EMPTY:
                enough = _converter_is_enough(annotation, self.converters.get(p.name))
                plan.path_only = plan.path_only and enough
                # The route's converter bounds what it gives; a type it does not give is bounded here.
                typed = annotation if enough else bounded(annotation)
            spec = Input("path", p.name, typed, True, None, marker)
            plan.inputs.append(spec)
            reader = path_reader(spec)
            plan.simple.append((p.name, reader))
            return
        plan.path_only = False
        if location in ("query", "header", "cookie"):
            if marker is None or not marker.alias:
                name = p.name.replace("_", "-") if location == "header" else p.name
            if not is_scalar(typed) and not (item_type(typed) is not None and is_scalar(item_type(typed))):
                raise ConfigError(
                    f"{where}: {location} parameter {p.name!r} has type {typed!r}, which cannot be read "
                    "from text; use str, int, float, bool, an enum, a date or a list of those"
                )
            if location == "cookie" and item_type(typed) is not None:
                raise ConfigError(f"{where}: cookie {p.name!r} cannot be a list")
            spec = Input(location, name, bounded(typed), required, value_default, marker)
            plan.inputs.append(spec)
            if not required and value_default is None:
                # Absent gives None; a value that is sent must be the type itself.
                spec = dataclasses.replace(spec, type=without_none(spec.type)[0])
            plan.simple.append((p.name, text_reader(spec)))
        elif location == "body":
            if plan.body is not None or plan.forms:
                raise ConfigError(f"{where}: a request has one body; {p.name!r} would be a second one")
            unknown = UnknownFields(typed) if self.forbid_unknown else None
            if unknown is not None and not unknown.needed:
                unknown = None
            plan.body = (p.name, json_reader(typed, required, value_default, unknown))
            plan.body_info = BodySpec("json", typed, required, marker if isinstance(marker, Body) else None)
        else:
            if plan.body is not None:
                raise ConfigError(
                    f"{where}: {p.name!r} reads a form, but the handler already takes a JSON body"
                )
            is_file = location == "file" or isinstance(marker, File)
            if not is_file and isinstance(marker, Form) and is_structured(typed):
                plan.forms.append((p.name, form_model_reader(typed, required, value_default)))
                plan.form_model = typed
                info = _form_model_fields(typed)
                plan.form_fields.extend(info)
                return
            plan.forms.append((p.name, form_reader(name, typed, required, value_default, is_file)))
            plan.form_fields.append((name, typed, required, is_file))

    def _dependency(self, name: str, marker: Depends, path_params: list[str], where: str) -> _Dependency:
        provider = marker.provider
        if not callable(provider):
            raise ConfigError(f"{where}: Depends({provider!r}) needs a callable")
        if provider in self.stack:
            chain = " -> ".join(_name(p) for p in [*self.stack, provider])
            raise ConfigError(f"{where}: dependencies call each other in a circle: {chain}")
        inner_where = f"dependency {_name(provider)}() of {where}"
        try:
            signature = inspect.signature(provider)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{inner_where}: cannot read its signature: {exc}") from None
        parameters = list(signature.parameters.values())
        takes_request = bool(parameters) and (
            parameters[0].name in ("request", "req")
            and parameters[0].annotation in (_EMPTY, Request, "Request")
        )
        rest = parameters[1:] if takes_request else parameters
        hints = _hints(provider, rest, path_params, inner_where)
        self.stack.append(provider)
        try:
            plan = self.plan(rest, hints, path_params, inner_where)
        finally:
            self.stack.pop()
        target = inspect.unwrap(provider)
        if inspect.isasyncgenfunction(target):
            kind = "asyncgen"
        elif inspect.isgeneratorfunction(target):
            kind = "gen"
        elif inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
            getattr(provider, "__call__", None)  # noqa: B004
        ):
            kind = "async"
        else:
            kind = "sync"
        return _Dependency(name, marker, plan, kind, takes_request)


def _converter_is_enough(annotation: Any, converter: Any) -> bool:
    """Whether a path parameter of this type needs nothing past the route's converter."""
    if annotation is Any:
        return True
    from ..core.routing.converters import (
        FloatConverter,
        IntConverter,
        PathConverter,
        SlugConverter,
        StrConverter,
        UUIDConverter,
    )

    gives = {
        StrConverter: str,
        SlugConverter: str,
        PathConverter: str,
        IntConverter: int,
        FloatConverter: float,
        UUIDConverter: uuid.UUID,
    }.get(type(converter))
    return gives is not None and annotation is gives


def _form_model_fields(annotation: Any) -> list[tuple[str, Any, bool, bool]]:
    import msgspec.inspect as mi

    info = mi.type_info(bare(without_none(annotation)[0]))
    return [(f.encode_name, Any, f.required, False) for f in getattr(info, "fields", ())]


# Running ---------------------------------------------------------------------------------------


class _Scope:
    """Per-request state of the dependencies: values made so far, and what to clean up."""

    __slots__ = ("cache", "stack")

    def __init__(self) -> None:
        self.cache: dict[Any, Any] = {}
        self.stack: contextlib.AsyncExitStack | None = None


async def _read_all(plan: _Plan, request: Request, errors: Errors, kwargs: dict[str, Any]) -> None:
    for name, read in plan.simple:
        kwargs[name] = read(request, errors)
    for name in plan.request_names:
        kwargs[name] = request
    if plan.body is not None:
        kwargs[plan.body[0]] = await plan.body[1](request, errors)
    for name, read_form in plan.forms:
        kwargs[name] = await read_form(request, errors)


Resolve = Callable[[Request, _Scope, list[dict[str, Any]]], Awaitable[Any]]


def _resolver(dependency: _Dependency, pool: ThreadPool, index: dict[int, int]) -> Resolve:
    """Run one dependency with the inputs already read for it (``reads[index]``)."""
    provider = dependency.marker.provider
    use_cache = dependency.marker.use_cache
    inner = [(d.name, _resolver(d, pool, index)) for d in dependency.plan.dependencies]
    kind = dependency.kind
    takes_request = dependency.takes_request
    position = index[id(dependency)]

    async def resolve(request: Request, scope: _Scope, reads: list[dict[str, Any]]) -> Any:
        if use_cache and provider in scope.cache:
            return scope.cache[provider]
        kwargs = dict(reads[position])
        for name, sub in inner:
            kwargs[name] = await sub(request, scope, reads)
        args = (request,) if takes_request else ()
        if kind == "async":
            value = await provider(*args, **kwargs)
        elif kind == "sync":
            value = await pool.run(provider, *args, **kwargs)
        else:
            if scope.stack is None:
                raise RuntimeError("a generator dependency needs the request's exit stack")
            if kind == "asyncgen":
                manager: Any = contextlib.asynccontextmanager(provider)(*args, **kwargs)
                value = await scope.stack.enter_async_context(manager)
            else:
                manager = contextlib.contextmanager(provider)(*args, **kwargs)
                value = await pool.run(manager.__enter__)

                async def leave(*exc_info: Any) -> bool:
                    return bool(await pool.run(manager.__exit__, *exc_info))

                scope.stack.push_async_exit(leave)
        if use_cache:
            scope.cache[provider] = value
        return value

    return resolve


def _build(
    plan: _Plan,
    call: Callable[[Request, dict[str, Any]], Awaitable[Any]],
    render: Callable[[Any], Response],
    pool: ThreadPool,
) -> Callable[[Request], Awaitable[Response]]:
    simple = plan.simple
    body = plan.body
    has_more = bool(plan.forms or plan.request_names)
    every = plan.walk_dependencies()
    index = {id(d): i for i, d in enumerate(every)}
    resolvers = [(d.name, _resolver(d, pool, index)) for d in plan.dependencies]
    cleans_up = any(d.kind in ("gen", "asyncgen") for d in every)

    async def run(request: Request, kwargs: dict[str, Any]) -> Response:
        try:
            result = await call(request, kwargs)
        except Exception as exc:
            converted = as_validation_failed(exc)
            if converted is None:
                raise
            raise converted from None
        return render(result)

    if not resolvers and not has_more:
        if body is None:

            async def handle_simple(request: Request) -> Response:
                errors: Errors = []
                kwargs = {name: read(request, errors) for name, read in simple}
                if errors:
                    raise ValidationFailed(errors)
                return await run(request, kwargs)

            return handle_simple

        body_name, read_body = body

        async def handle_body(request: Request) -> Response:
            errors: Errors = []
            kwargs = {name: read(request, errors) for name, read in simple}
            kwargs[body_name] = await read_body(request, errors)
            if errors:
                raise ValidationFailed(errors)
            return await run(request, kwargs)

        return handle_body

    async def handle(request: Request) -> Response:
        errors: Errors = []
        kwargs: dict[str, Any] = {}
        await _read_all(plan, request, errors, kwargs)
        # Every input of every dependency is read and checked before any provider runs.
        reads: list[dict[str, Any]] = []
        for dependency in every:
            found: dict[str, Any] = {}
            await _read_all(dependency.plan, request, errors, found)
            reads.append(found)
        if errors:
            raise ValidationFailed(errors)
        scope = _Scope()
        if not cleans_up:
            for name, resolve in resolvers:
                kwargs[name] = await resolve(request, scope, reads)
            return await run(request, kwargs)
        async with contextlib.AsyncExitStack() as stack:
            scope.stack = stack
            for name, resolve in resolvers:
                kwargs[name] = await resolve(request, scope, reads)
            return await run(request, kwargs)

    return handle
