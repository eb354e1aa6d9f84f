"""Response classes: each one is an ASGI callable that writes itself."""

from __future__ import annotations

import http.cookies
from collections.abc import AsyncIterable, Iterable, Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Literal

import msgspec

from .datastructures import MutableHeaders
from .types import Message, Receive, Scope, Send

HeadersLike = Mapping[str, str] | Iterable[tuple[str, str]]

_json_encoder = msgspec.json.Encoder()
# Content-Type header values by (media type, charset), built once each.
_CONTENT_TYPES: dict[tuple[str, str], bytes] = {}
# Answers that never carry a body nor a Content-Length (RFC 9110, 6.4.1 and 8.6).
_BODILESS = frozenset([*range(100, 200), 204, 304])
_NO_HEADERS: list[tuple[bytes, bytes]] = []
_BAD_IN_COOKIE_ATTRIBUTE = frozenset(";\x7f" + "".join(map(chr, range(32))))


class Response:
    """A response with a body known up front.

    ``content`` may be ``bytes`` or ``str`` (encoded with ``charset``).
    """

    media_type: str | None = None
    charset = "utf-8"
    # Class-level defaults, so that a response nobody adds a header or cookie to
    # stores two attributes only: its header container is made on first use.
    _headers: MutableHeaders | None = None
    # Set-Cookie values that get ``Secure`` when the request came over HTTPS.
    _secure_cookies: set[bytes] | None = None
    # Headers the app adds unless the response set them (the security headers).
    default_headers: list[tuple[bytes, bytes]] = _NO_HEADERS
    # Whether the body is known up front, so the start line carries its Content-Length.
    has_length = True

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: HeadersLike | None = None,
        media_type: str | None = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.body = self.render(content)
        if headers is not None:
            items = headers.items() if isinstance(headers, Mapping) else headers
            own = self.headers
            for key, value in items:
                own.add(key, value)

    @property
    def headers(self) -> MutableHeaders:
        headers = self._headers
        if headers is None:
            headers = self._headers = MutableHeaders([])
        return headers

    @headers.setter
    def headers(self, value: MutableHeaders) -> None:
        self._headers = value

    def render(self, content: Any) -> bytes:
        kind = type(content)
        if kind is str:
            return content.encode(self.charset)  # type: ignore[no-any-return]
        if kind is bytes or content is None:
            return content or b""  # type: ignore[no-any-return]
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode(self.charset)
        raise TypeError(f"{type(self).__name__} takes bytes or str, not {type(content).__name__}")

    def _content_type(self) -> bytes | None:
        media_type = self.media_type
        if media_type is None:
            return None
        key = (media_type, self.charset)
        found = _CONTENT_TYPES.get(key)
        if found is None:
            if media_type.startswith("text/") and "charset=" not in media_type:
                media_type = f"{media_type}; charset={self.charset}"
            found = media_type.encode("latin-1")
            if len(_CONTENT_TYPES) < 512:
                _CONTENT_TYPES[key] = found
        return found

    def _start_headers(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        own = self._headers
        raw = own.raw if own is not None else _NO_HEADERS
        names = dict(raw)  # only the keys matter; dict() of pairs is the cheapest index
        extra: list[tuple[bytes, bytes]] = []
        if b"content-type" not in names:
            content_type = self._content_type()
            if content_type is not None:
                extra.append((b"content-type", content_type))
        if b"content-length" not in names and self.has_length and self.status_code not in _BODILESS:
            extra.append((b"content-length", b"%d" % len(self.body)))
        extra += [h for h in self.default_headers if h[0] not in names]
        if self._secure_cookies is not None and scope.get("scheme") in ("https", "wss"):
            pending = self._secure_cookies
            raw = [(k, v + b"; Secure") if k == b"set-cookie" and v in pending else (k, v) for k, v in raw]
        return raw + extra if extra else raw

    def messages(self, scope: Scope) -> tuple[Message, Message]:
        """The start and the one body message of a response whose body is known up front."""
        status, body = self.status_code, self.body
        content_type = self._content_type()
        if self._headers is None and content_type is not None and self.has_length and status not in _BODILESS:
            # The common case of _start_headers, written out: no header of the handler's own.
            headers = [
                (b"content-type", content_type),
                (b"content-length", b"%d" % len(body)),
                *self.default_headers,
            ]
        else:
            headers = self._start_headers(scope)
        if body and (status in _BODILESS or scope.get("method") == "HEAD"):
            body = b""
        return {"type": "http.response.start", "status": status, "headers": headers}, {
            "type": "http.response.body",
            "body": body,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = self.messages(scope)
        await send(start)
        await send(body)

    # Cookies -----------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime | int | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool | None = None,
        httponly: bool = True,
        samesite: Literal["lax", "strict", "none"] | None = "lax",
    ) -> None:
        """Set a cookie, safe by default: ``HttpOnly``, ``SameSite=Lax``, ``Path=/``.

        ``secure=None`` adds ``Secure`` when the request came over HTTPS.
        """
        jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        jar[key] = value
        morsel = jar[key]
        if max_age is not None:
            morsel["max-age"] = str(max_age)
        if expires is not None:
            if isinstance(expires, datetime):
                morsel["expires"] = format_datetime(expires.astimezone(UTC), usegmt=True)
            else:
                # An int is seconds from now, which the morsel turns into a date.
                morsel["expires"] = int(expires)
        for attribute, text in (("path", path), ("domain", domain)):
            if text is not None and _BAD_IN_COOKIE_ATTRIBUTE.intersection(text):
                raise ValueError(f"cookie {attribute} {text!r} may not contain ';' or control characters")
        morsel["path"] = path
        if domain is not None:
            morsel["domain"] = domain
        if httponly:
            morsel["httponly"] = True
        if samesite is not None:
            if samesite not in ("lax", "strict", "none"):
                raise ValueError(f"samesite must be 'lax', 'strict' or 'none', not {samesite!r}")
            morsel["samesite"] = samesite.capitalize()
            if samesite == "none" and secure is None:
                secure = True  # browsers drop SameSite=None cookies without Secure
        if secure:
            morsel["secure"] = True
        cookie = morsel.OutputString()
        self.headers.add("set-cookie", cookie)
        if secure is None:
            if self._secure_cookies is None:
                self._secure_cookies = set()
            self._secure_cookies.add(cookie.encode("latin-1"))

    def delete_cookie(self, key: str, *, path: str = "/", domain: str | None = None) -> None:
        self.set_cookie(
            key,
            "",
            max_age=0,
            expires=datetime(1970, 1, 1, tzinfo=UTC),
            path=path,
            domain=domain,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status_code}>"


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


class JSONResponse(Response):
    """JSON encoded by msgspec: dicts, lists, Structs, dataclasses, datetimes, UUIDs."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _json_encoder.encode(content)


class RedirectResponse(Response):
    """A redirect; ``url`` should be on-site unless the caller checked it."""

    def __init__(self, url: str, status_code: int = 302, headers: HeadersLike | None = None) -> None:
        super().__init__(b"", status_code, headers)
        self.headers["location"] = url


class StreamingResponse(Response):
    """A body produced piece by piece by a (sync or async) iterable of bytes or str."""

    def __init__(
        self,
        content: AsyncIterable[bytes | str] | Iterable[bytes | str],
        status_code: int = 200,
        headers: HeadersLike | None = None,
        media_type: str | None = None,
    ) -> None:
        super().__init__(None, status_code, headers, media_type)
        self.content = content

    has_length = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self._start_headers(scope),
            }
        )
        if scope.get("method") != "HEAD" and self.status_code not in _BODILESS:
            async for chunk in _aiterate(self.content):
                if isinstance(chunk, str):
                    chunk = chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


async def _aiterate(content: AsyncIterable[Any] | Iterable[Any]) -> Any:
    if isinstance(content, AsyncIterable):
        async for chunk in content:
            yield chunk
    else:
        from .concurrency import iterate_in_threadpool

        async for chunk in iterate_in_threadpool(content):
            yield chunk
