"""The OpenAPI 3.1 document of an app, built from its routes.

Every HTTP route is an operation, except those declared with
``include_in_schema=False`` (the document and the docs page themselves) and
static files. A typed route (see ``vivace.api.planner``) brings its
parameters, body and answer with schemas; an untyped one its path parameters
only. Route options refine an operation: ``tags``, ``summary``,
``description`` (else the handler's docstring: first line, then the rest),
``deprecated``, ``operation_id``, ``security`` (names of security schemes),
``responses`` (more answers: ``{409: "Title taken"}``).

Schemas come from msgspec (``msgspec.json.schema_components``), in one pass
over every type the operations use, so each Struct is one component; model
classes are described by their derived Structs (``vivace.api.schemas``),
pydantic models by pydantic itself.

Error answers (400 malformed JSON, 404 unknown path parameter, 413, 415,
422 validation) are listed where an operation can give them, with the schema
``app.api.error_schema`` (RFC 9457 problem details by default).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import msgspec

from ...core.responses import Response
from ..inputs import BodySpec, Input
from ..outputs import JSONBytes
from ..params import bare, is_pydantic_model, without_none
from ..schemas import substitute_models

if TYPE_CHECKING:
    from ...core.app import App
    from ...core.routing import Route
    from ..battery import Api

REF = "#/components/schemas/{name}"
_PROBLEM = "Problem"


def document_response(api: Api) -> Response:
    return JSONBytes(msgspec.json.encode(api.openapi()))


def build_document(app: App, api: Api) -> dict[str, Any]:
    builder = _Builder(api)
    paths: dict[str, dict[str, Any]] = {}
    for route in app.router.routes:
        if not _documented(route):
            continue
        item = paths.setdefault(_openapi_path(route), {})
        methods = sorted(m for m in route.methods if m not in ("HEAD", "WEBSOCKET"))
        for method in methods:
            item[method.lower()] = builder.operation(route, method, len(methods) > 1)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": api.title, "version": api.version},
    }
    if api.description:
        document["info"]["description"] = api.description
    if api.servers:
        document["servers"] = [dict(server) for server in api.servers]
    if api.tags:
        document["tags"] = [dict(tag) for tag in api.tags]
    document["paths"] = paths
    components: dict[str, Any] = {"schemas": builder.finish()}
    if api.security_schemes:
        components["securitySchemes"] = {k: dict(v) for k, v in api.security_schemes.items()}
    document["components"] = components
    return document


def _documented(route: Route) -> bool:
    if route.options.get("include_in_schema") is False or route.methods == {"WEBSOCKET"}:
        return False
    return not (route.name == "static" or (route.name or "").endswith(":static"))


def _openapi_path(route: Route) -> str:
    parts = []
    for segment in route.segments:
        parts.append(segment if isinstance(segment, str) else "{" + segment.name + "}")
    return "/" + "/".join(parts)


class _Builder:
    """Collects the types of every operation, then turns them into schemas in one pass."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.types: list[Any] = []
        self.slots: list[tuple[dict[str, Any], str, int, dict[str, Any] | None]] = []
        self.extra_components: dict[str, Any] = {}
        self.operation_ids: set[str] = set()
        self.uses_problem = False

    def schema_of(
        self, annotation: Any, holder: dict[str, Any], key: str, extra: dict[str, Any] | None = None
    ) -> None:
        """Fill ``holder[key]`` with the schema of ``annotation`` once every type is known.

        ``extra`` adds keywords the type does not say (a default, a converter's bounds)
        where the schema has none of its own.
        """
        annotation = substitute_models(annotation)
        if is_pydantic_model(bare(without_none(annotation)[0])):
            holder[key] = _merged(self._pydantic_schema(annotation), extra)
            return
        self.slots.append((holder, key, len(self.types), extra))
        self.types.append(annotation)

    def _pydantic_schema(self, annotation: Any) -> dict[str, Any]:
        import pydantic

        schema = pydantic.TypeAdapter(annotation).json_schema(ref_template=REF.replace("{name}", "{model}"))
        for name, definition in schema.pop("$defs", {}).items():
            self.extra_components.setdefault(name, definition)
        model = bare(annotation)
        if is_pydantic_model(model):
            self.extra_components.setdefault(model.__name__, schema)
            return {"$ref": REF.format(name=model.__name__)}
        return schema

    def finish(self) -> dict[str, Any]:
        schemas: Sequence[Any]
        try:
            schemas, components = msgspec.json.schema_components(self.types, ref_template=REF)
        except (TypeError, ValueError):
            schemas, components = self._one_by_one()
        for holder, key, index, extra in self.slots:
            holder[key] = _merged(schemas[index], extra)
        found = dict(components)
        for name, definition in self.extra_components.items():
            found.setdefault(name, definition)
        if self.uses_problem:
            found.setdefault(_PROBLEM, self.api.error_schema)
        return dict(sorted(found.items()))

    def _one_by_one(self) -> tuple[list[Any], dict[str, Any]]:
        schemas: list[Any] = []
        components: dict[str, Any] = {}
        for annotation in self.types:
            try:
                (schema,), found = msgspec.json.schema_components([annotation], ref_template=REF)
            except (TypeError, ValueError):
                schema, found = {}, {}
            schemas.append(schema)
            for name, definition in found.items():
                components.setdefault(name, definition)
        return schemas, components

    # One operation ------------------------------------------------------------------------

    def operation(self, route: Route, method: str, several: bool) -> dict[str, Any]:
        options = route.options
        op: dict[str, Any] = {}
        plan = options.get("api")
        tags = options.get("tags")
        module = options.get("module")
        if tags is None and module is not None:
            tags = [module.name]
        if tags:
            op["tags"] = list(tags)
        summary, description = _describe(route.endpoint)
        summary = options.get("summary", summary)
        description = options.get("description", description)
        if summary:
            op["summary"] = summary
        if description:
            op["description"] = description
        op["operationId"] = self._operation_id(route, method, several)
        if options.get("deprecated"):
            op["deprecated"] = True
        parameters = self._parameters(route, plan.inputs if plan is not None else [])
        if parameters:
            op["parameters"] = parameters
        body: BodySpec | None = plan.body if plan is not None else None
        if body is not None and method in ("POST", "PUT", "PATCH", "DELETE"):
            op["requestBody"] = self._request_body(body)
        op["responses"] = self._responses(route, method, plan, parameters, body)
        security = list(options.get("security", ())) if plan is None else plan.security
        if security:
            op["security"] = [{name: []} for name in security]
        return op

    def _operation_id(self, route: Route, method: str, several: bool) -> str:
        given = route.options.get("operation_id")
        if given:
            base = str(given)
        elif route.name:
            base = route.name.replace(":", "_")
        else:
            base = re.sub(r"[^A-Za-z0-9]+", "_", route.path).strip("_") or "root"
        if several or (not given and not route.name):
            base = f"{base}_{method.lower()}"
        candidate, index = base, 2
        while candidate in self.operation_ids:
            candidate, index = f"{base}_{index}", index + 1
        self.operation_ids.add(candidate)
        return candidate

    def _parameters(self, route: Route, inputs: list[Input]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        typed_path = {i.name for i in inputs if i.where == "path"}
        converters = {s.name: s for s in route.segments if not isinstance(s, str)}
        for segment in converters.values():
            if segment.name in typed_path:
                continue
            found.append(
                {"name": segment.name, "in": "path", "required": True, "schema": _converter_schema(segment)}
            )
        for item in inputs:
            parameter: dict[str, Any] = {"name": item.name, "in": item.where}
            if item.where == "path":
                parameter["required"] = True
                converter = converters.get(item.name)
                if item.type is Any and converter is not None:
                    parameter["schema"] = _converter_schema(converter)
                else:
                    bounds = _converter_schema(converter) if converter is not None else None
                    self.schema_of(item.type, parameter, "schema", bounds)
            else:
                parameter["required"] = item.required
                annotation = item.type
                if not item.required and item.default is None:
                    annotation = without_none(annotation)[0]
                self.schema_of(annotation, parameter, "schema", _default(item))
                if item.where == "query" and _is_list(item.type):
                    parameter["style"], parameter["explode"] = "form", True
            marker = item.marker
            if marker is not None:
                if marker.description:
                    parameter["description"] = marker.description
                if marker.deprecated:
                    parameter["deprecated"] = True
                if marker.examples:
                    parameter["examples"] = _examples(marker.examples)
            found.append(parameter)
        return found

    def _request_body(self, body: BodySpec) -> dict[str, Any]:
        media: dict[str, Any] = {}
        if body.kind == "json":
            self.schema_of(body.type, media, "schema")
            content = {"application/json": media}
        else:
            properties: dict[str, Any] = {}
            required = []
            for name, annotation, needed, is_file in body.fields:
                if is_file:
                    file_schema = {"type": "string", "format": "binary"}
                    properties[name] = (
                        {"type": "array", "items": file_schema} if _is_list(annotation) else file_schema
                    )
                else:
                    self.schema_of(annotation, properties, name)
                if needed:
                    required.append(name)
            media["schema"] = {"type": "object", "properties": properties}
            if required:
                media["schema"]["required"] = required
            has_files = any(f[3] for f in body.fields)
            content = {"multipart/form-data": media}
            if not has_files:
                content["application/x-www-form-urlencoded"] = media
        marker = body.marker
        if marker is not None and marker.examples:
            media["examples"] = _examples(marker.examples)
        result: dict[str, Any] = {"required": body.required, "content": content}
        if marker is not None and marker.description:
            result["description"] = marker.description
        return result

    def _responses(
        self,
        route: Route,
        method: str,
        plan: Any,
        parameters: list[dict[str, Any]],
        body: BodySpec | None,
    ) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        if plan is not None:
            output = plan.output
            answer: dict[str, Any] = {"description": _phrase(output.status_code)}
            if output.json:
                media: dict[str, Any] = {}
                self.schema_of(output.annotation, media, "schema")
                answer["content"] = {"application/json": media}
            responses[str(output.status_code)] = answer
        else:
            responses["200"] = {"description": "OK"}
        errors: set[int] = set()
        if any(p["in"] == "path" for p in parameters):
            errors.add(404)
        if plan is not None and (plan.inputs or plan.body is not None):
            errors.add(422)
        if body is not None:
            errors.update({400, 413, 415})
        for status, value in (route.options.get("responses") or {}).items():
            entry = {"description": value} if isinstance(value, str) else dict(value)
            entry.setdefault("description", _phrase(int(status)))
            if int(status) >= 400 and "content" not in entry:
                entry["content"] = self._problem_content()
            responses[str(status)] = entry
        for status in sorted(errors):
            responses.setdefault(
                str(status), {"description": _phrase(status), "content": self._problem_content()}
            )
        return responses

    def _problem_content(self) -> dict[str, Any]:
        self.uses_problem = True
        return {self.api.error_media_type: {"schema": {"$ref": REF.format(name=_PROBLEM)}}}


def _examples(values: Any) -> dict[str, Any]:
    return {f"example{i + 1}": {"value": value} for i, value in enumerate(values)}


def _merged(schema: dict[str, Any], extra: dict[str, Any] | None) -> dict[str, Any]:
    if not extra:
        return schema
    if "type" in extra and schema.get("type", extra["type"]) != extra["type"]:
        return schema
    if "$ref" in schema and "type" in extra:
        return schema
    return {**schema, **{k: v for k, v in extra.items() if k not in schema}}


def _default(item: Input) -> dict[str, Any] | None:
    if item.required or item.default is None:
        return None
    try:
        return {"default": msgspec.to_builtins(item.default)}
    except (TypeError, msgspec.EncodeError):
        return None


def _describe(endpoint: Any) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(endpoint)
    if not doc or (doc == inspect.getdoc(type(endpoint)) and not inspect.isroutine(endpoint)):
        return None, None
    first, _, rest = doc.partition("\n\n")
    return " ".join(first.split()), (rest.strip() or None)


def _converter_schema(segment: Any) -> dict[str, Any]:
    kind = getattr(segment.converter, "openapi_type", "string")
    name = segment.converter_name
    if name == "int":
        return {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}
    if name == "uuid":
        return {"type": "string", "format": "uuid"}
    if name == "slug":
        return {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}
    if kind == "number":
        return {"type": "number", "minimum": 0}
    return {"type": kind, "minLength": 1} if kind == "string" else {"type": kind}


def _is_list(annotation: Any) -> bool:
    from ..params import item_type

    return item_type(annotation) is not None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Answer"
