from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from vivace.core.exceptions import ConfigError
from vivace.core.middleware import GZipMiddleware
from vivace.core.middleware.gzip import merge_vary
from vivace.core.types import ASGIApp, Message, Receive, Scope, Send

BODY = b"vivace " * 200  # 1400 bytes, compresses well


def plain_app(
    body: bytes = BODY,
    *,
    status: int = 200,
    headers: Iterable[tuple[bytes, bytes]] = ((b"content-type", b"text/plain"),),
    content_length: bool = True,
) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raw = list(headers)
        if content_length:
            raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    return app


def streaming_app(chunks: list[bytes], headers: Iterable[tuple[bytes, bytes]] = ()) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raw = [(b"content-type", b"text/plain"), *headers]
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def fetch(
    app: ASGIApp,
    accept_encoding: str | None = "gzip",
    method: str = "GET",
    **options: Any,
) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=GZipMiddleware(app, **options))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            headers = {} if accept_encoding is None else {"accept-encoding": accept_encoding}
            request = client.build_request(method, "/", headers=headers)
            if accept_encoding is None:
                del request.headers["accept-encoding"]
            return await client.send(request)

    return asyncio.run(run())


def drive(app: ASGIApp, accept_encoding: bytes = b"gzip", method: str = "GET") -> list[Message]:
    """Run the middleware directly and keep every message it sends, in order."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [(b"accept-encoding", accept_encoding)],
    }
    asyncio.run(GZipMiddleware(app)(scope, receive, send))
    return sent


def header(message: Message, name: bytes) -> list[bytes]:
    return [v for k, v in message["headers"] if k == name]


def test_compresses_when_gzip_accepted() -> None:
    response = fetch(plain_app())
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.content == BODY
    assert int(response.headers["content-length"]) < len(BODY)


def test_body_is_real_gzip_with_correct_length() -> None:
    start, body = drive(plain_app())
    assert header(start, b"content-length") == [str(len(body["body"])).encode()]
    assert gzip.decompress(body["body"]) == BODY


@pytest.mark.parametrize(
    "accept",
    ["gzip", "GZIP", "deflate, gzip;q=0.5", "br;q=1.0, gzip; q=0.001", "*", "x-gzip", "gzip;q=1"],
)
def test_accepting_headers(accept: str) -> None:
    assert fetch(plain_app(), accept).headers.get("content-encoding") == "gzip"


@pytest.mark.parametrize(
    "accept",
    [
        "gzip;q=0",
        "gzip;q=0.000",
        "deflate, br",
        "identity",
        "",
        "*;q=0",
        "gzip;q=0, *",
        "gzip;q=abc",
        "gzip;q=2",
        "gzipx",
    ],
)
def test_refusing_headers(accept: str) -> None:
    response = fetch(plain_app(), accept)
    assert "content-encoding" not in response.headers
    assert response.content == BODY


def test_no_accept_encoding_header_means_no_compression() -> None:
    response = fetch(plain_app(), None)
    assert "content-encoding" not in response.headers
    assert response.content == BODY


def test_plain_copy_of_a_compressible_response_still_varies() -> None:
    response = fetch(plain_app(), "identity")
    assert response.headers["vary"] == "Accept-Encoding"


def test_below_minimum_size_is_left_alone() -> None:
    response = fetch(plain_app(b"x" * 499))
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers
    assert response.content == b"x" * 499


def test_minimum_size_checked_on_body_without_content_length() -> None:
    start, body = drive(plain_app(b"x" * 100, content_length=False))
    assert header(start, b"content-encoding") == []
    assert body["body"] == b"x" * 100


def test_custom_minimum_size() -> None:
    response = fetch(plain_app(b"a" * 100), minimum_size=50)
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == b"a" * 100


def test_incompressible_body_is_sent_as_is() -> None:
    noise = bytes(range(256)) * 2
    noise = zlib.compress(noise * 10)[:600]
    response = fetch(plain_app(noise), minimum_size=10)
    assert "content-encoding" not in response.headers
    assert response.content == noise


def test_head_is_left_alone() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"1400")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    start, body = drive(app, method="HEAD")
    assert start["headers"] == [(b"content-type", b"text/plain"), (b"content-length", b"1400")]
    assert body["body"] == b""


@pytest.mark.parametrize("status", [204, 304, 206])
def test_statuses_without_a_compressible_body(status: int) -> None:
    start, _ = drive(plain_app(status=status, content_length=False))
    assert header(start, b"content-encoding") == []


def test_existing_content_encoding_is_left_alone() -> None:
    app = plain_app(headers=[(b"content-encoding", b"br"), (b"content-type", b"text/plain")])
    start, body = drive(app)
    assert header(start, b"content-encoding") == [b"br"]
    assert body["body"] == BODY


@pytest.mark.parametrize("media_type", [b"image/png", b"text/event-stream; charset=utf-8", b"video/mp4"])
def test_excluded_media_types(media_type: bytes) -> None:
    start, body = drive(plain_app(headers=[(b"content-type", media_type)]))
    assert header(start, b"content-encoding") == []
    assert body["body"] == BODY


def test_custom_exclusions_replace_the_defaults() -> None:
    app = plain_app(headers=[(b"content-type", b"text/html")])
    response = fetch(app, exclude_media_types=["text/*"])
    assert "content-encoding" not in response.headers
    response = fetch(plain_app(headers=[(b"content-type", b"image/png")]), exclude_media_types=[])
    assert response.headers["content-encoding"] == "gzip"


def test_vary_is_merged() -> None:
    app = plain_app(headers=[(b"content-type", b"text/plain"), (b"vary", b"Cookie")])
    assert fetch(app).headers["vary"] == "Cookie, Accept-Encoding"


def test_vary_already_listing_accept_encoding_or_star_is_kept() -> None:
    for existing in (b"accept-encoding", b"*", b"Origin, Accept-Encoding"):
        app = plain_app(headers=[(b"vary", existing)])
        start, _ = drive(app)
        assert header(start, b"vary") == [existing]


def test_merge_vary_folds_several_lines() -> None:
    headers = [(b"vary", b"Cookie"), (b"x", b"1"), (b"vary", b"Origin")]
    assert merge_vary(headers, b"Accept-Encoding") == [
        (b"vary", b"Cookie, Origin, Accept-Encoding"),
        (b"x", b"1"),
    ]


def test_strong_etag_becomes_weak() -> None:
    start, _ = drive(plain_app(headers=[(b"etag", b'"abc"')]))
    assert header(start, b"etag") == [b'W/"abc"']
    start, _ = drive(plain_app(headers=[(b"etag", b'W/"abc"')]))
    assert header(start, b"etag") == [b'W/"abc"']


def test_streaming_is_compressed_chunk_by_chunk() -> None:
    chunks = [b"first chunk " * 50, b"second chunk " * 50, b"third " * 50]
    sent = drive(streaming_app(chunks, headers=[(b"content-length", b"1950")]))
    start, *bodies = sent
    assert header(start, b"content-encoding") == [b"gzip"]
    assert header(start, b"content-length") == []
    assert header(start, b"vary") == [b"Accept-Encoding"]
    assert [b.get("more_body", False) for b in bodies] == [True, True, True, False]
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for chunk, message in zip(chunks, bodies, strict=False):
        # every chunk is flushed: the client can decode it before the next arrives
        assert decompressor.decompress(message["body"]) == chunk
    assert decompressor.decompress(bodies[-1]["body"]) == b""
    assert decompressor.eof


def test_streaming_never_waits_for_the_end() -> None:
    """The first chunk is sent before the app produces the second."""
    sent: list[Message] = []
    seen_before_second: list[int] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a" * 1000, "more_body": True})
        seen_before_second.append(len(sent))
        await send({"type": "http.response.body", "body": b"b" * 1000})

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": [(b"accept-encoding", b"gzip")]}
    asyncio.run(GZipMiddleware(app)(scope, receive, send))
    assert seen_before_second == [2]
    data = b"".join(m["body"] for m in sent[1:])
    assert gzip.decompress(data) == b"a" * 1000 + b"b" * 1000


def test_streaming_through_http_client() -> None:
    chunks = [b"line %d\n" % i * 20 for i in range(50)]
    response = fetch(streaming_app(chunks))
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == b"".join(chunks)


def test_streaming_not_accepted_passes_through_with_vary() -> None:
    sent = drive(streaming_app([b"abc" * 300]), accept_encoding=b"identity")
    assert header(sent[0], b"content-encoding") == []
    assert header(sent[0], b"vary") == [b"Accept-Encoding"]
    assert sent[1]["body"] == b"abc" * 300


def test_pathsend_passes_through() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.pathsend", "path": "/tmp/file"})

    start, pathsend = drive(app)
    assert header(start, b"content-encoding") == []
    assert pathsend["type"] == "http.response.pathsend"


def test_start_message_of_the_app_is_not_mutated() -> None:
    raw = [(b"content-type", b"text/plain")]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": raw})
        await send({"type": "http.response.body", "body": BODY})

    drive(app)
    assert raw == [(b"content-type", b"text/plain")]


def test_non_http_scope_passes_straight_through() -> None:
    calls: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope)

    async def receive() -> Message:
        return {}

    async def send(message: Message) -> None:
        pass

    scope = {"type": "lifespan"}
    asyncio.run(GZipMiddleware(app)(scope, receive, send))
    assert calls == [scope]


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"minimum_size": -1}, "minimum_size=-1"),
        ({"minimum_size": "500"}, "minimum_size='500'"),
        ({"minimum_size": True}, "minimum_size=True"),
        ({"compresslevel": 0}, "compresslevel=0"),
        ({"compresslevel": 10}, "compresslevel=10"),
        ({"exclude_media_types": "image/png"}, "exclude_media_types='image/png'"),
        ({"exclude_media_types": ["png"]}, "'png'"),
        ({"exclude_media_types": 3}, "exclude_media_types=3"),
    ],
)
def test_bad_options(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match="allowed") as info:
        GZipMiddleware(plain_app(), **options)
    assert named in str(info.value)
