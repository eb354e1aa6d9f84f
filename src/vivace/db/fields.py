"""Model fields: a column type, Python conversion, validation and the database round trip.

Each field turns values three ways, all decided once per dialect rather than
per value: ``to_python`` coerces input (forms, JSON, code) and raises
``ValueError`` with a message; ``db_writer(dialect)`` and ``db_reader(dialect)``
return the converter between Python values and what the driver takes and
gives back, or ``None`` when the driver already does the right thing.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import msgspec
import sqlalchemy as sa

from ..core.exceptions import ConfigError

if TYPE_CHECKING:
    from .models import Model

Converter = Callable[[Any], Any]
Validator = Callable[[Any], None]


class NotProvided:
    def __repr__(self) -> str:
        return "NOT_PROVIDED"


NOT_PROVIDED: Any = NotProvided()


class Field:
    """Base of every field. Options are those of Django's fields."""

    python_type: ClassVar[type] = object
    # JSON-schema type of the field, for the API layer and the admin.
    schema: ClassVar[dict[str, Any]] = {}
    empty_values: ClassVar[tuple[Any, ...]] = (None, "", [], (), {})
    # Declaration order, so the columns follow the class body.
    counter: ClassVar[int] = 0

    def __init__(
        self,
        *,
        null: bool = False,
        blank: bool = False,
        default: Any = NOT_PROVIDED,
        unique: bool = False,
        index: bool = False,
        choices: Iterable[Any] | type[enum.Enum] | None = None,
        help_text: str = "",
        verbose_name: str | None = None,
        validators: Sequence[Validator] = (),
        primary_key: bool = False,
        db_column: str | None = None,
        editable: bool = True,
    ) -> None:
        self.null = null
        self.blank = blank
        self.default = default
        self.unique = unique or primary_key
        self.index = index
        self.choices = _normalize_choices(choices)
        self.help_text = help_text
        self._verbose_name = verbose_name
        self.validators = list(validators)
        self.primary_key = primary_key
        self.db_column = db_column
        self.editable = editable
        self.name = ""
        self.attname = ""
        self.column = ""
        self.model: type[Model] | None = None
        Field.counter += 1
        self.creation_counter = Field.counter

    # Binding to a model ----------------------------------------------------------

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        self.name = name
        self.attname = name
        self.column = self.db_column or name
        self.model = model

    @property
    def verbose_name(self) -> str:
        return self._verbose_name or self.name.replace("_", " ")

    @property
    def concrete(self) -> bool:
        """Whether the field is a column of its model's table."""
        return True

    @property
    def has_default(self) -> bool:
        return self.default is not NOT_PROVIDED

    def get_default(self) -> Any:
        default = self.default
        if default is NOT_PROVIDED:
            return None
        if callable(default):
            return default()
        # A list or dict given as the default is copied, so instances never share one.
        return copy.deepcopy(default) if isinstance(default, (list, dict, set)) else default

    # Column ------------------------------------------------------------------

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define sa_type()")

    def sa_column(self) -> sa.Column[Any]:
        return sa.Column(
            self.column,
            self.sa_type(),
            primary_key=self.primary_key,
            nullable=self.null and not self.primary_key,
            unique=(self.unique and not self.primary_key) or None,
            index=(self.index and not self.unique) or None,
        )

    # Values ------------------------------------------------------------------

    def to_python(self, value: Any) -> Any:
        """Coerce ``value`` to this field's type; ``ValueError`` says what is wrong."""
        return value

    def db_writer(self, dialect: str) -> Converter | None:
        return None

    def db_reader(self, dialect: str) -> Converter | None:
        return None

    def pre_save(self, instance: Model, adding: bool) -> Any:
        return getattr(instance, self.attname)

    def clean(self, value: Any) -> tuple[Any, list[str]]:
        """The coerced value and the messages of every rule it breaks."""
        if value is None or (value in self.empty_values and not isinstance(value, bool)):
            if value is None and not self.null and not self.primary_key:
                return value, ["This field cannot be null."]
            if value is not None and not self.blank:
                return value, ["This field cannot be blank."]
            return value, []
        try:
            value = self.to_python(value)
        except (ValueError, TypeError, ArithmeticError) as exc:
            return value, [str(exc) or f"Enter a valid {self.python_type.__name__}."]
        errors = self.check(value)
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(repr(c) for c in list(self.choices)[:20])
            errors.append(f"Value {value!r} is not a valid choice; choose one of {allowed}.")
        for validator in self.validators:
            try:
                validator(value)
            except ValueError as exc:
                errors.append(str(exc))
        return value, errors

    def check(self, value: Any) -> list[str]:
        """Type-specific rules on an already coerced value."""
        return []

    def __repr__(self) -> str:
        owner = f"{self.model.__name__}." if self.model is not None else ""
        return f"<{type(self).__name__} {owner}{self.name}>"


