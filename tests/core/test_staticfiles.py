from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest

from vivace.core.exceptions import ConfigError, HTTPException, MethodNotAllowed, NotFound
from vivace.core.responses import PlainTextResponse
from vivace.core.staticfiles import StaticFiles
from vivace.core.types import Receive, Scope, Send

SECRET = b"SECRET_KEY = 'hunter2'"


def fetch(
    static: StaticFiles,
    url: str | httpx.URL,
    method: str = "GET",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Serve ``static`` at the site root; an HTTPException becomes its status."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = static.response(scope["path"][1:], method=scope["method"])
            await response(scope, receive, send)
        except HTTPException as exc:
            await PlainTextResponse(exc.detail, exc.status_code, headers=exc.headers)(scope, receive, send)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, url, headers=headers)

    return asyncio.run(run())


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """``project/static`` with a few assets; ``project/settings.py`` is the secret next door."""
    project = tmp_path / "project"
    static = project / "static"
    (static / "css").mkdir(parents=True)
    (project / "settings.py").write_bytes(SECRET)
    (tmp_path / "passwd").write_bytes(SECRET)
    (static / "app.css").write_text("body { color: red }")
    (static / "css" / "site.css").write_text("h1 {}")
    (static / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (static / "index.html").write_text("<h1>hi</h1>")
    (static / "app.js").write_text("console.log(1)")
    (static / "blob").write_bytes(b"\x00\x01")
    (static / ".env").write_bytes(SECRET)
    (static / ".git").mkdir()
    (static / ".git" / "config").write_bytes(SECRET)
    return static


@pytest.fixture
def static(root: Path) -> StaticFiles:
    return StaticFiles(root)


# Serving ------------------------------------------------------------------------------


def test_serves_a_file_with_type_cache_and_validators(static: StaticFiles) -> None:
    response = fetch(static, "/app.css")
    assert response.status_code == 200
    assert response.text == "body { color: red }"
    assert response.headers["content-type"] == "text/css; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"].startswith('"')
    assert "last-modified" in response.headers
    assert "content-disposition" not in response.headers


@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("/css/site.css", "text/css; charset=utf-8"),
        ("/logo.svg", "image/svg+xml"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/blob", "application/octet-stream"),
    ],
)
def test_media_types(static: StaticFiles, url: str, media_type: str) -> None:
    response = fetch(static, url)
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type


def test_max_age(root: Path) -> None:
    assert fetch(StaticFiles(root, max_age=60), "/app.css").headers["cache-control"] == ("public, max-age=60")
    assert fetch(StaticFiles(root, max_age=0), "/app.css").headers["cache-control"] == "no-cache"


def test_head(static: StaticFiles) -> None:
    response = fetch(static, "/app.css", "HEAD")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == str(len("body { color: red }"))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "TRACE"])
def test_other_methods_are_not_allowed(static: StaticFiles, method: str) -> None:
    response = fetch(static, "/app.css", method)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("method", ["get", "head", "Get", "__init__", ""])
def test_methods_are_case_sensitive(static: StaticFiles, method: str) -> None:
    with pytest.raises(MethodNotAllowed) as info:
        static.response("app.css", method=method)
    assert info.value.allowed == ["GET", "HEAD"]


