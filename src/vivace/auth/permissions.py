"""Permissions made for every model: ``<label>.<action>_<model>`` for view, add, change, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..db import DatabaseError, default_registry
from .models import Permission

if TYPE_CHECKING:
    from ..core.app import App


async def sync_permissions(app: App) -> int:
    """Make the view/add/change/delete permissions of every model that lacks them."""
    wanted: dict[tuple[str, str], str] = {}
    registries = [default_registry, *getattr(app.__dict__.get("db"), "registries", [])]
    for registry in dict.fromkeys(registries):
        for model in registry:
            opts = model._meta
            if getattr(opts, "auto_created", False) or opts.object_name.endswith("_through"):
                continue
            for action in ("view", "add", "change", "delete"):
                wanted[(opts.label_prefix, f"{action}_{opts.model_name}")] = (
                    f"Can {action} {opts.verbose_name}"
                )
    if default_registry.database is None:
        return 0
    existing = {(p.label, p.codename) async for p in Permission.objects.all()}
    missing = [
        Permission(label=label, codename=code, name=name)
        for (label, code), name in wanted.items()
        if (label, code) not in existing
    ]
    if missing:
        try:
            await Permission.objects.abulk_create(missing)
        except DatabaseError:
            # Another worker made them at the same moment.
            return 0
    return len(missing)
