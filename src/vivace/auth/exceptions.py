"""Errors of the auth battery, each answered to the client with its status.

HTTPException (vivace.core)
 ├── NotAuthenticated   401, with WWW-Authenticate: the credentials are missing or not valid
 ├── PermissionDenied   403: logged in, but without the permission, staff flag or token scope
 ├── CSRFError          403: the CSRF check failed; the detail says which part
 └── TooManyAttempts    429, with Retry-After: too many failed logins
"""

from __future__ import annotations

import math

from ..core.exceptions import HTTPException

__all__ = ["CSRFError", "NotAuthenticated", "PermissionDenied", "TooManyAttempts"]


class NotAuthenticated(HTTPException):
    status_code = 401

    def __init__(self, detail: str, scheme: str) -> None:
        super().__init__(None, detail, headers=[("www-authenticate", f'{scheme} realm="api"')])


class PermissionDenied(HTTPException):
    status_code = 403

    def __init__(self, detail: str = "You do not have permission to do this.") -> None:
        super().__init__(None, detail)


class CSRFError(HTTPException):
    status_code = 403

    def __init__(self, reason: str) -> None:
        super().__init__(None, f"CSRF check failed: {reason}")
        self.reason = reason


class TooManyAttempts(HTTPException):
    status_code = 429

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(
            None,
            f"Too many failed logins; try again in {seconds} seconds.",
            headers=[("retry-after", str(seconds))],
        )
        self.retry_after = seconds