def _normalize_choices(choices: Iterable[Any] | type[enum.Enum] | None) -> dict[Any, str] | None:
    """Choices as {value: label}; accepts an Enum, (value, label) pairs, or plain values."""
    if choices is None:
        return None
    if isinstance(choices, type) and issubclass(choices, enum.Enum):
        return {member.value: member.name.replace("_", " ").title() for member in choices}
    result: dict[Any, str] = {}
    for item in choices:
        if isinstance(item, tuple) and len(item) == 2:
            result[item[0]] = str(item[1])
        else:
            result[item] = str(item)
    return result


# Numbers ---------------------------------------------------------------------


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Integer(Field):
    python_type = int
    schema = {"type": "integer"}
    MIN, MAX = -(2**31), 2**31 - 1

    def __init__(self, *, min_value: int | None = None, max_value: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.min_value = min_value
        self.max_value = max_value

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Integer()

    def to_python(self, value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("Enter a whole number, not a boolean.")
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) <= 30
        ):
            number = int(value)
        else:
            raise ValueError("Enter a whole number.")
        # No database binds a wider integer: refused here, in a filter as in a save, rather than
        # as an overflow inside the driver. The column's own range is check()'s (on save).
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValueError(f"Ensure this value is between {INT64_MIN} and {INT64_MAX} (a 64-bit integer).")
        return number

    def check(self, value: int) -> list[str]:
        errors = []
        if not self.MIN <= value <= self.MAX:
            errors.append(f"Ensure this value is between {self.MIN} and {self.MAX}.")
        if self.min_value is not None and value < self.min_value:
            errors.append(f"Ensure this value is greater than or equal to {self.min_value}.")
        if self.max_value is not None and value > self.max_value:
            errors.append(f"Ensure this value is less than or equal to {self.max_value}.")
        return errors


class BigInteger(Integer):
    MIN, MAX = -(2**63), 2**63 - 1

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        # SQLite only auto-increments an INTEGER PRIMARY KEY.
        return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class SmallInteger(Integer):
    MIN, MAX = -(2**15), 2**15 - 1

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.SmallInteger()


