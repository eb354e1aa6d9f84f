"""Models: metadata, labels and tables, registries, validation, and an instance's life."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from vivace import App
from vivace.core.exceptions import ConfigError
from vivace.db import FieldError, IntegrityError, Model, Registry, ValidationError, fields

from .blog import Blog
from .conftest import DB


def test_label_table_and_meta(db: DB) -> None:
    class Article(db.Model):
        title = fields.String(max_length=50)

    class Renamed(db.Model):
        name = fields.String(max_length=50)

        class Meta:
            label = "shop"
            table_name = "products"
            ordering = ("-name",)
            verbose_name = "product"

    opts = Article._meta
    assert (opts.label, opts.label_lower, opts.table_name) == (
        "test_models.Article",
        "test_models.article",
        "test_models_article",
    )
    assert (opts.object_name, opts.model_name, opts.verbose_name, opts.verbose_name_plural) == (
        "Article",
        "article",
        "article",
        "articles",
    )
    other = Renamed._meta
    assert (other.label, other.table_name, other.ordering, other.verbose_name) == (
        "shop.Renamed",
        "products",
        ("-name",),
        "product",
    )
    assert db.registry.get_model("shop.renamed") is Renamed
    assert db.registry.get_model("test_models.Article") is Article
    with pytest.raises(LookupError, match=r"shop\.Renamed"):
        db.registry.get_model("shop.Missing")


def test_label_from_module_name(db: DB, blog: Blog) -> None:
    # The blog's models live in tests/db/blog.py: their label is the module's last name.
    assert blog.Post._meta.label == "blog.Post"
    assert blog.Post._meta.table_name == "blog_post"
    assert blog.Post._meta.get_field("tags").through._meta.table_name == "blog_post_tags"


def test_one_file_app_models_take_the_file_name() -> None:
    from vivace.db.models import _label_from_module

    assert _label_from_module("blog.models") == "blog"
    assert _label_from_module("shop.models.product") == "product"
    assert _label_from_module("notes") == "notes"


def test_sqlalchemy_table(db: DB, blog: Blog) -> None:
    table = blog.Post._meta.table
    assert isinstance(table, sa.Table)
    assert table.name == "blog_post"
    assert table.metadata is db.registry.metadata
    assert [c.name for c in table.columns][:4] == ["id", "title", "slug", "body"]
    assert table.c.id.primary_key
    assert table.c.author_id.nullable is False
    (fk,) = table.c.author_id.foreign_keys
    assert fk.column is blog.Author._meta.table.c.id
    assert fk.ondelete == "CASCADE"
    assert blog.Comment._meta.table.c.author_id.nullable
    # The table is usable with SQLAlchemy Core directly.
    blog.Author.objects.create(name="Ann")
    with db.database.engine.connect() as connection:
        rows = connection.execute(sa.select(blog.Author._meta.table.c.name)).all()
    assert [tuple(r) for r in rows] == [("Ann",)]


def test_automatic_and_explicit_primary_keys(db: DB) -> None:
    class Auto(db.Model):
        name = fields.String(max_length=10)

    class Coded(db.Model):
        code = fields.String(max_length=3, primary_key=True)

    db.create_all()
    assert Auto._meta.pk.name == "id" and Auto._meta.fields[0].name == "id"
    assert Coded._meta.pk.name == "code" and [f.name for f in Coded._meta.fields] == ["code"]
    first, second = Auto.objects.create(name="a"), Auto.objects.create(name="b")
    assert isinstance(first.pk, int) and second.pk > first.pk
    coded = Coded.objects.create(code="EUR")
    assert coded.pk == "EUR" and Coded.objects.get(pk="EUR") == coded
    with pytest.raises(IntegrityError):
        Coded.objects.create(code="EUR")


def test_two_primary_keys_is_a_config_error(db: DB) -> None:
    with pytest.raises(ConfigError, match="two primary keys"):

        class Broken(db.Model):
            a = fields.Integer(primary_key=True)
            b = fields.Integer(primary_key=True)


def test_get_field_names_the_unknown_field_and_lists_fields(db: DB, blog: Blog) -> None:
    opts = blog.Post._meta
    assert opts.get_field("author") is opts.get_field("author_id")
    assert opts.get_field("tags").many_to_many
    with pytest.raises(FieldError) as caught:
        opts.get_field("titel")
    message = str(caught.value)
    assert "'titel'" in message
    for name in ("id", "title", "slug", "author", "tags", "comments"):
        assert name in message
    # FieldError is a LookupError, as Django's FieldDoesNotExist is not, but as a missing key is.
    assert isinstance(caught.value, LookupError)


def test_registries_do_not_leak(tmp_path: Any) -> None:
    first, second = Registry("first"), Registry("second")

    class Note(first.Model):
        text = fields.String(max_length=10)

    class Note2(second.Model):
        text = fields.String(max_length=10)

        class Meta:
            table_name = "test_models_note"

    assert list(first) == [Note] and list(second) == [Note2]
    assert Note._meta.table is not Note2._meta.table
    one = App("one", root=tmp_path / "one", database_url=f"sqlite:///{tmp_path / 'one.sqlite3'}")
    two = App("two", root=tmp_path / "two", database_url=f"sqlite:///{tmp_path / 'two.sqlite3'}")
    one.db.use(first)
    two.db.use(second)
    try:
        one.db.create_all()
        two.db.create_all()
        Note.objects.create(text="one")
        assert Note2.objects.count() == 0
        assert Note.objects.count() == 1
    finally:
        one.db.database.close()
        two.db.database.close()
    assert not first.unresolved()


def test_the_same_model_declared_twice_in_a_registry(db: DB) -> None:
    class Thing(db.Model):
        pass

    with pytest.raises(ConfigError, match="declared twice"):

        class Thing(db.Model):  # type: ignore[no-redef]
            pass


def test_models_without_database_say_how_to_get_one() -> None:
    registry = Registry("lonely")

    class Lonely(registry.Model):
        pass

    with pytest.raises(ConfigError, match="no database yet"):
        Lonely.objects.count()


def test_abstract_models_share_fields(db: DB) -> None:
    class Stamped(db.Model):
        created = fields.DateTime(auto_now_add=True)

        class Meta:
            abstract = True

    class Note(Stamped):
        text = fields.String(max_length=10)

    class Task(Stamped):
        done = fields.Boolean(default=False)

    db.create_all()
    assert [f.name for f in Note._meta.fields] == ["id", "created", "text"]
    assert Note._meta.get_field("created") is not Task._meta.get_field("created")
    assert Note._meta.get_field("created").model is Note
    assert Note.objects.create(text="a").created is not None
    assert Task.objects.create().done is False
    with pytest.raises(ConfigError, match="concrete model"):

        class Sub(Note):
            pass


def test_ordering_from_meta(db: DB) -> None:
    class Person(db.Model):
        name = fields.String(max_length=10)

        class Meta:
            ordering = ("-name",)

    db.create_all()
    for name in ("b", "c", "a"):
        Person.objects.create(name=name)
    assert [p.name for p in Person.objects.all()] == ["c", "b", "a"]
    assert [p.name for p in Person.objects.order_by("name")] == ["a", "b", "c"]
    assert Person.objects.first().name == "c"
    assert Person.objects.last().name == "a"


def test_unique_together_and_indexes(db: DB) -> None:
    class Seat(db.Model):
        row = fields.Integer()
        number = fields.Integer()

        class Meta:
            unique_together = [("row", "number")]

    db.create_all()
    Seat.objects.create(row=1, number=1)
    Seat.objects.create(row=1, number=2)
    with pytest.raises(IntegrityError) as caught:
        Seat.objects.create(row=1, number=1)
    assert caught.value.constraint is not None
    assert "number" in caught.value.constraint or "uq_" in caught.value.constraint
    names = {c.name for c in Seat._meta.table.constraints}
    assert "uq_test_models_seat_row_number" in names


def test_unknown_keyword_to_a_model(db: DB, blog: Blog) -> None:
    with pytest.raises(TypeError, match=r"unknown field.*titel.*its fields are"):
        blog.Post(titel="x")


def test_instance_identity(db: DB, blog: Blog) -> None:
    ann = blog.Author.objects.create(name="Ann")
    again = blog.Author.objects.get(pk=ann.pk)
    assert ann == again and hash(ann) == hash(again)
    assert ann != blog.Author(name="Ann")
    assert blog.Author(name="x") != blog.Author(name="x")
    assert len({ann, again}) == 1
    with pytest.raises(TypeError, match="unhashable"):
        hash(blog.Author(name="y"))
    assert str(ann) == f"Author object ({ann.pk})"
    assert repr(ann) == f"<Author: Author object ({ann.pk})>"
    tag = blog.Tag.objects.create(name="t")
    assert tag != ann if tag.pk == ann.pk else True


def test_save_inserts_then_updates(db: DB, blog: Blog) -> None:
    author = blog.Author(name="Ann")
    assert author.pk is None and author._state.adding
    with db.queries() as sql:
        author.save()
    assert len(sql) == 1 and sql[0].lstrip().upper().startswith("INSERT")
    assert author.pk is not None and not author._state.adding
    author.name = "Anne"
    with db.queries() as sql:
        author.save()
    assert len(sql) == 1 and sql[0].lstrip().upper().startswith("UPDATE")
    assert blog.Author.objects.get(pk=author.pk).name == "Anne"
    assert blog.Author.objects.count() == 1


def test_save_update_fields(db: DB, blog: Blog) -> None:
    author = blog.Author.objects.create(name="Ann", email="ann@example.com")
    author.name = "Changed"
    author.email = "other@example.com"
    author.save(update_fields=["name"])
    fresh = blog.Author.objects.get(pk=author.pk)
    assert (fresh.name, fresh.email) == ("Changed", "ann@example.com")
    with pytest.raises(FieldError, match="nope"):
        author.save(update_fields=["nope"])
    # Only the named fields are validated.
    author.email = "not an email"
    author.name = "Fine"
    author.save(update_fields=["name"])


def test_delete_and_save_again(db: DB, blog: Blog) -> None:
    author = blog.Author.objects.create(name="Ann")
    pk = author.pk
    assert author.delete() == 1
    assert not blog.Author.objects.filter(pk=pk).exists()
    author.save()
    assert blog.Author.objects.filter(pk=author.pk).exists()
    with pytest.raises(ValueError, match="no primary key"):
        blog.Author(name="x").delete()


def test_save_of_a_row_deleted_meanwhile_inserts_it(db: DB, blog: Blog) -> None:
    author = blog.Author.objects.create(name="Ann")
    blog.Author.objects.filter(pk=author.pk).delete()
    author.name = "Back"
    author.save()
    assert blog.Author.objects.get(pk=author.pk).name == "Back"


def test_refresh_from_db(db: DB, blog: Blog) -> None:
    ann = blog.Author.objects.create(name="Ann")
    post = blog.Post.objects.create(title="t", slug="t", author=ann)
    assert post.author is ann
    blog.Post.objects.filter(pk=post.pk).update(title="changed", views=5)
    post.refresh_from_db()
    assert (post.title, post.views) == ("changed", 5)
    other = blog.Author.objects.create(name="Bob")
    blog.Post.objects.filter(pk=post.pk).update(author=other)
    post.refresh_from_db()
    assert post.author == other
    post.delete()
    with pytest.raises(blog.Post.DoesNotExist):
        post.refresh_from_db()


def test_full_clean_collects_every_error(db: DB, blog: Blog) -> None:
    post = blog.Post(title="x" * 201, slug="not a slug", views="many")
    with pytest.raises(ValidationError) as caught:
        post.full_clean()
    errors = caught.value.errors
    assert set(errors) == {"title", "slug", "views", "author"}
    assert errors["author"] == ["This field cannot be null."]
    assert errors["views"] == ["Enter a whole number."]
    assert caught.value.as_list()[0]["field"] in errors
    assert "title:" in str(caught.value)


def test_save_validates_before_any_sql(db: DB, blog: Blog) -> None:
    with db.queries() as sql, pytest.raises(ValidationError):
        blog.Author.objects.create(name="x" * 101)
    assert sql == []
    author = blog.Author.objects.create(name="Ann")
    author.name = None
    with db.queries() as sql, pytest.raises(ValidationError):
        author.save()
    assert sql == []
    # save(validate=False) lets the database judge.
    author.name = "y" * 101
    if db.vendor == "postgresql":
        with pytest.raises(Exception):  # noqa: B017 - the driver's own "value too long"
            author.save(validate=False)
    else:
        author.save(validate=False)


def test_clean_hook_for_rules_across_fields(db: DB) -> None:
    class Span(db.Model):
        start = fields.Integer()
        end = fields.Integer()

        def clean(self) -> None:
            if self.end < self.start:
                raise ValidationError({"end": ["End must not be before start."]})

    db.create_all()
    Span.objects.create(start=1, end=2)
    with pytest.raises(ValidationError) as caught:
        Span.objects.create(start=3, end=2)
    assert caught.value.errors == {"end": ["End must not be before start."]}


def test_coerced_values_are_kept_on_the_instance(db: DB, blog: Blog) -> None:
    ann = blog.Author.objects.create(name="Ann")
    post = blog.Post.objects.create(title=42, slug="s", author=ann, views="7", rating="1.5")
    assert (post.title, post.views) == ("42", 7)
    assert str(post.rating) == "1.5"


def test_model_is_not_queryable_through_an_instance(db: DB, blog: Blog) -> None:
    with pytest.raises(AttributeError, match="through the class"):
        blog.Author(name="a").objects  # noqa: B018


def test_model_base_is_abstract() -> None:
    assert issubclass(Registry("x").Model, Model)


def test_meta_indexes_and_constraints(db: DB) -> None:
    from vivace.db import Index, UniqueConstraint

    class Page(db.Model):
        book = fields.Integer()
        number = fields.Integer()
        title = fields.String(max_length=20)

        class Meta:
            indexes = [Index("book", "-number"), Index("title", name="page_titles")]
            constraints = [UniqueConstraint("book", "number")]

    db.create_all()
    inspector = sa.inspect(db.database.engine)
    names = {index["name"] for index in inspector.get_indexes("test_models_page")}
    assert {"ix_test_models_page_book_number", "page_titles"} <= names
    Page.objects.create(book=1, number=1, title="a")
    with pytest.raises(IntegrityError):
        Page.objects.create(book=1, number=1, title="b")
    with pytest.raises(FieldError, match="nope"):

        class Broken(db.Model):
            class Meta:
                indexes = [Index("nope")]

    assert "test_models_broken" not in db.registry.metadata.tables
    with pytest.raises(ConfigError):
        Index()
