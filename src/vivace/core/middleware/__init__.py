"""The built-in middleware: plain ASGI callables that wrap an app.

Each takes the app it wraps first and its options as keywords, checks the
options at once (a bad one is a ``ConfigError`` naming it), and passes scopes
it has no business with (lifespan, websocket) straight through::

    app.add_middleware(GZipMiddleware, minimum_size=1000)
"""

from .cors import CORSMiddleware
from .gzip import GZipMiddleware
from .request_id import RequestIDMiddleware

__all__ = ["CORSMiddleware", "GZipMiddleware", "RequestIDMiddleware"]
