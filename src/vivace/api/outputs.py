"""Answering from a handler's return annotation.

The annotation documents the answer; encoding is msgspec's, straight to
bytes, with no second validation pass unless the route asks for one
(``validate_response=True``). msgspec encodes Structs, dataclasses, dicts,
lists, datetimes, UUIDs and Decimals itself; model instances are encoded as
the objects their derived schema describes (a foreign key as the related
primary key), pydantic models through ``model_dump``.

A handler may still return a ``Response`` (sent as it is) or a tuple
``(value, status)`` / ``(value, status, headers)``.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from ..core.exceptions import ConfigError
from ..core.handlers import to_response
from ..core.responses import Response
from .params import bare, is_pydantic_model

Render = Callable[[Any], Response]

_MODEL_FIELDS: dict[type, list[tuple[str, str]]] = {}


def model_items(cls: type) -> list[tuple[str, str]]:
    """``(name in JSON, attribute)`` of each column of a model: ``("author", "author_id")``."""
    found = _MODEL_FIELDS.get(cls)
    if found is None:
        found = [(f.name, f.attname) for f in cls._meta.concrete_fields]  # type: ignore[attr-defined]
        _MODEL_FIELDS[cls] = found
    return found


def enc_hook(obj: Any) -> Any:
    """What msgspec cannot encode alone: model instances and pydantic models."""
    meta = getattr(obj, "_meta", None)
    if meta is not None and hasattr(obj, "_state"):
        return {name: getattr(obj, attname) for name, attname in model_items(type(obj))}
    dump = getattr(obj, "model_dump", None)
    if dump is not None and is_pydantic_model(type(obj)):
        return dump(mode="json")
    raise NotImplementedError(f"cannot encode a {type(obj).__name__} as JSON")


encoder = msgspec.json.Encoder(enc_hook=enc_hook)


class JSONBytes(Response):
    """JSON already encoded."""

    media_type = "application/json"


@dataclasses.dataclass(frozen=True)
class Output:
    """What an operation answers, for the docs: the annotation and the success status."""

    annotation: Any  # the return annotation; None when the handler declares none
    status_code: int
    json: bool  # whether the body is JSON described by ``annotation``


_CORE = (str, bytes, Any)


def is_core_return(annotation: Any) -> bool:
    """``-> str``, ``-> bytes``, ``-> Response``...: answered as the core answers them."""
    target = bare(annotation)
    return target in _CORE or (isinstance(target, type) and issubclass(target, Response))


def plan_output(annotation: Any, options: Mapping[str, Any], where: str) -> tuple[Render | None, Output]:
    """The function turning a returned value into a response, or None when the core's is right."""
    annotation = _body_of_tuple(annotation)
    no_content = annotation is None or annotation is type(None)
    status = options.get("status_code")
    if status is None:
        status = 204 if no_content else 200
    elif isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise ConfigError(f"{where}: status_code={status!r} is not an HTTP status (100 to 599)")
    if annotation is inspect.Parameter.empty or is_core_return(annotation):
        declared = None if annotation is inspect.Parameter.empty else annotation
        output = Output(declared, status, json=False)
        if "status_code" not in options:
            return None, output
        return _with_status(status), output
    output = Output(annotation, status, json=not no_content)
    if no_content:
        return _empty(status), output
    check = _validator(annotation) if options.get("validate_response") else None
    return _json(status, check), output


def _body_of_tuple(annotation: Any) -> Any:
    """``tuple[Order, int]`` (a ``(body, status)`` return) documents ``Order``."""
    if typing.get_origin(annotation) is tuple:
        args = typing.get_args(annotation)
        if len(args) in (2, 3) and args[1] is int:
            return args[0]
    return annotation


def _with_status(status: int) -> Render:
    def render(value: Any) -> Response:
        response = to_response(value)
        if type(value) is not tuple and not isinstance(value, Response):
            response.status_code = status
        return response

    return render


def _empty(status: int) -> Render:
    def render(value: Any) -> Response:
        if value is None:
            return Response(b"", status)
        return to_response(value)

    return render


def _json(status: int, check: Callable[[Any], None] | None) -> Render:
    encode = encoder.encode

    def render(value: Any) -> Response:
        if isinstance(value, Response):
            return value
        if type(value) is tuple:
            return _from_tuple(value, encode)
        if check is not None:
            check(value)
        return JSONBytes(encode(value), status)

    return render


def _from_tuple(value: tuple[Any, ...], encode: Callable[[Any], bytes]) -> Response:
    if len(value) not in (2, 3) or not isinstance(value[1], int) or isinstance(value[1], bool):
        raise TypeError("a tuple return must be (body, status) or (body, status, headers)")
    body, status = value[0], value[1]
    response = body if isinstance(body, Response) else JSONBytes(encode(body), status)
    response.status_code = status
    if len(value) == 3:
        headers = value[2]
        for key, header_value in headers.items() if isinstance(headers, Mapping) else headers:
            response.headers[key] = header_value
    return response


def _validator(annotation: Any) -> Callable[[Any], None]:
    from .schemas import substitute_models

    target = substitute_models(annotation)

    def check(value: Any) -> None:
        try:
            msgspec.convert(msgspec.to_builtins(value, enc_hook=enc_hook), target)
        except msgspec.ValidationError as exc:
            raise TypeError(f"the handler's answer does not fit its return annotation: {exc}") from None

    return check


def core_renders_alike(output: Output, options: Mapping[str, Any]) -> bool:
    """Whether the core's ``to_response`` answers the same as the planned renderer would.

    It does for dicts and lists of plain values (``-> dict[str, int]``), at
    status 200, with no check of the answer asked for: nothing in such an
    answer can be a model instance that only the planned encoder knows.
    """
    if not output.json or "status_code" in options or options.get("validate_response"):
        return False
    return typing.get_origin(bare(output.annotation)) in (dict, list) and _plain(output.annotation)


_PLAIN = (str, int, float, bool, type(None))


def _plain(annotation: Any) -> bool:
    target = bare(annotation)
    if target in _PLAIN:
        return True
    origin = typing.get_origin(target)
    if origin not in (dict, list, tuple, typing.Union, types.UnionType):
        return False
    args = typing.get_args(target)
    return bool(args) and all(arg is Ellipsis or _plain(arg) for arg in args)
