"""Gzip compression of response bodies, negotiated with ``Accept-Encoding``.

A response is compressed when the client accepts gzip (``q`` weights honoured:
``gzip;q=0`` refuses it, ``*`` covers it when gzip is not named), the response
has no ``Content-Encoding`` yet, its media type is not excluded, and it is
long enough. A body sent in one message is compressed whole and gets a new
``Content-Length``; a streamed body (``more_body``) is compressed chunk by
chunk, each chunk flushed so the client gets it without waiting for the next,
and ``Content-Length`` is dropped. Nothing is ever buffered beyond one chunk.

Left alone: HEAD requests, 204 and 304 answers, partial content (206 or a
``Content-Range``), and bodies sent with ``http.response.pathsend``.

``Vary: Accept-Encoding`` goes on every response that would be compressed for
a client that asked, including the plain copy sent to one that did not (when
such a copy has no ``Content-Length``, it gets the ``Vary`` whatever its size),
so a shared cache never hands a gzip body to a client that cannot read it. A strong
``ETag`` is made weak on the compressed copy: it is no longer the same bytes.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from functools import lru_cache

from ..exceptions import ConfigError
from ..types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_EXCLUDED_MEDIA_TYPES: tuple[str, ...] = (
    "text/event-stream",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/heic",
    "audio/*",
    "video/*",
    "font/woff",
    "font/woff2",
    "application/zip",
    "application/gzip",
    "application/x-gzip",
    "application/zstd",
    "application/x-bzip2",
    "application/x-xz",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-rar-compressed",
)

_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/(\*|[a-z0-9!#$&^_.+-]+)")
_WEIGHT = re.compile(rb"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_NO_COMPRESSION_STATUS = frozenset({204, 206, 304})

_PENDING = object()
_PASS = object()
_STREAM = object()


class GZipMiddleware:
    """Compress response bodies with gzip when the client accepts it.

    ``minimum_size`` is in bytes: a shorter body (or a shorter declared
    ``Content-Length``) is sent as it is. ``compresslevel`` is zlib's, 1 to 9.
    ``exclude_media_types`` lists media types never compressed, each exact
    (``"image/png"``) or a whole type (``"video/*"``); it replaces the default
    list, so extend ``DEFAULT_EXCLUDED_MEDIA_TYPES`` to keep it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        minimum_size: int = 500,
        compresslevel: int = 6,
        exclude_media_types: Iterable[str] = DEFAULT_EXCLUDED_MEDIA_TYPES,
    ) -> None:
        if type(minimum_size) is not int or minimum_size < 0:
            raise ConfigError(
                f"GZipMiddleware: minimum_size={minimum_size!r} is invalid; "
                "allowed: an int >= 0 (a body size in bytes)"
            )
        if type(compresslevel) is not int or not 1 <= compresslevel <= 9:
            raise ConfigError(
                f"GZipMiddleware: compresslevel={compresslevel!r} is invalid; "
                "allowed: an int from 1 (fastest) to 9 (smallest)"
            )
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.exclude_media_types = _check_media_types(exclude_media_types)
        self._excluded = frozenset(t.encode("ascii") for t in self.exclude_media_types)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        accepts = _accepts_gzip(scope["headers"])
        await self.app(scope, receive, _Responder(self, send, accepts).send)

    def _is_excluded(self, content_type: bytes) -> bool:
        media_type = content_type.partition(b";")[0].strip().lower()
        excluded = self._excluded
        return media_type in excluded or media_type.partition(b"/")[0] + b"/*" in excluded


def _check_media_types(value: Iterable[str]) -> frozenset[str]:
    allowed = "an iterable of media types such as 'image/png' or 'video/*'"
    if isinstance(value, str | bytes):
        raise ConfigError(
            f"GZipMiddleware: exclude_media_types={value!r} is a single string; allowed: {allowed}"
        )
    try:
        items = list(value)
    except TypeError:
        raise ConfigError(
            f"GZipMiddleware: exclude_media_types={value!r} is invalid; allowed: {allowed}"
        ) from None
    for item in items:
        if not isinstance(item, str) or not _MEDIA_TYPE.fullmatch(item.lower()):
            raise ConfigError(
                f"GZipMiddleware: exclude_media_types entry {item!r} is invalid; allowed: {allowed}"
            )
    return frozenset(item.lower() for item in items)


