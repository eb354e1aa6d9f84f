from __future__ import annotations

import asyncio
import email.utils
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest

from vivace.core import fileresponse
from vivace.core.exceptions import HTTPException, NotFound
from vivace.core.fileresponse import (
    MAX_RANGES,
    FileResponse,
    content_disposition,
    guess_media_type,
    parse_range,
)
from vivace.core.responses import PlainTextResponse, Response
from vivace.core.types import Message, Receive, Scope, Send

CONTENT = b"0123456789abcdefghij"  # 20 bytes


def fetch(
    make: Callable[[], Response],
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Serve ``make()`` through a one-line ASGI app; an HTTPException becomes its status."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await make()(scope, receive, send)
        except HTTPException as exc:
            await PlainTextResponse(exc.detail, exc.status_code)(scope, receive, send)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, "/", headers=headers)

    return asyncio.run(run())


def call(response: Response, send: Send, method: str = "GET") -> None:
    """Call a response as an ASGI app with a hand-made ``send``."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    scope: Scope = {"type": "http", "method": method, "path": "/", "headers": []}
    asyncio.run(response(scope, receive, send))


@pytest.fixture
def path(tmp_path: Path) -> Path:
    file = tmp_path / "data.txt"
    file.write_bytes(CONTENT)
    return file


def etag_of(path: Path) -> str:
    return fetch(lambda: FileResponse(path), "HEAD").headers["etag"]


# Plain GET and HEAD ---------------------------------------------------------


def test_get_sends_the_file_with_its_headers(path: Path) -> None:
    response = fetch(lambda: FileResponse(path))
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-length"] == "20"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["accept-ranges"] == "bytes"
    assert "content-disposition" not in response.headers
    st = path.stat()
    assert response.headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
    assert response.headers["last-modified"] == email.utils.formatdate(st.st_mtime, usegmt=True)


def test_head_sends_the_same_headers_and_no_body(path: Path) -> None:
    get = fetch(lambda: FileResponse(path))
    head = fetch(lambda: FileResponse(path), "HEAD")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == "20"
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == get.headers["content-type"]


def test_explicit_media_type_and_headers(path: Path) -> None:
    response = fetch(lambda: FileResponse(path, media_type="application/x-thing", headers={"x-a": "1"}))
    assert response.headers["content-type"] == "application/x-thing"
    assert response.headers["x-a"] == "1"


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    response = fetch(lambda: FileResponse(empty))
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"
    assert response.headers["content-type"] == "application/octet-stream"


def test_big_file_is_sent_in_chunks_read_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(10_000)
    big = tmp_path / "big.bin"
    big.write_bytes(data)
    threads: set[int] = set()
    read_at = fileresponse._read_at

    def spy(file: BinaryIO, offset: int, size: int) -> bytes:
        threads.add(threading.get_ident())
        return read_at(file, offset, size)

    monkeypatch.setattr(fileresponse, "_read_at", spy)
    messages: list[Message] = []

    async def send(message: Message) -> None:
        messages.append(message)

    call(FileResponse(big, chunk_size=4096), send)
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert b"".join(m["body"] for m in bodies) == data
    assert [len(m["body"]) for m in bodies] == [4096, 4096, 1808, 0]
    assert [m["more_body"] for m in bodies] == [True, True, True, False]
    assert threads and threading.get_ident() not in threads


def test_chunk_size_must_be_positive(path: Path) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        FileResponse(path, chunk_size=0)


def test_repr(path: Path) -> None:
    assert repr(FileResponse(path)) == f"<FileResponse 200 {str(path)!r}>"


# Missing files, odd files, closing --------------------------------------------


def test_vanished_file_raises_not_found_before_sending(path: Path) -> None:
    response = FileResponse(path)
    path.unlink()
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(NotFound):
        call(response, send)
    assert sent == []
    assert fetch(lambda: FileResponse(path)).status_code == 404


def test_directory_is_not_found(tmp_path: Path) -> None:
    assert fetch(lambda: FileResponse(tmp_path)).status_code == 404


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    started = time.perf_counter()
    assert fetch(lambda: FileResponse(fifo)).status_code == 404
    assert time.perf_counter() - started < 5


def test_swapped_file_is_refused(path: Path, tmp_path: Path) -> None:
    checked = path.stat()
    other = tmp_path / "other.txt"
    other.write_bytes(b"something else")
    os.replace(other, path)
    assert fetch(lambda: FileResponse(path, stat_result=checked)).status_code == 404
    assert fetch(lambda: FileResponse(path, stat_result=path.stat())).status_code == 200


def test_file_is_closed_when_the_client_disconnects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 10_000)
    opened: list[BinaryIO] = []
    real_open = fileresponse._open

    def spy(path: str, expected: os.stat_result | None) -> tuple[BinaryIO, os.stat_result]:
        file, st = real_open(path, expected)
        opened.append(file)
        return file, st

    monkeypatch.setattr(fileresponse, "_open", spy)
    bodies = 0

    async def send(message: Message) -> None:
        nonlocal bodies
        if message["type"] == "http.response.body":
            bodies += 1
            if bodies == 2:
                raise OSError("client went away")

    with pytest.raises(OSError, match="went away"):
        call(FileResponse(big, chunk_size=1000), send)
    assert bodies == 2
    assert len(opened) == 1 and opened[0].closed


def test_file_shrinking_while_sent_fails_loudly(tmp_path: Path) -> None:
    file = tmp_path / "log.txt"
    file.write_bytes(b"x" * 100)

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            file.write_bytes(b"")

    with pytest.raises(OSError, match="shrank"):
        call(FileResponse(file, chunk_size=10), send)


# Media types and Content-Disposition -------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", "text/plain"),
        ("a.html", "text/html"),
        ("a.css", "text/css"),
        ("a.js", "text/javascript"),
        ("a.svg", "image/svg+xml"),
        ("a.woff2", "font/woff2"),
        ("a.webp", "image/webp"),
        ("a.json", "application/json"),
        ("dir/a.PNG", "image/png"),
        ("a.tar.gz", "application/gzip"),
        ("a", "application/octet-stream"),
        ("a.unknownext", "application/octet-stream"),
        ("data:text/html,x", "application/octet-stream"),
    ],
)
def test_guess_media_type(name: str, expected: str) -> None:
    assert guess_media_type(name) == expected


def test_text_types_get_a_charset(tmp_path: Path) -> None:
    script = tmp_path / "app.js"
    script.write_text("x")
    response = fetch(lambda: FileResponse(script))
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"


def test_filename_makes_an_attachment_typed_by_the_filename(tmp_path: Path) -> None:
    stored = tmp_path / "3f2a9c"
    stored.write_bytes(b"<svg/>")
    response = fetch(lambda: FileResponse(stored, filename="photo.svg"))
    assert response.headers["content-disposition"] == 'attachment; filename="photo.svg"'
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_attachment_flag(path: Path) -> None:
    inline = fetch(lambda: FileResponse(path, filename="a.txt", attachment=False))
    assert inline.headers["content-disposition"] == 'inline; filename="a.txt"'
    bare = fetch(lambda: FileResponse(path, attachment=True))
    assert bare.headers["content-disposition"] == "attachment"


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", 'attachment; filename="report.pdf"'),
        ("a b.txt", 'attachment; filename="a b.txt"'),
        (
            "résumé.pdf",
            "attachment; filename=\"resume.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
        ),
        ("日本.txt", "attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt"),
        ('x".txt', "attachment; filename=\"x_.txt\"; filename*=UTF-8''x%22.txt"),
        ("a\\b.txt", 'attachment; filename="a_b.txt"'),
        ("../../app.py", 'attachment; filename=".._.._app.py"'),
        ("a\r\nSet-Cookie: x=1", 'attachment; filename="a__Set-Cookie: x=1"'),
        ("evil\u202egpj.exe", 'attachment; filename="evil_gpj.exe"'),
        ("", 'attachment; filename="download"'),
    ],
)
def test_content_disposition(filename: str, expected: str) -> None:
    assert content_disposition(filename) == expected


def test_content_disposition_never_splits_the_response(path: Path) -> None:
    response = fetch(lambda: FileResponse(path, filename='a"\r\n\x00b.txt'))
    value = response.headers["content-disposition"]
    assert value == "attachment; filename=\"a____b.txt\"; filename*=UTF-8''a%22___b.txt"
    assert "set-cookie" not in response.headers


# Conditional requests --------------------------------------------------------------


def test_if_none_match_gives_304(path: Path) -> None:
    etag = etag_of(path)
    for value in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        response = fetch(lambda: FileResponse(path), headers={"if-none-match": value})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert "content-type" not in response.headers
        assert response.headers.get("content-length", "0") == "0"


def test_if_none_match_other_tag_gives_200(path: Path) -> None:
    response = fetch(lambda: FileResponse(path), headers={"if-none-match": '"nope", W/"x"'})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_if_modified_since(path: Path) -> None:
    mtime = path.stat().st_mtime
    same = email.utils.formatdate(mtime, usegmt=True)
    later = email.utils.formatdate(mtime + 60, usegmt=True)
    earlier = email.utils.formatdate(mtime - 60, usegmt=True)

    def status(since: str) -> int:
        return fetch(lambda: FileResponse(path), headers={"if-modified-since": since}).status_code

    assert status(same) == 304
    assert status(later) == 304
    assert status(earlier) == 200
    for bad in ("yesterday", "x" * 1000, "Mon, 99 Foo 2020 99:99:99 GMT"):
        assert status(bad) == 200


def test_if_none_match_wins_over_if_modified_since(path: Path) -> None:
    later = email.utils.formatdate(path.stat().st_mtime + 60, usegmt=True)
    headers = {"if-none-match": '"other"', "if-modified-since": later}
    assert fetch(lambda: FileResponse(path), headers=headers).status_code == 200


def test_head_is_conditional_too(path: Path) -> None:
    response = fetch(lambda: FileResponse(path), "HEAD", {"if-none-match": etag_of(path)})
    assert response.status_code == 304


def test_if_match_and_if_unmodified_since_give_412(path: Path) -> None:
    etag = etag_of(path)
    earlier = email.utils.formatdate(path.stat().st_mtime - 60, usegmt=True)
    assert fetch(lambda: FileResponse(path), headers={"if-match": '"x"'}).status_code == 412
    assert fetch(lambda: FileResponse(path), headers={"if-match": f"W/{etag}"}).status_code == 412
    assert fetch(lambda: FileResponse(path), headers={"if-match": etag}).status_code == 200
    assert fetch(lambda: FileResponse(path), headers={"if-match": "*"}).status_code == 200
    response = fetch(lambda: FileResponse(path), headers={"if-unmodified-since": earlier})
    assert response.status_code == 412


def test_own_etag_header_is_the_validator(path: Path) -> None:
    def make() -> FileResponse:
        return FileResponse(path, headers={"etag": '"v1"'})

    assert fetch(make).headers["etag"] == '"v1"'
    assert fetch(make, headers={"if-none-match": '"v1"'}).status_code == 304


def test_conditionals_and_ranges_only_apply_to_a_200(path: Path) -> None:
    headers = {"if-none-match": "*", "range": "bytes=0-1"}
    response = fetch(lambda: FileResponse(path, status_code=404), headers=headers)
    assert response.status_code == 404
    assert response.content == CONTENT


def test_conditionals_and_ranges_only_apply_to_get_and_head(path: Path) -> None:
    headers = {"if-none-match": "*", "range": "bytes=0-1"}
    response = fetch(lambda: FileResponse(path), "POST", headers)
    assert response.status_code == 200
    assert response.content == CONTENT


# Ranges ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "content_range", "body"),
    [
        ("bytes=0-4", "bytes 0-4/20", CONTENT[0:5]),
        ("bytes=5-", "bytes 5-19/20", CONTENT[5:]),
        ("bytes=-3", "bytes 17-19/20", CONTENT[-3:]),
        ("bytes=19-19", "bytes 19-19/20", CONTENT[19:]),
        ("bytes=10-999", "bytes 10-19/20", CONTENT[10:]),
        ("bytes=-999", "bytes 0-19/20", CONTENT),
        ("BYTES = 0-0", "bytes 0-0/20", CONTENT[:1]),
        ("bytes=0-1, 50-60", "bytes 0-1/20", CONTENT[:2]),
        ("bytes=0-99999999999999999999999999", "bytes 0-19/20", CONTENT),
    ],
)
def test_single_range(path: Path, header: str, content_range: str, body: bytes) -> None:
    response = fetch(lambda: FileResponse(path), headers={"range": header})
    assert response.status_code == 206
    assert response.headers["content-range"] == content_range
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content == body


def test_head_with_a_range(path: Path) -> None:
    response = fetch(lambda: FileResponse(path), "HEAD", {"range": "bytes=0-4"})
    assert response.status_code == 206
    assert response.headers["content-length"] == "5"
    assert response.content == b""


@pytest.mark.parametrize("header", ["bytes=20-", "bytes=20-30", "bytes=-0", "bytes=99999999999999999999999-"])
def test_unsatisfiable_range_gives_416(path: Path, header: str) -> None:
    response = fetch(lambda: FileResponse(path), headers={"range": header})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */20"
    assert response.content == b""


def test_any_range_on_an_empty_file_is_unsatisfiable(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    response = fetch(lambda: FileResponse(empty), headers={"range": "bytes=-5"})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */0"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=5-1",
        "bytes=0-1,5-1",
        "bytes=abc",
        "bytes=1",
        "bytes=",
        "bytes=,,",
        "bytes=--1",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes= 1 - 2",
        "bytes=0x1-2",
        "items=0-1",
        "0-1",
        "bytes=0-5,3-8",
        "bytes=0-,10-12",
        "bytes=-5,18-",
    ],
)
def test_invalid_or_overlapping_range_is_ignored(path: Path, header: str) -> None:
    response = fetch(lambda: FileResponse(path), headers={"range": header})
    assert response.status_code == 200
    assert response.content == CONTENT
    assert "content-range" not in response.headers


def multipart_parts(response: httpx.Response) -> list[tuple[str, str, bytes]]:
    match = re.fullmatch(r"multipart/byteranges; boundary=([0-9a-f]{32})", response.headers["content-type"])
    assert match is not None
    boundary = match.group(1).encode()
    body = response.content
    assert body.endswith(b"--" + boundary + b"--\r\n")
    parts = []
    for chunk in body.split(b"--" + boundary)[1:-1]:
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        assert data.endswith(b"\r\n")
        lines = dict(line.split(b": ", 1) for line in head.split(b"\r\n"))
        parts.append((lines[b"content-type"].decode(), lines[b"content-range"].decode(), data[:-2]))
    return parts


def test_multiple_ranges_give_multipart_byteranges(path: Path) -> None:
    response = fetch(lambda: FileResponse(path), headers={"range": "bytes=10-11, 0-2,-2"})
    assert response.status_code == 206
    assert response.headers["content-length"] == str(len(response.content))
    assert "content-range" not in response.headers
    assert multipart_parts(response) == [
        ("text/plain; charset=utf-8", "bytes 10-11/20", CONTENT[10:12]),
        ("text/plain; charset=utf-8", "bytes 0-2/20", CONTENT[0:3]),
        ("text/plain; charset=utf-8", "bytes 18-19/20", CONTENT[18:]),
    ]


def test_multipart_across_chunks(tmp_path: Path) -> None:
    data = os.urandom(5000)
    file = tmp_path / "blob.bin"
    file.write_bytes(data)
    response = fetch(lambda: FileResponse(file, chunk_size=100), headers={"range": "bytes=0-999,4000-"})
    assert [(r, d) for _, r, d in multipart_parts(response)] == [
        ("bytes 0-999/5000", data[:1000]),
        ("bytes 4000-4999/5000", data[4000:]),
    ]


def test_at_most_max_ranges(path: Path) -> None:
    allowed = "bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES))
    response = fetch(lambda: FileResponse(path), headers={"range": allowed})
    assert response.status_code == 206
    assert len(multipart_parts(response)) == MAX_RANGES
    too_many = "bytes=" + ",".join(f"{i}-{i}" for i in range(MAX_RANGES + 1))
    response = fetch(lambda: FileResponse(path), headers={"range": too_many})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_ten_thousand_ranges_are_cheap(path: Path) -> None:
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(10_000))
    started = time.perf_counter()
    for _ in range(1000):
        assert parse_range(header, 20) is None
    assert time.perf_counter() - started < 1.0
    response = fetch(lambda: FileResponse(path), headers={"range": header})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_only_one_range_header_is_understood(path: Path) -> None:
    def make() -> FileResponse:
        return FileResponse(path)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["headers"] = [(b"range", b"bytes=0-1"), (b"range", b"bytes=2-3")]
        await make()(scope, receive, send)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/")

    assert asyncio.run(run()).status_code == 200


def test_if_range(path: Path) -> None:
    etag = etag_of(path)
    last_modified = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
    earlier = email.utils.formatdate(path.stat().st_mtime - 60, usegmt=True)

    def get(if_range: str) -> httpx.Response:
        return fetch(lambda: FileResponse(path), headers={"range": "bytes=0-1", "if-range": if_range})

    assert get(etag).status_code == 206
    assert get(last_modified).status_code == 206
    for stale in ('"other"', f"W/{etag}", earlier, "garbage"):
        response = get(stale)
        assert response.status_code == 200, stale
        assert response.content == CONTENT


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-0", [(0, 1)]),
        ("bytes=2-3,0-1", [(2, 4), (0, 2)]),
        ("bytes=0-0,1-1", [(0, 1), (1, 2)]),
        ("bytes=0-0,,1-1", [(0, 1), (1, 2)]),
        ("bytes=30-40", []),
        ("bytes=-0", []),
        ("bytes=3-1", None),
        ("bytes=0-2,1-3", None),
        ("bytes=-", None),
        ("bytes=-a", None),
        ("bytes=\u00b2-3", None),
        ("bytes=0-\u0663", None),
        ("bytes=00000000000000000000000000000001-2", [(1, 3)]),
    ],
)
def test_parse_range(header: str, expected: list[tuple[int, int]] | None) -> None:
    assert parse_range(header, 10) == expected


def test_request_without_headers_in_scope(path: Path) -> None:
    sent: list[Any] = []

    async def send(message: Message) -> None:
        sent.append(message)

    call(FileResponse(path), send)
    assert sent[0]["status"] == 200
    assert b"".join(m.get("body", b"") for m in sent[1:]) == CONTENT
