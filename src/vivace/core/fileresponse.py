"""Serving a file from disk: downloads, conditional GETs and byte ranges.

``FileResponse`` opens its file when it is called, not when it is built, and
answers from what it opened:

* the status is 200, or 304 when a validator matches (``If-None-Match``, else
  ``If-Modified-Since``), 412 when ``If-Match`` / ``If-Unmodified-Since``
  fail, 206 for a satisfiable ``Range`` (honouring ``If-Range``), 416 when no
  requested range is satisfiable;
* conditionals and ranges apply only to GET and HEAD of a response whose
  status is 200; any other response sends the whole file;
* the body is read in chunks in the thread pool; the file is opened once and
  closed when the call ends, however it ends (including a client that went
  away, which the server reports by raising from ``send``);
* a file that is missing, or is not a regular file, when the response is
  called raises ``NotFound`` before anything is sent, so the app's error
  handling answers 404.

Range rules (RFC 9110 section 14), and what vivace chose where the RFC lets it:

* a header that is not ``bytes=`` followed by valid range specs is ignored
  (200 with the whole file); that includes an inverted range ``bytes=5-1``;
* a valid set where no range is satisfiable (all start past the end, or
  ``-0``) is 416 with ``Content-Range: bytes */<size>``; unsatisfiable
  members of a partly satisfiable set are dropped;
* a suffix longer than the file (``bytes=-999999``) is the whole file, as a
  206 of ``0-(size-1)``;
* at most ``MAX_RANGES`` (16) ranges are read from the header; more, or
  ranges that overlap, make the header ignored: the whole file is sent once
  with 200. Non-overlapping ranges never add up to more than the file, so a
  multi-range answer stays within size plus a small part-header overhead.
"""

from __future__ import annotations

import email.utils
import itertools
import mimetypes
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Sequence
from typing import BinaryIO
from urllib.parse import quote

from .concurrency import run_in_threadpool
from .datastructures import Headers
from .exceptions import NotFound
from .responses import HeadersLike, Response
from .types import Receive, Scope, Send

MAX_RANGES = 16

_mimetypes = mimetypes.MimeTypes()  # built-in table only: same answer on every machine
for _ext, _type in {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/vnd.microsoft.icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".md": "text/markdown",
}.items():
    _mimetypes.add_type(_type, _ext)

_ENCODING_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "br": "application/x-brotli",
    "compress": "application/x-compress",
}

_ETAG = re.compile(r'(W/)?"([^"]*)"')
_REPRESENTATION_HEADERS = frozenset(
    {
        b"content-type",
        b"content-length",
        b"content-range",
        b"content-disposition",
        b"content-encoding",
        b"content-language",
    }
)
_HUGE = 1 << 62  # stands for any position beyond every real file

_RawHeaders = list[tuple[bytes, bytes]]
_Piece = bytes | tuple[int, int]  # literal bytes, or the file's bytes from start to stop
_Plan = tuple[int, _RawHeaders, list[_Piece]]


