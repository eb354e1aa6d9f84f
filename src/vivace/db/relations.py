"""Relations: ``ForeignKey``, ``OneToOne``, ``ManyToMany``, their accessors and managers.

``post.author`` loads the author on first use (sync code only: in async code
use ``select_related`` or ``await post.fetch_related("author")``);
``author.posts`` and ``post.tags`` are managers over the related rows, with
``add``/``remove``/``set``/``clear`` for many-to-many. ``on_delete`` becomes the
foreign key's ``ON DELETE`` clause, so the database itself keeps related rows
consistent, inside the same statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..core.exceptions import ConfigError
from .exceptions import FieldError
from .fields import Field
from .lookups import MAX_IN_VALUES
from .managers import Manager
from .query import QuerySet
from .routing import check_relation
from .runner import Operation, run_async, run_sync

if TYPE_CHECKING:
    from .database import Database
    from .models import Model

CASCADE = "CASCADE"
PROTECT = "PROTECT"
SET_NULL = "SET NULL"
RESTRICT = "RESTRICT"
ON_DELETE = (CASCADE, PROTECT, SET_NULL, RESTRICT)


def _when_ready(
    model: type[Model], target: str | type[Model], callback: Callable[[type[Model]], None]
) -> None:
    """Call ``callback(related_model)`` now, or once the model named ``target`` is declared."""
    from .models import ModelBase

    if isinstance(target, ModelBase):
        callback(target)
        return
    if not isinstance(target, str):
        raise ConfigError(f"{model.__name__}: a relation points at a model class or its name, not {target!r}")
    if target == "self":
        callback(model)
        return
    label = target if "." in target else f"{model._meta.label_prefix}.{target}"
    registry = model._meta.registry
    found = registry.models.get(label.lower())
    if found is not None:
        callback(found)
    else:
        registry.pending.setdefault(label.lower(), []).append(callback)


class ForeignKey(Field):
    """A many-to-one link: a ``<name>_id`` column referring to the related primary key."""

    is_relation = True
    many_to_many = False
    one_to_one = False

    def __init__(
        self, to: str | type[Model], *, on_delete: str, related_name: str | None = None, **options: Any
    ) -> None:
        if on_delete not in ON_DELETE:
            raise ConfigError(
                f"ForeignKey(on_delete={on_delete!r}): use vivace.db.CASCADE, PROTECT, SET_NULL or RESTRICT"
            )
        if on_delete == SET_NULL and not options.get("null"):
            raise ConfigError("ForeignKey(on_delete=SET_NULL) needs null=True")
        options.setdefault("index", True)
        super().__init__(**options)
        self.to = to
        self.on_delete = on_delete
        self.related_name = related_name
        self._related_model: type[Model] | None = None
        self._column: sa.Column[Any] | None = None

    @property
    def related_model(self) -> type[Model]:
        if self._related_model is None:
            owner = self.model.__name__ if self.model else "?"
            raise ConfigError(f"{owner}.{self.name} points at {self.to!r}, which is not declared")
        return self._related_model

    @property
    def target_field(self) -> Field:
        pk = self.related_model._meta.pk
        assert pk is not None
        return pk

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.target_field.python_type

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        self.attname = f"{name}_id"
        self.column = self.db_column or self.attname
        setattr(model, name, ForwardDescriptor(self))

    def on_model_ready(self) -> None:
        """Called once the model's table exists: link to the related model now or when it appears."""
        assert self.model is not None
        _when_ready(self.model, self.to, self._resolve)

    def _resolve(self, related: type[Model]) -> None:
        self._related_model = related
        column = self._column
        assert column is not None
        column.type = self.target_field.sa_type()
        table = column.table
        target = related._meta.table
        assert target is not None
        ondelete = RESTRICT if self.on_delete == PROTECT else self.on_delete
        table.append_constraint(
            sa.ForeignKeyConstraint(
                [column],
                [target.c[self.target_field.column]],
                ondelete=ondelete,
                name=f"fk_{table.name}_{self.column}",
            )
        )
        reverse = ReverseRelation(self)
        if reverse.hidden:
            return
        related._meta.add_related(reverse)
        setattr(related, reverse.accessor_name, ReverseDescriptor(reverse))

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        if self._related_model is not None:
            return self.target_field.sa_type()
        return sa.BigInteger().with_variant(sa.Integer(), "sqlite")

    def sa_column(self) -> sa.Column[Any]:
        self._column = sa.Column(
            self.column,
            self.sa_type(),
            nullable=self.null,
            unique=self.unique or None,
            index=(self.index and not self.unique) or None,
        )
        return self._column

    def to_python(self, value: Any) -> Any:
        if hasattr(value, "_meta") and hasattr(value, "pk"):
            return value.pk
        return self.target_field.to_python(value)

    def db_writer(self, dialect: str) -> Any:
        return self.target_field.db_writer(dialect) if self._related_model is not None else None

    def db_reader(self, dialect: str) -> Any:
        return self.target_field.db_reader(dialect) if self._related_model is not None else None


