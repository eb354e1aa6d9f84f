"""Relations: lazy loads, select_related, prefetch_related, related managers, on_delete, through models."""

from __future__ import annotations

from typing import Any

import pytest

from vivace.core.exceptions import ConfigError
from vivace.db import CASCADE, PROTECT, RESTRICT, SET_NULL, FieldError, IntegrityError, ProtectedError, fields

from .blog import Blog
from .conftest import DB
from .test_query import seed, titles


@pytest.fixture
def s(db: DB, blog: Blog) -> dict[str, Any]:
    return seed(blog)


# Forward foreign keys -------------------------------------------------------------------


def test_forward_access_loads_once(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = blog.Post.objects.get(pk=s["third"].pk)
    with db.queries() as sql:
        assert post.author.name == "Bob"
        assert post.author.name == "Bob"
    assert len(sql) == 1
    assert post.author_id == s["bob"].pk


def test_assigning_a_related_object(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = blog.Post.objects.get(pk=s["third"].pk)
    post.author = s["cy"]
    assert post.author_id == s["cy"].pk
    post.save()
    assert blog.Post.objects.get(pk=post.pk).author == s["cy"]
    post.author_id = s["ann"].pk
    assert post.author == s["ann"]  # a changed id is followed, not the stale cache
    comment = blog.Comment.objects.get(body="ok")
    comment.author = None
    comment.save()
    assert blog.Comment.objects.get(pk=comment.pk).author is None
    with pytest.raises(TypeError, match="takes a Author"):
        post.author = s["python"]
    with pytest.raises(TypeError, match="author_id"):
        post.author = s["ann"].pk


def test_unsaved_related_object_is_refused(db: DB, blog: Blog) -> None:
    author = blog.Author(name="new")
    post = blog.Post(title="t", slug="t", author=author)
    with pytest.raises(Exception) as caught:  # a ValidationError naming the field
        post.save()
    assert "author" in str(caught.value)
    assert blog.Post.objects.count() == 0


def test_foreign_key_to_a_missing_row_is_an_integrity_error(db: DB, blog: Blog) -> None:
    with pytest.raises(IntegrityError) as caught:
        blog.Post.objects.create(title="t", slug="t", author_id=12345)
    assert (
        caught.value.constraint is None
        or "author" in caught.value.constraint
        or "fk" in caught.value.constraint
    )
    assert blog.Post.objects.count() == 0


# select_related ---------------------------------------------------------------------------


def test_select_related_is_one_query(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    with db.queries() as sql:
        posts = list(blog.Post.objects.select_related("author").order_by("pk"))
        names = [p.author.name for p in posts]
    assert len(sql) == 1
    assert names == ["Ann", "Ann", "Bob", "Bob", "Ann"]
    with db.queries() as sql:
        comments = list(blog.Comment.objects.select_related("post__author", "author").order_by("pk"))
        seen = [(c.post.title, c.post.author.name, c.author.name) for c in comments]
    assert len(sql) == 1
    assert seen[0] == ("First steps", "Ann", "Bob")


def test_select_related_with_null_foreign_key(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    blog.Comment.objects.filter(body="meh").update(author=None)
    with db.queries() as sql:
        comments = {c.body: c for c in blog.Comment.objects.select_related("author")}
        assert comments["meh"].author is None
        assert comments["nice"].author.name == "Bob"
    assert len(sql) == 1


def test_select_related_without_lazy_loads_in_async(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    async def main() -> list[str]:
        posts = await blog.Post.objects.select_related("author").order_by("pk")
        return [p.author.name for p in posts]

    assert db.run(main()) == ["Ann", "Ann", "Bob", "Bob", "Ann"]


def test_select_related_errors(db: DB, blog: Blog) -> None:
    with pytest.raises(FieldError, match="title"):
        blog.Post.objects.select_related("title")
    with pytest.raises(FieldError, match="nope"):
        blog.Post.objects.select_related("author__nope")
    with pytest.raises(FieldError):
        blog.Post.objects.select_related("tags")


# prefetch_related ---------------------------------------------------------------------------


def test_prefetch_related_is_one_query_per_relation(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    with db.queries() as sql:
        authors = list(blog.Author.objects.prefetch_related("posts", "comments").order_by("name"))
        result = {
            a.name: (sorted(titles(a.posts.all())), sorted(c.body for c in a.comments.all())) for a in authors
        }
    assert len(sql) == 3
    assert result == {
        "Ann": (["Fifth element", "First steps", "Second wind"], ["ok"]),
        "Bob": (["Fourth wall", "Third time"], ["nice"]),
        "Cy": ([], ["meh"]),
    }


def test_prefetch_many_to_many_both_ways(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    with db.queries() as sql:
        posts = list(blog.Post.objects.prefetch_related("tags").order_by("pk"))
        tags = [sorted(t.name for t in p.tags.all()) for p in posts]
    assert len(sql) == 3  # the posts, the links, the tags
    assert tags == [["python"], ["python", "sql"], ["sql"], [], ["python", "sql", "web"]]
    with db.queries() as sql:
        found = {t.name: sorted(titles(t.posts.all())) for t in blog.Tag.objects.prefetch_related("posts")}
    assert len(sql) == 3
    assert found["web"] == ["Fifth element"]
    assert found["python"] == ["Fifth element", "First steps", "Second wind"]


def test_prefetch_forward_foreign_key_and_one_to_one(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    blog.Profile.objects.create(author=s["ann"], bio="hi")
    with db.queries() as sql:
        posts = list(blog.Post.objects.prefetch_related("author"))
        assert {p.author.name for p in posts} == {"Ann", "Bob"}
    assert len(sql) == 2
    with db.queries() as sql:
        authors = {a.name: a for a in blog.Author.objects.prefetch_related("profile")}
        assert authors["Ann"].profile.bio == "hi"
        assert authors["Bob"].profile is None
    assert len(sql) == 2


def test_prefetched_rows_refine_with_a_new_query(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    ann = blog.Author.objects.prefetch_related("posts").get(name="Ann")
    with db.queries() as sql:
        assert len(ann.posts.all()) == 3
        assert ann.posts.count() == 3
    assert sql == []
    with db.queries() as sql:
        assert titles(ann.posts.filter(views__gt=20).order_by("views")) == ["Second wind", "Fifth element"]
    assert len(sql) == 1


def test_prefetch_of_nothing_runs_no_extra_query(db: DB, blog: Blog) -> None:
    with db.queries() as sql:
        assert list(blog.Author.objects.prefetch_related("posts", "comments")) == []
    assert len(sql) == 1


def test_prefetch_related_errors(db: DB, blog: Blog) -> None:
    with pytest.raises(FieldError, match="nope") as caught:
        blog.Author.objects.prefetch_related("nope")
    assert "posts" in str(caught.value)


def test_fetch_related_in_async_code(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    from vivace.db import fetch_related

    async def main() -> tuple[str, list[str]]:
        post = await blog.Post.objects.aget(pk=s["second"].pk)
        await fetch_related(post, "author", "tags")
        return post.author.name, sorted(t.name for t in post.tags.all())

    assert db.run(main()) == ("Ann", ["python", "sql"])


# Related managers ---------------------------------------------------------------------------


def test_reverse_foreign_key_manager(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    ann = s["ann"]
    assert sorted(titles(ann.posts.all())) == ["Fifth element", "First steps", "Second wind"]
    assert ann.posts.count() == 3
    assert titles(ann.posts.filter(views__gte=50)) == ["Fifth element"]
    assert ann.posts.order_by("views").first().title == "First steps"
    created = ann.posts.create(title="Sixth sense", slug="sixth-sense")
    assert created.author_id == ann.pk
    assert ann.posts.count() == 4
    assert s["cy"].posts.count() == 0
    assert list(s["cy"].posts.all()) == []
    assert s["ann"].posts.get(slug="sixth-sense") == created


def test_many_to_many_manager(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = s["fourth"]
    python, sql_tag, web = s["python"], s["sql"], s["web"]
    assert list(post.tags.all()) == []
    post.tags.add(python, web)
    assert sorted(t.name for t in post.tags.all()) == ["python", "web"]
    post.tags.add(python)  # already linked: no duplicate, no error
    assert post.tags.count() == 2
    post.tags.add(sql_tag.pk)  # by primary key
    assert post.tags.count() == 3
    post.tags.remove(web)
    assert sorted(t.name for t in post.tags.all()) == ["python", "sql"]
    post.tags.set([web])
    assert [t.name for t in post.tags.all()] == ["web"]
    post.tags.clear()
    assert post.tags.count() == 0
    post.tags.add()
    assert post.tags.count() == 0
    # The reverse side sees the same links.
    post.tags.add(web)
    assert sorted(titles(web.posts.all())) == ["Fifth element", "Fourth wall"]
    web.posts.remove(post)
    assert titles(web.posts.all()) == ["Fifth element"]
    web.posts.add(s["first"])
    assert sorted(t.name for t in s["first"].tags.all()) == ["python", "web"]
    assert blog.Tag.objects.count() == 3  # removing links never deletes tags


def test_many_to_many_needs_saved_objects(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    unsaved = blog.Post(title="x", slug="x", author=s["ann"])
    with pytest.raises(ValueError, match="saved"):
        unsaved.tags.all()
    with pytest.raises(TypeError, match="set"):
        s["first"].tags = [s["python"]]


def test_many_to_many_add_inside_the_statement_budget(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = s["fourth"]
    tags = blog.Tag.objects.bulk_create([blog.Tag(name=f"t{i}") for i in range(50)])
    with db.queries() as sql:
        post.tags.add(*tags)
    assert len(sql) <= 3
    assert post.tags.count() == 50


def test_one_to_one_reverse_access(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    profile = blog.Profile.objects.create(author=s["ann"], bio="hello")
    ann = blog.Author.objects.get(pk=s["ann"].pk)
    with db.queries() as sql:
        assert ann.profile == profile
        assert ann.profile.bio == "hello"
    assert len(sql) == 1
    assert blog.Author.objects.get(pk=s["bob"].pk).profile is None
    assert profile.author == s["ann"]
    with pytest.raises(IntegrityError):
        blog.Profile.objects.create(author=s["ann"], bio="second")
    assert blog.Author.objects.select_related().filter(profile__bio="hello").get() == s["ann"]


# on_delete ------------------------------------------------------------------------------------


def declare_on_delete(db: DB) -> Any:
    class Owner(db.Model):
        name = fields.String(max_length=10)

    class Cascaded(db.Model):
        owner = fields.ForeignKey(Owner, on_delete=CASCADE, related_name="cascaded")

    class Nulled(db.Model):
        owner = fields.ForeignKey(Owner, on_delete=SET_NULL, null=True, related_name="nulled")

    class Protected(db.Model):
        owner = fields.ForeignKey(Owner, on_delete=PROTECT, related_name="protected")

    class Restricted(db.Model):
        owner = fields.ForeignKey(Owner, on_delete=RESTRICT, related_name="restricted")

    db.create_all()
    return Owner, Cascaded, Nulled, Protected, Restricted


def test_on_delete_cascade_and_set_null(db: DB) -> None:
    Owner, Cascaded, Nulled, _, _ = declare_on_delete(db)
    owner, other = Owner.objects.create(name="a"), Owner.objects.create(name="b")
    Cascaded.objects.bulk_create([Cascaded(owner=owner), Cascaded(owner=owner), Cascaded(owner=other)])
    nulled = Nulled.objects.create(owner=owner)
    owner.delete()
    assert Cascaded.objects.count() == 1
    assert Nulled.objects.get(pk=nulled.pk).owner_id is None
    assert Owner.objects.filter(name="b").delete() == 1
    assert Cascaded.objects.count() == 0


@pytest.mark.parametrize("which", ["protected", "restricted"])
def test_on_delete_protect_and_restrict(db: DB, which: str) -> None:
    Owner, Cascaded, _, Protected, Restricted = declare_on_delete(db)
    model = Protected if which == "protected" else Restricted
    owner = Owner.objects.create(name="a")
    Cascaded.objects.create(owner=owner)
    guard = model.objects.create(owner=owner)
    with pytest.raises(ProtectedError) as caught:
        owner.delete()
    assert isinstance(caught.value, IntegrityError)
    assert "Owner" in str(caught.value)
    # Nothing was deleted, not even the cascaded rows.
    assert Owner.objects.count() == 1 and Cascaded.objects.count() == 1
    with pytest.raises(ProtectedError):
        Owner.objects.all().delete()
    guard.delete()
    owner.delete()
    assert Owner.objects.count() == 0 and Cascaded.objects.count() == 0


def test_set_null_needs_a_nullable_field(db: DB) -> None:
    with pytest.raises(ConfigError, match="null=True"):

        class Broken(db.Model):
            owner = fields.ForeignKey("Other", on_delete=SET_NULL)

    with pytest.raises(ConfigError, match="on_delete"):

        class Broken2(db.Model):
            owner = fields.ForeignKey("Other", on_delete="DROP TABLE")


def test_deleting_through_a_many_to_many_removes_links(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    through = blog.Post._meta.get_field("tags").through
    assert through.objects.count() == 7
    s["python"].delete()
    assert through.objects.count() == 4
    s["fifth"].delete()
    assert through.objects.count() == 2
    assert sorted(t.name for t in blog.Tag.objects.all()) == ["sql", "web"]


# Declaring relations -------------------------------------------------------------------------


def test_relations_by_name_declared_later_and_to_self(db: DB) -> None:
    class Employee(db.Model):
        name = fields.String(max_length=10)
        boss = fields.ForeignKey("self", on_delete=SET_NULL, null=True, related_name="reports")
        team = fields.ForeignKey("Team", on_delete=CASCADE, null=True, related_name="members")
        friends = fields.ManyToMany("self", related_name="friend_of")

    assert db.registry.unresolved() == ["test_relations.team"]

    class Team(db.Model):
        name = fields.String(max_length=10)

    assert db.registry.unresolved() == []
    db.create_all()
    team = Team.objects.create(name="core")
    boss = Employee.objects.create(name="boss", team=team)
    one = Employee.objects.create(name="one", boss=boss, team=team)
    two = Employee.objects.create(name="two", boss=boss)
    assert sorted(e.name for e in boss.reports.all()) == ["one", "two"]
    assert one.boss == boss and boss.boss is None
    assert sorted(e.name for e in team.members.all()) == ["boss", "one"]
    assert [e.name for e in Employee.objects.filter(boss__name="boss", team__name="core")] == ["one"]
    one.friends.add(two)
    assert [e.name for e in one.friends.all()] == ["two"]
    assert [e.name for e in two.friend_of.all()] == ["one"]
    assert [e.name for e in Employee.objects.select_related("boss__team").filter(pk=one.pk)] == ["one"]
    boss.delete()
    assert Employee.objects.get(pk=one.pk).boss_id is None


def test_explicit_through_model(db: DB) -> None:
    class Person(db.Model):
        name = fields.String(max_length=10)

    class Group(db.Model):
        name = fields.String(max_length=10)
        members = fields.ManyToMany(Person, through="Membership", related_name="groups")

    class Membership(db.Model):
        person = fields.ForeignKey(Person, on_delete=CASCADE)
        group = fields.ForeignKey(Group, on_delete=CASCADE)
        role = fields.String(max_length=10, default="member")

        class Meta:
            unique_together = [("person", "group")]

    db.create_all()
    ann, bob = Person.objects.create(name="ann"), Person.objects.create(name="bob")
    admins = Group.objects.create(name="admins")
    Membership.objects.create(person=ann, group=admins, role="owner")
    admins.members.add(bob)
    assert sorted(p.name for p in admins.members.all()) == ["ann", "bob"]
    assert [g.name for g in ann.groups.all()] == ["admins"]
    assert Membership.objects.get(person=bob).role == "member"
    assert [p.name for p in Group.objects.get(name="admins").members.filter(membership__role="owner")] == [
        "ann"
    ]
    assert [p.name for p in Person.objects.filter(groups__name="admins", membership__role="owner")] == ["ann"]
    with db.queries() as sql:
        groups = list(Group.objects.prefetch_related("members"))
        assert sorted(p.name for p in groups[0].members.all()) == ["ann", "bob"]
    assert len(sql) == 3
    admins.members.remove(ann)
    assert Membership.objects.count() == 1
    assert db.registry.get_model("test_relations.Membership") is Membership


def test_through_model_without_the_right_foreign_keys(db: DB) -> None:
    class Person(db.Model):
        pass

    with pytest.raises(ConfigError, match="needs a ForeignKey"):

        class Club(db.Model):
            members = fields.ManyToMany(Person, through="Badge")

        class Badge(db.Model):
            person = fields.ForeignKey(Person, on_delete=CASCADE)


def test_related_name_clashes_are_reported(db: DB) -> None:
    class Writer(db.Model):
        pass

    class Book(db.Model):
        writer = fields.ForeignKey(Writer, on_delete=CASCADE)

    assert Writer._meta.get_field  # the default accessor is book_set
    writer_book = next(r for r in Writer._meta.related_objects if r.model is Book)
    assert writer_book.accessor_name == "book_set"
    db.create_all()
    writer = Writer.objects.create()
    Book.objects.create(writer=writer)
    assert writer.book_set.count() == 1
    assert Writer.objects.filter(book__isnull=False).count() == 1


def test_nested_prefetch_is_one_query_per_level(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    with db.queries() as sql:
        authors = list(
            blog.Author.objects.prefetch_related("posts__tags", "posts__comments").order_by("name")
        )
        tags = {a.name: sorted({t.name for p in a.posts.all() for t in p.tags.all()}) for a in authors}
        comments = {a.name: sorted(c.body for p in a.posts.all() for c in p.comments.all()) for a in authors}
    assert len(sql) == 5  # authors, posts, tag links, tags, comments
    assert tags == {"Ann": ["python", "sql", "web"], "Bob": ["sql"], "Cy": []}
    assert comments == {"Ann": ["meh", "nice"], "Bob": ["ok"], "Cy": []}
    with db.queries() as sql:
        comments_list = list(blog.Comment.objects.prefetch_related("post__author").order_by("pk"))
        assert [c.post.author.name for c in comments_list] == ["Ann", "Ann", "Bob"]
    assert len(sql) == 3
    with pytest.raises(FieldError, match="nope"):
        blog.Author.objects.prefetch_related("posts__nope")


def test_prefetch_over_many_objects_runs_in_batches(db: DB, blog: Blog) -> None:
    authors = blog.Author.objects.bulk_create([blog.Author(name=f"a{i}") for i in range(1500)])
    blog.Post.objects.bulk_create(
        [blog.Post(title="t", slug=f"s{i}", author=author) for i, author in enumerate(authors[::100])]
    )
    with db.queries() as sql:
        loaded = list(blog.Author.objects.prefetch_related("posts"))
        assert sum(len(a.posts.all()) for a in loaded) == 15
    assert len(sql) == 3  # the authors, then their posts in two batches of ids


def test_many_to_many_create_links_the_new_object(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = s["fourth"]
    tag = post.tags.create(name="new")
    assert tag.pk is not None
    assert [t.name for t in post.tags.all()] == ["new"]
    assert [p.title for p in tag.posts.all()] == ["Fourth wall"]
    later = tag.posts.create(title="Via tag", slug="via-tag", author=s["cy"])
    assert [t.name for t in later.tags.all()] == ["new"]

    async def main() -> list[str]:
        await post.tags.acreate(name="newer")
        return sorted(t.name for t in await post.tags.all())

    assert db.run(main()) == ["new", "newer"]


def test_many_to_many_refuses_wrong_or_unsaved_objects(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = s["fourth"]
    with pytest.raises(TypeError, match="Tag"):
        post.tags.add(s["ann"])
    with pytest.raises(ValueError, match="saved"):
        post.tags.add(blog.Tag(name="unsaved"))
    assert post.tags.count() == 0


def test_many_to_many_set_changes_only_what_differs(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    post = s["fifth"]  # python, sql, web
    through = blog.Post._meta.get_field("tags").through
    kept = through.objects.get(post=post, tag=s["sql"])
    post.tags.set([s["sql"], s["web"]])
    assert sorted(t.name for t in post.tags.all()) == ["sql", "web"]
    assert through.objects.get(post=post, tag=s["sql"]).pk == kept.pk  # the link was not recreated
    post.tags.set([])
    assert post.tags.count() == 0


def test_reverse_side_cannot_be_assigned(db: DB, blog: Blog, s: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match=r"posts\.add\(\)"):
        s["ann"].posts = []
    with pytest.raises(TypeError):
        s["python"].posts = []


def test_models_with_only_a_primary_key(db: DB) -> None:
    class Token(db.Model):
        pass

    db.create_all()
    made = Token.objects.bulk_create([Token(), Token(), Token()])
    assert len({t.pk for t in made}) == 3 and all(t.pk for t in made)
    one = Token.objects.create()
    one.save()
    assert Token.objects.count() == 4
