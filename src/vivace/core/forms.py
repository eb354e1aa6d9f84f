"""Form bodies, url-encoded and multipart, parsed as they stream in.

``parse_form`` feeds the body to python-multipart's streaming parsers in
pieces of at most 64 KiB and checks every limit of ``FormLimits`` as the
bytes arrive: the first field, file or byte past a limit stops the parse
with ``PayloadTooLarge`` (413), before the rest of the body is read. A
malformed body is a ``BadRequest`` (400), another content type an
``UnsupportedMediaType`` (415). Every step is linear in the size of the
body, and the files of a failed parse are closed before the error leaves.

Choices made here:

- names and non-file values must be UTF-8 (400 otherwise); a filename that
  is not is decoded with replacement characters;
- a part with a ``filename`` parameter, even an empty one (what browsers
  send for an empty file input), is a file: an ``UploadFile`` whose
  ``filename`` is ``""``. ``filename*`` (RFC 5987) wins over ``filename``;
- at most ``max_part_header_size`` bytes may come before the first boundary
  or after the closing one; more is refused with 400;
- ``Content-Transfer-Encoding`` is ignored, as RFC 7578 deprecates it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, fields
from typing import TypeAlias
from urllib.parse import unquote

from python_multipart import MultipartParser, QuerystringParser
from python_multipart.exceptions import MultipartParseError, QuerystringParseError
from python_multipart.multipart import MultipartState

from .datastructures import Headers, MultiDict
from .exceptions import BadRequest, ConfigError, PayloadTooLarge, UnsupportedMediaType
from .uploads import UploadFile

__all__ = ["FormData", "FormLimits", "UploadFile", "parse_form", "parse_header_options"]

KiB = 1024
MiB = 1024 * KiB

#: Longest boundary accepted (RFC 2046 asks for at most 70 characters).
MAX_BOUNDARY_LENGTH = 200
#: Most headers one multipart part may have.
MAX_PART_HEADERS = 32
#: Bodies are fed to the parser in pieces of at most this size, so a limit
#: is noticed within one piece of where it is crossed.
PIECE_SIZE = 64 * KiB

_CLOSE = [("connection", "close")]
_SETTING_NAMES = {"max_fields": "max_form_fields", "max_files": "max_form_files"}


@dataclass(frozen=True, slots=True)
class FormLimits:
    """Bounds on one form body; each maps to the setting named in its 413."""

    max_fields: int = 1000
    max_files: int = 100
    max_part_size: int = 1 * MiB
    max_upload_size: int = 100 * MiB
    max_body_size: int = int(2.5 * MiB)
    max_part_header_size: int = 16 * KiB
    spool_size: int = 1 * MiB

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(
                    f"FormLimits.{field.name} must be a positive number of "
                    f"{'bytes' if field.name.endswith('size') else 'items'}, got {value!r}"
                )


FormValue: TypeAlias = str | UploadFile


class FormData(MultiDict[FormValue]):
    """The decoded form: field values as ``str``, files as ``UploadFile``.

    ``close()`` closes every file; use ``with form:`` to close them on exit.
    """

    __slots__ = ()

    def close(self) -> None:
        for _, value in self._items:
            if isinstance(value, UploadFile):
                value.file.close()

    def __enter__(self) -> FormData:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def parse_form(
    content_type: str, stream: AsyncIterator[bytes], limits: FormLimits | None = None
) -> FormData:
    """Parse the body in ``stream`` as the form ``content_type`` announces.

    ``content_type`` is the request's whole ``Content-Type`` header. The
    stream is closed (when it has ``aclose``) before this returns or raises.
    """
    limits = limits if limits is not None else FormLimits()
    media_type = content_type.partition(";")[0].strip(" \t").lower()
    try:
        if media_type == "application/x-www-form-urlencoded":
            params = _content_type_params(content_type)
            charset = params.get("charset", "utf-8").lower()
            if charset not in {"utf-8", "utf8", "us-ascii", "ascii"}:
                raise UnsupportedMediaType(f"form bodies must be UTF-8, got charset {_shorten(charset)!r}")
            return await _parse_urlencoded(stream, limits)
        if media_type == "multipart/form-data":
            boundary = _boundary(_content_type_params(content_type))
            return await _parse_multipart(boundary, stream, limits)
        raise UnsupportedMediaType(
            "expected Content-Type application/x-www-form-urlencoded or "
            f"multipart/form-data, got {_shorten(media_type) or 'none'!r}"
        )
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            await aclose()


def parse_header_options(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type; a=1; b="x y"`` into ``("type", {"a": "1", "b": "x y"})``.

    The type and parameter names are lower-cased. In a quoted value, ``\\"``
    and ``\\\\`` are escapes and any other backslash is kept, as browsers
    send Windows paths unescaped. Raises ``ValueError`` for a parameter
    without ``=``, an unterminated quote, text after a closing quote or a
    repeated name. One pass over ``value``: linear whatever the input.
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        if rest[i] in " \t;":
            i += 1
            continue
        semicolon = rest.find(";", i)
        if semicolon < 0:
            semicolon = n
        equals = rest.find("=", i, semicolon)
        if equals < 0:
            raise ValueError(f"parameter {_shorten(rest[i:semicolon])!r} has no value")
        name = rest[i:equals].strip(" \t").lower()
        i = equals + 1
        while i < n and rest[i] in " \t":
            i += 1
        if i < n and rest[i] == '"':
            param, i = _quoted_string(rest, i)
            while i < n and rest[i] in " \t":
                i += 1
            if i < n and rest[i] != ";":
                raise ValueError(f"unexpected text after the quoted value of {_shorten(name)!r}")
        else:
            semicolon = rest.find(";", i)
            if semicolon < 0:
                semicolon = n
            param, i = rest[i:semicolon].strip(" \t"), semicolon
        if not name:
            raise ValueError("parameter without a name")
        if name in params:
            raise ValueError(f"parameter {_shorten(name)!r} given twice")
        params[name] = param
    return main.strip(" \t").lower(), params


def _quoted_string(text: str, start: int) -> tuple[str, int]:
    """The unescaped quoted string opening at ``start``, and the index after it."""
    parts: list[str] = []
    i = start + 1
    quote = -1
    while True:
        if quote < i:
            quote = text.find('"', i)
            if quote < 0:
                raise ValueError("unterminated quoted string")
        backslash = text.find("\\", i, quote)
        if backslash < 0:
            parts.append(text[i:quote])
            return "".join(parts), quote + 1
        if text[backslash + 1] in '"\\':
            parts.append(text[i:backslash])
            parts.append(text[backslash + 1])
            i = backslash + 2
        else:
            parts.append(text[i : backslash + 1])
            i = backslash + 1


def _content_type_params(content_type: str) -> dict[str, str]:
    try:
        return parse_header_options(content_type)[1]
    except ValueError as exc:
        raise _bad(f"malformed Content-Type header: {exc}") from None


def _boundary(params: dict[str, str]) -> bytes:
    boundary = params.get("boundary", "")
    if not boundary:
        raise _bad("multipart Content-Type without a boundary")
    if len(boundary) > MAX_BOUNDARY_LENGTH:
        raise _bad(f"multipart boundary longer than {MAX_BOUNDARY_LENGTH} characters")
    if not (boundary.isascii() and boundary.isprintable()) or boundary.endswith(" "):
        raise _bad("multipart boundary has characters RFC 2046 does not allow")
    return boundary.encode("ascii")


def _pieces(chunk: bytes) -> Iterator[bytes]:
    if len(chunk) <= PIECE_SIZE:
        yield chunk
    else:
        for start in range(0, len(chunk), PIECE_SIZE):
            yield chunk[start : start + PIECE_SIZE]


def _too_large(what: str, limits: FormLimits, limit: str) -> PayloadTooLarge:
    value = getattr(limits, limit)
    setting = _SETTING_NAMES.get(limit, limit)
    return PayloadTooLarge(f"{what}: the limit is {setting}={value}", headers=_CLOSE)


def _bad(detail: str) -> BadRequest:
    return BadRequest(detail, headers=_CLOSE)


def _shorten(text: str, length: int = 40) -> str:
    return text if len(text) <= length else text[:length] + "..."


def _decode(data: bytes | bytearray, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(f"{what} is not valid UTF-8") from None


# -- application/x-www-form-urlencoded ---------------------------------------


class _Unquoter:
    """Percent-decodes a value as its pieces arrive, so no single step is long."""

    __slots__ = ("decoded", "size", "tail")

    def __init__(self) -> None:
        self.decoded = bytearray()
        self.tail = b""
        self.size = 0

    def feed(self, data: bytes, limits: FormLimits, what: str) -> None:
        self.size += len(data)
        if self.size > limits.max_part_size:
            raise _too_large(f"a form field {what} is too large", limits, "max_part_size")
        data = self.tail + data
        # An escape cut by the end of this piece waits for the next one.
        cut = data.rfind(b"%", max(len(data) - 2, 0))
        if cut >= 0:
            data, self.tail = data[:cut], data[cut:]
        else:
            self.tail = b""
        self.decoded += _unquote(data)

    def finish(self) -> bytes:
        self.decoded += _unquote(self.tail)
        self.tail = b""
        return bytes(self.decoded)


_ESCAPE = re.compile(rb"%([0-9A-Fa-f]{2})")
_AMPERSAND_RUNS = re.compile(rb"&&+")


def _unquote(data: bytes) -> bytes:
    """``+`` to space and ``%XX`` to its byte; a ``%`` not followed by two hex digits stays."""
    data = data.replace(b"+", b" ")
    return _ESCAPE.sub(_unescape, data) if b"%" in data else data


def _unescape(match: re.Match[bytes]) -> bytes:
    return bytes((int(match[1], 16),))


class _UrlencodedReader:
    def __init__(self, limits: FormLimits) -> None:
        self.limits = limits
        self.items: list[tuple[str, FormValue]] = []
        self.count = 0
        self.name = _Unquoter()
        self.value = _Unquoter()
        self.parser = QuerystringParser(
            callbacks={
                "on_field_start": self.on_field_start,
                "on_field_name": self.on_field_name,
                "on_field_data": self.on_field_data,
                "on_field_end": self.on_field_end,
            }
        )

    def write(self, piece: bytes) -> None:
        # Empty fields between separators carry nothing; the parser would
        # step through them one byte at a time.
        try:
            self.parser.write(_AMPERSAND_RUNS.sub(b"&", piece))
        except QuerystringParseError as exc:
            raise _bad(f"malformed url-encoded form: {exc}") from None

    def on_field_start(self) -> None:
        self.count += 1
        if self.count > self.limits.max_fields:
            raise _too_large("too many form fields", self.limits, "max_fields")
        self.name = _Unquoter()
        self.value = _Unquoter()

    def on_field_name(self, data: bytes, start: int, end: int) -> None:
        self.name.feed(data[start:end], self.limits, "name")

    def on_field_data(self, data: bytes, start: int, end: int) -> None:
        self.value.feed(data[start:end], self.limits, "value")

    def on_field_end(self) -> None:
        name = _decode(self.name.finish(), "a field name")
        value = _decode(self.value.finish(), f"the value of field {_shorten(name)!r}")
        self.items.append((name, value))


async def _parse_urlencoded(stream: AsyncIterator[bytes], limits: FormLimits) -> FormData:
    reader = _UrlencodedReader(limits)
    received = 0
    async for chunk in stream:
        for piece in _pieces(chunk):
            received += len(piece)
            if received > limits.max_body_size:
                raise _too_large("the form body is too large", limits, "max_body_size")
            reader.write(piece)
            if len(piece) < len(chunk):
                await asyncio.sleep(0)
    reader.parser.finalize()
    return FormData(reader.items)


# -- multipart/form-data ------------------------------------------------------


class _MultipartReader:
    """Turns python-multipart's callbacks into fields and files, within limits.

    Callbacks run synchronously inside ``parser.write``; bytes for files are
    queued in ``pending`` and written by ``flush`` so that disk I/O can go
    to the thread pool.
    """

    def __init__(self, boundary: bytes, limits: FormLimits) -> None:
        self.limits = limits
        self.items: list[tuple[str, FormValue]] = []
        self.uploads: list[UploadFile] = []
        self.pending: list[tuple[UploadFile, bytes]] = []
        self.field_count = 0
        self.file_count = 0
        self.began = False
        self.ended = False
        self.outside = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.header_bytes = 0
        self.name = ""
        self.value: bytearray | None = None
        self.upload: UploadFile | None = None
        self.parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self.on_part_begin,
                "on_header_field": self.on_header_field,
                "on_header_value": self.on_header_value,
                "on_header_end": self.on_header_end,
                "on_headers_finished": self.on_headers_finished,
                "on_part_data": self.on_part_data,
                "on_part_end": self.on_part_end,
                "on_end": self.on_end,
            },
            max_header_count=MAX_PART_HEADERS,
            max_header_size=limits.max_part_header_size,
        )

    def feed(self, piece: bytes) -> None:
        """Parse one piece, bounding what the parser skips outside the parts.

        Only CR and LF may come before the first boundary (python-multipart
        would otherwise accept some preambles and not others depending on how
        the body is cut); blank padding after a boundary and an epilogue
        after the closing one are allowed up to ``max_part_header_size``.
        """
        bound = self.limits.max_part_header_size
        if self.ended:
            self.outside += len(piece)
            if self.outside > bound:
                raise _bad(f"more than {bound} bytes after the closing boundary")
            return
        if not self.began:
            stripped = piece.lstrip(b"\r\n")
            self.outside += len(piece) - len(stripped)
            if self.outside > bound:
                raise _bad(f"more than {bound} bytes before the first boundary")
            if not stripped:
                return
            self.began = True
            self.outside = 0
            piece = stripped
        self._write(piece)
        if self.parser.state == MultipartState.BOUNDARY_PADDING:
            self.outside += len(piece)
            if self.outside > bound:
                raise _bad(f"more than {bound} bytes of padding after a boundary")
        else:
            self.outside = 0

    def _write(self, piece: bytes) -> None:
        try:
            self.parser.write(piece)
        except MultipartParseError as exc:
            message = str(exc)
            if message.startswith("Maximum header count"):
                raise _bad(f"a multipart part has more than {MAX_PART_HEADERS} headers") from None
            if message.startswith("Maximum header size"):
                raise self._headers_too_large() from None
            raise _bad(f"malformed multipart body: {message}") from None

    async def flush(self) -> None:
        pending, self.pending = self.pending, []
        for upload, data in pending:
            await upload.write(data)

    def close(self) -> None:
        for upload in self.uploads:
            upload.file.close()

    def _headers_too_large(self) -> BadRequest:
        setting = self.limits.max_part_header_size
        return _bad(f"multipart part headers are too large: the limit is max_part_header_size={setting}")

    def _count_header_bytes(self, amount: int) -> None:
        self.header_bytes += amount
        if self.header_bytes > self.limits.max_part_header_size:
            raise self._headers_too_large()

    def on_part_begin(self) -> None:
        self.headers = []
        self.header_bytes = 0
        self.value = None
        self.upload = None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header_bytes(end - start)
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self._count_header_bytes(4)
        self.headers.append((bytes(self.header_name).lower(), bytes(self.header_value).strip()))
        self.header_name = bytearray()
        self.header_value = bytearray()

    def on_headers_finished(self) -> None:
        headers = Headers(self.headers)
        self.name, filename = _content_disposition(headers)
        if filename is None:
            self.field_count += 1
            if self.field_count > self.limits.max_fields:
                raise _too_large("too many form fields", self.limits, "max_fields")
            self.value = bytearray()
            return
        self.file_count += 1
        if self.file_count > self.limits.max_files:
            raise _too_large("too many files", self.limits, "max_files")
        content_type = headers.get("content-type", "").strip() or "application/octet-stream"
        self.upload = UploadFile(
            filename,
            content_type=content_type,
            headers=headers,
            spool_size=self.limits.spool_size,
        )
        self.uploads.append(self.upload)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.upload is not None:
            self.pending.append((self.upload, data[start:end]))
        elif self.value is not None:
            if len(self.value) + end - start > self.limits.max_part_size:
                raise _too_large(
                    f"form field {_shorten(self.name)!r} is too large", self.limits, "max_part_size"
                )
            self.value += data[start:end]

    def on_part_end(self) -> None:
        if self.upload is not None:
            self.items.append((self.name, self.upload))
        elif self.value is not None:
            value = _decode(self.value, f"the value of field {_shorten(self.name)!r}")
            self.items.append((self.name, value))
        self.value = None
        self.upload = None

    def on_end(self) -> None:
        self.ended = True


def _content_disposition(headers: Headers) -> tuple[str, str | None]:
    """The part's field name, and its filename or ``None`` for a plain field."""
    values = headers.getlist("content-disposition")
    if len(values) != 1:
        raise _bad("a multipart part needs exactly one Content-Disposition header")
    # Header values were decoded as latin-1; names and filenames are UTF-8.
    text = values[0].encode("latin-1").decode("utf-8", "surrogateescape")
    try:
        disposition, params = parse_header_options(text)
    except ValueError as exc:
        raise _bad(f"malformed Content-Disposition in a multipart part: {exc}") from None
    if disposition != "form-data":
        raise _bad("a multipart part's Content-Disposition must be form-data")
    name = params.get("name")
    if name is None:
        raise _bad("a multipart part has no name")
    if not _is_utf8(name):
        raise _bad("a field name is not valid UTF-8")
    filename = _extended_value(params.get("filename*"))
    if filename is None:
        filename = params.get("filename")
    if filename is not None and not _is_utf8(filename):
        raw = filename.encode("utf-8", "surrogateescape")
        filename = raw.decode("utf-8", "replace")
    return name, filename


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _extended_value(value: str | None) -> str | None:
    """Decode an RFC 5987 ``charset'language'percent-encoded`` value."""
    if value is None:
        return None
    charset, quote, rest = value.partition("'")
    _language, quote2, encoded = rest.partition("'")
    charset = charset.lower()
    if not (quote and quote2) or charset not in {"utf-8", "iso-8859-1"}:
        return None
    return unquote(encoded, encoding=charset, errors="replace")


async def _parse_multipart(boundary: bytes, stream: AsyncIterator[bytes], limits: FormLimits) -> FormData:
    reader = _MultipartReader(boundary, limits)
    received = 0
    try:
        async for chunk in stream:
            for piece in _pieces(chunk):
                received += len(piece)
                if received > limits.max_upload_size:
                    raise _too_large("the multipart body is too large", limits, "max_upload_size")
                reader.feed(piece)
                await reader.flush()
                if len(piece) < len(chunk):
                    await asyncio.sleep(0)
        reader.parser.finalize()
        if not reader.ended:
            raise _bad("the multipart body ends without its closing boundary")
        for upload in reader.uploads:
            await upload.seek(0)
    except BaseException:
        reader.close()
        raise
    return FormData(reader.items)