class OneToOne(ForeignKey):
    """A foreign key that is unique: the reverse side holds one object, not a manager."""

    one_to_one = True

    def __init__(
        self, to: str | type[Model], *, on_delete: str, related_name: str | None = None, **options: Any
    ) -> None:
        options["unique"] = True
        super().__init__(to, on_delete=on_delete, related_name=related_name, **options)


class ReverseRelation:
    """The far side of a foreign key: ``author.posts`` for ``Post.author``."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field
        self.model: type[Model] = field.model  # type: ignore[assignment]
        default = self.model._meta.model_name if field.one_to_one else f"{self.model._meta.model_name}_set"
        self.accessor_name = field.related_name or default
        self.query_name = field.related_name or self.model._meta.model_name
        self.one_to_one = field.one_to_one
        self.many_to_many = False
        self.name = self.accessor_name
        # related_name="+..." asks for no accessor on the related model (join tables use it).
        self.hidden = self.accessor_name.startswith("+")


_MISSING: Any = object()


class ForwardDescriptor:
    """``post.author``: the related object, loaded once and cached on the instance."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        cache = instance._state.cache
        name = self.field.name
        value = instance.__dict__.get(self.field.attname)
        cached = cache.get(name, _MISSING)
        if cached is not _MISSING and (cached.pk if cached is not None else None) == value:
            return cached
        if value is None:
            return None
        related = self.field.related_model.objects._hinted(instance._state.db).get(pk=value)
        cache[name] = related
        return related

    def __set__(self, instance: Model, value: Any) -> None:
        if value is None:
            instance.__dict__[self.field.attname] = None
        elif hasattr(value, "_meta"):
            if not isinstance(value, self.field.related_model):
                expected = self.field.related_model.__name__
                raise TypeError(
                    f"{type(instance).__name__}.{self.field.name} takes a {expected}, "
                    f"not a {type(value).__name__}"
                )
            check_relation(instance, self.field.name, value)
            instance.__dict__[self.field.attname] = value.pk
        else:
            raise TypeError(
                f"{type(instance).__name__}.{self.field.name} takes a {self.field.related_model.__name__} "
                f"or None; set {self.field.attname} to assign an id"
            )
        instance._state.cache[self.field.name] = value


class ReverseDescriptor:
    def __init__(self, relation: ReverseRelation) -> None:
        self.relation = relation

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        if self.relation.one_to_one:
            cache = instance._state.cache
            if self.relation.accessor_name not in cache:
                query = self.relation.model.objects._hinted(instance._state.db)
                found = query.filter(**{self.relation.field.name: instance.pk}).first()
                cache[self.relation.accessor_name] = found
            return cache[self.relation.accessor_name]
        return RelatedManager(self.relation, instance)

    def __set__(self, instance: Model, value: Any) -> None:
        name = self.relation.accessor_name
        if self.relation.one_to_one:
            raise TypeError(
                f"set {name} from its own side: {self.relation.model.__name__}.{self.relation.field.name}"
            )
        raise TypeError(
            f"{type(instance).__name__}.{name} is a related manager: use {name}.add() or {name}.create()"
        )


class _CachedQuerySet(QuerySet[Any]):
    """Rows already loaded by prefetch_related; refining it queries the database again."""

    def __init__(self, model: type[Model], rows: list[Any], query: QuerySet[Any]) -> None:
        super().__init__(model)
        self._cache = rows
        self._query = query

    def all(self) -> QuerySet[Any]:
        return self

    def _clone(self) -> QuerySet[Any]:
        return self._query._clone()


