"""Errors raised by the core.

VivaceError                 base of every error vivace raises on purpose
 ├── ConfigError            a setup mistake, caught at start-up: says cause and fix
 ├── MissingDependency      an optional part used without its extra installed
 └── HTTPException          an error answered to the client with a status code
      ├── BadRequest            400
      ├── NotFound              404
      ├── MethodNotAllowed      405, carries the ``Allow`` header
      ├── RequestTimeout        408
      ├── PayloadTooLarge       413, a body, field or file past its limit
      ├── UnsupportedMediaType  415
      └── HeaderTooLarge        431
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, NoReturn

from .datastructures import check_header


class VivaceError(Exception):
    """Base class of the errors vivace raises on purpose."""


class ConfigError(VivaceError):
    """A setup mistake: the message names the cause and the fix."""


class MissingDependency(VivaceError, ImportError):
    """An optional feature was used without the extra that brings its library."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package!r} is not installed; install it with: pip install 'vivace[{extra}]'")


class HTTPException(VivaceError):
    """An error answered to the client with ``status_code``.

    ``detail`` is shown to the client; ``errors`` is an optional list of
    machine-readable field errors that the error formatter passes through.
    """

    status_code = 500

    def __init__(
        self,
        status_code: int | None = None,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        if status_code is not None:
            self.status_code = status_code
        if not 400 <= self.status_code <= 599:
            raise ValueError(f"an HTTP error status is 400 to 599, not {self.status_code!r}")
        self.title = _phrase(self.status_code)
        self.detail = detail if detail is not None else self.title
        if headers is None:
            self.headers: list[tuple[str, str]] = []
        elif isinstance(headers, Mapping):
            self.headers = list(headers.items())
        else:
            self.headers = list(headers)
        for name, value in self.headers:
            # Checked here, so a bad header fails where it is raised, as a 500.
            check_header(name, value)
        self.errors = errors
        super().__init__(f"{self.status_code} {self.title}: {self.detail}")


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


class _FixedStatus(HTTPException):
    """An HTTP error whose class fixes the status: ``NotFound("no such note")``."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(None, detail, headers=headers, errors=errors)


class BadRequest(_FixedStatus):
    status_code = 400


class NotFound(_FixedStatus):
    status_code = 404


class MethodNotAllowed(_FixedStatus):
    status_code = 405

    def __init__(self, allowed: Iterable[str], detail: str | None = None) -> None:
        self.allowed = sorted(set(allowed))
        super().__init__(detail, headers=[("allow", ", ".join(self.allowed))])


class RequestTimeout(_FixedStatus):
    status_code = 408


class PayloadTooLarge(_FixedStatus):
    status_code = 413


class UnsupportedMediaType(_FixedStatus):
    status_code = 415


class HeaderTooLarge(_FixedStatus):
    status_code = 431


def abort(status_code: int, detail: str | None = None, **kwargs: Any) -> NoReturn:
    """Stop handling the request and answer ``status_code``."""
    raise HTTPException(status_code, detail, **kwargs)
