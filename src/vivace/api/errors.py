"""Error answers of typed APIs: what the default formatter sends, and helpers for other dialects.

Every error reaches the client through the app's ``error_formatter``
(``vivace.core.errors``). The default answers RFC 9457 problem details;
validation problems ride in its ``errors`` member, one object per problem::

    {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
     "detail": "The request did not validate: 1 problem.",
     "errors": [{"in": "body", "field": "items.0.qty", "pointer": "/items/0/qty",
                 "message": "Expected `int` >= 1"}]}

An app that speaks another dialect replaces the formatter and nothing else;
``errors_by_field`` groups the problems by field for the usual shapes::

    def realworld(request, exc):
        return JSONResponse({"errors": errors_by_field(exc) or {"body": [exc.detail]}}, exc.status_code)

    app.error_formatter = realworld
    app.api.error_schema = {...}          # so the OpenAPI document says the same
    app.api.error_media_type = "application/json"
"""

from __future__ import annotations

from typing import Any

from .validation import errors_by_field

__all__ = ["FIELD_ERROR_SCHEMA", "PROBLEM_SCHEMA", "errors_by_field"]

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "in": {"type": "string", "enum": ["path", "query", "header", "cookie", "body"]},
        "field": {"type": "string", "description": "The parameter's name, or a dotted path in the body"},
        "pointer": {"type": "string", "description": "The place in the body as a JSON pointer (RFC 6901)"},
        "message": {"type": "string"},
        "code": {
            "type": "string",
            "description": "A stable code for messages an app may reword: blank, unique, not_found",
        },
    },
    "required": ["field", "message"],
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error, as RFC 9457 problem details.",
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": FIELD_ERROR_SCHEMA},
    },
    "required": ["type", "title", "status", "detail"],
}