class RelatedManager(Manager[Any]):
    """``author.posts``: the rows whose foreign key points at one instance."""

    def __init__(self, relation: ReverseRelation, instance: Model) -> None:
        super().__init__()
        self.model = relation.model
        self.relation = relation
        self.instance = instance

    def get_queryset(self) -> QuerySet[Any]:
        query = QuerySet(self.relation.model)
        if query.model._meta.registry.routed:
            query._hint = self.instance._state.db
        query = query.filter(**{self.relation.field.name: self.instance.pk})
        cached = self.instance._state.cache.get(self.relation.accessor_name)
        if cached is not None:
            return _CachedQuerySet(self.relation.model, cached, query)
        return query

    def create(self, **values: Any) -> Any:
        return self.relation.model.objects.create(**{self.relation.field.name: self.instance, **values})

    async def acreate(self, **values: Any) -> Any:
        return await self.relation.model.objects.acreate(
            **{self.relation.field.name: self.instance, **values}
        )


class ManyToMany(Field):
    """A many-to-many link through a join table (generated, or your own ``through`` model)."""

    is_relation = True
    many_to_many = True
    one_to_one = False

    def __init__(
        self,
        to: str | type[Model],
        *,
        related_name: str | None = None,
        through: str | type[Model] | None = None,
        **options: Any,
    ) -> None:
        options.setdefault("blank", True)
        super().__init__(**options)
        self.to = to
        self.related_name = related_name
        self.through_spec = through
        self._related_model: type[Model] | None = None
        self.through: type[Model] = None  # type: ignore[assignment]

    @property
    def concrete(self) -> bool:
        return False

    @property
    def related_model(self) -> type[Model]:
        if self._related_model is None:
            owner = self.model.__name__ if self.model else "?"
            raise ConfigError(f"{owner}.{self.name} points at {self.to!r}, which is not declared")
        return self._related_model

    def contribute_to_class(self, model: type[Model], name: str) -> None:
        super().contribute_to_class(model, name)
        model._meta.many_to_many.append(self)
        model._meta.path_cache.clear()
        setattr(model, name, ManyToManyDescriptor(self))

    def on_model_ready(self) -> None:
        assert self.model is not None
        _when_ready(self.model, self.to, self._resolve)

    def _resolve(self, related: type[Model]) -> None:
        self._related_model = related
        model = self.model
        assert model is not None
        if self.through_spec is None:
            self.through = _make_through(model, related, self.name)
            self._bind_through()
        else:
            _when_ready(model, self.through_spec, self._set_through)
        reverse = ReverseManyToMany(self)
        related._meta.add_related(reverse)
        setattr(related, reverse.accessor_name, ManyToManyDescriptor(self, reverse=True))

    def _set_through(self, through: type[Model]) -> None:
        self.through = through
        self._bind_through()

    def _bind_through(self) -> None:
        model, related = self.model, self.related_model
        assert model is not None
        links = [f for f in self.through._meta.fields if isinstance(f, ForeignKey)]
        source = next((f for f in links if _points_at(f, model)), None)
        target = next((f for f in links if f is not source and _points_at(f, related)), None)
        if source is None or target is None:
            raise ConfigError(
                f"{model.__name__}.{self.name}: through model {self.through.__name__} needs a ForeignKey "
                f"to {model.__name__} and one to {related.__name__}"
            )
        self.source_field, self.target_field_link = source, target
        self.source_column, self.target_column = source.column, target.column
        self.source_pk_column = model._meta.pk.column  # type: ignore[union-attr]
        self.target_pk_column = related._meta.pk.column  # type: ignore[union-attr]

    def sa_type(self) -> sa.types.TypeEngine[Any]:
        raise ConfigError("a many-to-many field has no column")


def _points_at(field: ForeignKey, model: type[Model]) -> bool:
    """Whether ``field`` refers to ``model``, even before its own target is resolved."""
    if field._related_model is not None:
        return field._related_model is model
    to = field.to
    if not isinstance(to, str):
        return to is model
    if to == "self":
        return field.model is model
    owner = field.model
    assert owner is not None
    label = to if "." in to else f"{owner._meta.label_prefix}.{to}"
    return label.lower() == model._meta.label_lower


class ReverseManyToMany:
    def __init__(self, field: ManyToMany) -> None:
        self.field = field
        self.model: type[Model] = field.model  # type: ignore[assignment]
        self.accessor_name = field.related_name or f"{self.model._meta.model_name}_set"
        self.query_name = field.related_name or self.model._meta.model_name
        self.one_to_one = False
        self.many_to_many = True
        self.name = self.accessor_name


