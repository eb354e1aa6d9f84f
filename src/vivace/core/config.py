"""Typed settings of an app, read from arguments, ``VIVACE_*`` variables and ``vivace.toml``.

Precedence, highest first: keyword arguments to ``App``, environment variables
(``VIVACE_MAX_BODY_SIZE=...``), the ``[vivace]`` table of ``vivace.toml``
beside the app, then the defaults below. Every value is validated at start-up;
a bad one raises ``ConfigError`` naming the setting, where it came from, the
value and what is allowed.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from .exceptions import ConfigError

KiB = 1024
MiB = 1024 * KiB

Bytes = Annotated[int, msgspec.Meta(ge=0, description="a number of bytes")]
Count = Annotated[int, msgspec.Meta(ge=0, description="a whole number, 0 or more")]
Seconds = Annotated[float, msgspec.Meta(gt=0, description="a number of seconds above 0")]

ReferrerPolicy = Literal[
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
]


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Every setting with its default; ``App(**settings)`` overrides them."""

    debug: bool = False
    # Required outside debug once something signs data (sessions, tokens).
    secret_key: str | None = None
    # Host names the app answers to; ".example.com" also allows subdomains, "*" any.
    allowed_hosts: list[str] = msgspec.field(
        default_factory=lambda: ["localhost", "127.0.0.1", "[::1]", "testserver"]
    )
    # Request bodies (a route may override max_body_size).
    max_body_size: Bytes = int(2.5 * MiB)
    max_upload_size: Bytes = 100 * MiB
    max_form_fields: Count = 1000
    max_form_files: Count = 100
    max_part_size: Bytes = 1 * MiB
    max_part_header_size: Bytes = 16 * KiB
    upload_spool_size: Bytes = 1 * MiB
    body_timeout: Seconds = 30.0
    # Enforced by the server that ``vivace run`` and ``app.run()`` start.
    max_header_size: Bytes = 32 * KiB
    max_header_count: Count = 100
    header_timeout: Seconds = 10.0
    keepalive_timeout: Seconds = 5.0
    thread_pool_size: Annotated[int, msgspec.Meta(ge=1, description="a whole number, 1 or more")] = 40
    # After a process's first start-up, keep the objects alive then (modules, routes, models,
    # templates) out of the garbage collector's full passes, which would walk them again and
    # again under load (gc.freeze()).
    gc_freeze: bool = True
    trailing_slash: Literal["redirect", "strict"] = "redirect"
    static_url: str = "/static/"
    static_dir: str = "static"
    templates_dir: str = "templates"
    security_headers: bool = True
    frame_options: Literal["DENY", "SAMEORIGIN"] = "DENY"
    referrer_policy: ReferrerPolicy = "same-origin"
    hsts_seconds: Count = 0
    # Answer plain-HTTP requests with a redirect to the same URL over HTTPS.
    https_redirect: bool = False
    # The data layer (vivace.db): default is a SQLite file db.sqlite3 beside the app.
    database_url: str | None = None
    database_pool_size: Annotated[int, msgspec.Meta(ge=1, description="a whole number, 1 or more")] = 10
    database_pool_timeout: Seconds = 10.0
    database_busy_timeout: Seconds = 5.0
    # PostgreSQL: connections older than this are closed and replaced.
    database_max_lifetime: Seconds = 3600.0
    # More databases by name ({"replica": "postgresql://..."}); "default" is database_url's.
    databases: dict[str, str] = msgspec.field(default_factory=dict)
    # Which database each model reads and writes: "package.module:Router" (or module.Router).
    database_router: str | None = None
    atomic_requests: bool = False
    # The api battery (vivace.api): where the OpenAPI document and the docs page are
    # served once the app has a typed route (none or "" leaves one out), and what a
    # typed body does with fields its type does not declare.
    openapi_url: str | None = "/openapi.json"
    docs_url: str | None = "/docs"
    unknown_fields: Literal["ignore", "forbid"] = "ignore"
    # Users, sessions and security (vivace.auth): read only once an app uses auth.
    # Where the login, logout and password pages are mounted; "" mounts none.
    auth_prefix: str = "/auth/"
    # An API authenticated by token only: no session cookie is read or set, no login pages are
    # mounted and CSRF (a cookie's risk) applies to no route; as @token_only on every route.
    token_only: bool = False
    # Where @login_required sends anonymous visitors; none means the built-in login page.
    login_url: str | None = None
    # Where a login goes when the form names no safe next= page.
    login_redirect_url: str = "/"
    # What the login form's first field matches.
    login_by: Literal["username", "email", "both"] = "username"
    # Refuse a second user with the same e-mail address (case-insensitive). auth.User and other
    # models of AbstractUser keep addresses unique in the database whatever this says; it rules
    # a user model of your own whose email is a plain fields.Email.
    unique_email: bool = True
    # A user model of your own (its label, e.g. "accounts.Account", or a bare name such as "User"
    # for a model of the app's own module); none means auth.User.
    user_model: str | None = None
    # Where sessions live: "auto" is "redis" when redis_url (or REDIS_URL) is set, else "database";
    # "cookie" keeps them in a signed cookie.
    session_store: Literal["auto", "database", "redis", "cookie"] = "auto"
    # Redis for sessions and login throttling; none reads the REDIS_URL environment variable.
    redis_url: str | None = None
    session_cookie: str = "session"
    # A session unused this long ends; one older than session_max_age ends whatever its use.
    session_idle_timeout: Seconds = 14 * 24 * 3600.0
    session_max_age: Seconds = 30 * 24 * 3600.0
    # Cookies always Secure (production behind HTTPS); off: Secure when the request came over HTTPS.
    secure_cookies: bool = False
    # Scheme word of the Authorization header ("Bearer", or "Token" as the RealWorld API wants).
    auth_scheme: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[A-Za-z][A-Za-z0-9._~+-]{0,31}$", description="one word such as 'Bearer' or 'Token'"
        ),
    ] = "Bearer"
    # Lifetime of the JWTs that app.auth.create_jwt() signs.
    jwt_max_age: Seconds = 24 * 3600.0
    # Origins besides the app's own whose unsafe requests pass the CSRF check ("https://app.example.com").
    csrf_trusted_origins: list[str] = msgspec.field(default_factory=list)
    # Argon2id cost: passes, memory in KiB, lanes (tests may lower them; hashes are upgraded at login).
    password_hash_cost: Annotated[int, msgspec.Meta(ge=1, le=100, description="1 to 100 passes")] = 3
    password_hash_memory: Annotated[int, msgspec.Meta(ge=8, description="KiB, 8 or more")] = 64 * KiB
    password_hash_parallelism: Annotated[int, msgspec.Meta(ge=1, le=64, description="1 to 64 lanes")] = 4
    password_min_length: Count = 8
    # Longer passwords are refused before hashing, so hashing cannot be used for denial of service.
    password_max_length: Annotated[int, msgspec.Meta(ge=16, le=65536, description="16 to 65536 bytes")] = 4096
    # The password rules new passwords must pass: "length", "common", "similar", "numeric".
    password_validators: list[str] = msgspec.field(
        default_factory=lambda: ["length", "common", "similar", "numeric"]
    )
    # Failed logins allowed per account and address, and per address, within login_throttle_window.
    login_throttle_attempts: Count = 5
    login_throttle_ip_attempts: Count = 50
    login_throttle_window: Seconds = 15 * 60.0
    password_reset_max_age: Seconds = 3600.0
    # Mail: "console:" prints (the default), "memory:" keeps (tests), "smtp://user:pass@host:587" sends
    # with STARTTLS, "smtps://..." over TLS.
    mail_url: str = "console:"
    mail_from: str = "webmaster@localhost"


