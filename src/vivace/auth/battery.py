"""``app.auth``: users, sessions, CSRF and tokens attached to one app.

How it switches on. Importing ``vivace.auth`` changes nothing for any app.
An app uses auth when, before it serves its first request (start-up or
first request), either ``app.auth`` has been touched (``app.auth.user_loader``,
``app.auth.create_user`` ...), or one of its routes carries an auth
decorator (``@login_required``, ``@permission_required``, ``@staff_required``,
``@csrf_exempt``, ``@token_only``, ``@scopes_required``) or sits in a
``token_only`` module. Then, just before the stack is built, auth:

- mounts the login, logout and password pages under ``auth_prefix``;
- wraps each HTTP route's handler once, so that for each request it reads
  the ``Authorization`` token or the session cookie (only when the request
  carries one: anonymous requests cost no I/O), runs the CSRF check, calls
  the handler, then saves the session and sets the cookie, ``Vary`` and
  ``Cache-Control`` on the response;
- adds ``csrf_token()`` and ``csrf_input()`` to the templates.

With the ``token_only`` setting (an API authenticated by token only) every
route is ``@token_only``: no cookie is read or set, no CSRF check runs and
no page is mounted.

An app that does none of this runs exactly as before: no table is read, no
cookie set, no wrapper called. ``request.user`` or ``login()`` in an app
whose auth is off is a ``ConfigError`` that says how to switch it on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..core import batteries
from ..core.exceptions import ConfigError
from ..core.requests import ClientDisconnect, Request
from ..core.responses import Response
from ..db import DatabaseError
from . import csrf
from .accounts import Accounts
from .exceptions import NotAuthenticated
from .mail import mailer_for
from .models import AnonymousUser, APIToken, User
from .passwords import PasswordHasher, check_validator_names
from .permissions import sync_permissions
from .policy import Policy, marked
from .sessions import CookieStore, DatabaseStore, RedisConnections, RedisStore, Session, SessionStore
from .throttling import DatabaseCounter, RedisCounter, Throttle
from .tokens import (
    TokenInfo,
    decode_jwt,
    encode_jwt,
    expiry,
    find_personal_token,
    make_token,
    split_authorization,
)

if TYPE_CHECKING:
    from ..core.app import App
    from ..core.routing import Route

__all__ = ["Auth", "Policy", "RequestAuth", "context_of"]

logger = logging.getLogger("vivace.auth")
T = TypeVar("T")

CONTEXT_KEY = "vivace.auth"
# Session keys of the auth battery itself.
HASH_KEY = "_auth_hash"
LEVEL_KEY = "_auth_level"
MAX_COOKIE = 4096


def user_id_of(user: Any) -> str:
    get_id = getattr(user, "get_id", None)
    if callable(get_id):
        return str(get_id())
    for attribute in ("pk", "id"):
        value = getattr(user, attribute, None)
        if value is not None:
            return str(value)
    raise ConfigError(f"login(): {user!r} has no get_id(), pk or id to keep in the session")


def _level(user: Any) -> str:
    return f"{int(bool(getattr(user, 'is_staff', False)))}{int(bool(getattr(user, 'is_superuser', False)))}"


class Auth(Accounts):
    """The auth battery of one app: ``app.auth``."""

    name = "auth"

    def __init__(self, app: App) -> None:
        self.app = app
        settings = app.settings
        self.settings = settings
        check_validator_names(settings.password_validators)
        self.hasher = PasswordHasher(
            time_cost=settings.password_hash_cost,
            memory_cost=settings.password_hash_memory,
            parallelism=settings.password_hash_parallelism,
            max_length=settings.password_max_length,
        )
        self.trusted_origins = frozenset(_origin(o) for o in settings.csrf_trusted_origins)
        self.redis_url: str | None = settings.redis_url or os.environ.get("REDIS_URL") or None
        kind = settings.session_store
        if kind == "auto":
            kind = "redis" if self.redis_url else "database"
        if kind == "redis" and not self.redis_url:
            raise ConfigError("setting session_store = 'redis' needs redis_url (or REDIS_URL) to be set")
        self.store_kind: str = kind
        prefix = settings.auth_prefix
        if prefix and not (prefix.startswith("/") and prefix.endswith("/")):
            raise ConfigError(f"setting auth_prefix = {prefix!r} must start and end with '/' (or be '')")
        self.mailer = mailer_for(settings.mail_url, settings.mail_from)
        # The data layer starts before auth, so the session and user tables are bound when auth starts.
        from ..db import default_registry

        app.db.include(default_registry)
        self.user_loader_function: Callable[[str], Any] | None = None
        self.prepared = False
        self._store: SessionStore | None = None
        self._throttle: Throttle | None = None
        self._redis: RedisConnections | None = None
        app.extend(self)

    def install(self, app: App) -> None:
        """Routes and handlers are prepared when the app builds its stack (``prepare``)."""

    # Life cycle ---------------------------------------------------------------------------

    def prepare(self) -> None:
        """Mount the pages (once) and guard each HTTP route not yet guarded, before the stack is built."""
        app = self.app
        if not self.prepared:
            self._mount(app)
            self.prepared = True
        for route in app.router.routes:
            if route.options.get("auth_guarded") or "WEBSOCKET" in route.methods or _is_static(route):
                continue
            route.handler = self._guard(route.handler, Policy.of(route, token_only=self.settings.token_only))
            route.options["auth_guarded"] = True

    def _mount(self, app: App) -> None:
        if self.settings.auth_prefix and not self.settings.token_only:
            from .views import pages

            app.register(pages(), prefix=self.settings.auth_prefix.rstrip("/"), namespace="auth")
        from ..templates import templates_for

        templates = templates_for(app)
        loader = templates.env.loader
        searchpath = getattr(loader, "searchpath", None)
        if isinstance(searchpath, list):
            for folder in app.template_dirs:
                if str(folder) not in searchpath:
                    searchpath.append(str(folder))
        templates.context_processors.append(_template_globals)

    async def startup(self, app: App) -> None:
        self.store  # noqa: B018 - fails at start-up, not at the first request, when misconfigured
        app.secret_key  # noqa: B018 - sessions and tokens sign with it: a missing key fails here
        if app.debug:
            await asyncio.to_thread(self.create_missing_tables)
        try:
            await self.sync_permissions()
        except DatabaseError as exc:
            logger.warning(
                "permissions not synced (are the auth tables created? run the migrations): %s", exc
            )

    def create_missing_tables(self) -> bool:
        """Apply auth's migrations to a database that has none of its tables (done at start-up in debug)."""
        import sqlalchemy as sa

        from ..db.migrations import Migrations

        database = self.app.db.database
        if sa.inspect(database.engine).has_table(User._meta.table_name):
            return False
        Migrations.for_app(self.app).migrate("auth@head")
        logger.info("debug is on and the auth tables were missing: applied auth's migrations")
        return True

    async def shutdown(self, app: App) -> None:
        store, self._store, self._throttle = self._store, None, None
        if store is not None:
            await store.close()
        if self._redis is not None:
            await self._redis.close()
        self._redis = None

    # Parts ------------------------------------------------------------------------------------

    @property
    def redis(self) -> RedisConnections:
        if self._redis is None:
            assert self.redis_url is not None
            self._redis = RedisConnections(self.redis_url)
        return self._redis

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            if self.store_kind == "redis":
                self._store = RedisStore(self.redis)
            elif self.store_kind == "cookie":
                self._store = CookieStore(self.app.secret_key)
            else:
                self._store = DatabaseStore()
        return self._store

    @property
    def throttle(self) -> Throttle:
        if self._throttle is None:
            counter = RedisCounter(self.redis) if self.redis_url else DatabaseCounter()
            self._throttle = Throttle(counter, self.settings)
        return self._throttle

    @property
    def user_model(self) -> type[Any]:
        label = self.settings.user_model
        if not label:
            return User
        from ..db import default_registry
        from ..db.models import _label_from_module

        if "." not in label:
            # A bare name is a model of the app's own module, under the label its models take there
            # (app.py's User is app.User), whatever the file is called or however it is imported.
            label = f"{_label_from_module(self.app.import_name)}.{label}"
        try:
            return default_registry.get_model(label)
        except LookupError as exc:
            raise ConfigError(f"setting user_model = {label!r}: {exc}") from None

    def user_loader(self, function: Callable[[str], Any]) -> Callable[[str], Any]:
        """Load users from a table of your own: ``function(user_id) -> user | None`` (sync or async)."""
        self.user_loader_function = function
        return function

    # Users ---------------------------------------------------------------------------------

    async def load_user(self, user_id: str) -> Any:
        loader = self.user_loader_function
        if loader is not None:
            if asyncio.iscoroutinefunction(loader):
                return await loader(user_id)
            return await self.app.pool.run(loader, user_id)
        model = self.user_model
        pk = model._meta.pk
        try:
            key = pk.to_python(user_id)
        except (TypeError, ValueError):
            return None
        return await model.objects.filter(pk=key).afirst()

    async def find_login_user(self, identifier: str) -> Any:
        """The one user the login field names (by username, e-mail or either), else None."""
        if not identifier or len(identifier) > 254:
            return None
        model = self.user_model
        by = self.settings.login_by
        if by == "email" or (by == "both" and "@" in identifier):
            found = await model.objects.filter(email__iexact=identifier)[:2]
            return found[0] if len(found) == 1 else None
        return await model.objects.filter(username=identifier).afirst()

    async def authenticate(self, request: Request, identifier: str, password: str) -> Any:
        """The user whose login and password these are, or None; throttled (429) per account and address.

        The password is hashed whether or not the user exists, so both failures take the same time.
        """
        address = request.client[0] if request.client else "-"
        throttle = self.throttle
        await throttle.check(identifier, address)
        user = await self.find_login_user(identifier)
        pool = self.app.pool
        if user is None or not getattr(user, "password", ""):
            await pool.run(self.hasher.verify_dummy, password)
            ok = False
        else:
            ok = await pool.run(self.hasher.verify, user.password, password)
        if not ok or not getattr(user, "is_active", False):
            await throttle.failed(identifier, address)
            return None
        await throttle.succeeded(identifier, address)
        if self.hasher.needs_rehash(user.password):
            user.password = await pool.run(self.hasher.hash, password)
            await type(user).objects.filter(pk=user.pk).aupdate(password=user.password)
        return user

    # Sessions -----------------------------------------------------------------------------

    def fingerprint(self, user: Any) -> str:
        """Changes when the password does, which ends the user's other sessions."""
        secret = self.app.secret_key.encode()
        password = (getattr(user, "password", "") or "").encode()
        return hmac.new(secret, b"vivace.auth.session\x00" + password, hashlib.sha256).hexdigest()[:32]

    def login(self, context: RequestAuth, user: Any) -> None:
        uid = user_id_of(user)
        session = context.session
        if session.user_id is not None and session.user_id != uid:
            session.flush()
        session.rotate()
        session.state.user_id = uid
        session[HASH_KEY] = self.fingerprint(user)
        session[LEVEL_KEY] = _level(user)
        csrf.rotate(session)
        context.set_user(user, "session")
        context.logged_in = user

    def logout(self, context: RequestAuth) -> None:
        context.session.flush()
        context.set_user(AnonymousUser(), None)

    async def session_user(self, session: Session) -> Any:
        """The user a loaded session names, checked against its password fingerprint."""
        uid = session.user_id
        if uid is None:
            return None
        user = await self.load_user(uid)
        if user is None or not getattr(user, "is_active", True):
            session.flush()
            return None
        data = session.state.data
        if data.get(HASH_KEY) != self.fingerprint(user):
            session.flush()
            return None
        if data.get(LEVEL_KEY) != _level(user):
            # A privilege change: the same login goes on under a new id.
            session.rotate()
            session[LEVEL_KEY] = _level(user)
        return user

    async def end_other_sessions(self, request: Request, user: Any) -> None:
        """After a password change: keep this session (with the new fingerprint), end the others."""
        context = context_of(request)
        session = context.session
        session.rotate()
        session[HASH_KEY] = self.fingerprint(user)
        await self.store.delete_user_sessions(user_id_of(user), keep=session.stale_cookie)

    async def end_all_sessions(self, user: Any) -> None:
        await self.store.delete_user_sessions(user_id_of(user))

    def lifetime(self, created: float, now: float) -> float:
        settings = self.settings
        return max(1.0, min(settings.session_idle_timeout, settings.session_max_age - (now - created)))

    def expired(self, created: float, last_seen: float, now: float) -> bool:
        settings = self.settings
        return now - created > settings.session_max_age or now - last_seen > settings.session_idle_timeout

    # Tokens ---------------------------------------------------------------------------------

    def create_jwt(
        self, user: Any, *, max_age: float | None = None, claims: dict[str, Any] | None = None
    ) -> str:
        """A signed token naming ``user``, valid ``max_age`` seconds (the ``jwt_max_age`` setting)."""
        lifetime = self.settings.jwt_max_age if max_age is None else max_age
        return encode_jwt(self.app.secret_key, user_id_of(user), lifetime, claims)

    async def create_token(
        self,
        user: Any,
        *,
        name: str = "",
        scopes: list[str] | None = None,
        expires_in: float | dt.timedelta | None = None,
    ) -> tuple[str, APIToken]:
        """A new personal API token: ``(token, record)``. Show ``token`` once; only its hash is kept."""
        token, prefix, digest = make_token()
        record = await APIToken.objects.acreate(
            prefix=prefix,
            digest=digest,
            user_id=user_id_of(user),
            name=name,
            scopes=list(scopes) if scopes is not None else [],
            expires=expiry(expires_in),
        )
        return token, record

    async def revoke_token(self, token: str | APIToken) -> bool:
        """Delete a personal token (the token itself, or its record); whether one was found."""
        from .tokens import parse_personal_token

        if isinstance(token, APIToken):
            prefix = str(token.prefix)
        else:
            parsed = parse_personal_token(token)
            if parsed is None:
                return False
            prefix = parsed[0]
        return bool(await APIToken.objects.filter(prefix=prefix).adelete())

    async def token_user(self, token: str) -> tuple[Any, TokenInfo] | None:
        """The user and token info of a bearer token, or None when it proves nothing."""
        if token.count(".") == 2:
            claims = decode_jwt(self.app.secret_key, token)
            if claims is None:
                return None
            user = await self.load_user(claims["sub"])
            info = TokenInfo("jwt", None)
        else:
            record = await find_personal_token(token)
            if record is None:
                return None
            user = await self.load_user(str(record.user_id))
            scopes: Any = record.scopes
            info = TokenInfo("personal", list(scopes) if scopes else None, record)
        if user is None or not getattr(user, "is_active", True):
            return None
        return user, info

    # Permissions ----------------------------------------------------------------------------

    async def sync_permissions(self) -> int:
        """Make the view/add/change/delete permissions of every model that lacks them."""
        return await sync_permissions(self.app)

    # The guard ------------------------------------------------------------------------------

    def _guard(self, handler: Callable[[Request], Awaitable[Response]], policy: Policy) -> Any:
        auth = self

        async def guarded(request: Request) -> Response:
            context = RequestAuth(auth, request, policy)
            request.scope[CONTEXT_KEY] = context
            try:
                await context.begin()
                if context.needs_csrf():
                    await csrf.check(request, context.session, auth.trusted_origins)
                response = await handler(request)
            except ClientDisconnect:
                raise
            except Exception as exc:
                response = await request.app.handle_exception(request, exc)
            await context.finish(response)
            return response

        return guarded

    def __repr__(self) -> str:
        return f"<Auth of {self.app!r}, sessions in {self.store_kind}>"