def _make_through(model: type[Model], related: type[Model], name: str) -> type[Model]:
    from .models import ModelBase

    source_name = model._meta.model_name
    target_name = related._meta.model_name if related is not model else f"to_{related._meta.model_name}"

    class Meta:
        label = model._meta.label_prefix
        table_name = f"{model._meta.table_name}_{name}"
        unique_together = [(source_name, target_name)]
        registry = model._meta.registry
        database = model._meta.database

    attrs: dict[str, Any] = {
        "__module__": model.__module__,
        "Meta": Meta,
        source_name: ForeignKey(model, on_delete=CASCADE, related_name=f"+{model._meta.model_name}_{name}"),
        target_name: ForeignKey(
            related, on_delete=CASCADE, related_name=f"+{model._meta.model_name}_{name}_to"
        ),
    }
    base = model._meta.registry.Model
    through: type[Model] = ModelBase(f"{model.__name__}_{name}", (base,), attrs)
    return through


class ManyToManyDescriptor:
    def __init__(self, field: ManyToMany, reverse: bool = False) -> None:
        self.field = field
        self.reverse = reverse

    def __get__(self, instance: Model | None, owner: type[Model]) -> Any:
        if instance is None:
            return self
        return ManyRelatedManager(self.field, instance, self.reverse)

    def __set__(self, instance: Model, value: Any) -> None:
        field = self.field
        reverse_name = field.related_name or f"{field.model._meta.model_name}_set"  # type: ignore[union-attr]
        name = reverse_name if self.reverse else field.name
        raise TypeError(f"assign many-to-many values with .{name}.set([...]), not =")


