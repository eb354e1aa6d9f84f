"""``Model``: a class whose fields become a table, and whose instances are rows.

The metaclass reads the class body once: fields in declaration order, an
automatic ``id`` when no field is the primary key, ``Meta`` options, and the
model's label (``Meta.label``, else its module's name: ``blog.models`` →
``blog``). Everything it learns lives in ``Model._meta`` for the query layer,
migrations, the admin and the API to read.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from ..core.exceptions import ConfigError
from .exceptions import MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from .fields import AutoField, Field
from .registry import Registry, default_registry

if TYPE_CHECKING:
    from .managers import Manager


class Options:
    """What the metaclass learned about a model: ``Model._meta``."""

    def __init__(self, model: type[Model], meta: Any, registry: Registry) -> None:
        self.model = model
        self.registry = registry
        self.abstract: bool = getattr(meta, "abstract", False)
        self.object_name = model.__name__
        self.model_name = model.__name__.lower()
        self.label_prefix: str = getattr(meta, "label", None) or _label_from_module(model.__module__)
        self.label = f"{self.label_prefix}.{self.object_name}"
        self.label_lower = self.label.lower()
        self.table_name: str = getattr(meta, "table_name", None) or f"{self.label_prefix}_{self.model_name}"
        self.ordering: tuple[str, ...] = tuple(getattr(meta, "ordering", ()))
        self.indexes: list[Any] = list(getattr(meta, "indexes", []))
        self.unique_together: list[tuple[str, ...]] = [
            tuple(group) for group in getattr(meta, "unique_together", [])
        ]
        self.constraints: list[Any] = list(getattr(meta, "constraints", []))
        self.verbose_name: str = getattr(meta, "verbose_name", None) or _words(model.__name__)
        self.verbose_name_plural: str = getattr(meta, "verbose_name_plural", None) or self.verbose_name + "s"
        # The database this model's rows live in when no router says otherwise (routing.py).
        self.database: str | None = getattr(meta, "database", None)
        if self.database is not None and (not isinstance(self.database, str) or not self.database):
            raise ConfigError(f"{self.label}: Meta.database must be a database name, not {self.database!r}")
        self.fields: list[Field] = []
        self._concrete_fields: list[Field] | None = None
        self.pk: Field | None = None
        self.table: sa.Table | None = None
        # Filled by relations: reverse accessors, many-to-many fields.
        self.related_objects: list[Any] = []
        self.many_to_many: list[Any] = []
        # Query paths already resolved (compiler.resolve); emptied when relations are added.
        self.path_cache: dict[Hashable, Any] = {}

    def add_field(self, field: Field) -> None:
        self.fields.append(field)
        self._concrete_fields = None
        if field.primary_key:
            if self.pk is not None:
                raise ConfigError(f"{self.label} has two primary keys: {self.pk.name} and {field.name}")
            self.pk = field

    @property
    def concrete_fields(self) -> list[Field]:
        # Read for every instance made, validated or saved: computed once (add_field resets it).
        concrete = self._concrete_fields
        if concrete is None:
            concrete = self._concrete_fields = [f for f in self.fields if f.concrete]
        return concrete

    def get_field(self, name: str, *, context: str | None = None) -> Field:
        """The field called ``name`` (or its column attribute, ``author_id``).

        An unknown name raises ``FieldError`` naming it and listing the fields;
        ``context`` (the user's whole path, ``author__nmae``) is quoted too.
        """
        for field in self.fields:
            if field.name == name or field.attname == name:
                return field
        for field in self.many_to_many:
            if field.name == name:
                return field  # type: ignore[no-any-return]
        from .exceptions import FieldError

        where = f" (in {context!r})" if context and context != name else ""
        raise FieldError(
            f"{self.object_name} has no field {name!r}{where}; its fields are: {', '.join(self.field_names)}"
        )

    def add_related(self, relation: Any) -> None:
        """A reverse relation from another model (``author.posts``)."""
        self.related_objects.append(relation)
        self.path_cache.clear()

    @property
    def field_names(self) -> list[str]:
        names = [f.name for f in self.fields]
        names += [f.name for f in self.many_to_many]
        names += [r.accessor_name for r in self.related_objects]
        return names

    def __repr__(self) -> str:
        return f"<Options for {self.label}>"


def _label_from_module(module: str) -> str:
    parts = module.split(".")
    if parts[-1] in ("models", "model") and len(parts) > 1:
        return parts[-2]
    if parts[-1] == "__main__":
        import sys
        from pathlib import Path

        main = getattr(sys.modules.get("__main__"), "__file__", None)
        return Path(main).stem if main else "app"
    return parts[-1]


def _words(name: str) -> str:
    out = ""
    for index, char in enumerate(name):
        if char.isupper() and index and not name[index - 1].isupper():
            out += " "
        out += char.lower()
    return out


class Index:
    """``Meta.indexes = [Index("author", "-created")]``: an index on fields ("-" for descending)."""

    def __init__(self, *fields: str, name: str | None = None, unique: bool = False) -> None:
        if not fields:
            raise ConfigError("Index() needs at least one field name")
        self.fields = fields
        self.name = name
        self.unique = unique

    def _columns(self, opts: Options, table: sa.Table) -> tuple[list[Any], list[str]]:
        columns, names = [], []
        for spec in self.fields:
            descending = spec.startswith("-")
            field = opts.get_field(spec.lstrip("-"))
            if not field.concrete:
                raise ConfigError(f"{opts.label}: an index takes columns, and {field.name} is not one")
            column = table.c[field.column]
            columns.append(column.desc() if descending else column)
            names.append(field.column)
        return columns, names

    def attach(self, opts: Options, table: sa.Table) -> None:
        columns, names = self._columns(opts, table)
        prefix = "uq" if self.unique else "ix"
        sa.Index(self.name or f"{prefix}_{table.name}_{'_'.join(names)}", *columns, unique=self.unique)


class UniqueConstraint(Index):
    """``Meta.constraints = [UniqueConstraint("post", "slug")]``: no two rows share these values."""

    def __init__(self, *fields: str, name: str | None = None) -> None:
        super().__init__(*fields, name=name, unique=True)

    def attach(self, opts: Options, table: sa.Table) -> None:
        columns, names = self._columns(opts, table)
        name = self.name or f"uq_{table.name}_{'_'.join(names)}"
        table.append_constraint(sa.UniqueConstraint(*columns, name=name))


class ModelState:
    """Per-instance bookkeeping: whether the row exists yet, and which database holds it."""

    __slots__ = ("adding", "cache", "db")

    def __init__(self, adding: bool = True, db: str | None = None) -> None:
        self.adding = adding
        self.db = db
        # Related objects already loaded (select_related, prefetch_related, lazy loads).
        self.cache: dict[str, Any] = {}


class ModelBase(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any) -> Any:
        parents = [b for b in bases if isinstance(b, ModelBase)]
        if not parents:
            return super().__new__(mcs, name, bases, namespace, **kwargs)
        meta = namespace.pop("Meta", None)
        declared = {key: value for key, value in namespace.items() if isinstance(value, Field)}
        for key in declared:
            del namespace[key]
        cls: Any = super().__new__(mcs, name, bases, namespace, **kwargs)
        registry = getattr(meta, "registry", None) or _inherited_registry(parents)
        opts = Options(cls, meta, registry)
        cls._meta = opts
        # Fields of abstract parents are copied, so each concrete model owns its fields.
        inherited: dict[str, Field] = {}
        for parent in reversed(cls.__mro__[1:]):
            parent_meta = getattr(parent, "_meta", None)
            if isinstance(parent_meta, Options) and parent_meta.abstract:
                for field in parent._abstract_fields:
                    inherited[field.name] = field
        fields = {**{k: _copy_field(f) for k, f in inherited.items()}, **declared}
        cls._abstract_fields = [
            _named(f, k) for k, f in sorted(fields.items(), key=lambda item: item[1].creation_counter)
        ]
        if opts.abstract:
            return cls
        if not any(f.primary_key for f in fields.values()):
            cls.id = AutoField()
            fields = {"id": cls.id, **fields}
            del cls.id
        for key, field in sorted(
            fields.items(), key=lambda item: (not item[1].primary_key, item[1].creation_counter)
        ):
            _contribute(field, cls, key)
        cls.DoesNotExist = type(
            "DoesNotExist",
            (ObjectDoesNotExist,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.DoesNotExist"},
        )
        cls.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            (MultipleObjectsReturned,),
            {"__module__": cls.__module__, "__qualname__": f"{name}.MultipleObjectsReturned"},
        )
        _check_unique(opts)
        opts.table = _build_table(opts)
        registry.register(cls)
        for field in [*opts.fields, *opts.many_to_many]:
            ready = getattr(field, "on_model_ready", None)
            if ready is not None:
                ready()
        from .managers import Manager

        if "objects" not in namespace:
            cls.objects = Manager()
        cls.objects.contribute_to_class(cls, "objects")
        return cls


def _inherited_registry(parents: Sequence[type]) -> Registry:
    for parent in parents:
        opts = getattr(parent, "_meta", None)
        if isinstance(opts, Options) and not opts.abstract:
            raise ConfigError(
                f"{parent.__name__} is a concrete model; inherit only from abstract models "
                "(Meta: abstract = True)"
            )
    for parent in parents:
        opts = getattr(parent, "_meta", None)
        if isinstance(opts, Options):
            return opts.registry
    return default_registry


def _copy_field(field: Field) -> Field:
    import copy

    return copy.copy(field)


def _named(field: Field, name: str) -> Field:
    field.name = field.name or name
    return field


def _contribute(field: Field, cls: type[Model], name: str) -> None:
    contribute = field.contribute_to_class
    contribute(cls, name)
    if field.concrete:
        cls._meta.add_field(field)


def _check_unique(opts: Options) -> None:
    """A second model with the same label or table is a mistake: say so before SQLAlchemy does."""
    registry = opts.registry
    if opts.label_lower in registry.models:
        raise ConfigError(
            f"model {opts.label} is declared twice in registry {registry.name!r}; "
            "give one a Meta.label or declare it once"
        )
    if opts.table_name in registry.metadata.tables:
        owner = next(
            (m._meta.label for m in registry if m._meta.table_name == opts.table_name), "another model"
        )
        raise ConfigError(
            f"{opts.label}: table {opts.table_name!r} is already the table of {owner}; "
            "give one a Meta.table_name"
        )


def _build_table(opts: Options) -> sa.Table:
    columns = [field.sa_column() for field in opts.concrete_fields]
    table = sa.Table(opts.table_name, opts.registry.metadata, *columns)
    try:
        for group in opts.unique_together:
            names = [opts.get_field(name).column for name in group]
            name = f"uq_{opts.table_name}_{'_'.join(names)}"
            table.append_constraint(sa.UniqueConstraint(*names, name=name))
        for index in opts.indexes:
            index.attach(opts, table)
        for constraint in opts.constraints:
            constraint.attach(opts, table)
    except BaseException:
        # A model that failed to declare leaves no table behind for create_all() or migrations.
        opts.registry.metadata.remove(table)
        raise
    return table


class Model(metaclass=ModelBase):
    """Base class of models. Instances are rows; ``Model.objects`` queries the table."""

    _meta: ClassVar[Options]
    objects: ClassVar[Manager[Any]]
    DoesNotExist: ClassVar[type[ObjectDoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]]

    def __init__(self, **values: Any) -> None:
        opts = self._meta
        self._state = ModelState()
        for field in opts.concrete_fields:
            if field.name in values:
                setattr(self, field.name, values.pop(field.name))
            elif field.attname in values:
                setattr(self, field.attname, values.pop(field.attname))
            else:
                setattr(self, field.attname, field.get_default())
        for name in list(values):
            if isinstance(getattr(type(self), name, None), property):
                setattr(self, name, values.pop(name))
        if values:
            unknown = ", ".join(sorted(values))
            raise TypeError(
                f"{type(self).__name__}() got unknown field(s) {unknown}; "
                f"its fields are: {', '.join(f.name for f in opts.concrete_fields)}"
            )

    @classmethod
    def from_row(cls, attnames: Iterable[str], values: Iterable[Any], db: str | None = None) -> Any:
        """An instance straight from a database row, without validation or defaults."""
        instance = cls.__new__(cls)
        instance.__dict__ = dict(zip(attnames, values, strict=False))
        instance._state = ModelState(False, db)
        return instance

    @property
    def pk(self) -> Any:
        pk = self._meta.pk
        assert pk is not None
        return getattr(self, pk.attname)

    @pk.setter
    def pk(self, value: Any) -> None:
        pk = self._meta.pk
        assert pk is not None
        setattr(self, pk.attname, value)

    # Validation ----------------------------------------------------------------

    def clean_fields(self, exclude: Iterable[str] = ()) -> None:
        """Coerce and check every field; one ``ValidationError`` lists every problem."""
        errors: dict[str, list[str]] = {}
        skip = set(exclude)
        for field in self._meta.concrete_fields:
            if field.name in skip or (field.primary_key and getattr(self, field.attname) is None):
                continue
            automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            if automatic and getattr(self, field.attname) is None:
                continue
            value, messages = field.clean(getattr(self, field.attname))
            if messages:
                errors[field.name] = messages
            else:
                setattr(self, field.attname, value)
        if errors:
            raise ValidationError(errors)

    def clean(self) -> None:
        """Checks across fields; override and raise ``ValidationError``."""

    def full_clean(self, exclude: Iterable[str] = ()) -> None:
        self.clean_fields(exclude)
        self.clean()

    # Persistence (implemented by the query layer) ----------------------------

    def save(
        self, *, validate: bool = True, update_fields: Iterable[str] | None = None, using: str | None = None
    ) -> None:
        """Insert or update this row, after ``full_clean()``.

        ``using`` names the database; by default the router's, else the one the row was read from.
        """
        from .persistence import save

        save(self, validate=validate, update_fields=update_fields, using=using)

    async def asave(
        self, *, validate: bool = True, update_fields: Iterable[str] | None = None, using: str | None = None
    ) -> None:
        from .persistence import asave

        await asave(self, validate=validate, update_fields=update_fields, using=using)

    def delete(self, *, using: str | None = None) -> int:
        from .persistence import delete

        return delete(self, using)

    async def adelete(self, *, using: str | None = None) -> int:
        from .persistence import adelete

        return await adelete(self, using)

    def refresh_from_db(self) -> None:
        fresh = type(self).objects._hinted(self._state.db).get(pk=self.pk)
        self.__dict__.update({f.attname: getattr(fresh, f.attname) for f in self._meta.concrete_fields})
        self._state.cache.clear()

    async def arefresh_from_db(self) -> None:
        fresh = await type(self).objects._hinted(self._state.db).aget(pk=self.pk)
        self.__dict__.update({f.attname: getattr(fresh, f.attname) for f in self._meta.concrete_fields})
        self._state.cache.clear()

    # Identity ----------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or other._meta.label != self._meta.label:
            return NotImplemented
        return self.pk is not None and self.pk == other.pk

    def __hash__(self) -> int:
        if self.pk is None:
            raise TypeError("a model instance without a primary key is unhashable")
        return hash((self._meta.label, self.pk))

    def __str__(self) -> str:
        return f"{type(self).__name__} object ({self.pk})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"