class RequestAuth:
    """``request.auth``: who made this request and how (``"session"``, ``"token"`` or None)."""

    def __init__(self, auth: Auth, request: Request, policy: Policy, *, guarded: bool = True) -> None:
        self.auth = auth
        self.request = request
        self.policy = policy
        self.guarded = guarded
        self.method: str | None = None
        self.token: TokenInfo | None = None
        self.cookie: str | None = None
        self.logged_in: Any = None
        self._user: Any = AnonymousUser()
        self._session: Session | None = None
        self._user_read = False
        self._clear_cookie = False
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def user(self) -> Any:
        self._user_read = True
        return self._user

    def set_user(self, user: Any, method: str | None) -> None:
        self._user = user
        self.method = method

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session()
        return self._session

    async def begin(self) -> None:
        """Authenticate from the token or the session cookie, before the handler runs."""
        self.loop = asyncio.get_running_loop()
        request = self.request
        auth = self.auth
        header = request.headers.get("authorization")
        if header is not None:
            token = split_authorization(header, auth.settings.auth_scheme)
            if token is None:
                raise NotAuthenticated(
                    f"the Authorization header must be '{auth.settings.auth_scheme} <token>'",
                    auth.settings.auth_scheme,
                )
            if token:
                found = await auth.token_user(token)
                if found is None:
                    raise NotAuthenticated(
                        "the token is invalid, expired or revoked", auth.settings.auth_scheme
                    )
                self._user, self.token = found
                self.method = "token"
                return
        if self.policy.token_only:
            return
        cookie = request.cookies.get(auth.settings.session_cookie)
        if not cookie:
            return
        self.cookie = cookie
        state = await auth.store.load(cookie) if len(cookie) <= MAX_COOKIE else None
        now = time.time()
        if state is not None and auth.expired(state.created, state.last_seen, now):
            await auth.store.delete(cookie)
            state = None
        if state is None:
            self._session = Session()
            self._clear_cookie = True
            return
        session = self._session = Session(cookie, state)
        user = await auth.session_user(session)
        if user is not None:
            self._user = user
            self.method = "session"
        # Reading the session to find the user is the guard's business, not the handler's.
        session.accessed = False

    def needs_csrf(self) -> bool:
        if self.request.method in csrf.SAFE_METHODS or self.token is not None or self.policy.csrf_exempt:
            return False
        if self.policy.token_only:
            return False
        return self.cookie is not None or self.policy.csrf_always

    async def finish(self, response: Response) -> None:
        """Save the session, set or clear its cookie, and mark what the response depends on."""
        auth = self.auth
        if self.token is not None or self.policy.token_only:
            # A token-only route neither reads nor sets the session cookie.
            _vary(response, "Authorization")
            return
        session = self._session
        if self._user_read or (session is not None and session.accessed):
            # The answer depends on the cookie, even when none came (it shows an anonymous visitor).
            _vary(response, "Cookie")
            if self.cookie is not None or (session is not None and session.modified):
                _private(response)
        if session is None:
            if self._clear_cookie:
                self._delete_cookie(response)
            return
        if response.status_code >= 500:
            return
        store = auth.store
        if session.stale_cookie is not None:
            await store.delete(session.stale_cookie)
        now = time.time()
        state = session.state
        if session.flushed and not state.data and state.user_id is None:
            if self.cookie is not None:
                self._delete_cookie(response)
            return
        touch = session.cookie is not None and now - state.last_seen > min(
            60.0, auth.settings.session_idle_timeout / 10
        )
        if not (session.modified or touch):
            if self._clear_cookie:
                self._delete_cookie(response)
            return
        if session.is_new and not state.data and state.user_id is None:
            return
        state.last_seen = now
        lifetime = auth.lifetime(state.created, now)
        value = await store.save(session.cookie, state, lifetime)
        if value != self.cookie:
            settings = auth.settings
            remaining = int(settings.session_max_age - (now - state.created))
            response.set_cookie(
                settings.session_cookie,
                value,
                max_age=max(1, remaining),
                httponly=True,
                samesite="lax",
                secure=True if settings.secure_cookies else None,
            )
            _private(response)
            _vary(response, "Cookie")
        if self.logged_in is not None:
            await _record_login(self.logged_in)

    def _delete_cookie(self, response: Response) -> None:
        response.delete_cookie(self.auth.settings.session_cookie)
        _private(response)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the request's loop from a sync handler's worker thread."""
        if self.loop is None:
            raise RuntimeError("the request is not being served")
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()


async def _record_login(user: Any) -> None:
    meta = getattr(type(user), "_meta", None)
    if meta is None or "last_login" not in {f.name for f in meta.concrete_fields}:
        return
    user.last_login = dt.datetime.now(dt.UTC)
    await type(user).objects.filter(pk=user.pk).aupdate(last_login=user.last_login)


def _vary(response: Response, header: str) -> None:
    current = response.headers.get("vary")
    if current is None:
        response.headers["vary"] = header
    elif header.lower() not in {part.strip().lower() for part in current.split(",")} and current != "*":
        response.headers["vary"] = f"{current}, {header}"


def _private(response: Response) -> None:
    current = response.headers.get("cache-control")
    if current is None:
        response.headers["cache-control"] = "private"
        return
    parts = [p.strip() for p in current.split(",") if p.strip()]
    lowered = [p.lower() for p in parts]
    if "private" in lowered or "no-store" in lowered:
        return
    parts = [p for p in parts if p.lower() != "public" and not p.lower().startswith("s-maxage")]
    response.headers["cache-control"] = ", ".join(["private", *parts])


def _is_static(route: Route) -> bool:
    name = route.name or ""
    return name == "static" or name.endswith(":static")


def _origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(
            f"setting csrf_trusted_origins: {value!r} is not an origin; write 'https://host[:port]'"
        )
    return f"{parts.scheme}://{parts.netloc}".lower()


def context_of(request: Request) -> RequestAuth:
    """The request's auth context; outside a guarded route, an anonymous one that saves nothing."""
    context = request.scope.get(CONTEXT_KEY)
    if context is not None:
        return context  # type: ignore[no-any-return]
    auth = request.app.__dict__.get("auth")
    if auth is None or not auth.prepared:
        raise ConfigError(
            "auth is off for this app, so request.user, request.session and login() are not there: "
            "switch it on before the app serves, by decorating a route (@login_required ...) or "
            "touching app.auth (e.g. app.auth.user_loader)"
        )
    context = RequestAuth(auth, request, Policy(), guarded=False)
    request.scope[CONTEXT_KEY] = context
    return context


def _template_globals(request: Request) -> dict[str, Any]:
    from markupsafe import Markup

    def csrf_token() -> str:
        context = context_of(request)
        # A visitor without a session is not checked (no cookie, no ambient authority): no token, and no
        # session made just for one, except on the forms that are always checked (login ...).
        if context.cookie is None and context._session is None and not context.policy.csrf_always:
            return ""
        return csrf.masked_token(context.session)

    def csrf_input() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, csrf_token())

    return {"csrf_token": csrf_token, "csrf_input": csrf_input}


# Registration with the core ---------------------------------------------------------------


def _build(app: App) -> None:
    if "auth" in app.__dict__ or any(marked(route) for route in app.router.routes):
        app.auth.prepare()


def _user(request: Request) -> Any:
    return context_of(request).user


def _session(request: Request) -> Session:
    return context_of(request).session


batteries.provide("auth", Auth)
batteries.provide_request_attribute("user", _user)
batteries.provide_request_attribute("session", _session)
batteries.provide_request_attribute("auth", context_of)
batteries.on_app_build(_build)
