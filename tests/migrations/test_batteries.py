"""A battery's tables keep their own history, beside the project's: a small fake battery, "shop"."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vivace.core.exceptions import ConfigError
from vivace.db import CASCADE, ForeignKey, Registry, fields
from vivace.db.migrations import MigrationError, register, unregister

from .conftest import Project


@pytest.fixture
def shop_folder(tmp_path: Path) -> Iterator[Path]:
    """Where the battery keeps its revisions; its registration is forgotten after the test."""
    yield tmp_path / "shop" / "migrations"
    unregister("shop")


def model(registry: Registry, name: str, label: str, **members: Any) -> Any:
    meta = type("Meta", (), {"label": label})
    return type(name, (registry.Model,), {"Meta": meta, "__module__": __name__, **members})


def shop_registry(*, extra: dict[str, Any] | None = None) -> tuple[Registry, Any]:
    registry = Registry("shop")
    item = model(registry, "Item", "shop", sku=fields.String(max_length=20, unique=True), **(extra or {}))
    return registry, item


def orders(registry: Registry, item: Any) -> None:
    model(registry, "Order", "orders", item=ForeignKey(item, on_delete=CASCADE, related_name="orders"))


def test_a_battery_registry_has_its_own_branch(project: Project, shop_folder: Path) -> None:
    shop, item = shop_registry()
    register("shop", shop_folder, registry=shop)
    mine = Registry()
    orders(mine, item)
    migrations = project.migrations(mine, shop)
    assert list(migrations.branches) == ["app", "shop"]

    battery = migrations.make(branch="shop")
    assert battery is not None
    assert (battery.id, battery.path, battery.changes) == (
        "shop_0001",
        shop_folder / "0001_initial.py",
        ["create shop_item"],
    )
    made = migrations.make()
    assert made is not None
    assert made.changes == ["create orders_order"]
    assert "depends_on = 'shop_0001'" in made.path.read_text()

    # An empty database gets both histories, the battery's first since the project's refers to it.
    assert [s.id for s in migrations.migrate()] == ["shop_0001", "app_0001"]
    assert {"shop_item", "orders_order"} <= project.tables()
    status = migrations.status()
    assert {label: [(r.id, r.applied) for r in revisions] for label, revisions in status.items()} == {
        "app": [("app_0001", True)],
        "shop": [("shop_0001", True)],
    }
    assert migrations.changes() == []
    assert migrations.changes("shop") == []

    # Undoing the battery undoes what depends on it first.
    assert [s.id for s in migrations.downgrade("shop@base")] == ["app_0001", "shop_0001"]
    assert project.tables() == {"vivace_migrations"}


def test_a_battery_label_owns_its_models_in_a_shared_registry(project: Project, shop_folder: Path) -> None:
    register("shop", shop_folder)
    registry = Registry()
    item = model(registry, "Item", "shop", sku=fields.String(max_length=20))
    orders(registry, item)
    migrations = project.migrations(registry)
    shop = migrations.make(branch="shop")
    app = migrations.make()
    assert shop is not None and app is not None
    assert (shop.changes, app.changes) == (["create shop_item"], ["create orders_order"])
    migrations.migrate()
    assert migrations.changes() == []
    assert migrations.changes("shop") == []


def test_project_revisions_leave_the_batterys_tables_alone(project: Project, shop_folder: Path) -> None:
    shop, item = shop_registry()
    register("shop", shop_folder, registry=shop)
    mine = Registry()
    orders(mine, item)
    first = project.migrations(mine, shop)
    first.make(branch="shop")
    first.make()
    first.migrate()

    changed, item = shop_registry(extra={"price": fields.Integer(default=0)})
    unregister("shop")
    register("shop", shop_folder, registry=changed)
    mine = Registry()
    orders(mine, item)
    migrations = project.migrations(mine, changed)
    assert migrations.make() is None
    made = migrations.make(branch="shop")
    assert made is not None
    assert (made.id, made.changes) == ("shop_0002", ["add shop_item.price"])
    migrations.migrate()
    assert "price" in project.columns("shop_item")


def test_a_revision_shipped_with_the_battery(project: Project, shop_folder: Path) -> None:
    shop_folder.mkdir(parents=True)
    (shop_folder / "0001_initial.py").write_text(
        textwrap.dedent(
            """
            import sqlalchemy as sa
            from alembic import op

            revision = "shop_0001"
            down_revision = None
            branch_labels = ("shop",)
            depends_on = None


            def upgrade() -> None:
                op.create_table(
                    "shop_item",
                    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
                    sa.Column("sku", sa.String(20), nullable=False),
                    sa.UniqueConstraint("sku", name="uq_shop_item_sku"),
                )


            def downgrade() -> None:
                op.drop_table("shop_item")
            """
        )
    )
    shop, _ = shop_registry()
    register("shop", shop_folder, registry=shop)
    migrations = project.migrations(shop)
    assert [s.id for s in migrations.migrate()] == ["shop_0001"]
    assert "shop_item" in project.tables()
    assert migrations.changes("shop") == []
    assert migrations.make() is None


def test_a_project_revision_cannot_point_at_a_battery_without_migrations(
    project: Project, shop_folder: Path
) -> None:
    shop, item = shop_registry()
    register("shop", shop_folder, registry=shop)
    mine = Registry()
    orders(mine, item)
    with pytest.raises(MigrationError, match="make those first"):
        project.migrations(mine, shop).make()


@pytest.mark.parametrize("label", ["app", "Shop", "with space", "x" * 30, ""])
def test_a_bad_label_is_refused(label: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        register(label, tmp_path)


def test_a_label_is_registered_once(shop_folder: Path, tmp_path: Path) -> None:
    register("shop", shop_folder)
    register("shop", shop_folder)
    with pytest.raises(ConfigError, match="already registered"):
        register("shop", tmp_path / "elsewhere")
