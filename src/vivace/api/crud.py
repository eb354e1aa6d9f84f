"""Model-backed CRUD in a line: ``app.api.crud(Post, prefix="/api/posts", ...)``.

Six operations, each a typed handler like any other (so each is validated,
documented and answered the same way)::

    GET    /api/posts          list: ?status=draft&author=3&ordering=-created&limit=20&offset=0
    POST   /api/posts          create (201)
    GET    /api/posts/<pk>     retrieve
    PUT    /api/posts/<pk>     update: every writable field (those left out go back to their default)
    PATCH  /api/posts/<pk>     partial update: the fields given
    DELETE /api/posts/<pk>     delete (204)

What a client may send is an allow-list, checked at registration and per request:

- a list takes only ``limit``, ``offset``, ``ordering`` and the declared
  ``filters``; any other query parameter is a 400 naming the allowed ones,
  never a part of the SQL (ATTACKS 19); a filter value of the wrong type is a 422;
- ``ordering`` takes only the declared fields (``-`` for descending), else 400;
- ``limit`` is 1 to ``max_page_size`` (default 20, at most 100) and
  ``offset`` 0 or more: outside, 422, never a silent clamp;
- bodies carry only writable fields (``vivace.api.schemas``): the primary key,
  ``auto_now`` fields and ``editable=False`` fields cannot be set (ATTACKS 16).

Writes run ``full_clean`` (through ``save``); its ``ValidationError`` is a 422
in the same shape as any other, and a refused constraint (unique, foreign key,
protected row) is a 409.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from ..core.exceptions import BadRequest, ConfigError, HTTPException, NotFound
from ..core.requests import Request
from .params import Query
from .schemas import _SIMPLE, input_struct, output_struct, patch_struct, writable_fields

if TYPE_CHECKING:
    from ..core.app import App

ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "delete")
_RESERVED = frozenset({"limit", "offset", "ordering"})
_TEXT_LOOKUPS = frozenset({"contains", "icontains", "startswith", "istartswith", "endswith", "iendswith"})
_DATE_PARTS = frozenset({"year", "month", "day"})
_KNOWN_LOOKUPS = frozenset(
    {"exact", "iexact", "gt", "gte", "lt", "lte", "in", "isnull", *_TEXT_LOOKUPS, *_DATE_PARTS}
)
_MAX_OFFSET = 2**62


def register_crud(
    app: App,
    model: type,
    prefix: str,
    *,
    filters: Sequence[str],
    ordering: Sequence[str],
    permissions: Callable[..., Any] | None,
    actions: Sequence[str] | None,
    page_size: int,
    max_page_size: int,
    tags: Sequence[str] | None,
    name: str | None,
) -> None:
    opts = getattr(model, "_meta", None)
    if opts is None or not hasattr(opts, "concrete_fields"):
        raise ConfigError(f"api.crud({model!r}): expected a model class (a vivace.db Model)")
    where = f"api.crud({model.__name__})"
    if not prefix.startswith("/") or prefix.endswith("/") or "<" in prefix:
        raise ConfigError(
            f"{where}: prefix={prefix!r} must start with '/', not end with one, and hold no <params>"
        )
    if not 1 <= page_size <= max_page_size:
        raise ConfigError(f"{where}: need 1 <= page_size ({page_size}) <= max_page_size ({max_page_size})")
    chosen = tuple(actions) if actions is not None else ACTIONS
    unknown = [a for a in chosen if a not in ACTIONS]
    if unknown:
        raise ConfigError(f"{where}: unknown action(s) {unknown}; the actions are {list(ACTIONS)}")
    views = _Views(model, permissions, _filters(model, filters, where), _ordering(model, ordering, where))
    name = name or opts.model_name
    pk = opts.pk
    converter = "int" if pk.python_type is int else "uuid" if pk.python_type is uuid.UUID else "str"
    item = f"{prefix}/<{converter}:pk>"
    route_options: dict[str, Any] = {"tags": list(tags) if tags else [opts.verbose_name_plural]}
    forbidden = {403: "The permissions hook refused the action"} if permissions is not None else {}
    conflict = {409: "A unique or related-row constraint refused the write"}
    table = {
        "list": (prefix, "GET", views.list_view(page_size, max_page_size), {400: "A query is not allowed"}),
        "create": (prefix, "POST", views.create_view(), conflict),
        "retrieve": (item, "GET", views.retrieve_view(), {}),
        "update": (item, "PUT", views.update_view(), conflict),
        "partial_update": (item, "PATCH", views.patch_view(), conflict),
        "delete": (item, "DELETE", views.delete_view(), conflict),
    }
    for action in ACTIONS:
        if action not in chosen:
            continue
        path, method, view, responses = table[action]
        options = dict(route_options, responses={**responses, **forbidden})
        if action == "create":
            options["status_code"] = 201
        app.add_route(path, view, (method,), name=f"{name}:{action}", **options)


class _Filter(msgspec.Struct, frozen=True):
    key: str
    annotation: Any


def _filters(model: type, names: Sequence[str], where: str) -> list[_Filter]:
    found = []
    for key in names:
        if not isinstance(key, str) or not key.isidentifier() or key in _RESERVED:
            raise ConfigError(
                f"{where}: filter {key!r} is not a field name (limit, offset, ordering are taken)"
            )
        name, _, lookup = key.partition("__")
        lookup = lookup or "exact"
        field = _field(model, name, where)
        if lookup not in _KNOWN_LOOKUPS:
            raise ConfigError(
                f"{where}: filter {key!r}: unknown lookup {lookup!r}; use {sorted(_KNOWN_LOOKUPS)}"
            )
        base = _value_type(field)
        if lookup in _TEXT_LOOKUPS:
            annotation: Any = str
        elif lookup in _DATE_PARTS:
            annotation = int
        elif lookup == "isnull":
            annotation = bool
        elif lookup == "in":
            annotation = Annotated[list[base], msgspec.Meta(max_length=100)]  # type: ignore[valid-type]
        else:
            annotation = base
        found.append(_Filter(key, annotation))
    return found


def _ordering(model: type, names: Sequence[str], where: str) -> dict[str, str]:
    allowed = {}
    for name in names:
        field = _field(model, name, where)
        allowed[name] = field.name
    return allowed


def _field(model: type, name: str, where: str) -> Any:
    for field in model._meta.concrete_fields:  # type: ignore[attr-defined]
        if field.name == name:
            return field
    names = ", ".join(f.name for f in model._meta.concrete_fields)  # type: ignore[attr-defined]
    raise ConfigError(f"{where}: {model.__name__} has no field {name!r}; its fields are: {names}")


def _value_type(field: Any) -> Any:
    if field.choices is not None and all(isinstance(c, (str, int)) for c in field.choices):
        return Literal[tuple(field.choices)]
    target = getattr(field, "target_field", None) if getattr(field, "is_relation", False) else None
    base = (target or field).python_type
    return _SIMPLE.get(base, str)


class _Views:
    """The six handlers of one model, sharing its schemas, allow-lists and permissions hook."""

    def __init__(
        self,
        model: type,
        permissions: Callable[..., Any] | None,
        filters: list[_Filter],
        ordering: dict[str, str],
    ) -> None:
        self.model = model
        self.permissions = permissions
        self.filters = filters
        self.ordering = ordering
        opts = model._meta  # type: ignore[attr-defined]
        self.label = opts.verbose_name
        self.plural = opts.verbose_name_plural
        self.output = output_struct(model)
        self.input = input_struct(model)
        self.patch = patch_struct(model)
        self.writable = {f.name: f for f in writable_fields(model)}
        self.default_order = tuple(opts.ordering) or (opts.pk.name,)
        self.pk_type = _SIMPLE.get(opts.pk.python_type, str)
        self.allowed_query = sorted({*_RESERVED, *(f.key for f in filters)})

    async def check(self, request: Request, action: str, obj: Any = None) -> None:
        if self.permissions is None:
            return
        allowed = self.permissions(request, action, obj)
        if inspect.isawaitable(allowed):
            allowed = await allowed
        if not allowed:
            raise HTTPException(403, f"not allowed to {action.replace('_', ' ')} {self.plural}")

    async def fetch(self, pk: Any) -> Any:
        try:
            return await self.model.objects.aget(pk=pk)  # type: ignore[attr-defined]
        except self.model.DoesNotExist:  # type: ignore[attr-defined]
            raise NotFound(f"no {self.label} with primary key {str(pk)[:40]!r}") from None

    async def write(self, instance: Any) -> Any:
        from ..db.exceptions import IntegrityError

        try:
            await instance.asave()
        except IntegrityError:
            raise HTTPException(
                409, f"the {self.label} conflicts with existing data (a unique or related field)"
            ) from None
        return instance

    def assign(self, instance: Any, values: dict[str, Any]) -> None:
        for name, value in values.items():
            setattr(instance, self.writable[name].attname, value)

    # The handlers ---------------------------------------------------------------------

    def list_view(self, page_size: int, max_page_size: int) -> Callable[..., Any]:
        views = self
        page = msgspec.defstruct(
            f"{self.model.__name__}Page",
            [("count", int), ("limit", int), ("offset", int), ("results", list[self.output])],  # type: ignore[name-defined]
            kw_only=True,
            namespace={"__doc__": f"One page of {self.plural}."},
        )
        allowed = set(self.allowed_query)
        allowed_text = ", ".join(self.allowed_query)
        ordering_text = ", ".join(self.ordering) or "none"
        filters = self.filters

        async def list_objects(request: Request, **values: Any) -> Any:
            extra = [key for key in request.query_params if key not in allowed]
            if extra:
                shown = ", ".join(repr(key[:40]) for key in extra[:5])
                raise BadRequest(f"query parameter(s) {shown} not allowed here; allowed: {allowed_text}")
            await views.check(request, "list")
            query = views.model.objects.all()  # type: ignore[attr-defined]
            conditions = {f.key: values[f.key] for f in filters if values.get(f.key) is not None}
            if conditions:
                query = query.filter(**conditions)
            query = query.order_by(*views.order(values.get("ordering"), ordering_text))
            limit, offset = values["limit"], values["offset"]
            count = await query.acount()
            rows = await query[offset : offset + limit] if offset < count else []
            return {"count": count, "limit": limit, "offset": offset, "results": rows}

        parameters = [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            _keyword(
                "limit",
                Annotated[int, msgspec.Meta(ge=1, le=max_page_size), Query(description="Rows per page")],
                page_size,
            ),
            _keyword(
                "offset",
                Annotated[int, msgspec.Meta(ge=0, le=_MAX_OFFSET), Query(description="Rows to skip")],
                0,
            ),
            _keyword(
                "ordering",
                Annotated[
                    str | None,
                    Query(description=f"Fields by commas, '-' to reverse; allowed: {ordering_text}"),
                ],
                None,
            ),
            *(_keyword(f.key, Annotated[f.annotation | None, Query()], None) for f in filters),
        ]
        return _named(list_objects, f"List {self.plural}", parameters, page)

    def order(self, given: str | None, allowed_text: str) -> tuple[str, ...]:
        if not given:
            names: tuple[str, ...] = self.default_order
        else:
            names = ()
            for part in given.split(",")[:10]:
                part = part.strip()
                field = self.ordering.get(part.removeprefix("-"))
                if field is None:
                    raise BadRequest(f"cannot order by {part[:40]!r}; allowed: {allowed_text}")
                names += ((f"-{field}" if part.startswith("-") else field),)
        pk = self.model._meta.pk.name  # type: ignore[attr-defined]
        if pk not in {name.removeprefix("-") for name in names}:
            names += (pk,)
        return names

    def create_view(self) -> Callable[..., Any]:
        views = self

        async def create(request: Request, body: Any) -> Any:
            await views.check(request, "create")
            values = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
            instance = views.model()
            self.assign(instance, values)
            return await views.write(instance)

        return _named(
            create,
            f"Create a {self.label}",
            [_request(), _keyword("body", self.input, inspect.Parameter.empty)],
            self.output,
        )

    def retrieve_view(self) -> Callable[..., Any]:
        views = self

        async def retrieve(request: Request, pk: Any) -> Any:
            instance = await views.fetch(pk)
            await views.check(request, "retrieve", instance)
            return instance

        return _named(retrieve, f"Get a {self.label}", [_request(), self._pk()], self.output)

    def update_view(self) -> Callable[..., Any]:
        views = self

        async def update(request: Request, pk: Any, body: Any) -> Any:
            instance = await views.fetch(pk)
            await views.check(request, "update", instance)
            given = msgspec.structs.asdict(body)
            values = {
                name: (views.writable[name].get_default() if value is msgspec.UNSET else value)
                for name, value in given.items()
            }
            views.assign(instance, values)
            return await views.write(instance)

        return _named(
            update,
            f"Replace a {self.label}",
            [_request(), self._pk(), _keyword("body", self.input, inspect.Parameter.empty)],
            self.output,
        )

    def patch_view(self) -> Callable[..., Any]:
        views = self

        async def partial_update(request: Request, pk: Any, body: Any) -> Any:
            instance = await views.fetch(pk)
            await views.check(request, "partial_update", instance)
            values = {k: v for k, v in msgspec.structs.asdict(body).items() if v is not msgspec.UNSET}
            views.assign(instance, values)
            return await views.write(instance)

        return _named(
            partial_update,
            f"Change some fields of a {self.label}",
            [_request(), self._pk(), _keyword("body", self.patch, inspect.Parameter.empty)],
            self.output,
        )

    def delete_view(self) -> Callable[..., Any]:
        views = self

        async def delete(request: Request, pk: Any) -> None:
            from ..db.exceptions import IntegrityError

            instance = await views.fetch(pk)
            await views.check(request, "delete", instance)
            try:
                await instance.adelete()
            except IntegrityError:
                raise HTTPException(409, f"other rows protect this {views.label}") from None

        return _named(delete, f"Delete a {self.label}", [_request(), self._pk()], None)

    def _pk(self) -> inspect.Parameter:
        return _keyword("pk", self.pk_type, inspect.Parameter.empty)


def _request() -> inspect.Parameter:
    return inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _keyword(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _named(
    view: Callable[..., Any], summary: str, parameters: list[inspect.Parameter], returns: Any
) -> Callable[..., Any]:
    """Give ``view`` the signature the planner reads, and a docstring for the summary."""
    view.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    view.__doc__ = summary + "."
    return view