def test_conditional_get(static: StaticFiles) -> None:
    etag = fetch(static, "/app.css").headers["etag"]
    response = fetch(static, "/app.css", headers={"if-none-match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["etag"] == etag


def test_ranges(root: Path, static: StaticFiles) -> None:
    (root / "digits.txt").write_bytes(b"0123456789")

    def get(header: str) -> httpx.Response:
        return fetch(static, "/digits.txt", headers={"range": header})

    assert (get("bytes=2-4").status_code, get("bytes=2-4").content) == (206, b"234")
    inverted = get("bytes=5-1")
    assert (inverted.status_code, inverted.content) == (200, b"0123456789")
    big_suffix = get("bytes=-1000")
    assert big_suffix.status_code == 206
    assert big_suffix.headers["content-range"] == "bytes 0-9/10"
    assert big_suffix.content == b"0123456789"
    past_end = get("bytes=10-")
    assert past_end.status_code == 416
    assert past_end.headers["content-range"] == "bytes */10"


def test_ten_thousand_ranges(root: Path, static: StaticFiles) -> None:
    (root / "digits.txt").write_bytes(b"0123456789")
    header = "bytes=" + ",".join(f"{i}-{i}" for i in range(10_000))
    started = time.perf_counter()
    response = fetch(static, "/digits.txt", headers={"range": header})
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200
    assert response.content == b"0123456789"


def test_unicode_names(root: Path, static: StaticFiles) -> None:
    (root / "café").mkdir()
    (root / "café" / "日本語 ファイル.txt").write_text("こんにちは", encoding="utf-8")
    response = fetch(
        static, "/caf%C3%A9/%E6%97%A5%E6%9C%AC%E8%AA%9E%20%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB.txt"
    )
    assert response.status_code == 200
    assert response.text == "こんにちは"
    assert static.resolve("café/日本語 ファイル.txt") == root / "café" / "日本語 ファイル.txt"


def test_percent_sequences_are_literal(root: Path, static: StaticFiles) -> None:
    (root / "%2e%2e").mkdir()
    (root / "%2e%2e" / "odd.txt").write_text("literal")
    response = fetch(static, "/%252e%252e/odd.txt")
    assert response.status_code == 200
    assert response.text == "literal"


# Refusals -----------------------------------------------------------------------------


TRAVERSAL_URLS = [
    "/..%2f..%2fsettings.py",
    "/..%2fsettings.py",
    "/css/..%2f..%2fsettings.py",
    "/%2e%2e/settings.py",
    "/%2e%2e%2fsettings.py",
    "/..%5csettings.py",
    "/..\\settings.py",
    "/css%5c..%5c..%5csettings.py",
    "/%00",
    "/app.css%00.txt",
    "/%252e%252e/settings.py",
    "/%252e%252e%252fsettings.py",
    "/.env",
    "/.git/config",
    "/css/../.env",
    "/css/",
    "/css",
    "/",
    "/missing.css",
    "/app.css/",
    "/app.css/x",
]


@pytest.mark.parametrize("url", TRAVERSAL_URLS)
def test_traversal_and_hidden_urls_are_not_found(static: StaticFiles, url: str) -> None:
    response = fetch(static, url)
    assert response.status_code == 404
    assert b"SECRET" not in response.content
    assert b"color" not in response.content


def test_double_slash_is_not_an_absolute_path(static: StaticFiles) -> None:
    for url in ("http://testserver//etc/passwd", "http://testserver//passwd"):
        response = fetch(static, httpx.URL(url))
        assert response.status_code == 404
        assert b"SECRET" not in response.content


@pytest.mark.parametrize(
    "name",
    [
        "../settings.py",
        "../../settings.py",
        "css/../../settings.py",
        "css/../app.css",
        "./app.css",
        "css/./site.css",
        "..",
        ".",
        "..\\settings.py",
        "css\\site.css",
        "app.css\x00",
        "\x00",
        "app\ncss",
        "app\x1b.css",
        "app\x7f.css",
        "/etc/passwd",
        "//etc/passwd",
        "/app.css",
        "css//site.css",
        "app.css/",
        "",
        "C:/Windows/win.ini",
        "C:app.css",
        "app.css:stream",
        ".env",
        ".git/config",
        "css/.hidden",
        "%2e%2e/settings.py",
        "%2e%2e%2fsettings.py",
        "css",
        "a" * 10_000,
        "/".join(["a"] * 5_000),
    ],
)
def test_resolve_refuses(static: StaticFiles, name: str) -> None:
    assert static.resolve(name) is None
    with pytest.raises(NotFound):
        static.response(name, method="GET")


def test_resolve_gives_the_real_path(root: Path, static: StaticFiles) -> None:
    assert static.resolve("app.css") == root / "app.css"
    assert static.resolve("css/site.css") == root / "css" / "site.css"


def test_root_given_through_a_symlink(tmp_path: Path, root: Path) -> None:
    link = tmp_path / "static-link"
    link.symlink_to(root, target_is_directory=True)
    static = StaticFiles(link)
    assert static.directory == str(root)
    assert fetch(static, "/app.css").status_code == 200


# Symlinks -------------------------------------------------------------------------------


def test_symlink_leaving_the_root_is_refused(root: Path, tmp_path: Path) -> None:
    (root / "leak.py").symlink_to(tmp_path / "project" / "settings.py")
    (root / "outside").symlink_to(tmp_path / "project", target_is_directory=True)
    static = StaticFiles(root)
    for url in ("/leak.py", "/outside/settings.py"):
        response = fetch(static, url)
        assert response.status_code == 404
        assert b"SECRET" not in response.content


def test_symlink_inside_the_root_is_served(root: Path) -> None:
    (root / "alias.css").symlink_to(root / "app.css")
    (root / "styles").symlink_to(root / "css", target_is_directory=True)
    static = StaticFiles(root)
    assert fetch(static, "/alias.css").text == "body { color: red }"
    assert fetch(static, "/styles/site.css").text == "h1 {}"


def test_symlink_to_a_hidden_file_is_refused(root: Path) -> None:
    (root / "public.txt").symlink_to(root / ".env")
    (root / "repo").symlink_to(root / ".git", target_is_directory=True)
    static = StaticFiles(root)
    assert fetch(static, "/public.txt").status_code == 404
    assert fetch(static, "/repo/config").status_code == 404


def test_follow_symlinks_trusts_the_links(root: Path, tmp_path: Path) -> None:
    (root / "vendor").symlink_to(tmp_path / "project", target_is_directory=True)
    static = StaticFiles(root, follow_symlinks=True)
    assert fetch(static, "/vendor/settings.py").content == SECRET
    assert fetch(static, "/..%2fsettings.py").status_code == 404
    assert fetch(static, "/vendor/..%2f..%2fpasswd").status_code == 404
    assert static.resolve("vendor/settings.py") == root / "vendor" / "settings.py"


def test_dangling_symlink(root: Path) -> None:
    (root / "gone.css").symlink_to(root / "nowhere.css")
    assert fetch(StaticFiles(root), "/gone.css").status_code == 404


def test_file_swapped_after_the_check_is_refused(root: Path, tmp_path: Path) -> None:
    static = StaticFiles(root)
    response = static.response("app.css", method="GET")
    os.remove(root / "app.css")
    (root / "app.css").symlink_to(tmp_path / "project" / "settings.py")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await response(scope, receive, send)
        except NotFound:
            await PlainTextResponse("gone", 404)(scope, receive, send)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.get("/app.css")

    answer = asyncio.run(run())
    assert answer.status_code == 404
    assert b"SECRET" not in answer.content


# Configuration ---------------------------------------------------------------------------


def test_missing_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        StaticFiles(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError):
        StaticFiles(tmp_path / "file")


def test_negative_max_age_is_a_config_error(root: Path) -> None:
    with pytest.raises(ConfigError, match="max_age"):
        StaticFiles(root, max_age=-1)


def test_repr(static: StaticFiles, root: Path) -> None:
    assert repr(static) == f"StaticFiles({str(root)!r}, max_age=3600)"