FIELDS: dict[str, msgspec.structs.FieldInfo] = {f.name: f for f in msgspec.structs.fields(Settings)}
ENV_PREFIX = "VIVACE_"


def load_settings(
    root: Path, overrides: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Merge the three sources over the defaults and validate the result."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}

    toml_path = root / "vivace.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_path} is not valid TOML: {exc}") from None
        table = data.get("vivace", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{toml_path}: [vivace] must be a table of settings")
        for key, value in table.items():
            _check_name(key, f"{toml_path} [vivace]")
            values[key], origin[key] = value, f"{toml_path} [vivace] {key}"

    for key in FIELDS:
        env_name = ENV_PREFIX + key.upper()
        if env_name in environ:
            values[key], origin[key] = _from_env(key, environ[env_name]), env_name

    for key, value in overrides.items():
        _check_name(key, "App()")
        values[key], origin[key] = value, f"App({key}=...)"

    return _validate(values, origin)


def _check_name(key: str, where: str) -> None:
    if key not in FIELDS:
        close = difflib.get_close_matches(key, FIELDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown setting {key!r} in {where}{hint}")


def _from_env(key: str, raw: str) -> Any:
    """Environment values are strings; lists are comma-separated."""
    annotation = FIELDS[key].type
    if getattr(annotation, "__origin__", None) is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    if getattr(annotation, "__origin__", None) is dict:
        # name=value pairs, comma-separated: VIVACE_DATABASES="replica=postgresql://r/app"
        pairs = [item.strip().partition("=") for item in raw.split(",") if item.strip()]
        return {name.strip(): value.strip() if sep else None for name, sep, value in pairs}
    if raw.strip().lower() in ("", "none", "null") and FIELDS[key].default is None:
        return None
    return raw


def _validate(values: dict[str, Any], origin: dict[str, str]) -> Settings:
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = re.search(r"\$\.(\w+)", message)
        key = found.group(1) if found else ""
        if key in values:
            allowed = _describe(key)
            shown = "[redacted]" if "secret" in key else repr(values[key])
            raise ConfigError(
                f"setting {key} = {shown} (from {origin[key]}) is invalid: "
                f"{message.split(' - at ')[0]}; allowed: {allowed}"
            ) from None
        raise ConfigError(f"invalid settings: {message}") from None


def _describe(key: str) -> str:
    """What a setting accepts, in words."""
    annotation = FIELDS[key].type
    meta = getattr(annotation, "__metadata__", ())
    for item in meta:
        if isinstance(item, msgspec.Meta) and item.description:
            return item.description
    origin = getattr(annotation, "__origin__", None)
    if origin is Literal:
        return " or ".join(repr(a) for a in annotation.__args__)
    if origin is list:
        return "a list of strings (comma-separated in an environment variable)"
    if origin is dict:
        return "a table of names to strings (name=value pairs, comma-separated, in an environment variable)"
    return _WORDS.get(annotation, str(annotation))


_WORDS: dict[Any, str] = {
    bool: "true or false",
    str: "a string",
    str | None: "a string, or none",
    int: "a whole number",
    float: "a number",
}
