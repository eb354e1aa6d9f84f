"""Cross-origin resource sharing: which other sites' pages may read responses.

Origins are compared exactly, as browsers serialise them: scheme, host and
port, lower-case, with no default port and no trailing slash. The configured
list is brought to that form (``"https://Example.com:443"`` becomes
``"https://example.com"``), and a value that is not an origin at all is a
``ConfigError``. ``Origin: null`` (sandboxed frames, ``file:`` pages,
redirects) is allowed only when ``"null"`` itself is listed: neither ``"*"``
nor ``allow_origin_regex`` lets it in.

``allow_origin_regex`` must match the whole origin (``re.fullmatch``). Writing
a pattern that is both tight (escape the dots: ``r"https://[a-z0-9-]+\\.example\\.com"``)
and quick to evaluate is the app's responsibility.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``)
is answered here and never reaches the app: 200 with the ``Access-Control-*``
headers for an allowed origin, 400 for any other. The browser then checks the
requested method and headers against the lists sent. Any other request goes to
the app; for an allowed origin its response gets ``Access-Control-Allow-Origin``.

Caches: when the answer depends on the origin, every response, including one
to a request without ``Origin``, carries ``Vary: Origin``, so a shared cache
never serves one origin's answer to another. With ``allow_origins=["*"]`` the
answer is the same for everyone, so every response carries
``Access-Control-Allow-Origin: *`` and no ``Vary``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..exceptions import ConfigError
from ..types import ASGIApp, Message, Receive, Scope, Send
from .gzip import merge_vary

Header = tuple[bytes, bytes]

SAFELISTED_HEADERS = ("accept", "accept-language", "content-language", "content-type")
"""Always allowed in a preflight, so a JSON body from an allowed origin just works."""

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN_BYTES = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ORIGIN = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://"
    r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

_ALLOW_ORIGIN = b"access-control-allow-origin"
_ALLOW_CREDENTIALS = b"access-control-allow-credentials"
_EXPOSE_HEADERS = b"access-control-expose-headers"
_SIMPLE_NAMES = frozenset({_ALLOW_ORIGIN, _ALLOW_CREDENTIALS, _EXPOSE_HEADERS})
_DENIED_BODY = b"Disallowed CORS origin"


class CORSMiddleware:
    """Answer CORS preflights and mark responses readable by allowed origins.

    ``allow_methods``, ``allow_headers`` and ``expose_headers`` may be
    ``["*"]``; for methods and request headers the preflight then echoes what
    the browser asked for, which also works with credentials (where a literal
    ``*`` would not). ``allow_credentials`` lets cookies and ``Authorization``
    through, so it cannot be combined with ``allow_origins=["*"]`` or
    ``expose_headers=["*"]``. ``max_age`` is how long, in seconds, a browser
    may reuse a preflight answer.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allow_origins: Iterable[str] = (),
        allow_origin_regex: str | re.Pattern[str] | None = None,
        allow_methods: Iterable[str] = ("GET",),
        allow_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        expose_headers: Iterable[str] = (),
        max_age: int = 600,
    ) -> None:
        if type(allow_credentials) is not bool:
            raise ConfigError(
                f"CORSMiddleware: allow_credentials={allow_credentials!r} is invalid; allowed: True or False"
            )
        if type(max_age) is not int or max_age < 0:
            raise ConfigError(
                f"CORSMiddleware: max_age={max_age!r} is invalid; allowed: an int >= 0 (seconds)"
            )
        origins = _strings("allow_origins", allow_origins)
        allow_all = "*" in origins
        if allow_all and allow_credentials:
            raise ConfigError(
                "CORSMiddleware: allow_origins=['*'] cannot be combined with "
                "allow_credentials=True: browsers refuse a credentialed answer with a "
                "wildcard origin; list the allowed origins instead"
            )
        regex = _compile(allow_origin_regex)
        if not origins and regex is None:
            raise ConfigError(
                "CORSMiddleware allows no origin: pass allow_origins=['https://example.com', ...] "
                "or allow_origin_regex"
            )
        methods = [m.upper() for m in _tokens("allow_methods", allow_methods)]
        headers = [h.lower() for h in _tokens("allow_headers", allow_headers)]
        exposed = _tokens("expose_headers", expose_headers)
        if allow_credentials and "*" in exposed:
            raise ConfigError(
                "CORSMiddleware: expose_headers=['*'] cannot be combined with "
                "allow_credentials=True: browsers read '*' literally on a credentialed "
                "answer; list the header names instead"
            )

        self.app = app
        self.allow_all = allow_all
        self.allow_origins = frozenset(_normalize_origin(o) for o in origins if o != "*")
        self.allow_origin_regex = regex
        self.allow_credentials = allow_credentials
        self.echo_methods = "*" in methods
        self.echo_headers = "*" in headers

        self._origins = frozenset(o.encode("ascii") for o in self.allow_origins)
        self._simple: list[Header] = []
        if allow_credentials:
            self._simple.append((_ALLOW_CREDENTIALS, b"true"))
        if exposed:
            value = "*" if "*" in exposed else ", ".join(dict.fromkeys(exposed))
            self._simple.append((_EXPOSE_HEADERS, value.encode("latin-1")))
        self._static: list[Header] = [(_ALLOW_ORIGIN, b"*"), *self._simple]

        self._preflight: list[Header] = []
        if allow_credentials:
            self._preflight.append((_ALLOW_CREDENTIALS, b"true"))
        if not self.echo_methods:
            value = ", ".join(dict.fromkeys(methods))
            self._preflight.append((b"access-control-allow-methods", value.encode("latin-1")))
        if not self.echo_headers:
            value = ", ".join(dict.fromkeys([*SAFELISTED_HEADERS, *headers]))
            self._preflight.append((b"access-control-allow-headers", value.encode("latin-1")))
        self._preflight.append((b"access-control-max-age", str(max_age).encode("ascii")))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin: bytes | None = None
        request_method: bytes | None = None
        request_headers: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"origin":
                if origin is None:
                    origin = value
            elif name == b"access-control-request-method":
                request_method = value
            elif name == b"access-control-request-headers":
                if request_headers is not None:
                    value = request_headers + b"," + value
                request_headers = value

        if origin is not None and request_method is not None and scope["method"] == "OPTIONS":
            await self._answer_preflight(origin, request_method, request_headers, send)
            return

        if self.allow_all:
            extra = self._static if origin != b"null" or b"null" in self._origins else []
            await self.app(scope, receive, _adding(send, extra, vary=False))
        elif origin is not None and self.is_allowed(origin):
            extra = [(_ALLOW_ORIGIN, origin), *self._simple]
            await self.app(scope, receive, _adding(send, extra, vary=True))
        else:
            await self.app(scope, receive, _adding(send, [], vary=True))

    def is_allowed(self, origin: bytes) -> bool:
        """Whether a request's raw ``Origin`` value is one this policy allows."""
        if origin in self._origins:
            return True
        if origin == b"null":
            return False
        if self.allow_all:
            return True
        regex = self.allow_origin_regex
        return regex is not None and regex.fullmatch(origin.decode("latin-1")) is not None

    async def _answer_preflight(
        self, origin: bytes, method: bytes, requested: bytes | None, send: Send
    ) -> None:
        if not self.is_allowed(origin):
            headers: list[Header] = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_DENIED_BODY)).encode("ascii")),
            ]
            if not self.allow_all:
                headers.append((b"vary", b"Origin"))
            await _respond(send, 400, headers, _DENIED_BODY)
            return
        headers = [(_ALLOW_ORIGIN, b"*" if self.allow_all else origin), *self._preflight]
        if self.echo_methods and _TOKEN_BYTES.fullmatch(method.strip()):
            headers.append((b"access-control-allow-methods", method.strip()))
        if self.echo_headers and requested is not None:
            names = [n.strip().lower() for n in requested.split(b",")]
            names = [n for n in names if _TOKEN_BYTES.fullmatch(n)]
            if names:
                headers.append((b"access-control-allow-headers", b", ".join(names)))
        if not self.allow_all:
            headers.append((b"vary", b"Origin"))
        headers.append((b"content-length", b"0"))
        await _respond(send, 200, headers, b"")


