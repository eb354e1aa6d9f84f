"""Reading one parameter from a request: path, query, header, cookie, body, form, file.

Each reader is built once, at registration, for one parameter and its type.
A reader that finds a problem appends it to the request's error list and
returns ``None``, so that every problem of a request is reported at once.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from ..core.exceptions import BadRequest, UnsupportedMediaType
from ..core.requests import Request
from ..core.uploads import UploadFile
from .params import Param, bare, is_pydantic_model, item_type, without_none
from .unknown import UnknownFields
from .validation import FieldError, body_error, error, from_msgspec, from_pydantic

Errors = list[FieldError]
Reader = Callable[[Request, Errors], Any]
AsyncReader = Callable[[Request, Errors], Awaitable[Any]]

MISSING: Any = msgspec.UNSET


@dataclasses.dataclass(frozen=True)
class Input:
    """One documented input of an operation (what OpenAPI lists as a parameter)."""

    where: str  # path, query, header or cookie
    name: str  # the name on the wire
    type: Any
    required: bool
    default: Any
    marker: Param | None


def _converter(annotation: Any) -> Callable[[Any], Any]:
    """A function turning text (or a list of texts) into ``annotation``; raises ValidationError."""
    if annotation is str or annotation is Any:
        return _identity
    floats = _has_float(annotation)

    def convert(value: Any) -> Any:
        result = msgspec.convert(value, annotation, strict=False)
        if floats and not _finite(result):
            raise msgspec.ValidationError("Expected a finite number")
        return result

    return convert


def _identity(value: Any) -> Any:
    return value


def _has_float(annotation: Any) -> bool:
    inner = bare(annotation)
    if inner is float:
        return True
    return any(_has_float(arg) for arg in typing.get_args(inner) if arg is not Ellipsis)


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(_finite(v) for v in value)
    return True


def _missing(where: str, name: str) -> FieldError:
    return error(where, name, f"Missing required {where} parameter {name!r}")


def text_reader(spec: Input) -> Reader:
    """A query, header or cookie value (or several, for a list type)."""
    where, name, default, required = spec.where, spec.name, spec.default, spec.required
    convert = _converter(spec.type)
    multiple = item_type(spec.type) is not None

    if where == "query":
        if multiple:

            def get_many(request: Request) -> Any:
                values = request.query_params.getlist(name)
                return values if values else None

            source: Callable[[Request], Any] = get_many
        else:

            def source(request: Request) -> Any:
                return request.query_params.get(name)

    elif where == "header":
        if multiple:

            def get_headers(request: Request) -> Any:
                values = request.headers.getlist(name)
                return values if values else None

            source = get_headers
        else:

            def source(request: Request) -> Any:
                return request.headers.get(name)

    else:

        def source(request: Request) -> Any:
            return request.cookies.get(name)

        if multiple:
            single = convert

            def convert(value: Any) -> Any:
                return single([value])

    def read(request: Request, errors: Errors) -> Any:
        raw = source(request)
        if raw is None:
            if required:
                errors.append(_missing(where, name))
            return default
        try:
            return convert(raw)
        except msgspec.ValidationError as exc:
            errors.append(from_msgspec(exc, where, [name]))
            return None

    return read


def path_reader(spec: Input) -> Reader:
    """A path parameter, already parsed by the route's converter; converted further if annotated so."""
    name = spec.name
    annotation = spec.type
    target = bare(annotation)
    plain = isinstance(target, type) and typing.get_origin(annotation) is None
    if annotation is Any or annotation is None:

        def read_raw(request: Request, errors: Errors) -> Any:
            return request.path_params[name]

        return read_raw
    convert = _converter(annotation)

    def read(request: Request, errors: Errors) -> Any:
        value = request.path_params[name]
        if plain and type(value) is target:
            return value
        try:
            return convert(value)
        except msgspec.ValidationError as exc:
            errors.append(from_msgspec(exc, "path", [name]))
            return None

    return read


# Bodies --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BodySpec:
    """The body an operation takes, for the docs."""

    kind: str  # "json" or "form"
    type: Any  # json: the decoded type; form: a Struct type or None for separate fields
    required: bool
    marker: Param | None
    # For forms: (wire name, type, required, is a file) of each field.
    fields: tuple[tuple[str, Any, bool, bool], ...] = ()


