"""Errors of the migrations.

DatabaseError
 └── MigrationError     a history that cannot be written, read or applied; the message says why
"""

from __future__ import annotations

from ..exceptions import DatabaseError

__all__ = ["MigrationError"]


class MigrationError(DatabaseError):
    """A revision that cannot be written, read or applied, with the reason and the way out."""
