"""The developer's own static assets, served from one directory.

``StaticFiles(directory).response(name, method=...)`` answers a file below
``directory`` or raises ``NotFound``. ``name`` is the URL path below the
static prefix, percent-decoded once by the server; it is never decoded again,
so ``%2e%2e`` is a file literally named ``%2e%2e``.

A name is refused (404) when it has, in any segment: ``..`` or ``.``, a
leading dot (hidden files such as ``.env`` or ``.git``), an empty segment
(``//etc/passwd``, ``a//b``, a trailing ``/``), a backslash, a ``:`` (drive
letters, NTFS streams), NUL or any control character. The joined path's real
path must stay inside the real root (``os.path.realpath`` and
``os.path.commonpath``, not string prefixes) and must not pass through a
hidden entry there either; it must be a regular file: directories get no
listing and no index file.

Symlinks: with ``follow_symlinks=False`` (the default) a symlink is served
only if its target is inside the root; one that points outside is refused.
``follow_symlinks=True`` trusts every symlink in the directory (e.g. a deploy
that links ``static/vendor`` to a shared tree) and follows it anywhere; the
name itself is still checked as above.

Files are sent with the media type of their extension, ``.html`` and ``.svg``
included: they are the developer's own. Files uploaded by users must never be
served through ``StaticFiles`` (an uploaded ``.html`` or ``.svg`` would run
script on the app's origin); send them with
``FileResponse(path, filename=original_name)``, which makes them downloads.
"""

from __future__ import annotations

import os
import pathlib
import stat

from .exceptions import ConfigError, MethodNotAllowed, NotFound
from .fileresponse import FileResponse, guess_media_type

_METHODS = ("GET", "HEAD")


class StaticFiles:
    """Look up and serve files below ``directory``.

    ``max_age`` seconds go into ``Cache-Control: public, max-age=...``;
    ``max_age=0`` sends ``Cache-Control: no-cache`` (revalidate every time
    with the ``ETag``).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        max_age: int = 3600,
        follow_symlinks: bool = False,
    ) -> None:
        root = os.path.realpath(directory)
        if not os.path.isdir(root):
            raise ConfigError(
                f"StaticFiles directory {os.fspath(directory)!r} does not exist or is not a "
                "directory; create it or pass the right path"
            )
        if max_age < 0:
            raise ConfigError(f"StaticFiles max_age must be 0 or more seconds, not {max_age}")
        self.directory = root
        self.max_age = max_age
        self.follow_symlinks = follow_symlinks
        self.cache_control = "no-cache" if max_age == 0 else f"public, max-age={max_age}"

    def resolve(self, filename: str) -> pathlib.Path | None:
        """The real path of a regular file below the root named by ``filename``, or None."""
        found = self._lookup(filename)
        return pathlib.Path(found[0]) if found is not None else None

    def response(self, filename: str, *, method: str) -> FileResponse:
        """The ``FileResponse`` for ``filename``; raises ``NotFound`` or ``MethodNotAllowed``."""
        if method not in _METHODS:
            raise MethodNotAllowed(_METHODS)
        found = self._lookup(filename)
        if found is None:
            raise NotFound()
        path, st = found
        return FileResponse(
            path,
            headers={"cache-control": self.cache_control},
            media_type=guess_media_type(filename),
            stat_result=st,
        )

    def _lookup(self, filename: str) -> tuple[str, os.stat_result] | None:
        segments = filename.split("/")
        if not all(_safe_segment(segment) for segment in segments):
            return None
        candidate = os.path.join(self.directory, *segments)
        try:
            follow = os.path.abspath if self.follow_symlinks else os.path.realpath
            path = follow(candidate)
            if not _inside(self.directory, path):
                return None
            st = os.stat(path)
        except (OSError, ValueError):
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return path, st

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.directory!r}, max_age={self.max_age})"


def _safe_segment(segment: str) -> bool:
    return (
        bool(segment)
        and not segment.startswith(".")
        and "\\" not in segment
        and ":" not in segment
        and all(ch.isprintable() for ch in segment)
    )


def _inside(root: str, path: str) -> bool:
    """Whether ``path`` is strictly below ``root`` and none of its parts there is hidden."""
    if os.path.commonpath([root, path]) != root:
        return False
    relative = os.path.relpath(path, root)
    return relative != os.curdir and not any(part.startswith(".") for part in relative.split(os.sep))