class ManyRelatedManager(Manager[Any]):
    """``post.tags``: query the related rows, and ``add``/``remove``/``set``/``clear`` links."""

    def __init__(self, field: ManyToMany, instance: Model, reverse: bool) -> None:
        super().__init__()
        self.field = field
        self.instance = instance
        self.reverse = reverse
        self.model = field.model if reverse else field.related_model
        self._own = field.target_field_link if reverse else field.source_field
        self._other = field.source_field if reverse else field.target_field_link
        self.accessor = (
            field.related_name or f"{field.model._meta.model_name}_set" if reverse else field.name  # type: ignore[union-attr]
        )

    def get_queryset(self) -> QuerySet[Any]:
        if self.instance.pk is None:
            raise ValueError(f"{type(self.instance).__name__} must be saved before using its {self.accessor}")
        model: Any = self.model
        query = _LinkedQuerySet(model, self)
        cached = self.instance._state.cache.get(self.accessor)
        if cached is not None:
            return _CachedQuerySet(model, cached, query)
        return query

    def _pks(self, objects: Iterable[Any]) -> list[Any]:
        model: Any = self.model
        pks = []
        for obj in objects:
            if hasattr(obj, "_meta"):
                if not isinstance(obj, model):
                    raise TypeError(
                        f"{self.accessor} takes {model.__name__} objects, not {type(obj).__name__}"
                    )
                if obj.pk is None:
                    raise ValueError(f"this {model.__name__} must be saved before it is linked")
                pks.append(obj.pk)
            else:
                pks.append(model._meta.pk.to_python(obj))
        return list(dict.fromkeys(pks))

    def _linked(self, pks: list[Any] | None) -> Operation[list[Any]]:
        """The primary keys of the linked rows (among ``pks``, when given)."""
        query = self._through().filter(**{self._own.name: self.instance.pk})
        query = query.values_list(self._other.attname, flat=True)
        if pks is None:
            found: list[Any] = yield from query._fetch()
            return found
        return (yield from _fetch_in(query, self._other.name, pks))

    def _add_pks(self, wanted: list[Any]) -> Operation[None]:
        if not wanted:
            return
        existing = set((yield from self._linked(wanted)))
        through = self.field.through
        rows = [
            through(**{self._own.attname: self.instance.pk, self._other.attname: pk})
            for pk in wanted
            if pk not in existing
        ]
        if rows:
            from .persistence import bulk_insert

            yield from bulk_insert(through, rows, None, self._database())

    def _add(self, objects: Iterable[Any]) -> Operation[None]:
        yield from self._add_pks(self._pks(objects))

    def _remove_pks(self, pks: list[Any] | None) -> Operation[None]:
        from .persistence import delete_where

        query = self._through().filter(**{self._own.name: self.instance.pk})
        if pks is None:
            yield from delete_where(query)
            return
        for start in range(0, len(pks), MAX_IN_VALUES):
            yield from delete_where(
                query.filter(**{f"{self._other.name}__in": pks[start : start + MAX_IN_VALUES]})
            )

    def _remove(self, objects: Iterable[Any] | None) -> Operation[None]:
        yield from self._remove_pks(None if objects is None else self._pks(objects))

    def _set(self, objects: Iterable[Any]) -> Operation[None]:
        """Link exactly ``objects``: unlink the others, link the new ones, keep the rest."""
        wanted = self._pks(objects)
        existing = yield from self._linked(None)
        keep = set(wanted)
        yield from self._remove_pks([pk for pk in existing if pk not in keep])
        linked = set(existing)
        yield from self._add_pks([pk for pk in wanted if pk not in linked])

    def _create(self, values: dict[str, Any]) -> Operation[Any]:
        from .persistence import save_operation

        instance = self.model(**values)  # type: ignore[misc]
        yield from save_operation(instance, validate=True, update_fields=None, database=self._database())
        yield from self._add_pks([instance.pk])
        return instance

    def create(self, **values: Any) -> Any:
        """A new related object, saved and linked."""
        return self._run_op(self._create(values))

    async def acreate(self, **values: Any) -> Any:
        return await self._arun_op(self._create(values))

    def _database(self) -> Database:
        """Links are written where the instance is: its relations stay within one database."""
        from .persistence import database_for_write

        return database_for_write(self.instance, None)

    def _through(self) -> QuerySet[Any]:
        return self.field.through.objects.using(self._database().name)

    def _run_op(self, operation: Operation[Any]) -> Any:
        self.instance._state.cache.pop(self.accessor, None)
        return run_sync(self._database(), operation)

    async def _arun_op(self, operation: Operation[Any]) -> Any:
        self.instance._state.cache.pop(self.accessor, None)
        return await run_async(self._database(), operation)

    def add(self, *objects: Any) -> None:
        self._run_op(self._add(objects))

    async def aadd(self, *objects: Any) -> None:
        await self._arun_op(self._add(objects))

    def remove(self, *objects: Any) -> None:
        self._run_op(self._remove(objects))

    async def aremove(self, *objects: Any) -> None:
        await self._arun_op(self._remove(objects))

    def clear(self) -> None:
        self._run_op(self._remove(None))

    async def aclear(self) -> None:
        await self._arun_op(self._remove(None))

    def set(self, objects: Iterable[Any]) -> None:
        self._run_op(self._set(objects))

    async def aset(self, objects: Iterable[Any]) -> None:
        await self._arun_op(self._set(objects))


class _LinkedQuerySet(QuerySet[Any]):
    """The related rows of one instance through the join table."""

    def __init__(self, model: type[Model], manager: ManyRelatedManager) -> None:
        super().__init__(model)
        field = manager.field
        relation_name = (
            field.name if manager.reverse else (field.related_name or field.model._meta.model_name)  # type: ignore[union-attr]
        )
        self._where = (_q(**{f"{relation_name}": manager.instance.pk}),)
        if self.model._meta.registry.routed:
            self._hint = manager.instance._state.db


def _q(**conditions: Any) -> Any:
    from .expressions import Q

    return Q(**conditions)


# prefetch_related ------------------------------------------------------------------


def prefetch_target(model: type[Model], name: str) -> Any:
    """The relation ``name`` of ``model``, or of the models along ``name`` (``posts__tags``)."""
    target = None
    for part in name.split("__"):
        target = _relation_of(model, part, name)
        model = _target_model(target)
    return target


def _relation_of(model: type[Model], name: str, path: str) -> Any:
    for field in model._meta.fields:
        if field.name == name and getattr(field, "is_relation", False):
            return field
    for field in model._meta.many_to_many:
        if field.name == name:
            return field
    for relation in model._meta.related_objects:
        if relation.accessor_name == name:
            return relation
    raise FieldError(
        f"prefetch_related({path!r}): {model.__name__} has no relation {name!r}; its relations are: "
        + ", ".join(
            [f.name for f in model._meta.fields if getattr(f, "is_relation", False)]
            + [f.name for f in model._meta.many_to_many]
            + [r.accessor_name for r in model._meta.related_objects]
        )
    )


