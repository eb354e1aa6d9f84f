"""Text helpers for URLs: ``slugify``.

``slugify("Héllo, World!")`` is ``"hello-world"``: what ``fields.Slug`` accepts
and what reads well in a URL. As Django's ``django.utils.text.slugify``, it
keeps ASCII letters, digits, ``_`` and ``-`` by default; accents are dropped
from their letters, other scripts are dropped (``allow_unicode=True`` keeps
them, lowercased). A title of only punctuation or of a dropped script gives
``""``: the caller decides what to use instead.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["slugify"]

_NOT_WORD = re.compile(r"[^\w\s-]")
_SEPARATORS = re.compile(r"[-\s]+")


def slugify(value: object, *, allow_unicode: bool = False, max_length: int | None = None) -> str:
    """``value`` as a lowercase slug: words joined by ``-``, nothing else but letters, digits and ``_``.

    ``max_length`` cuts the slug at a ``-`` when it can, so no word is cut in half unless the
    first one is longer than the limit.
    """
    if max_length is not None and (isinstance(max_length, bool) or max_length < 1):
        raise ValueError(f"slugify(max_length={max_length!r}): expected a positive integer or None")
    text = str(value)
    if allow_unicode:
        text = unicodedata.normalize("NFKC", text)
    else:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _NOT_WORD.sub("", text.lower())
    slug = _SEPARATORS.sub("-", text).strip("-_")
    if max_length is not None and len(slug) > max_length:
        cut = slug[: max_length + 1].rfind("-")
        slug = (slug[:cut] if cut > 0 else slug[:max_length]).strip("-_")
    return slug
