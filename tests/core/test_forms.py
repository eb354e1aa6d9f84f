from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import pytest

from vivace.core import uploads
from vivace.core.exceptions import (
    BadRequest,
    ConfigError,
    HTTPException,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from vivace.core.forms import FormData, FormLimits, parse_form, parse_header_options
from vivace.core.uploads import UploadFile

URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = "----vivaceBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
KiB = 1024
MiB = 1024 * KiB

# How a body is cut into chunks: whole, byte by byte, and random sizes.
CHUNKINGS: list[str | int] = ["whole", "bytes", "random"]
WHOLE_OR_PIECES: list[str | int] = ["whole", 4000]


def chunked(body: bytes, how: str | int) -> Iterator[bytes]:
    if how == "whole":
        yield body
    elif how == "bytes":
        for i in range(len(body)):
            yield body[i : i + 1]
    elif how == "random":
        rng = random.Random(len(body))
        i = 0
        while i < len(body):
            n = rng.randint(1, 300)
            yield body[i : i + n]
            i += n
    else:
        assert isinstance(how, int)
        for i in range(0, len(body), how):
            yield body[i : i + how]


class Stream:
    """An async body stream that counts what was read from it."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self.consumed = 0
        self.closed = False

    def __aiter__(self) -> Stream:
        return self

    async def __anext__(self) -> bytes:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            raise StopAsyncIteration from None
        self.consumed += len(chunk)
        return chunk

    async def aclose(self) -> None:
        self.closed = True


def parse(
    content_type: str,
    body: bytes | Iterable[bytes],
    limits: FormLimits | None = None,
    how: str | int = "whole",
) -> FormData:
    chunks = chunked(body, how) if isinstance(body, bytes) else body
    return asyncio.run(parse_form(content_type, Stream(chunks), limits))


def parse_error(
    content_type: str,
    body: bytes | Iterable[bytes],
    limits: FormLimits | None = None,
    how: str | int = "whole",
) -> HTTPException:
    with pytest.raises(HTTPException) as info:
        parse(content_type, body, limits, how)
    return info.value


def part(
    name: str | bytes,
    value: bytes,
    *,
    filename: str | bytes | None = None,
    headers: bytes = b"",
    disposition: bytes | None = None,
) -> bytes:
    if disposition is None:
        raw_name = name.encode() if isinstance(name, str) else name
        disposition = b'form-data; name="' + raw_name + b'"'
        if filename is not None:
            raw = filename.encode() if isinstance(filename, str) else filename
            disposition += b'; filename="' + raw + b'"'
    return (
        b"--"
        + BOUNDARY.encode()
        + b"\r\nContent-Disposition: "
        + disposition
        + b"\r\n"
        + headers
        + b"\r\n"
        + value
        + b"\r\n"
    )


def multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def read(upload: object) -> bytes:
    assert isinstance(upload, UploadFile)
    return asyncio.run(upload.read())


# -- url-encoded ---------------------------------------------------------------


@pytest.mark.parametrize("how", CHUNKINGS)
def test_urlencoded_fields(how: str) -> None:
    body = "a=1&b=caf%C3%A9+au+lait&a=2&empty=&flag&=anon&&x=%26%3D&k=日本".encode()
    form = parse(URLENCODED, body, how=how)
    assert form.multi_items() == [
        ("a", "1"),
        ("b", "café au lait"),
        ("a", "2"),
        ("empty", ""),
        ("flag", ""),
        ("", "anon"),
        ("x", "&="),
        ("k", "日本"),
    ]
    assert form["a"] == "2"
    assert form.getlist("a") == ["1", "2"]


def test_urlencoded_empty_body_and_charset() -> None:
    assert parse(URLENCODED, b"") == FormData()
    form = parse(URLENCODED + "; charset=UTF-8", b"a=1")
    assert form["a"] == "1"


def test_urlencoded_other_charset_is_415() -> None:
    error = parse_error(URLENCODED + "; charset=latin-1", b"a=%E9")
    assert isinstance(error, UnsupportedMediaType)


@pytest.mark.parametrize("body", [b"%FF=1", b"a=%FF", b"a=%C3"])
def test_urlencoded_invalid_utf8_is_400(body: bytes) -> None:
    assert isinstance(parse_error(URLENCODED, body), BadRequest)


@pytest.mark.parametrize("how", ["whole", 1, 7])
def test_urlencoded_field_count_stops_at_the_limit(how: str | int) -> None:
    body = b"&".join(b"f%d=v" % i for i in range(10_001))
    stream = Stream(chunked(body, how))
    with pytest.raises(PayloadTooLarge) as info:
        asyncio.run(parse_form(URLENCODED, stream, FormLimits()))
    assert "max_form_fields=1000" in info.value.detail
    position_of_1001st = len(b"&".join(b"f%d=v" % i for i in range(1001)))
    if how != "whole":
        assert stream.consumed < position_of_1001st + 64 * KiB
    assert stream.closed


def test_urlencoded_exactly_at_the_field_limit() -> None:
    body = b"&".join(b"f=%d" % i for i in range(10))
    assert len(parse(URLENCODED, body, FormLimits(max_fields=10)).getlist("f")) == 10
    error = parse_error(URLENCODED, body + b"&g", FormLimits(max_fields=10))
    assert isinstance(error, PayloadTooLarge)


@pytest.mark.parametrize("body", [b"a=" + b"x" * 101, b"x" * 101 + b"=a", b"x" * 101])
def test_urlencoded_value_and_name_size(body: bytes) -> None:
    error = parse_error(URLENCODED, body, FormLimits(max_part_size=100), how=10)
    assert isinstance(error, PayloadTooLarge)
    assert "max_part_size=100" in error.detail
    assert parse(URLENCODED, b"a=" + b"x" * 100, FormLimits(max_part_size=100))


def test_urlencoded_body_size() -> None:
    limits = FormLimits(max_body_size=1000)
    assert parse(URLENCODED, b"a=" + b"x" * 998, limits)
    stream = Stream(chunked(b"a=" + b"x" * 10_000_000, 100))
    with pytest.raises(PayloadTooLarge) as info:
        asyncio.run(parse_form(URLENCODED, stream, limits))
    assert "max_body_size=1000" in info.value.detail
    assert stream.consumed <= 1100


# -- content type -----------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["", "text/plain", "application/json", "multipart/mixed; boundary=x"]
)
def test_other_content_types_are_415(content_type: str) -> None:
    error = parse_error(content_type, b"a=1")
    assert isinstance(error, UnsupportedMediaType)
    assert error.status_code == 415


def test_media_type_is_case_insensitive() -> None:
    form = parse(f"Multipart/Form-Data; Boundary={BOUNDARY}", multipart(part("a", b"1")))
    assert form["a"] == "1"
    form = parse(f'multipart/form-data; boundary="{BOUNDARY}"', multipart(part("a", b"1")))
    assert form["a"] == "1"


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        'multipart/form-data; boundary=""',
        "multipart/form-data; charset=utf-8",
        "multipart/form-data; boundary=" + "a" * 201,
        "multipart/form-data; boundary=" + "a" * 257,
        "multipart/form-data; boundary=" + ";" * 50_000,
        "multipart/form-data; boundary=a\x00b",
        "multipart/form-data; boundary=a; boundary=b",
        'multipart/form-data; boundary="abc',
        "multipart/form-data; boundary",
    ],
)
def test_bad_boundary_is_400(content_type: str) -> None:
    started = time.perf_counter()
    error = parse_error(content_type, multipart(part("a", b"1")))
    assert isinstance(error, BadRequest)
    assert time.perf_counter() - started < 0.5


def test_boundary_of_200_characters_is_accepted() -> None:
    boundary = "b" * 200
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--{boundary}--'
    form = parse(f"multipart/form-data; boundary={boundary}", body.encode())
    assert form["a"] == "1"


def test_parse_header_options() -> None:
    assert parse_header_options('Form-Data; Name="a b"; filename=x.txt ;x="q\\"uo\\\\te"') == (
        "form-data",
        {"name": "a b", "filename": "x.txt", "x": 'q"uo\\te'},
    )
    # A backslash before any other character is kept: browsers send Windows
    # paths unescaped.
    assert parse_header_options('a; f="C:\\dir\\x"')[1] == {"f": "C:\\dir\\x"}
    assert parse_header_options('a; n="x;y"; m=1')[1] == {"n": "x;y", "m": "1"}
    for bad in ['a; n="x" junk', "a; =1", 'a; n="x', "a; n=1; N=2"]:
        with pytest.raises(ValueError):
            parse_header_options(bad)


@pytest.mark.parametrize(
    "value",
    [
        "a; b=" + ";" * 50_000,
        'a; b="' + "\\a" * 50_000,
        'a; b="' + '\\"' * 50_000,
        'a; b="' + '\\"' * 50_000 + '"',
        "a" + "; b" * 50_000,
        "a; " + "b=1;" * 50_000,
        "a; b=" + '"' * 50_000,
        "a; b=" + "=" * 50_000,
    ],
)
def test_parse_header_options_is_linear(value: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(ValueError):
        parse_header_options(value * 4)
    assert time.perf_counter() - started < 0.5


# -- multipart: happy paths ------------------------------------------------------------


@pytest.mark.parametrize("how", CHUNKINGS)
def test_multipart_fields_and_files(how: str) -> None:
    body = multipart(
        part("title", "Ça va? 日本 🎉".encode()),
        part("tag", b"a"),
        part("tag", b"b"),
        part("empty", b""),
        part("名前", b"x"),
        part(
            "doc",
            b"line1\r\nline2\r\n--not-a-boundary\r\n",
            filename="notes.txt",
            headers=b"Content-Type: text/plain\r\n",
        ),
        part("blob", bytes(range(256)) * 4, filename="data.bin"),
    )
    with parse(MULTIPART, body, how=how) as form:
        assert form["title"] == "Ça va? 日本 🎉"
        assert form.getlist("tag") == ["a", "b"]
        assert form["empty"] == ""
        assert form["名前"] == "x"
        doc = form["doc"]
        assert isinstance(doc, UploadFile)
        assert doc.filename == doc.raw_filename == "notes.txt"
        assert doc.content_type == "text/plain"
        assert doc.headers["content-type"] == "text/plain"
        assert doc.size == len(b"line1\r\nline2\r\n--not-a-boundary\r\n")
        assert doc.in_memory
        assert read(doc) == b"line1\r\nline2\r\n--not-a-boundary\r\n"
        blob = form["blob"]
        assert isinstance(blob, UploadFile)
        assert blob.content_type == "application/octet-stream"
        assert read(blob) == bytes(range(256)) * 4
        assert [k for k, _ in form.multi_items()] == [
            "title",
            "tag",
            "tag",
            "empty",
            "名前",
            "doc",
            "blob",
        ]
    assert doc.file.closed and blob.file.closed


@pytest.mark.parametrize("how", ["whole", 1000, "random"])
def test_file_spools_to_disk_past_spool_size(how: str | int) -> None:
    content = random.Random(1).randbytes(300 * KiB)
    body = multipart(part("small", b"s" * 100, filename="s"), part("big", content, filename="b"))
    with parse(MULTIPART, body, FormLimits(spool_size=100 * KiB), how=how) as form:
        small, big = form["small"], form["big"]
        assert isinstance(small, UploadFile) and isinstance(big, UploadFile)
        assert small.in_memory
        assert not big.in_memory
        assert big.size == len(content)

        async def check() -> None:
            assert await big.read(10) == content[:10]
            assert await big.seek(0) == 0
            assert await big.read() == content
            await big.seek(5)
            assert big.file.read(5) == content[5:10]

        asyncio.run(check())


def test_spool_size_boundary_stays_in_memory() -> None:
    body = multipart(part("f", b"x" * 1000, filename="f"))
    with parse(MULTIPART, body, FormLimits(spool_size=1000)) as form:
        upload = form["f"]
        assert isinstance(upload, UploadFile) and upload.in_memory
    with parse(MULTIPART, body, FormLimits(spool_size=999), how=100) as form:
        upload = form["f"]
        assert isinstance(upload, UploadFile) and not upload.in_memory


def test_empty_filename_is_an_empty_file() -> None:
    body = multipart(part("avatar", b"", filename="", headers=b"Content-Type: application/octet-stream\r\n"))
    with parse(MULTIPART, body) as form:
        upload = form["avatar"]
        assert isinstance(upload, UploadFile)
        assert upload.filename == upload.raw_filename == ""
        assert upload.size == 0
        assert read(upload) == b""


@pytest.mark.parametrize("how", CHUNKINGS)
def test_blank_lines_epilogue_and_padding_are_allowed_within_bounds(how: str) -> None:
    body = b"\r\n\r\n" + multipart(part("a", b"1")) + b"\r\nepilogue\r\n"
    assert parse(MULTIPART, body, how=how)["a"] == "1"
    delimiter = b"\r\n--" + BOUNDARY.encode() + b"\r\n"
    padded = multipart(part("a", b"1"), part("b", b"2")).replace(delimiter, delimiter[:-2] + b" \t \r\n")
    assert parse(MULTIPART, padded, how=how) == FormData([("a", "1"), ("b", "2")])


@pytest.mark.parametrize("how", CHUNKINGS)
def test_a_text_preamble_is_refused_however_the_body_is_cut(how: str) -> None:
    body = b"\r\nthis is a preamble\r\n" + multipart(part("a", b"1"))
    assert isinstance(parse_error(MULTIPART, body, how=how), BadRequest)


def test_padding_after_a_boundary_is_bounded() -> None:
    def body() -> Iterator[bytes]:
        yield part("a", b"1") + b"--" + BOUNDARY.encode()
        for _ in range(5 * MiB // (64 * KiB)):
            yield b" " * (64 * KiB)

    stream = Stream(body())
    started = time.perf_counter()
    with pytest.raises(BadRequest) as info:
        asyncio.run(parse_form(MULTIPART, stream))
    assert "padding" in info.value.detail
    assert stream.consumed <= 256 * KiB
    assert time.perf_counter() - started < 0.5


def test_stream_is_closed() -> None:
    stream = Stream([multipart(part("a", b"1"))])
    asyncio.run(parse_form(MULTIPART, stream))
    assert stream.closed


# -- multipart: limits -----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["whole", "random"])
def test_multipart_field_count(how: str) -> None:
    body = multipart(*[part(f"f{i}", b"v") for i in range(2000)])
    error = parse_error(MULTIPART, body, how=how)
    assert isinstance(error, PayloadTooLarge)
    assert "max_form_fields=1000" in error.detail
    at_the_limit = multipart(*[part("f", b"v") for _ in range(1000)])
    assert len(parse(MULTIPART, at_the_limit, how=how).getlist("f")) == 1000


def test_multipart_file_count_stops_early() -> None:
    body = multipart(*[part("f", b"x", filename=f"{i}.txt") for i in range(1000)])
    stream = Stream(chunked(body, 512))
    with pytest.raises(PayloadTooLarge) as info:
        asyncio.run(parse_form(MULTIPART, stream))
    assert "max_form_files=100" in info.value.detail
    assert stream.consumed < len(body) // 4
    with parse(MULTIPART, multipart(*[part("f", b"x", filename="a") for _ in range(100)])) as form:
        assert len(form.getlist("f")) == 100


def lazy_part(name: str, size: int, *, filename: str | None = None) -> Iterator[bytes]:
    """A multipart body with one part of ``size`` bytes, produced 64 KiB at a time."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    yield f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
    block = b"A" * (64 * KiB)
    for _ in range(size // len(block)):
        yield block
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_big_non_file_part_is_refused_without_buffering() -> None:
    stream = Stream(lazy_part("comment", 50 * 1000 * 1000))
    started = time.perf_counter()
    with pytest.raises(PayloadTooLarge) as info:
        asyncio.run(parse_form(MULTIPART, stream))
    assert "max_part_size=1048576" in info.value.detail
    assert stream.consumed <= 1 * MiB + 128 * KiB
    assert time.perf_counter() - started < 1


def test_field_value_size_exactly_at_the_limit() -> None:
    limits = FormLimits(max_part_size=10)
    assert parse(MULTIPART, multipart(part("a", b"x" * 10)), limits)["a"] == "x" * 10
    error = parse_error(MULTIPART, multipart(part("a", b"x" * 11)), limits, how=1)
    assert isinstance(error, PayloadTooLarge)


def test_files_are_not_bound_by_max_part_size() -> None:
    limits = FormLimits(max_part_size=10)
    with parse(MULTIPART, multipart(part("a", b"x" * 1000, filename="a")), limits) as form:
        assert read(form["a"]) == b"x" * 1000


def test_upload_size() -> None:
    limits = FormLimits(max_upload_size=256 * KiB)
    stream = Stream(lazy_part("f", 10 * MiB, filename="big.iso"))
    with pytest.raises(PayloadTooLarge) as info:
        asyncio.run(parse_form(MULTIPART, stream, limits))
    assert f"max_upload_size={256 * KiB}" in info.value.detail
    assert stream.consumed <= 256 * KiB + 64 * KiB


def test_part_header_size() -> None:
    big = b'form-data; name="a"; x="' + b"y" * MiB + b'"'
    started = time.perf_counter()
    for how in WHOLE_OR_PIECES:
        error = parse_error(MULTIPART, multipart(part("a", b"1", disposition=big)), how=how)
        assert isinstance(error, BadRequest)
        assert "max_part_header_size=16384" in error.detail
    # The total of a part's headers counts, not only each line.
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(20))
    error = parse_error(MULTIPART, multipart(part("a", b"1", headers=headers)))
    assert "max_part_header_size=16384" in error.detail
    assert time.perf_counter() - started < 2


def test_part_header_count() -> None:
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    error = parse_error(MULTIPART, multipart(part("a", b"1", headers=headers)))
    assert isinstance(error, BadRequest)
    assert "headers" in error.detail
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(31))
    assert parse(MULTIPART, multipart(part("a", b"1", headers=headers)))["a"] == "1"