def _target_model(target: Any) -> Any:
    if isinstance(target, (ReverseRelation, ReverseManyToMany)):
        return target.model
    return target.related_model


def _accessor(target: Any) -> str:
    if isinstance(target, (ReverseRelation, ReverseManyToMany)):
        return target.accessor_name
    return str(target.name)


def prefetch(
    objects: list[Any], path: str, database: Database, done: set[str] | None = None
) -> Operation[None]:
    """Load relation ``path`` of every object, one query per relation along the path.

    ``done`` holds the paths already loaded for these objects, so ``posts__tags`` and
    ``posts__comments`` load the posts once.
    """
    done = set() if done is None else done
    prefix = ""
    for name in path.split("__"):
        if not objects:
            return
        prefix = f"{prefix}__{name}" if prefix else name
        target = _relation_of(type(objects[0]), name, path)
        if prefix not in done:
            yield from _prefetch_one(objects, target, database.name)
            done.add(prefix)
        accessor = _accessor(target)
        related: dict[int, Any] = {}
        for obj in objects:
            value = obj._state.cache.get(accessor)
            for item in value if isinstance(value, list) else (value,):
                if item is not None:
                    related.setdefault(id(item), item)
        objects = list(related.values())


def _prefetch_one(objects: list[Any], target: Any, using: str) -> Operation[None]:
    """One relation of every object, loaded into each object's cache from database ``using``."""
    if isinstance(target, ForeignKey):
        ids = list({getattr(o, target.attname) for o in objects} - {None})
        found = yield from _fetch_in(target.related_model.objects.using(using), "pk", ids)
        by_pk = {o.pk: o for o in found}
        for obj in objects:
            obj._state.cache[target.name] = by_pk.get(getattr(obj, target.attname))
        return
    pks = list({o.pk for o in objects})
    if isinstance(target, ReverseRelation):
        rows = yield from _fetch_in(target.model.objects.using(using), target.field.name, pks)
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, target.field.attname)].append(row)
        for obj in objects:
            value = grouped.get(obj.pk, [])
            obj._state.cache[target.accessor_name] = (
                (value[0] if value else None) if target.one_to_one else value
            )
        return
    field = target.field if isinstance(target, ReverseManyToMany) else target
    reverse = isinstance(target, ReverseManyToMany)
    own = field.target_field_link if reverse else field.source_field
    other = field.source_field if reverse else field.target_field_link
    links_query = field.through.objects.using(using).values_list(own.attname, other.attname)
    links = yield from _fetch_in(links_query, own.name, pks)
    other_model: Any = field.model if reverse else field.related_model
    found = yield from _fetch_in(other_model.objects.using(using), "pk", list({link[1] for link in links}))
    by_pk = {o.pk: o for o in found}
    grouped = defaultdict(list)
    for own_id, other_id in links:
        if other_id in by_pk:
            grouped[own_id].append(by_pk[other_id])
    accessor = target.accessor_name if reverse else field.name
    for obj in objects:
        obj._state.cache[accessor] = grouped.get(obj.pk, [])


def _fetch_in(query: QuerySet[Any], name: str, values: list[Any]) -> Operation[list[Any]]:
    """``query.filter(<name>__in=values)``, in batches the ``in`` lookup accepts; none for no values."""
    found: list[Any] = []
    for start in range(0, len(values), MAX_IN_VALUES):
        found.extend(
            (yield from query.filter(**{f"{name}__in": values[start : start + MAX_IN_VALUES]})._fetch())
        )
    return found


async def fetch_related(instance: Model, *names: str) -> None:
    """Load relations of one instance from async code: ``await fetch_related(post, "author")``."""
    model = type(instance)
    database = model._meta.registry.for_read(model, instance._state.db)
    done: set[str] = set()
    for name in names:
        target = prefetch_target(type(instance), name)
        if isinstance(target, ForeignKey) and "__" not in name:
            # One object's foreign key: the get-by-primary-key path, not a prefetch's IN (...) query.
            value = instance.__dict__.get(target.attname)
            related = target.related_model
            try:
                query = related.objects._hinted(instance._state.db)
                found = None if value is None else await query.aget(pk=value)
            except related.DoesNotExist:
                found = None
            instance._state.cache[target.name] = found
            continue
        await run_async(database, prefetch([instance], name, database, done))
