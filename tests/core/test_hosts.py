"""The Host check: which Host headers an app answers, before any routing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from vivace import App
from vivace.core.exceptions import ConfigError
from vivace.core.hosts import HostPolicy, split_host

from .asgi import body_of, call, chunks, http_scope, status_of


def app_with(tmp_path: Path, allowed: list[str]) -> tuple[App, list[str]]:
    app = App("t", root=tmp_path, allowed_hosts=allowed)
    calls: list[str] = []

    @app.get("/")
    def index() -> str:
        calls.append("index")
        return "ok"

    return app, calls


def request(app: App, headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes]:
    scope = http_scope("GET", "/")
    scope["headers"] = headers
    sent, _ = call(app, scope, chunks(b""))
    return status_of(sent), body_of(sent)


@pytest.fixture(autouse=True)
def quiet_security_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="vivace.security")


# The policy -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        (b"example.com", True),
        (b"EXAMPLE.com", True),
        (b"example.com:8000", True),
        (b"example.com:1", True),
        (b"example.com.", True),
        (b"www.example.com", False),
        (b"example.com.evil", False),
        (b"evilexample.com", False),
        (b"shop.example.org", True),
        (b"a.b.example.org", True),
        (b"example.org", True),
        (b"example.org:443", True),
        (b"evil-example.org", False),
        (b"example.org.evil.com", False),
        (b"[::1]", True),
        (b"[::1]:8000", True),
        (b"[0:0:0:0:0:0:0:1]", False),
        (b"[::2]", False),
        (b"10.0.0.1", True),
        (b"10.0.0.1:80", True),
        (b"10.0.0.2", False),
    ],
)
def test_allowed_and_denied(host: bytes, allowed: bool) -> None:
    policy = HostPolicy(["example.com", ".example.org", "[::1]", "10.0.0.1"])
    assert policy.allows(host) is allowed
    assert policy.allows(host) is allowed  # answered again from the cache


@pytest.mark.parametrize(
    "host",
    [
        b"",
        b"good@evil.com",
        b"good:80/path",
        b"good/path",
        b"good:",
        b"good:80:80",
        b"good:port",
        b"good:+80",
        b"good:123456",
        b"good: 80",
        b" good",
        b"good\x00",
        b"good\r\nx",
        b"good_name",
        b"caf\xc3\xa9.com",
        b"g\xf6od",
        b"[::1",
        b"[::1]x",
        b"[::1]:",
        b"[::zz]",
        b"[::1]:80/x",
        b"http://good",
        b"good\\evil",
        b"a" * 256,
        b"good:\xd9\xa8\xd9\xa0",
    ],
)
def test_malformed_hosts_are_refused_even_with_star(host: bytes) -> None:
    assert not HostPolicy(["*"]).allows(host)
    assert not HostPolicy(["good", "[::1]"]).allows(host)


def test_star_allows_any_well_formed_host() -> None:
    policy = HostPolicy(["*"])
    for host in (b"anything.example", b"x:1", b"[2001:db8::1]:443", b"1.2.3.4"):
        assert policy.allows(host)


def test_the_cache_is_bounded() -> None:
    policy = HostPolicy(["example.com"])
    for i in range(1000):
        policy.allows(f"h{i}.example.net".encode())
    assert len(policy._cache) <= 256
    assert policy.allows(b"example.com")


@pytest.mark.parametrize("entry", ["example.com:8000", "http://example.com", "example.com/", "", ".", "a b"])
def test_a_malformed_allowed_entry_is_a_config_error(entry: str) -> None:
    with pytest.raises(ConfigError, match="is not a host name"):
        HostPolicy([entry])


def test_an_app_with_a_malformed_allowed_entry_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"allowed_hosts entry 'example.com:443'"):
        App("t", root=tmp_path, allowed_hosts=["example.com:443"])


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("example.com", "example.com"),
        ("example.com:80", "example.com"),
        ("[::1]:80", "[::1]"),
        ("good@evil", None),
        ("good:80/path", None),
        ("", None),
    ],
)
def test_split_host(host: str, name: str | None) -> None:
    assert split_host(host) == name


def test_allowed_host_wants_exactly_one_allowed_host() -> None:
    policy = HostPolicy(["a"])
    assert policy.allowed_host([(b"accept", b"*/*"), (b"host", b"a")]) == b"a"
    assert policy.allowed_host([(b"accept", b"*/*")]) is None
    assert policy.allowed_host([(b"host", b"a"), (b"host", b"a")]) is None
    assert policy.allowed_host([(b"host", b"a"), (b"host", b"b")]) is None
    assert policy.allowed_host([(b"host", b"evil.example")]) is None


# Through the app --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"host", b"testserver"), (b"host", b"testserver")],
        [(b"host", b"testserver"), (b"host", b"evil.example")],
        [(b"host", b"evil.example")],
        [(b"host", b"testserver@evil.example")],
        [(b"host", b"testserver:80/path")],
        [(b"host", b"testserver:80:80")],
        [(b"host", b"")],
    ],
    ids=["missing", "twice", "two-different", "unknown", "userinfo", "path", "two-ports", "empty"],
)
def test_refused_hosts_get_400_before_routing(tmp_path: Path, headers: list[tuple[bytes, bytes]]) -> None:
    app, calls = app_with(tmp_path, ["testserver"])
    status, body = request(app, headers)
    assert status == 400
    assert b"allowed_hosts" in body
    assert b"evil" not in body
    assert calls == []


@pytest.mark.parametrize("host", [b"testserver", b"TestServer", b"testserver:8080", b"testserver."])
def test_accepted_hosts_reach_the_route(tmp_path: Path, host: bytes) -> None:
    app, calls = app_with(tmp_path, ["testserver"])
    assert request(app, [(b"host", host)]) == (200, b"ok")
    assert calls == ["index"]


def test_ipv6_literal_hosts(tmp_path: Path) -> None:
    app, _ = app_with(tmp_path, ["[::1]", "[2001:db8::1]"])
    assert request(app, [(b"host", b"[::1]:8000")])[0] == 200
    assert request(app, [(b"host", b"[2001:DB8::1]")])[0] == 200
    assert request(app, [(b"host", b"[::1")])[0] == 400
    assert request(app, [(b"host", b"::1")])[0] == 400


def test_subdomain_suffix(tmp_path: Path) -> None:
    app, _ = app_with(tmp_path, [".example.com"])
    assert request(app, [(b"host", b"example.com")])[0] == 200
    assert request(app, [(b"host", b"api.example.com:443")])[0] == 200
    assert request(app, [(b"host", b"badexample.com")])[0] == 400


def test_refusal_is_logged_to_the_security_logger(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="vivace.security")
    app, _ = app_with(tmp_path, ["testserver"])
    request(app, [(b"host", b"evil.example")])
    records: list[Any] = [r for r in caplog.records if r.name == "vivace.security"]
    assert records
    assert "evil.example" in records[0].getMessage()