class _Responder:
    """Watches one response on its way out and compresses it if it qualifies.

    ``mode`` is ``_PENDING`` until the decision is made, then ``_PASS`` (send
    everything as it comes) or ``_STREAM`` (compress each body message).
    """

    __slots__ = ("accepts", "compressor", "middleware", "mode", "original_send", "start")

    def __init__(self, middleware: GZipMiddleware, send: Send, accepts: bool) -> None:
        self.middleware = middleware
        self.original_send = send
        self.accepts = accepts
        self.mode = _PENDING
        self.start: Message | None = None
        self.compressor: zlib._Compress | None = None

    async def send(self, message: Message) -> None:
        mode = self.mode
        if mode is _PASS:
            await self.original_send(message)
        elif mode is _STREAM:
            await self._send_compressed(message)
        elif message["type"] == "http.response.start":
            await self._on_start(message)
        elif message["type"] == "http.response.body" and self.start is not None:
            await self._on_first_body(self.start, message)
        else:
            self.mode = _PASS
            if self.start is not None:
                await self.original_send(self.start)
                self.start = None
            await self.original_send(message)

    async def _on_start(self, message: Message) -> None:
        """Send the start at once unless compression is still possible."""
        if message["status"] in _NO_COMPRESSION_STATUS:
            self.mode = _PASS
            await self.original_send(message)
            return
        length: int | None = None
        for name, value in message.get("headers", ()):
            if name == b"content-encoding" or name == b"content-range":
                self.mode = _PASS
                await self.original_send(message)
                return
            if name == b"content-type" and self.middleware._is_excluded(value):
                self.mode = _PASS
                await self.original_send(message)
                return
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if length is not None and length < self.middleware.minimum_size:
            self.mode = _PASS
            await self.original_send(message)
        elif not self.accepts:
            self.mode = _PASS
            await self.original_send(_with_headers(message, vary=True))
        else:
            self.start = message

    async def _on_first_body(self, start: Message, message: Message) -> None:
        self.start = None
        body: bytes = message.get("body", b"")
        if not message.get("more_body", False):
            self.mode = _PASS
            if len(body) < self.middleware.minimum_size:
                await self.original_send(start)
                await self.original_send(message)
                return
            compressed = zlib.compress(body, self.middleware.compresslevel, wbits=_GZIP_WBITS)
            if len(compressed) >= len(body):
                await self.original_send(_with_headers(start, vary=True))
                await self.original_send(message)
                return
            await self.original_send(_with_headers(start, vary=True, length=len(compressed)))
            await self.original_send({**message, "body": compressed})
            return
        self.mode = _STREAM
        self.compressor = zlib.compressobj(self.middleware.compresslevel, zlib.DEFLATED, _GZIP_WBITS)
        await self.original_send(_with_headers(start, vary=True, length=-1))
        await self._send_compressed(message)

    async def _send_compressed(self, message: Message) -> None:
        compressor = self.compressor
        if message["type"] != "http.response.body" or compressor is None:
            await self.original_send(message)
            return
        body: bytes = message.get("body", b"")
        if message.get("more_body", False):
            if not body:
                return
            data = compressor.compress(body) + compressor.flush(zlib.Z_SYNC_FLUSH)
        else:
            data = compressor.compress(body) + compressor.flush(zlib.Z_FINISH)
            self.compressor = None
            self.mode = _PASS
        await self.original_send({**message, "body": data})


def _with_headers(start: Message, *, vary: bool, length: int | None = None) -> Message:
    """A copy of ``start`` with ``Vary`` merged and, if ``length`` is given, gzip set.

    ``length`` is the compressed size, or -1 for a stream (no ``Content-Length``).
    """
    headers: list[tuple[bytes, bytes]] = list(start.get("headers", ()))
    if length is not None:
        kept = []
        for name, value in headers:
            if name == b"content-length":
                continue
            if name == b"etag" and value.startswith(b'"'):
                value = b"W/" + value
            kept.append((name, value))
        kept.append((b"content-encoding", b"gzip"))
        if length >= 0:
            kept.append((b"content-length", str(length).encode("ascii")))
        headers = kept
    if vary:
        headers = merge_vary(headers, b"Accept-Encoding")
    return {**start, "headers": headers}


def merge_vary(headers: list[tuple[bytes, bytes]], field: bytes) -> list[tuple[bytes, bytes]]:
    """Add ``field`` to the ``Vary`` header of a raw header list, merging with any there.

    Returns ``headers`` itself (changed in place) or, when it had no ``Vary``, a
    list with one appended. ``Vary: *`` and a field already listed are left as
    they are; several ``Vary`` lines are folded into one.
    """
    wanted = field.lower()
    first = -1
    fields: list[bytes] = []
    for index, (name, value) in enumerate(headers):
        if name != b"vary":
            continue
        if first < 0:
            first = index
        for item in value.split(b","):
            item = item.strip()
            if item == b"*" or item.lower() == wanted:
                return headers
            if item:
                fields.append(item)
    if first < 0:
        headers.append((b"vary", field))
        return headers
    fields.append(field)
    headers[first] = (b"vary", b", ".join(fields))
    headers[first + 1 :] = [h for h in headers[first + 1 :] if h[0] != b"vary"]
    return headers


def _accepts_gzip(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    value: bytes | None = None
    for name, raw in headers:
        if name == b"accept-encoding":
            value = raw if value is None else value + b"," + raw
    if value is None:
        return False
    if len(value) > 256:
        return _gzip_weight(value) > 0
    return _cached_gzip_weight(value) > 0


def _gzip_weight(value: bytes) -> float:
    """The weight an ``Accept-Encoding`` value gives gzip (0 is "not acceptable").

    gzip (or its alias x-gzip) named explicitly wins over ``*``; a malformed
    weight counts as 0, so a garbled header never gets a compressed body.
    """
    gzip: float | None = None
    star: float | None = None
    for item in value.split(b","):
        coding, _, params = item.partition(b";")
        coding = coding.strip().lower()
        if coding == b"gzip" or coding == b"x-gzip":
            weight = _weight(params)
            gzip = weight if gzip is None else max(gzip, weight)
        elif coding == b"*":
            star = _weight(params)
    if gzip is not None:
        return gzip
    return star or 0.0


_cached_gzip_weight = lru_cache(maxsize=256)(_gzip_weight)


def _weight(params: bytes) -> float:
    weight = 1.0
    for param in params.split(b";"):
        name, sep, raw = param.partition(b"=")
        if not sep:
            if param.strip():
                return 0.0
            continue
        if name.strip().lower() != b"q":
            continue
        raw = raw.strip()
        if not _WEIGHT.fullmatch(raw):
            return 0.0
        weight = float(raw)
    return weight
