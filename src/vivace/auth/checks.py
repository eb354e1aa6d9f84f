"""``vivace check --deploy``: the settings that are unsafe in production, each with a stable code.

Errors (``V1xx``) fail the command; warnings (``V2xx``) are printed only.
The checks read the app's settings, never its database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.config import Settings
from ..core.secret_key import MIN_LENGTH

if TYPE_CHECKING:
    from ..core.app import App

__all__ = ["Finding", "deploy_checks"]

DEFAULT_HOSTS = frozenset(Settings().allowed_hosts)
# OWASP's floor for argon2id: 19 MiB of memory with 2 passes.
MIN_MEMORY_KIB = 19 * 1024
MIN_PASSES = 2


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    fix: str

    @property
    def is_error(self) -> bool:
        return self.code.startswith("V1")

    def __str__(self) -> str:
        kind = "error" if self.is_error else "warning"
        return f"{self.code} ({kind}) {self.message}\n      fix: {self.fix}"


def deploy_checks(app: App) -> list[Finding]:
    """Every unsafe production setting of ``app``, errors first."""
    s = app.settings
    found: list[Finding] = []

    def add(code: str, message: str, fix: str) -> None:
        found.append(Finding(code, message, fix))

    if s.debug:
        add("V101", "debug is on: tracebacks and settings are shown to visitors", "set VIVACE_DEBUG=0")
    if s.secret_key is None:
        add(
            "V102",
            "no secret key is set: sessions, CSRF and tokens would be signed with a development key",
            'set VIVACE_SECRET_KEY to python -c "import secrets; print(secrets.token_urlsafe(48))"',
        )
    elif len(s.secret_key) < MIN_LENGTH or len(set(s.secret_key)) < 10:
        add("V103", "the secret key is short or repetitive", "use at least 48 random characters")
    hosts = set(s.allowed_hosts)
    if "*" in hosts:
        add(
            "V104",
            "allowed_hosts allows any host (password reset links could name an attacker's host)",
            "list the site's host names in VIVACE_ALLOWED_HOSTS",
        )
    elif hosts <= DEFAULT_HOSTS:
        add(
            "V105",
            "allowed_hosts has only the development defaults (localhost)",
            "list the site's host names in VIVACE_ALLOWED_HOSTS",
        )
    if not s.secure_cookies:
        add(
            "V106",
            "cookies are not always Secure: behind a proxy that speaks HTTP to the app, they never are",
            "set VIVACE_SECURE_COOKIES=1 (and serve the site over HTTPS)",
        )
    if s.mail_url.split(":", 1)[0] in ("console", "memory"):
        add(
            "V107",
            f"mail_url is {s.mail_url!r}: password reset mails are not sent",
            "set VIVACE_MAIL_URL=smtp://user:password@host:587",
        )
    if s.password_hash_memory < MIN_MEMORY_KIB or s.password_hash_cost < MIN_PASSES:
        add(
            "V108",
            "the password hashing cost is below OWASP's minimum for argon2id (19 MiB, 2 passes)",
            "remove the lowered password_hash_* settings (the defaults are 64 MiB, 3 passes)",
        )
    if not s.login_throttle_attempts or not s.login_throttle_ip_attempts:
        add(
            "V109",
            "login throttling is off: passwords can be guessed without limit",
            "remove login_throttle_attempts = 0 / login_throttle_ip_attempts = 0",
        )
    if s.password_min_length < 8 or "common" not in s.password_validators:
        add(
            "V110",
            "password rules are weaker than the defaults (8 characters, no common passwords)",
            "keep password_min_length >= 8 and the 'common' validator",
        )
    if not s.security_headers:
        add(
            "V111",
            "the security headers (nosniff, X-Frame-Options, Referrer-Policy) are off",
            "remove security_headers = false",
        )
    if not s.hsts_seconds:
        add(
            "V201",
            "no Strict-Transport-Security header: a first visit over HTTP can be intercepted",
            "set VIVACE_HSTS_SECONDS=31536000 once the whole site is served over HTTPS",
        )
    if s.session_store == "cookie":
        add(
            "V202",
            "session_store is 'cookie': a logout cannot end a copy of the cookie kept elsewhere",
            "use 'database' or 'redis' sessions",
        )
    if any(origin.startswith("http://") for origin in s.csrf_trusted_origins):
        add("V203", "csrf_trusted_origins lists an http:// origin", "trust only https:// origins")
    found.sort(key=lambda finding: finding.code)
    return found
