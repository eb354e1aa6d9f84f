"""The ceiling sending the three security headers a bare vivace app sends: a reference, not a peer.

Beside ``raw-asgi`` it shows what those header lines cost on the wire and in the
server's per-header checks, so that vivace's distance to the ceiling splits into
the headers its defaults add and its own request path. Opt in with
``--frameworks vivace,raw-asgi,raw-asgi+headers``.
"""

from __future__ import annotations

import raw_asgi
from raw_asgi import app  # noqa: F401  (the server imports it from here)

# vivace's defaults: frame_options="DENY", referrer_policy="same-origin".
SECURITY = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]

for headers in (raw_asgi.TEXT, raw_asgi.JSON, raw_asgi.HTML):
    headers.extend(SECURITY)  # the lists the handlers send, changed in place