def guess_media_type(name: str) -> str:
    """The media type for a file name, from its extension; octet-stream if unknown.

    ``x.tar.gz`` is ``application/gzip``: the bytes on the wire are gzip, and
    no ``Content-Encoding`` is added.
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    media_type, encoding = _mimetypes.guess_type("/" + base)  # "/" so no "x:" reads as a URL
    if encoding is not None:
        return _ENCODING_TYPES.get(encoding, "application/octet-stream")
    return media_type or "application/octet-stream"


def content_disposition(filename: str | None, *, attachment: bool = True) -> str:
    """A ``Content-Disposition`` value (RFC 6266), safe for any ``filename``.

    Control and format characters (CR, LF, NUL, bidi overrides), slashes and
    backslashes become ``_``; ``filename`` holds an ASCII fallback (quotes
    replaced too) and ``filename*=UTF-8''...`` the full name when it is not
    plain ASCII.
    """
    kind = "attachment" if attachment else "inline"
    if filename is None:
        return kind
    name = (
        "".join(
            "_" if ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
            for ch in filename
        )
        or "download"
    )
    fallback = "".join(
        ch if " " <= ch <= "~" and ch not in '"\\' else "_"
        for ch in unicodedata.normalize("NFKD", name)
        if not unicodedata.combining(ch)
    )
    value = f'{kind}; filename="{fallback}"'
    if fallback != name:
        value += "; filename*=UTF-8''" + quote(name, safe="!#$&+-.^_`|~")
    return value


class FileResponse(Response):
    """A file from disk, read in chunks off the event loop.

    ``filename`` names the download: it makes the response an attachment
    unless ``attachment=False`` (then it is ``inline`` with that name);
    ``attachment=True`` without a filename sends a bare ``attachment``.
    Serve anything a user uploaded this way, never inline from the app's
    origin. The media type is guessed from ``filename``, else from ``path``.

    ``stat_result`` is the stat the caller took when it checked the path: the
    file opened at send time must be that same file (device and inode) or the
    call raises ``NotFound``, which closes the window between a safety check
    and the open. Size, ``ETag`` and ``Last-Modified`` always come from the
    file actually opened.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: HeadersLike | None = None,
        media_type: str | None = None,
        filename: str | None = None,
        *,
        attachment: bool | None = None,
        stat_result: os.stat_result | None = None,
        chunk_size: int = 64 * 1024,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        self.path = os.fspath(path)
        if media_type is None:
            media_type = guess_media_type(filename if filename is not None else self.path)
        super().__init__(None, status_code, headers, media_type)
        self.filename = filename
        self.stat_result = stat_result
        self.chunk_size = chunk_size
        self.headers.setdefault("x-content-type-options", "nosniff")
        if attachment is None:
            attachment = filename is not None
        if filename is not None or attachment:
            disposition = content_disposition(filename, attachment=attachment)
            self.headers["content-disposition"] = disposition

    has_length = False  # _plan() writes the length of what it sends

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        file, st = await run_in_threadpool(_open, self.path, self.stat_result)
        try:
            status, headers, pieces = self._plan(scope, st)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            if scope.get("method") == "HEAD" or not pieces:
                await send({"type": "http.response.body", "body": b""})
            else:
                await self._send_body(file, pieces, send)
        finally:
            file.close()

    def _plan(self, scope: Scope, st: os.stat_result) -> _Plan:
        """The status, headers and body pieces to send."""
        size = st.st_size
        names = {k for k, _ in self.headers.raw}
        validators: _RawHeaders = [(b"accept-ranges", b"bytes")]
        if b"etag" not in names:
            validators.append((b"etag", f'"{st.st_mtime_ns:x}-{size:x}"'.encode()))
        if b"last-modified" not in names:
            modified = email.utils.formatdate(st.st_mtime, usegmt=True)
            validators.append((b"last-modified", modified.encode()))
        base = self._start_headers(scope) + validators
        whole: _Plan = self.status_code, _with_length(base, size), [(0, size)]

        if self.status_code != 200 or scope.get("method") not in ("GET", "HEAD"):
            return whole
        request = Headers(scope.get("headers") or [])
        etag = _own_etag(base)
        mtime = int(st.st_mtime)
        precondition = _preconditions(request, etag, mtime)
        if precondition is not None:
            kept = [(k, v) for k, v in base if k not in _REPRESENTATION_HEADERS]
            return precondition, _with_length(kept, 0), []

        ranges_header = request.getlist("range")
        if len(ranges_header) != 1 or not _if_range_holds(request.get("if-range"), etag, mtime):
            return whole
        ranges = parse_range(ranges_header[0], size)
        if ranges is None:
            return whole
        if not ranges:
            kept = [(k, v) for k, v in base if k not in _REPRESENTATION_HEADERS]
            kept.append((b"content-range", f"bytes */{size}".encode()))
            return 416, _with_length(kept, 0), []
        if len(ranges) == 1:
            start, stop = ranges[0]
            headers = _with_length(base, stop - start)
            headers.append((b"content-range", f"bytes {start}-{stop - 1}/{size}".encode()))
            return 206, headers, [(start, stop)]
        return self._multipart(base, size, ranges)

    @staticmethod
    def _multipart(base: _RawHeaders, size: int, ranges: list[tuple[int, int]]) -> _Plan:
        boundary = secrets.token_hex(16)
        part_type = next((v for k, v in base if k == b"content-type"), None)
        type_line = b"content-type: " + part_type + b"\r\n" if part_type is not None else b""
        pieces: list[_Piece] = []
        length = 0
        for start, stop in ranges:
            head = (
                f"--{boundary}\r\n".encode()
                + type_line
                + f"content-range: bytes {start}-{stop - 1}/{size}\r\n\r\n".encode()
            )
            pieces += [head, (start, stop), b"\r\n"]
            length += len(head) + (stop - start) + 2
        closing = f"--{boundary}--\r\n".encode()
        pieces.append(closing)
        length += len(closing)
        headers = [(k, v) for k, v in base if k != b"content-type"]
        headers.append((b"content-type", f"multipart/byteranges; boundary={boundary}".encode()))
        return 206, _with_length(headers, length), pieces

    async def _send_body(self, file: BinaryIO, pieces: Sequence[_Piece], send: Send) -> None:
        pending = b""
        for piece in pieces:
            if isinstance(piece, bytes):
                pending += piece
                continue
            offset, stop = piece
            while offset < stop:
                data = await run_in_threadpool(_read_at, file, offset, min(self.chunk_size, stop - offset))
                offset += len(data)
                message = {"type": "http.response.body", "body": pending + data, "more_body": True}
                await send(message)
                pending = b""
        await send({"type": "http.response.body", "body": pending, "more_body": False})

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status_code} {self.path!r}>"