def content_type(request: Request) -> bytes | None:
    """The media type of the body, lower-cased, without parameters; None without the header."""
    for key, value in request.scope["headers"]:
        if key == b"content-type":
            media: bytes = value.partition(b";")[0].strip().lower()
            return media
    return None


def is_json(media_type: bytes) -> bool:
    return media_type == b"application/json" or media_type.endswith(b"+json")


def json_reader(annotation: Any, required: bool, default: Any, unknown: UnknownFields | None) -> AsyncReader:
    """The JSON body decoded straight into ``annotation`` (msgspec, or pydantic for its models)."""
    inner, _ = without_none(annotation)
    pydantic_model = bare(inner) if is_pydantic_model(bare(inner)) else None
    decode = None if pydantic_model is not None else msgspec.json.Decoder(annotation).decode

    async def read(request: Request, errors: Errors) -> Any:
        media = content_type(request)
        if media is not None and not is_json(media):
            raise UnsupportedMediaType(
                f"expected a JSON body (Content-Type application/json), got {media[:60].decode('latin-1')!r}"
            )
        data = await request.body()
        if not data:
            if required:
                errors.append(body_error([], "A JSON body is required."))
            return default
        if media is None:
            raise UnsupportedMediaType("expected a JSON body with Content-Type application/json")
        try:
            value = pydantic_model.model_validate_json(data) if decode is None else decode(data)  # type: ignore[union-attr]
        except msgspec.ValidationError as exc:
            errors.append(from_msgspec(exc, "body"))
            return None
        except msgspec.DecodeError as exc:
            raise malformed(str(exc)) from None
        except RecursionError:
            raise malformed("nested too deeply") from None
        except UnicodeDecodeError:
            raise malformed("the body is not valid UTF-8") from None
        except Exception as exc:
            if pydantic_model is not None and type(exc).__name__ == "ValidationError":
                problems = from_pydantic(exc)
                if problems and problems[0]["message"].startswith("Invalid JSON"):
                    raise malformed(problems[0]["message"]) from None
                errors.extend(problems)
                return None
            raise
        if unknown is not None:
            unknown.check(data, errors)
        return value

    return read


def malformed(reason: str) -> BadRequest:
    message = f"malformed JSON: {reason}"
    return BadRequest(message, errors=[body_error([], message)])


def form_reader(name: str, annotation: Any, required: bool, default: Any, file: bool) -> AsyncReader:
    """One field (or the files) of a url-encoded or multipart form."""
    multiple = item_type(annotation) is not None
    convert = None if file else _converter(annotation)

    async def read(request: Request, errors: Errors) -> Any:
        form = await request.form()
        values = form.getlist(name)
        if not values:
            if required:
                errors.append(error("body", name, f"Missing required form field {name!r}"))
            return default
        if file:
            if any(not isinstance(v, UploadFile) for v in values):
                errors.append(error("body", name, "Expected a file"))
                return None
            return values if multiple else values[-1]
        if any(isinstance(v, UploadFile) for v in values):
            errors.append(error("body", name, "Expected a value, got a file"))
            return None
        assert convert is not None
        try:
            return convert(values if multiple else values[-1])
        except msgspec.ValidationError as exc:
            errors.append(from_msgspec(exc, "body", [name]))
            return None

    return read


def form_model_reader(annotation: Any, required: bool, default: Any) -> AsyncReader:
    """The whole form as one Struct, dataclass or TypedDict: fields by name, lists for list fields."""
    info = msgspec.inspect.type_info(bare(without_none(annotation)[0]))
    fields = getattr(info, "fields", ())
    lists = (msgspec.inspect.ListType, msgspec.inspect.SetType)
    many = {f.encode_name for f in fields if isinstance(f.type, lists)}

    async def read(request: Request, errors: Errors) -> Any:
        form = await request.form()
        if not form and not required:
            return default
        data = {key: (form.getlist(key) if key in many else form[key]) for key in form}
        try:
            return msgspec.convert(data, annotation, strict=False)
        except msgspec.ValidationError as exc:
            errors.append(from_msgspec(exc, "body"))
            return None

    return read
