"""vivace.db: models, a Django-style query API in sync and async, relations, transactions.

from vivace.db import Model, fields

class Note(Model):
    title = fields.String(max_length=200)
"""

from __future__ import annotations

from . import fields
from .battery import DataLayer
from .database import Database
from .exceptions import (
    DatabaseError,
    DatabaseUnavailable,
    FieldError,
    IntegrityError,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ProtectedError,
    SyncInAsyncError,
    ValidationError,
)
from .expressions import Avg, Count, F, Max, Min, Q, Sum
from .managers import Manager
from .models import Index, Model, UniqueConstraint
from .query import QuerySet
from .registry import Registry, default_registry
from .relations import CASCADE, PROTECT, RESTRICT, SET_NULL, ForeignKey, ManyToMany, OneToOne, fetch_related
from .routing import Router
from .transactions import atomic

__all__ = [
    "CASCADE",
    "PROTECT",
    "RESTRICT",
    "SET_NULL",
    "Avg",
    "Count",
    "DataLayer",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "F",
    "FieldError",
    "ForeignKey",
    "Index",
    "IntegrityError",
    "Manager",
    "ManyToMany",
    "Max",
    "Min",
    "Model",
    "MultipleObjectsReturned",
    "ObjectDoesNotExist",
    "OneToOne",
    "ProtectedError",
    "Q",
    "QuerySet",
    "Registry",
    "Router",
    "Sum",
    "SyncInAsyncError",
    "UniqueConstraint",
    "ValidationError",
    "atomic",
    "default_registry",
    "fetch_related",
    "fields",
]