def _adding(send: Send, extra: list[Header], *, vary: bool) -> Send:
    """``send``, but the response start gets ``extra`` (replacing those names) and Vary."""
    if not extra and not vary:
        return send

    async def send_with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers: list[Header] = list(message.get("headers", ()))
            if extra:
                headers = [h for h in headers if h[0] not in _SIMPLE_NAMES]
                headers.extend(extra)
            if vary:
                headers = merge_vary(headers, b"Origin")
            message = {**message, "headers": headers}
        await send(message)

    return send_with_cors


async def _respond(send: Send, status: int, headers: list[Header], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _strings(option: str, value: Iterable[str]) -> list[str]:
    if isinstance(value, str | bytes):
        raise ConfigError(
            f"CORSMiddleware: {option}={value!r} is a single string; "
            f"allowed: a list of strings, e.g. {option}=[{value!r}]"
        )
    try:
        items = list(value)
    except TypeError:
        raise ConfigError(
            f"CORSMiddleware: {option}={value!r} is invalid; allowed: a list of strings"
        ) from None
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"CORSMiddleware: {option} entry {item!r} is invalid; allowed: strings")
    return items


def _tokens(option: str, value: Iterable[str]) -> list[str]:
    items = _strings(option, value)
    for item in items:
        if item != "*" and not _TOKEN.fullmatch(item):
            raise ConfigError(
                f"CORSMiddleware: {option} entry {item!r} is invalid; "
                "allowed: HTTP names such as 'GET' or 'X-Token', or '*'"
            )
    return items


