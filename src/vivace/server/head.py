"""Checks of a request head that h11 and httptools leave out, applied to both.

What the parsers already refuse is not repeated here: bad tokens, a space before
the colon, NUL or CR in a value, bare LF in chunk lines, a Content-Length that
is not digits. What is left, and why:

- framing that two servers could read differently (request smuggling):
  Content-Length together with Transfer-Encoding (h11 lets chunked win), more
  than one Content-Length even when equal (h11 merges them), any
  Transfer-Encoding but a single ``chunked`` (httptools takes
  ``gzip, chunked``), and Transfer-Encoding on HTTP/1.0 (RFC 9112 6.1);
- Host missing on HTTP/1.1 or sent twice (RFC 9112 3.2; httptools takes both);
- versions other than 1.0 and 1.1 (httptools takes ``GET /`` as HTTP/0.9);
- control characters in values (h11 takes ESC and DEL);
- the size and number of header lines (httptools has no cap at all);
- for h11, in the raw bytes: obs-fold lines and bare-LF line ends, which it
  silently accepts where httptools refuses them, and repeated or list-valued
  Content-Length, which it folds into one header before anyone can see it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .limits import ServerLimits
from .rejection import Rejected

Headers = Sequence[tuple[bytes, bytes]]

_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# Where h11 ends a head: it takes a bare LF as a line end, so search as it does.
_HEAD_END = re.compile(rb"\n\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")
_OBS_FOLD = re.compile(rb"\n[ \t]")
_RAW_CONTENT_LENGTH = re.compile(rb"\ncontent-length[ \t]*:([^\r\n]*)", re.IGNORECASE)
_OWS = b" \t"


def head_size(method: bytes, target: bytes, headers: Headers) -> int:
    """Bytes of the head written with single spaces and CRLF line ends."""
    # The request line's two spaces and " HTTP/1.1\r\n", then the blank line: 1 + 11 + 2.
    size = len(method) + len(target) + 14
    for name, value in headers:  # run per request: a loop, not a generator
        size += len(name) + len(value) + 4  # ": " and CRLF
    return size


def check_head(
    http_version: str,
    headers: Headers,
    size: int,
    limits: ServerLimits,
    *,
    scan_values: bool = True,
) -> None:
    """Raise ``Rejected`` unless the parsed head is safe to hand to the app.

    ``headers`` must have lower-case names, as both uvicorn protocols keep them.
    ``scan_values=False`` skips the control-character scan for a parser that
    already refuses them.
    """
    if http_version not in ("1.0", "1.1"):
        raise Rejected(505, "only HTTP/1.0 and HTTP/1.1 are served")
    if len(headers) > limits.max_header_count:
        raise Rejected(431, f"more than {limits.max_header_count} header lines")
    if size > limits.max_header_size:
        raise Rejected(431, f"header section larger than {limits.max_header_size} bytes")
    lengths: list[bytes] = []
    encodings: list[bytes] = []
    hosts = 0
    for name, value in headers:
        if scan_values and _CONTROL.search(value):
            raise Rejected(400, "control character in a header value")
        if name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding":
            encodings.append(value)
        elif name == b"host":
            hosts += 1
    if lengths or encodings:
        _check_framing(http_version, lengths, encodings)
    if hosts > 1 or (hosts == 0 and http_version == "1.1"):
        raise Rejected(400, "an HTTP/1.1 request needs exactly one Host header")


def _check_framing(http_version: str, lengths: list[bytes], encodings: list[bytes]) -> None:
    _check_lengths(lengths)
    if not encodings:
        return
    if lengths:
        raise Rejected(400, "both Content-Length and Transfer-Encoding")
    if http_version != "1.1":
        raise Rejected(400, "Transfer-Encoding on an HTTP/1.0 request")
    if len(encodings) > 1 or encodings[0].strip(_OWS).lower() != b"chunked":
        raise Rejected(400, "Transfer-Encoding other than a single 'chunked'")


def _check_lengths(lengths: list[bytes]) -> None:
    if len(lengths) > 1:
        raise Rejected(400, "more than one Content-Length header")
    if lengths and not lengths[0].strip(_OWS).isdigit():
        raise Rejected(400, "Content-Length is not a whole number")


def check_raw_head(unparsed: bytes, limit: int) -> None:
    """Check the start of the bytes h11 is about to parse as a request head.

    ``unparsed`` is the front of h11's buffer, a little more than ``limit`` bytes
    at most; a head not ended within ``limit`` bytes is too large.
    """
    end = _HEAD_END.search(unparsed)
    if end is None:
        if len(unparsed) > limit:
            raise Rejected(431, f"header section larger than {limit} bytes")
        return
    head = unparsed[: end.end()]
    if _BARE_LF.search(head):
        raise Rejected(400, "a header line ends in a bare LF")
    if _OBS_FOLD.search(head):
        raise Rejected(400, "obsolete line folding in the header section")
    _check_lengths(_RAW_CONTENT_LENGTH.findall(head))