def parse_range(value: str, size: int) -> list[tuple[int, int]] | None:
    """The ``(start, stop)`` spans a ``Range`` header asks for, in request order.

    ``None`` means: ignore the header and send the whole file (not ``bytes``,
    malformed, inverted, more than ``MAX_RANGES``, overlapping). ``[]`` means
    no range is satisfiable (416). At most ``MAX_RANGES + 1`` specs are ever
    split off the header, whatever its length.
    """
    unit, equals, specs = value.partition("=")
    if not equals or unit.strip(" \t").lower() != "bytes":
        return None
    parts = specs.split(",", MAX_RANGES)
    if len(parts) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    seen = False
    for part in parts:
        spec = part.strip(" \t")
        if not spec:
            continue
        seen = True
        first, dash, last = spec.partition("-")
        if not dash:
            return None
        if not first:
            suffix = _position(last)
            if suffix is None:
                return None
            if suffix > 0 and size > 0:
                ranges.append((max(size - suffix, 0), size))
            continue
        start = _position(first)
        end = _position(last) if last else _HUGE
        if start is None or end is None or end < start:
            return None
        if start < size:
            ranges.append((start, min(end + 1, size)))
    if not seen:
        return None
    ordered = sorted(ranges)
    if any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered)):
        return None
    return ranges


def _position(text: str) -> int | None:
    if not text or not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0")
    return _HUGE if len(digits) > 18 else int(digits or "0")


def _own_etag(headers: _RawHeaders) -> tuple[bool, str] | None:
    for key, value in headers:
        if key == b"etag":
            match = _ETAG.fullmatch(value.decode("latin-1").strip())
            return (bool(match.group(1)), match.group(2)) if match else None
    return None


def _etags(value: str) -> list[tuple[bool, str]]:
    return [(bool(m.group(1)), m.group(2)) for m in _ETAG.finditer(value)]


def _strong_match(etag: tuple[bool, str] | None, tags: list[tuple[bool, str]]) -> bool:
    return etag is not None and not etag[0] and (False, etag[1]) in tags


def _http_date(value: str | None) -> int | None:
    if value is None or len(value) > 64:
        return None
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _preconditions(request: Headers, etag: tuple[bool, str] | None, mtime: int) -> int | None:
    """412 or 304 when a conditional header says so, in RFC 9110 section 13.2.2 order."""
    if_match = request.get("if-match")
    if if_match is not None:
        if if_match.strip() != "*" and not _strong_match(etag, _etags(if_match)):
            return 412
    else:
        unmodified_since = _http_date(request.get("if-unmodified-since"))
        if unmodified_since is not None and mtime > unmodified_since:
            return 412
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return 304
        if etag is not None and any(tag == etag[1] for _, tag in _etags(if_none_match)):
            return 304
        return None
    modified_since = _http_date(request.get("if-modified-since"))
    if modified_since is not None and mtime <= modified_since:
        return 304
    return None


def _if_range_holds(value: str | None, etag: tuple[bool, str] | None, mtime: int) -> bool:
    """Whether a ``Range`` may be used: no ``If-Range``, or it names the current file."""
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return _strong_match(etag, _etags(value)[:1])
    return _http_date(value) == mtime


def _with_length(headers: _RawHeaders, length: int) -> _RawHeaders:
    return [*headers, (b"content-length", str(length).encode())]


def _nonblocking(path: str, flags: int) -> int:
    # a FIFO would block the open forever; it is refused once fstat shows what it is
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _open(path: str, expected: os.stat_result | None) -> tuple[BinaryIO, os.stat_result]:
    try:
        file = open(path, "rb", buffering=0, opener=_nonblocking)  # noqa: SIM115 - caller closes
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        raise NotFound() from exc
    try:
        st = os.fstat(file.fileno())
        if not stat.S_ISREG(st.st_mode) or (
            expected is not None and (st.st_dev, st.st_ino) != (expected.st_dev, expected.st_ino)
        ):
            raise NotFound()
    except BaseException:
        file.close()
        raise
    return file, st


def _read_at(file: BinaryIO, offset: int, size: int) -> bytes:
    file.seek(offset)
    data = file.read(size)
    if not data:
        raise OSError(f"{file.name!r} shrank while it was being sent")
    return data
