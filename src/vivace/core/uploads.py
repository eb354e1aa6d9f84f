"""Uploaded files: a spooled temporary file and the part's sanitized metadata.

The client's filename is shown to the app cleaned of any directory, drive
letter or control character (``filename``), with the name as sent kept in
``raw_filename``. Neither is ever used as a path: ``save_to`` stores the file
under a generated name.
"""

from __future__ import annotations

import os
import secrets
import shutil
import unicodedata
from io import BytesIO
from pathlib import Path
from tempfile import SpooledTemporaryFile

from .concurrency import run_in_threadpool
from .datastructures import Headers

__all__ = ["UploadFile", "sanitize_filename"]

MiB = 1024 * 1024

#: Longest filename kept, in characters (most filesystems allow 255 bytes).
MAX_FILENAME_LENGTH = 255

# Control characters, format characters (bidi overrides that disguise an
# extension, zero-width joiners) and lone surrogates.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})


def sanitize_filename(filename: str) -> str:
    """The last path component of ``filename``, safe to show; ``""`` if none is left.

    Directories (``/`` or ``\\``), a drive letter, control and format
    characters and surrounding spaces are removed; ``.`` and ``..`` become
    ``""``. The result is for display and for picking an extension, never a
    path: reserved device names such as ``CON.txt`` are kept as they are.
    """
    name = unicodedata.normalize("NFC", filename)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = name.replace("\\", "/").rpartition("/")[2]
    if len(name) >= 2 and name[1] == ":" and name[0].isascii() and name[0].isalpha():
        name = name[2:]
    name = name.strip()
    if name in {".", ".."}:
        return ""
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 16:
            name = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


class UploadFile:
    """A file sent in a multipart form.

    The bytes live in ``file``, a ``SpooledTemporaryFile`` that stays in
    memory up to ``spool_size`` bytes and moves to a temporary file on disk
    past it. The ``async`` methods run disk I/O in the thread pool; sync code
    may use ``file`` directly. ``size`` counts the bytes received.
    """

    __slots__ = (
        "_spool_size",
        "content_type",
        "file",
        "filename",
        "headers",
        "raw_filename",
        "size",
    )

    def __init__(
        self,
        filename: str = "",
        *,
        content_type: str = "application/octet-stream",
        headers: Headers | None = None,
        spool_size: int = 1 * MiB,
    ) -> None:
        self.raw_filename = filename
        self.filename = sanitize_filename(filename)
        self.content_type = content_type
        self.headers = headers if headers is not None else Headers()
        self.size = 0
        self._spool_size = spool_size
        self.file: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=spool_size)  # noqa: SIM115

    @property
    def in_memory(self) -> bool:
        """Whether the bytes are still held in memory rather than on disk."""
        return isinstance(self.file._file, BytesIO)

    async def write(self, data: bytes) -> None:
        """Append ``data`` at the current position, moving to disk past ``spool_size``."""
        if self.in_memory and self.file.tell() + len(data) <= self._spool_size:
            self.file.write(data)
        else:
            await run_in_threadpool(self.file.write, data)
        self.size += len(data)

    async def read(self, size: int = -1) -> bytes:
        if self.in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if self.in_memory:
            return self.file.seek(offset, whence)
        return await run_in_threadpool(self.file.seek, offset, whence)

    async def close(self) -> None:
        if self.in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    async def save_to(self, directory: str | os.PathLike[str]) -> Path:
        """Copy the whole file into ``directory`` under a new random name; return its path.

        The directory is created if missing. The name is 32 hex digits with no
        extension: nothing the client sent ends up in the path, and an
        uploaded ``.html`` cannot be served as a page by a static file server.
        Keep ``filename`` in your database to show it or to send it back in
        ``Content-Disposition``. An existing file is never overwritten.
        """
        return await run_in_threadpool(self._save_to, Path(directory))

    def _save_to(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / secrets.token_hex(16)
        position = self.file.tell()
        try:
            self.file.seek(0)
            with open(target, "xb") as out:
                shutil.copyfileobj(self.file, out)
        finally:
            self.file.seek(position)
        return target

    def __repr__(self) -> str:
        return f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size})"
