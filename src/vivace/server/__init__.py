"""The HTTP server under vivace: uvicorn, with the limits it leaves out.

uvicorn has no timeout for receiving a request head or body, and with
httptools no cap on header size; its parsers also differ on a few framing
shapes used for request smuggling. This package extends uvicorn's two HTTP/1.1
protocols to close those gaps the same way for both:

- ``limits.py``     ``ServerLimits``, the caps and timeouts
- ``head.py``       checks of a parsed (and, for h11, raw) request head
- ``guard.py``      per-connection deadlines and the answer a refusal writes
- ``httptools_impl.py`` / ``h11_impl.py``  the protocol subclasses
- ``logs.py``       logging config that escapes control characters
- ``config.py`` / ``serve.py``  ``make_config`` and ``serve``
"""

from .config import make_config
from .limits import ServerLimits
from .serve import serve

__all__ = ["ServerLimits", "make_config", "serve"]
