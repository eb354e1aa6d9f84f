"""The request object handed to every handler."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any

import msgspec

from . import batteries
from .datastructures import Headers, QueryParams
from .exceptions import BadRequest, PayloadTooLarge, RequestTimeout, UnsupportedMediaType
from .types import Receive, Scope

if TYPE_CHECKING:
    from .app import App
    from .forms import FormData
    from .routing import Route

_json_decoder = msgspec.json.Decoder()


class ClientDisconnect(Exception):
    """The client went away before the body was read."""


class State:
    """Free attributes for a request (or an app) to carry: ``request.state.user_id``."""

    def __init__(self, data: dict[str, Any]) -> None:
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._data[name]
        except KeyError:
            raise AttributeError(f"state has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._data[name] = value

    def __delattr__(self, name: str) -> None:
        del self._data[name]


class Request:
    """An HTTP request: lazy views over the ASGI scope and a body read on demand."""

    __slots__ = (
        "_body",
        "_cookies",
        "_form",
        "_headers",
        "_query",
        "_receive",
        "_stream_used",
        "app",
        "path_params",
        "route",
        "scope",
    )

    def __init__(self, scope: Scope, receive: Receive, app: App) -> None:
        self.scope = scope
        self._receive = receive
        self.app = app
        self.path_params: dict[str, Any] = {}
        self.route: Route | None = None
        self._headers: Headers | None = None
        self._query: QueryParams | None = None
        self._cookies: dict[str, str] | None = None
        self._body: bytes | None = None
        self._form: FormData | None = None
        self._stream_used = False

    # The request line and headers -------------------------------------------

    @property
    def method(self) -> str:
        return self.scope["method"]  # type: ignore[no-any-return]

    @property
    def path(self) -> str:
        return self.scope["path"]  # type: ignore[no-any-return]

    @property
    def query_string(self) -> str:
        return self.scope.get("query_string", b"").decode("latin-1")  # type: ignore[no-any-return]

    @property
    def query_params(self) -> QueryParams:
        if self._query is None:
            self._query = QueryParams(self.scope.get("query_string", b""))
        return self._query

    @property
    def headers(self) -> Headers:
        if self._headers is None:
            self._headers = Headers(self.scope["headers"])
        return self._headers

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            self._cookies = parse_cookies(self.headers.getlist("cookie"))
        return self._cookies

    @property
    def client(self) -> tuple[str, int] | None:
        client = self.scope.get("client")
        return (client[0], client[1]) if client else None

    @property
    def scheme(self) -> str:
        return self.scope.get("scheme", "http")  # type: ignore[no-any-return]

    @property
    def is_secure(self) -> bool:
        return self.scheme in ("https", "wss")

    @property
    def host(self) -> str:
        """The Host header, already checked against ``allowed_hosts`` by the app."""
        return self.headers.get("host", "")

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}{self.scope.get('root_path', '')}/"

    @property
    def url(self) -> str:
        from urllib.parse import quote

        url = f"{self.scheme}://{self.host}{self.scope.get('root_path', '')}{quote(self.path)}"
        query = self.query_string
        return f"{url}?{query}" if query else url

    @property
    def state(self) -> State:
        return State(self.scope.setdefault("state", {}))

    @property
    def id(self) -> str:
        """The request id: set by ``RequestIDMiddleware``, else made on first use."""
        state = self.scope.setdefault("state", {})
        request_id = state.get("request_id")
        if request_id is None:
            request_id = state["request_id"] = uuid.uuid4().hex
        return request_id  # type: ignore[no-any-return]

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    # The body ----------------------------------------------------------------

    @property
    def max_body_size(self) -> int:
        if self.route is not None and "max_body_size" in self.route.options:
            return self.route.options["max_body_size"]  # type: ignore[no-any-return]
        return self.app.settings.max_body_size

    async def stream(self, limit: int | None = None) -> AsyncIterator[bytes]:
        """The body as it arrives, chunk by chunk, within the size limit.

        Raises ``PayloadTooLarge`` as soon as the declared or received size
        passes ``limit`` (the route's or app's ``max_body_size`` by default).
        """
        if self._body is not None:
            if self._body:
                yield self._body
            return
        if self._stream_used:
            raise RuntimeError("the request body was already read by request.stream()")
        self._stream_used = True
        limit = self.max_body_size if limit is None else limit
        declared = self.headers.get("content-length")
        if declared is not None:
            if not (declared.isascii() and declared.isdigit()):
                raise BadRequest(f"invalid Content-Length {declared[:40]!r}")
            if int(declared) > limit:
                raise _too_large(limit)
        timeout = self.app.settings.body_timeout
        received = 0
        while True:
            try:
                async with asyncio.timeout(timeout):
                    message = await self._receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body did not arrive within body_timeout={timeout:g}s",
                    headers=[("connection", "close")],
                ) from None
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def body(self) -> bytes:
        if self._body is None:
            chunks = [chunk async for chunk in self.stream()]
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        """The body decoded as JSON; 415 for another content type, 400 if malformed."""
        content_type = self.content_type
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(
                f"expected Content-Type application/json, got {content_type or 'none'!r}"
            )
        return decode_json(await self.body())

    async def form(self) -> FormData:
        """The url-encoded or multipart form, within the form limits of the settings."""
        if self._form is None:
            from .forms import FormLimits, parse_form

            s = self.app.settings
            multipart = self.content_type == "multipart/form-data"
            limits = FormLimits(
                max_fields=s.max_form_fields,
                max_files=s.max_form_files,
                max_part_size=s.max_part_size,
                max_upload_size=s.max_upload_size,
                max_body_size=self.max_body_size,
                max_part_header_size=s.max_part_header_size,
                spool_size=s.upload_spool_size,
            )
            stream = self.stream(s.max_upload_size if multipart else self.max_body_size)
            self._form = await parse_form(self.headers.get("content-type", ""), stream, limits)
        return self._form

    async def close(self) -> None:
        if self._form is not None:
            self._form.close()

    # Battery attributes ---------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only names that are not ordinary attributes get here: ``request.user`` and
        # ``request.session`` are answered by the battery that offers them (vivace.auth).
        factory = batteries.request_attributes.get(name)
        if factory is None:
            hint = batteries.KNOWN.get(name) if not name.startswith("_") else None
            extra = f"; it comes with {hint}: import it first" if hint else ""
            raise AttributeError(f"'Request' object has no attribute {name!r}{extra}")
        return factory(self)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


def decode_json(data: bytes) -> Any:
    try:
        return _json_decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    except UnicodeDecodeError:
        raise BadRequest("malformed JSON: the body is not valid UTF-8") from None
    except RecursionError:
        raise BadRequest("malformed JSON: nested too deeply") from None


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the request body is larger than max_body_size={limit} bytes",
        headers=[("connection", "close")],
    )


def parse_cookies(values: list[str]) -> dict[str, str]:
    """Cookie headers to a dict; a malformed pair is skipped, never an error."""
    cookies: dict[str, str] = {}
    for header in values:
        for pair in header.split(";"):
            name, sep, value = pair.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                try:
                    jar: SimpleCookie = SimpleCookie()
                    jar.load(f"{name}={value}")
                    value = jar[name].value
                except (CookieError, KeyError):
                    continue
            cookies.setdefault(name, value)
    return cookies
