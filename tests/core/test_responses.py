"""Response classes: bodies, content types, lengths, HEAD, cookies and streaming."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from vivace import App
from vivace.core.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from vivace.core.types import Message
from vivace.testing import TestClient


def send_response(
    response: Response, method: str = "GET", scheme: str = "http"
) -> tuple[int, list[tuple[bytes, bytes]], list[Message]]:
    """Run ``response`` as an ASGI app; the status, the raw headers and the body messages."""
    sent: list[Message] = []

    async def receive() -> Message:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "scheme": scheme, "path": "/", "headers": []}
    asyncio.run(response(scope, receive, send))
    start, *bodies = sent
    assert start["type"] == "http.response.start"
    return start["status"], start["headers"], bodies


def headers_of(response: Response, **kwargs: Any) -> dict[str, str]:
    _, raw, _ = send_response(response, **kwargs)
    return {k.decode(): v.decode() for k, v in raw}


def body_of(response: Response, **kwargs: Any) -> bytes:
    _, _, bodies = send_response(response, **kwargs)
    assert not bodies[-1].get("more_body", False)
    return b"".join(m["body"] for m in bodies)


# Plain responses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "content_type", "body"),
    [
        (Response(b"raw"), None, b"raw"),
        (Response("text", media_type="text/plain"), "text/plain; charset=utf-8", b"text"),
        (Response("x", media_type="text/csv; charset=latin-1"), "text/csv; charset=latin-1", b"x"),
        (Response(b"{}", media_type="application/json"), "application/json", b"{}"),
        (Response(None), None, b""),
        (HTMLResponse("<p>caf\u00e9</p>"), "text/html; charset=utf-8", "<p>caf\u00e9</p>".encode()),
        (PlainTextResponse("\u2713"), "text/plain; charset=utf-8", "\u2713".encode()),
        (JSONResponse({"a": [1, None, True]}), "application/json", b'{"a":[1,null,true]}'),
        (JSONResponse(None), "application/json", b"null"),
    ],
)
def test_content_type_charset_and_length(response: Response, content_type: str | None, body: bytes) -> None:
    status, raw, _ = send_response(response)
    headers = dict(raw)
    assert status == 200
    assert headers.get(b"content-type") == (content_type.encode() if content_type else None)
    assert headers[b"content-length"] == str(len(body)).encode()
    assert body_of(response) == body


def test_charset_can_be_changed_per_class() -> None:
    class Latin1Text(PlainTextResponse):
        charset = "latin-1"

    response = Latin1Text("caf\u00e9")
    assert response.body == b"caf\xe9"
    assert headers_of(response)["content-type"] == "text/plain; charset=latin-1"


def test_explicit_headers_win_over_the_defaults() -> None:
    response = Response(b"abc", headers={"content-type": "image/png", "content-length": "3"})
    _, raw, _ = send_response(response)
    assert [v for k, v in raw if k == b"content-type"] == [b"image/png"]
    assert [v for k, v in raw if k == b"content-length"] == [b"3"]


def test_headers_as_pairs_keep_repeated_names() -> None:
    response = Response(b"", headers=[("Link", "<a>"), ("Link", "<b>")])
    _, raw, _ = send_response(response)
    assert [v for k, v in raw if k == b"link"] == [b"<a>", b"<b>"]


def test_status_code() -> None:
    status, _, _ = send_response(PlainTextResponse("gone", 410))
    assert status == 410
    assert repr(PlainTextResponse("x", 410)) == "<PlainTextResponse 410>"


def test_response_refuses_other_content() -> None:
    with pytest.raises(TypeError, match="Response takes bytes or str, not int"):
        Response(3)
    with pytest.raises(TypeError):
        HTMLResponse({"a": 1})


def test_head_keeps_the_headers_and_drops_the_body() -> None:
    response = HTMLResponse("<p>hello</p>")
    _, get_headers, _ = send_response(response)
    _, head_headers, bodies = send_response(response, method="HEAD")
    assert head_headers == get_headers
    assert b"".join(m["body"] for m in bodies) == b""


@pytest.mark.parametrize("status", [204, 304, 101])
def test_bodiless_statuses_send_no_body_and_no_length(status: int) -> None:
    response = PlainTextResponse("ignored", status)
    sent_status, raw, bodies = send_response(response)
    assert sent_status == status
    assert b"content-length" not in dict(raw)
    assert b"".join(m["body"] for m in bodies) == b""


def test_bodiless_status_from_a_handler(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)
    app.add_route("/gone", lambda: ("", 204), ["DELETE"], name="gone")
    app.add_route("/same", lambda: Response(status_code=304, headers={"etag": '"v1"'}), name="same")
    with TestClient(app) as client:
        deleted = client.delete("/gone")
        same = client.get("/same")
    assert deleted.status_code == 204
    assert "content-length" not in deleted.headers
    assert same.status_code == 304
    assert same.headers["etag"] == '"v1"'
    assert "content-length" not in same.headers


def test_streaming_bodiless_status_is_not_iterated() -> None:
    consumed: list[int] = []

    def produce() -> Iterator[bytes]:
        consumed.append(1)
        yield b"x"

    _, _, bodies = send_response(StreamingResponse(produce(), 204))
    assert [m["body"] for m in bodies] == [b""]
    assert consumed == []


def test_media_type_changed_on_an_instance() -> None:
    response = HTMLResponse("x")
    assert headers_of(response)["content-type"] == "text/html; charset=utf-8"
    response.media_type = "text/xml"
    assert headers_of(response)["content-type"] == "text/xml; charset=utf-8"
    response.media_type = "image/svg+xml"
    assert headers_of(response)["content-type"] == "image/svg+xml"


def test_the_start_line_is_the_same_whichever_path_writes_it() -> None:
    # A response with no header of its own takes a short path; one with a header the general
    # path. Both, and the first response of a new media type, write the same order.
    defaults = [(b"x-frame-options", b"DENY")]
    media_type = f"application/x-new-{uuid.uuid4().hex}"  # not cached yet
    plain = [Response("abc", media_type=media_type) for _ in range(2)]
    for response in plain:
        response.default_headers = defaults
    first, second = (send_response(response)[1] for response in plain)
    assert first == second
    assert [name for name, _ in first] == [b"content-type", b"content-length", b"x-frame-options"]
    streaming = StreamingResponse(iter([b"a"]), media_type="text/plain")
    streaming.default_headers = defaults
    assert [name for name, _ in send_response(streaming)[1]] == [b"content-type", b"x-frame-options"]
    own = Response("abc", headers={"x-own": "1"}, media_type="text/plain")
    own.default_headers = defaults
    names = [name for name, _ in send_response(own)[1]]
    assert names == [b"x-own", b"content-type", b"content-length", b"x-frame-options"]


def test_redirect_response() -> None:
    response = RedirectResponse("/next?a=1")
    status, raw, _ = send_response(response)
    assert status == 302
    assert (b"location", b"/next?a=1") in raw
    assert body_of(response) == b""
    assert send_response(RedirectResponse("/x", 301))[0] == 301


def test_redirect_refuses_a_split_location() -> None:
    with pytest.raises(ValueError, match="refusing to split"):
        RedirectResponse("/x\r\nSet-Cookie: a=b")


# JSON -------------------------------------------------------------------------------------------


class Item(msgspec.Struct):
    name: str
    tags: list[str] = []


@dataclasses.dataclass
class Row:
    id: int
    key: uuid.UUID


def test_json_of_datetimes_uuids_structs_and_dataclasses() -> None:
    key = uuid.UUID("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b")
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    response = JSONResponse(
        {
            "when": when,
            "naive": datetime.datetime(2024, 5, 6, 7, 8, 9),
            "day": datetime.date(2024, 5, 6),
            "time": datetime.time(7, 8),
            "key": key,
            "item": Item("a", ["x"]),
            "row": Row(1, key),
            "text": "caf\u00e9 \u2713 </script>",
        }
    )
    assert msgspec.json.decode(response.body) == {
        "when": "2024-05-06T07:08:09Z",
        "naive": "2024-05-06T07:08:09",
        "day": "2024-05-06",
        "time": "07:08:00",
        "key": str(key),
        "item": {"name": "a", "tags": ["x"]},
        "row": {"id": 1, "key": str(key)},
        "text": "caf\u00e9 \u2713 </script>",
    }
    assert b"\\u" not in response.body  # UTF-8 as is, not escaped


def test_json_refuses_what_it_cannot_encode() -> None:
    with pytest.raises(TypeError):
        JSONResponse({"x": object()})


# Streaming --------------------------------------------------------------------------------------


def test_streaming_a_sync_iterable_in_a_thread() -> None:
    threads: list[str] = []

    def produce() -> Iterator[bytes | str]:
        threads.append(threading.current_thread().name)
        yield b"one,"
        yield "two,"
        yield "caf\u00e9"

    response = StreamingResponse(produce(), media_type="text/csv")
    status, raw, bodies = send_response(response)
    assert status == 200
    assert (b"content-type", b"text/csv; charset=utf-8") in raw
    assert b"content-length" not in dict(raw)
    assert [m["body"] for m in bodies] == [b"one,", b"two,", "caf\u00e9".encode(), b""]
    assert [m.get("more_body", False) for m in bodies] == [True, True, True, False]
    assert threads and threads[0] != threading.main_thread().name


def test_streaming_an_async_iterable() -> None:
    async def produce() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0)
            yield str(i).encode()

    assert body_of(StreamingResponse(produce())) == b"012"


def test_streaming_head_sends_no_body_and_does_not_consume() -> None:
    consumed: list[int] = []

    def produce() -> Iterator[bytes]:
        consumed.append(1)
        yield b"x"

    response = StreamingResponse(produce(), headers={"x-kind": "stream"})
    _, raw, bodies = send_response(response, method="HEAD")
    assert (b"x-kind", b"stream") in raw
    assert [m["body"] for m in bodies] == [b""]
    assert consumed == []


def test_streaming_through_the_app(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def lines() -> AsyncIterator[str]:
            for i in range(3):
                yield f"line {i}\n"

        return StreamingResponse(lines(), media_type="text/plain")

    with TestClient(app) as client:
        response = client.get("/stream")
        head = client.head("/stream")
    assert response.text == "line 0\nline 1\nline 2\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert head.content == b""
    assert head.status_code == 200


# Cookies ----------------------------------------------------------------------------------------


def cookie_headers(response: Response, scheme: str = "http") -> list[str]:
    _, raw, _ = send_response(response, scheme=scheme)
    return [v.decode() for k, v in raw if k == b"set-cookie"]


def attributes(header: str) -> dict[str, str]:
    parts = [p.strip() for p in header.split(";")]
    found = {}
    for part in parts[1:]:
        name, _, value = part.partition("=")
        found[name.lower()] = value
    return found


def test_set_cookie_defaults_are_safe() -> None:
    response = Response("x")
    response.set_cookie("session", "abc")
    (header,) = cookie_headers(response)
    assert header.startswith("session=abc;")
    attrs = attributes(header)
    assert attrs == {"httponly": "", "path": "/", "samesite": "Lax"}
    assert "domain" not in attrs
    assert "secure" not in attrs


def test_secure_is_added_under_https_only() -> None:
    response = Response("x")
    response.set_cookie("session", "abc")
    (plain,) = cookie_headers(response, "http")
    (secure,) = cookie_headers(response, "https")
    assert "secure" not in attributes(plain)
    assert "secure" in attributes(secure)


def test_secure_under_https_through_the_client(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)

    @app.get("/login")
    def login() -> Response:
        response = Response("ok")
        response.set_cookie("session", "abc")
        response.set_cookie("theme", "dark", httponly=False, samesite="strict", max_age=60)
        return response

    with TestClient(app, base_url="https://testserver") as client:
        session, theme = client.get("/login").headers.get_list("set-cookie")
    assert attributes(session) == {"httponly": "", "path": "/", "samesite": "Lax", "secure": ""}
    assert attributes(theme) == {"max-age": "60", "path": "/", "samesite": "Strict", "secure": ""}
    with TestClient(app) as client:
        session, _ = client.get("/login").headers.get_list("set-cookie")
    assert "secure" not in attributes(session)


def test_secure_survives_later_header_changes() -> None:
    response = Response("x", headers={"x-a": "1", "x-b": "1"})
    response.set_cookie("s", "v")
    response.headers["x-a"] = "2"  # moves the cookie in the raw list
    del response.headers["x-b"]
    response.set_cookie("t", "w", secure=False)
    _, raw, _ = send_response(response, scheme="https")
    headers = [(k.decode(), v.decode()) for k, v in raw]
    assert ("x-a", "2") in headers
    cookies = [v for k, v in headers if k == "set-cookie"]
    assert "secure" in attributes(cookies[0])
    assert "secure" not in attributes(cookies[1])


def test_explicit_secure_choices() -> None:
    response = Response("x")
    response.set_cookie("always", "1", secure=True)
    response.set_cookie("never", "1", secure=False)
    response.set_cookie("cross", "1", samesite="none")
    always, never, cross = cookie_headers(response, "http")
    assert "secure" in attributes(always)
    assert "secure" not in attributes(never)
    assert attributes(cross)["samesite"] == "None"
    assert "secure" in attributes(cross)  # SameSite=None needs Secure


def test_set_cookie_options() -> None:
    response = Response("x")
    when = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    response.set_cookie(
        "a",
        "1",
        max_age=3600,
        expires=when,
        path="/app",
        domain="example.com",
        httponly=False,
        samesite=None,
    )
    (header,) = cookie_headers(response)
    attrs = attributes(header)
    assert attrs == {
        "expires": "Wed, 02 Jan 2030 03:04:05 GMT",
        "max-age": "3600",
        "path": "/app",
        "domain": "example.com",
    }


def test_expires_in_seconds_becomes_a_date() -> None:
    response = Response("x")
    response.set_cookie("a", "1", expires=3600)
    (header,) = cookie_headers(response)
    expires = parsedate_to_datetime(attributes(header)["expires"])
    expected = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=3600)
    assert abs((expires - expected).total_seconds()) < 60


def test_samesite_is_checked() -> None:
    with pytest.raises(ValueError, match="samesite must be"):
        Response("x").set_cookie("a", "1", samesite="loose")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options", [{"path": "/; Domain=evil.example"}, {"domain": "a.example; Secure"}, {"path": "/\x7f"}]
)
def test_cookie_attributes_cannot_inject_attributes(options: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="may not contain"):
        Response("x").set_cookie("a", "1", **options)  # type: ignore[arg-type]


def test_cookie_values_are_quoted() -> None:
    response = Response("x")
    response.set_cookie("a", 'semi;colon "quoted"')
    (header,) = cookie_headers(response)
    assert header.startswith('a="semi\\073colon \\"quoted\\"";')


def test_delete_cookie() -> None:
    response = Response("x")
    response.delete_cookie("session", path="/app", domain="example.com")
    (header,) = cookie_headers(response)
    assert header.startswith('session="";')
    attrs = attributes(header)
    assert attrs["max-age"] == "0"
    assert attrs["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    assert attrs["path"] == "/app"
    assert attrs["domain"] == "example.com"


def test_delete_cookie_through_the_client_clears_it(tmp_path: Path) -> None:
    app = App("t", root=tmp_path)

    @app.get("/set")
    def set_() -> Response:
        response = Response("set")
        response.set_cookie("flavour", "plain")
        return response

    @app.get("/clear")
    def clear() -> Response:
        response = Response("clear")
        response.delete_cookie("flavour")
        return response

    with TestClient(app) as client:
        client.get("/set")
        assert client.cookies.get("flavour") == "plain"
        client.get("/clear")
        assert client.cookies.get("flavour") is None
