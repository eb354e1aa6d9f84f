"""vivace.api: typed parameters and bodies, validation errors, OpenAPI 3.1, ``/docs``, CRUD.

A handler with annotations is typed: its query parameters, headers, cookies,
body and dependencies are read and validated from its signature, and its
return annotation documents and encodes the answer::

    from vivace.api import Depends, Header

    class IrisIn(msgspec.Struct):
        sepal_length: float
        sepal_width: float

    @app.post("/api/predict", status_code=200)
    async def predict(request, body: IrisIn) -> Prediction: ...

A typed ``int`` parameter is a signed 64-bit integer unless it states its own
bounds; ``NonBlank`` is a string with a visible character, refused with the
stable error code ``"blank"`` that a formatter may reword
(``errors_by_field(exc, {"blank": "can't be blank"})``).

Importing this package registers the battery with the core: ``app.api`` and
the planner of typed handlers. The core imports it by itself when the first
handler that needs it is registered.
"""

from __future__ import annotations

from ..core import batteries
from .battery import Api, mount
from .constraints import Int64, NonBlank
from .exceptions import ValidationFailed
from .params import Body, Cookie, Depends, File, Form, Header, Param, Path, Query, UploadFile
from .planner import plan_handler
from .validation import errors_by_field

__all__ = [
    "Api",
    "Body",
    "Cookie",
    "Depends",
    "File",
    "Form",
    "Header",
    "Int64",
    "NonBlank",
    "Param",
    "Path",
    "Query",
    "UploadFile",
    "ValidationFailed",
    "errors_by_field",
]

batteries.provide("api", Api)
batteries.add_planner(plan_handler)
batteries.on_app_build(mount)
