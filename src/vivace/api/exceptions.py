"""Errors of the api battery.

HTTPException (vivace.core)
 └── ValidationFailed       422: the request's path, query, headers, cookies or body
                            do not fit the handler's signature; ``errors`` lists each
                            problem as {"in", "field", "message"} (and "pointer" in a body)
"""

from __future__ import annotations

from typing import Any

from ..core.exceptions import HTTPException


class ValidationFailed(HTTPException):
    """The request did not validate: 422 with one entry per problem in ``errors``."""

    status_code = 422

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None) -> None:
        if detail is None:
            count = len(errors)
            detail = f"The request did not validate: {count} problem{'s' if count != 1 else ''}."
        super().__init__(None, detail, errors=errors)