class AutoField(BigInteger):
    """The automatic ``id`` primary key."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("primary_key", True)
        options.setdefault("editable", False)
        options.setdefault("blank", True)
        super().__init__(**options)

    def sa_column(self) -> sa.Column[Any]:
        return sa.Column(self.column, self.sa_type(), primary_key=True, autoincrement=True)


class Float(Field):
    python_type = float
    schema = {"type": "number"}

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Float()

    def to_python(self, value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError("Enter a number, not a boolean.")
        try:
            result = float(value)
        except (TypeError, ValueError):
            raise ValueError("Enter a number.") from None
        if result != result or result in (float("inf"), float("-inf")):
            raise ValueError("Enter a finite number.")
        return result


class Decimal(Field):
    python_type = decimal.Decimal
    schema = {"type": "string", "format": "decimal"}

    def __init__(self, *, max_digits: int, decimal_places: int, **options: Any) -> None:
        if max_digits < 1 or decimal_places < 0 or decimal_places > max_digits:
            raise ConfigError(
                f"Decimal(max_digits={max_digits}, decimal_places={decimal_places}): need "
                "max_digits >= 1 and 0 <= decimal_places <= max_digits"
            )
        super().__init__(**options)
        self.max_digits = max_digits
        self.decimal_places = decimal_places
        self._quantum = decimal.Decimal(1).scaleb(-decimal_places)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Numeric(self.max_digits, self.decimal_places, asdecimal=True)

    def to_python(self, value: Any) -> decimal.Decimal:
        if isinstance(value, bool):
            raise ValueError("Enter a number, not a boolean.")
        if isinstance(value, float):
            value = repr(value)
        try:
            result = decimal.Decimal(value)
        except (decimal.InvalidOperation, TypeError, ValueError):
            raise ValueError("Enter a number.") from None
        if not result.is_finite():
            raise ValueError("Enter a finite number.")
        return result

    def check(self, value: decimal.Decimal) -> list[str]:
        _, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)
        decimals = max(0, -exponent)
        whole = len(digits) + exponent
        errors = []
        if decimals > self.decimal_places:
            errors.append(f"Ensure there are no more than {self.decimal_places} decimal places.")
        if max(whole, 0) > self.max_digits - self.decimal_places:
            errors.append(
                f"Ensure there are no more than {self.max_digits - self.decimal_places} digits "
                "before the decimal point."
            )
        return errors

    def db_writer(self, dialect: str) -> Converter | None:
        return str if dialect == "sqlite" else None

    def db_reader(self, dialect: str) -> Converter | None:
        quantum = self._quantum

        def read(value: Any) -> decimal.Decimal | None:
            if value is None:
                return None
            return decimal.Decimal(str(value)).quantize(quantum)

        return read


class Boolean(Field):
    python_type = bool
    schema = {"type": "boolean"}
    empty_values = (None,)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Boolean()

    def to_python(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (1, 0):
            return bool(value)
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1", "on", "yes"):
                return True
            if lowered in ("false", "0", "off", "no"):
                return False
        raise ValueError("Enter true or false.")

    def db_reader(self, dialect: str) -> Converter | None:
        return _optional(bool) if dialect == "sqlite" else None


# Text --------------------------------------------------------------------------


class String(Field):
    python_type = str

    def __init__(
        self, max_length: int | None = None, *, min_length: int | None = None, **options: Any
    ) -> None:
        if max_length is None or max_length < 1:
            raise ConfigError(f"{type(self).__name__} needs max_length >= 1 (got {max_length!r})")
        super().__init__(**options)
        self.max_length = max_length
        self.min_length = min_length

    @property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        return {"type": "string", "maxLength": self.max_length}

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.String(self.max_length)

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float, decimal.Decimal, uuid.UUID)) and not isinstance(value, bool):
            return str(value)
        raise ValueError("Enter text.")

    def check(self, value: str) -> list[str]:
        errors = []
        if len(value) > self.max_length:
            errors.append(
                f"Ensure this value has at most {self.max_length} characters (it has {len(value)})."
            )
        if self.min_length is not None and len(value) < self.min_length:
            errors.append(f"Ensure this value has at least {self.min_length} characters.")
        if "\x00" in value:
            errors.append("Null characters are not allowed.")
        return errors


class Text(Field):
    python_type = str
    schema = {"type": "string"}

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Text()

    def to_python(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        raise ValueError("Enter text.")

    def check(self, value: str) -> list[str]:
        return ["Null characters are not allowed."] if "\x00" in value else []


_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-.")
_DOMAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")


def validate_email(value: str) -> None:
    """A linear-time check of an address's shape (no regex, so no ReDoS)."""
    if len(value) > 254:
        raise ValueError("Enter a valid email address (at most 254 characters).")
    local, at, domain = value.rpartition("@")
    domain = domain.lower()
    if (
        not at
        or not local
        or len(local) > 64
        or not _EMAIL_LOCAL.issuperset(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or "." not in domain
        or not _DOMAIN.issuperset(domain)
        or any(not part or part.startswith("-") or part.endswith("-") for part in domain.split("."))
    ):
        raise ValueError("Enter a valid email address.")


class Email(String):
    def __init__(self, max_length: int = 254, **options: Any) -> None:
        super().__init__(max_length, **options)
        self.validators.insert(0, validate_email)

    @property
    def schema(self) -> dict[str, Any]:  # type: ignore[override]
        return {"type": "string", "format": "email", "maxLength": self.max_length}


_SLUG = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def validate_slug(value: str) -> None:
    if not value or not _SLUG.issuperset(value):
        raise ValueError("Enter a valid slug: letters, numbers, underscores or hyphens.")


class Slug(String):
    def __init__(self, max_length: int = 50, **options: Any) -> None:
        options.setdefault("index", True)
        super().__init__(max_length, **options)
        self.validators.insert(0, validate_slug)


# Dates and times ---------------------------------------------------------------


class Date(Field):
    python_type = dt.date
    schema = {"type": "string", "format": "date"}

    def __init__(self, *, auto_now: bool = False, auto_now_add: bool = False, **options: Any) -> None:
        if auto_now or auto_now_add:
            options.setdefault("editable", False)
            options.setdefault("blank", True)
        super().__init__(**options)
        self.auto_now = auto_now
        self.auto_now_add = auto_now_add

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Date()

    def now(self) -> Any:
        return dt.datetime.now(dt.UTC).date()

    def pre_save(self, instance: Model, adding: bool) -> Any:
        if self.auto_now or (self.auto_now_add and adding):
            value = self.now()
            setattr(instance, self.attname, value)
            return value
        return super().pre_save(instance, adding)

    def to_python(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and len(value) <= 40:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError("Enter a valid date (YYYY-MM-DD).")

    def db_writer(self, dialect: str) -> Converter | None:
        return _optional(dt.date.isoformat) if dialect == "sqlite" else None

    def db_reader(self, dialect: str) -> Converter | None:
        return _optional(dt.date.fromisoformat) if dialect == "sqlite" else None


class DateTime(Date):
    """A timezone-aware moment, stored in UTC; naive values are taken as UTC."""

    python_type = dt.datetime
    schema = {"type": "string", "format": "date-time"}

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.DateTime(timezone=True)

    def now(self) -> Any:
        return dt.datetime.now(dt.UTC)

    def to_python(self, value: Any) -> dt.datetime:
        if isinstance(value, str) and len(value) <= 40:
            try:
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("Enter a valid date and time (ISO 8601).") from None
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=dt.UTC)
            return value.astimezone(dt.UTC)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        raise ValueError("Enter a valid date and time (ISO 8601).")

    def db_writer(self, dialect: str) -> Converter | None:
        if dialect != "sqlite":
            return _optional(_aware)
        return _optional(_utc_text)

    def db_reader(self, dialect: str) -> Converter | None:
        if dialect != "sqlite":
            return _optional(lambda value: value.astimezone(dt.UTC))
        return _optional(_from_utc_text)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _utc_text(value: dt.datetime) -> str:
    # One fixed shape, so that text order is time order on SQLite.
    return _aware(value).astimezone(dt.UTC).isoformat(sep=" ", timespec="microseconds")


def _from_utc_text(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed


class Time(Field):
    python_type = dt.time
    schema = {"type": "string", "format": "time"}

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Time()

    def to_python(self, value: Any) -> dt.time:
        if isinstance(value, dt.time):
            return value
        if isinstance(value, str) and len(value) <= 30:
            try:
                return dt.time.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError("Enter a valid time (HH:MM[:SS]).")

    def db_writer(self, dialect: str) -> Converter | None:
        return _optional(dt.time.isoformat) if dialect == "sqlite" else None

    def db_reader(self, dialect: str) -> Converter | None:
        return _optional(dt.time.fromisoformat) if dialect == "sqlite" else None


# Other types ---------------------------------------------------------------------


class UUID(Field):
    python_type = uuid.UUID
    schema = {"type": "string", "format": "uuid"}

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.Uuid()

    def to_python(self, value: Any) -> uuid.UUID:
        if isinstance(value, uuid.UUID):
            return value
        if isinstance(value, str) and len(value) <= 40:
            try:
                return uuid.UUID(value)
            except ValueError:
                pass
        raise ValueError("Enter a valid UUID.")

    def db_writer(self, dialect: str) -> Converter | None:
        return _optional(lambda value: value.hex) if dialect == "sqlite" else None

    def db_reader(self, dialect: str) -> Converter | None:
        if dialect == "sqlite":
            return _optional(uuid.UUID)
        return None


_json_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder()


class JSON(Field):
    python_type = object
    schema = {}
    empty_values = (None,)

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        from sqlalchemy.dialects.postgresql import JSONB

        # On SQLite a column typed JSON has numeric affinity, which would turn the text "0" into 0.
        return sa.JSON().with_variant(JSONB(), "postgresql").with_variant(sa.Text(), "sqlite")

    def to_python(self, value: Any) -> Any:
        try:
            _json_encoder.encode(value)
        except (TypeError, msgspec.EncodeError) as exc:
            raise ValueError(f"Value is not JSON serializable: {exc}") from None
        return value

    def db_writer(self, dialect: str) -> Converter | None:
        return _optional(lambda value: _json_encoder.encode(value).decode())

    def db_reader(self, dialect: str) -> Converter | None:
        if dialect == "sqlite":
            return _optional(_json_decoder.decode)
        return None


class Binary(Field):
    python_type = bytes
    schema = {"type": "string", "format": "binary"}

    def __init__(self, *, max_length: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.max_length = max_length

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        return sa.LargeBinary(self.max_length)

    def to_python(self, value: Any) -> bytes:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise ValueError("Enter binary data.")

    def check(self, value: bytes) -> list[str]:
        if self.max_length is not None and len(value) > self.max_length:
            return [f"Ensure this value has at most {self.max_length} bytes."]
        return []

    def db_reader(self, dialect: str) -> Converter | None:
        return _optional(bytes)


def _optional(convert: Converter) -> Converter:
    def convert_or_none(value: Any) -> Any:
        return None if value is None else convert(value)

    return convert_or_none


_RELATIONS = ("ForeignKey", "OneToOne", "ManyToMany")


def __getattr__(name: str) -> Any:
    # fields.ForeignKey and friends live in relations.py, which builds on this module.
    if name in _RELATIONS:
        from . import relations

        return getattr(relations, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