def _normalize_origin(value: str) -> str:
    """The form a browser sends an origin in, or a ``ConfigError`` saying why it is not one."""
    if value == "null":
        return value
    lowered = value.lower()
    match = _ORIGIN.fullmatch(lowered)
    if match is None:
        if "*" in value:
            hint = "; to allow a family of origins use allow_origin_regex"
        elif _ORIGIN.fullmatch(lowered.rstrip("/")):
            hint = f"; drop the trailing slash: {value.rstrip('/')!r}"
        elif "://" not in value:
            hint = f"; add the scheme, e.g. 'https://{value}'"
        else:
            hint = "; an origin has no path, query or user name, and an ASCII (xn--) host"
        raise ConfigError(
            f"CORSMiddleware: allow_origins entry {value!r} is not an origin; "
            f"allowed: 'scheme://host[:port]', '*' or 'null'{hint}"
        )
    scheme, host = match["scheme"], match["host"]
    if match["port"] is None:
        return f"{scheme}://{host}"
    port = int(match["port"])
    if not 0 < port < 65536:
        raise ConfigError(
            f"CORSMiddleware: allow_origins entry {value!r} has port {port}; allowed: 1 to 65535"
        )
    if port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _compile(pattern: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if pattern is None or isinstance(pattern, re.Pattern):
        if isinstance(pattern, re.Pattern) and not isinstance(pattern.pattern, str):
            raise ConfigError(
                f"CORSMiddleware: allow_origin_regex={pattern!r} is a bytes pattern; allowed: a str pattern"
            )
        return pattern
    if not isinstance(pattern, str):
        raise ConfigError(
            f"CORSMiddleware: allow_origin_regex={pattern!r} is invalid; "
            "allowed: a regular expression (str or compiled) or None"
        )
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"CORSMiddleware: allow_origin_regex={pattern!r} does not compile ({exc}); "
            "allowed: a valid regular expression matched against the whole origin"
        ) from None
