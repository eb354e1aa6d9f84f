"""The app's secret key: given in production, generated and kept on disk in development.

Several worker processes may start at once; each must end with the same key.
The key is written to a temporary file and hard-linked into place, which
either creates the complete file or fails because another process won, in
which case that process's key is read.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from .exceptions import ConfigError

FILE_NAME = ".vivace-secret"
MIN_LENGTH = 32


def development_key(folder: Path) -> str:
    """Read the key kept in ``folder``, creating it first if needed."""
    target = folder / FILE_NAME
    existing = _read(target)
    if existing:
        return existing
    key = secrets.token_urlsafe(48)
    temporary = folder / f"{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key)
        # Losing the race is fine: the winner's key is read below.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    kept = _read(target)
    if not kept:
        raise ConfigError(f"{target} is empty or unreadable; delete it to make a new development key")
    return kept


def _read(target: Path) -> str | None:
    try:
        return target.read_text("ascii").strip() or None
    except FileNotFoundError:
        return None


def resolve_secret_key(configured: str | None, debug: bool, folder: Path) -> str:
    """The key to sign with, or a ``ConfigError`` saying how to set one."""
    if configured is not None:
        if len(configured) < MIN_LENGTH:
            raise ConfigError(
                f"setting secret_key is {len(configured)} characters long; use at least {MIN_LENGTH} "
                'random characters, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return configured
    if debug:
        return development_key(folder)
    raise ConfigError(
        "no secret key: set VIVACE_SECRET_KEY (or App(secret_key=...)) to a random string of at least "
        f"{MIN_LENGTH} characters; with debug on, vivace keeps a development key in {FILE_NAME}"
    )