@pytest.mark.parametrize("name", ["max_fields", "spool_size", "max_body_size"])
@pytest.mark.parametrize("value", [0, -1, 1.5, True])
def test_form_limits_are_checked(name: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=name):
        FormLimits(**{name: value})


# -- multipart: malformed bodies -----------------------------------------------------------------


def crlf_flood(size: int, *, before: bool) -> Iterator[bytes]:
    body = multipart(part("a", b"1"))
    if not before:
        yield body
    block = b"\r\n" * (32 * KiB)
    for _ in range(size // len(block)):
        yield block
    if before:
        yield body


@pytest.mark.parametrize("before", [True, False])
def test_crlf_flood_around_the_body_is_refused_fast(before: bool) -> None:
    stream = Stream(crlf_flood(5 * MiB, before=before))
    started = time.perf_counter()
    with pytest.raises(BadRequest) as info:
        asyncio.run(parse_form(MULTIPART, stream))
    assert "boundary" in info.value.detail
    assert stream.consumed <= 256 * KiB
    assert time.perf_counter() - started < 0.5


def test_preamble_skipping_is_linear() -> None:
    limits = FormLimits(max_part_header_size=10 * MiB)
    for how in WHOLE_OR_PIECES:
        started = time.perf_counter()
        body = b"\r\n" * (5 * MiB // 2) + multipart(part("a", b"1"))
        assert parse(MULTIPART, body, limits, how=how)["a"] == "1"
        assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "filler",
    [
        b"\r\n--" + BOUNDARY.encode()[:-1] + b"x",
        b"\r\n--" + BOUNDARY.encode() + b"x",
        b"\r",
        b"\r\n-",
    ],
)
def test_pathological_file_content_is_linear(filler: bytes) -> None:
    content = filler * (5 * MiB // len(filler))
    body = multipart(part("f", content, filename="f"))
    for how in WHOLE_OR_PIECES:
        started = time.perf_counter()
        with parse(MULTIPART, body, FormLimits(spool_size=10 * MiB), how=how) as form:
            assert read(form["f"]) == content
        assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    "body",
    [
        b"&" * 5 * MiB,
        b"=" * 5 * MiB,
        b"%" * 5 * MiB,
        b"a=" + b"%41" * (5 * MiB // 3),
        b"a=" + b"%4" * (5 * MiB // 2),
        b"a&" * 100_000,
        b"a=b&" * 100_000,
    ],
    ids=["ampersands", "equals", "percents", "escapes", "half-escapes", "names", "fields"],
)
def test_urlencoded_pathological_bodies_are_linear(body: bytes) -> None:
    limits = FormLimits(max_fields=10**6, max_body_size=10 * MiB, max_part_size=10 * MiB)
    for how in WHOLE_OR_PIECES:
        started = time.perf_counter()
        parse(URLENCODED, body, limits, how=how)
        assert time.perf_counter() - started < 2


def test_urlencoded_pathological_bodies_stop_at_default_limits() -> None:
    started = time.perf_counter()
    assert isinstance(parse_error(URLENCODED, b"a&" * (5 * MiB // 2)), PayloadTooLarge)
    assert isinstance(parse_error(URLENCODED, b"=" * 2 * MiB), PayloadTooLarge)
    assert time.perf_counter() - started < 0.5


def test_percent_decoding_across_chunks() -> None:
    body = b"k%C3%A9y=%E6%97%A5%2B+%%4%zz%4g%"
    for how in [*CHUNKINGS, 2, 3]:
        assert parse(URLENCODED, body, how=how).multi_items() == [("kéy", "日+ %%4%zz%4g%")]


MALFORMED = {
    "empty body": b"",
    "no closing boundary": part("a", b"1"),
    "truncated in headers": b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: form",
    "truncated in data": part("a", b"1")[:-2],
    "garbage before boundary": b"garbage" + multipart(part("a", b"1")),
    "wrong boundary": multipart(part("a", b"1")).replace(BOUNDARY.encode(), b"other"),
    "no content-disposition": (
        b"--" + BOUNDARY.encode() + b"\r\nContent-Type: text/plain\r\n\r\n1\r\n--" + BOUNDARY.encode() + b"--"
    ),
    "two content-dispositions": multipart(
        part("a", b"1", headers=b'Content-Disposition: form-data; name="b"\r\n')
    ),
    "not form-data": multipart(part("a", b"1", disposition=b'attachment; name="a"')),
    "no name": multipart(part("a", b"1", disposition=b'form-data; filename="a"')),
    "bad disposition quoting": multipart(part("a", b"1", disposition=b'form-data; name="a')),
    "repeated name": multipart(part("a", b"1", disposition=b'form-data; name="a"; name="b"')),
    "non-utf8 name": multipart(part(b"\xff\xfe", b"1")),
    "non-utf8 file field name": multipart(part(b"\xc3", b"1", filename="f")),
    "non-utf8 value": multipart(part("a", b"\xff")),
    "bad header name": multipart(part("a", b"1", headers=b"Bad Header: x\r\n")),
    "empty header name": multipart(part("a", b"1", headers=b": x\r\n")),
}


@pytest.mark.parametrize("how", ["whole", "bytes", "random"])
@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_multipart_is_400(case: str, how: str) -> None:
    error = parse_error(MULTIPART, MALFORMED[case], how=how)
    assert isinstance(error, BadRequest), error
    assert error.status_code == 400


# -- cleanup ---------------------------------------------------------------------


@pytest.fixture
def spooled_files(monkeypatch: pytest.MonkeyPatch) -> list[tempfile.SpooledTemporaryFile[bytes]]:
    created: list[tempfile.SpooledTemporaryFile[bytes]] = []
    original: Callable[..., tempfile.SpooledTemporaryFile[bytes]] = tempfile.SpooledTemporaryFile

    def tracking(*args: Any, **kwargs: Any) -> tempfile.SpooledTemporaryFile[bytes]:
        file = original(*args, **kwargs)
        created.append(file)
        return file

    monkeypatch.setattr(uploads, "SpooledTemporaryFile", tracking)
    return created


FAILING_AFTER_FILES = {
    "too many files": (
        multipart(*[part("f", b"x" * 100, filename="f") for _ in range(5)]),
        FormLimits(max_files=3, spool_size=10),
    ),
    "malformed after a file": (
        part("f", b"x" * 100, filename="f") + part("g", b"y" * 100, filename="g"),
        FormLimits(spool_size=10),
    ),
    "field too large after a file": (
        multipart(part("f", b"x" * 100, filename="f"), part("a", b"y" * 100)),
        FormLimits(max_part_size=50, spool_size=10),
    ),
    "upload too large": (
        multipart(part("f", b"x" * 100, filename="f"), part("g", b"y" * 1000, filename="g")),
        FormLimits(max_upload_size=600, spool_size=10),
    ),
}


@pytest.mark.parametrize("case", list(FAILING_AFTER_FILES))
def test_files_are_closed_when_parsing_fails(
    case: str, spooled_files: list[tempfile.SpooledTemporaryFile[bytes]]
) -> None:
    body, limits = FAILING_AFTER_FILES[case]
    parse_error(MULTIPART, body, limits, how=37)
    assert spooled_files
    assert all(file.closed for file in spooled_files)


def test_files_are_closed_when_the_stream_fails(
    spooled_files: list[tempfile.SpooledTemporaryFile[bytes]],
) -> None:
    def broken() -> Iterator[bytes]:
        yield part("f", b"x" * 1000, filename="f")
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        asyncio.run(parse_form(MULTIPART, Stream(broken()), FormLimits(spool_size=10)))
    assert len(spooled_files) == 1 and spooled_files[0].closed


def test_form_close_closes_every_file() -> None:
    form = parse(
        MULTIPART,
        multipart(part("a", b"1"), part("f", b"x" * 100, filename="f"), part("g", b"y", filename="g")),
        FormLimits(spool_size=10),
    )
    files = [v for v in form.values() if isinstance(v, UploadFile)]
    assert len(files) == 2
    form.close()
    assert all(f.file.closed for f in files)


def test_files_are_closed_when_the_parse_is_cancelled(
    spooled_files: list[tempfile.SpooledTemporaryFile[bytes]],
) -> None:
    async def stalled() -> AsyncIterator[bytes]:
        yield part("f", b"x" * 1000, filename="f")
        await asyncio.Event().wait()

    async def scenario() -> None:
        task = asyncio.create_task(parse_form(MULTIPART, stalled(), FormLimits(spool_size=10)))
        while not spooled_files:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert len(spooled_files) == 1 and spooled_files[0].closed


def test_errors_close_the_connection() -> None:
    for error in [
        parse_error(URLENCODED, b"a&" * 2000),
        parse_error(MULTIPART, b"garbage"),
        parse_error("multipart/form-data; boundary=", b""),
    ]:
        assert ("connection", "close") in error.headers
