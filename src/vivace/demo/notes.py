"""Short notes about vivace, routed with a Django-style URL list.

``app.py`` mounts ``urlpatterns`` with ``path("notes/", include(notes,
namespace="notes"))``, so the names here become ``notes:list`` and
``notes:detail``.
"""

from __future__ import annotations

from dataclasses import dataclass

from vivace import HTMLResponse, Request, abort, path, render


@dataclass(frozen=True)
class Note:
    slug: str
    title: str
    body: str


NOTES = (
    Note(
        "routing",
        "One router, two styles",
        'Decorator paths are absolute, as in Flask: @app.get("/api/entries"). '
        'URL lists are relative, as in Django: path("notes/", include(...)). Both share '
        "one path syntax (<int:id>, <slug:slug>, <path:rest>) and one url_for.",
    ),
    Note(
        "templates",
        "Templates with inheritance",
        "Pages extend base.html and fill its blocks. Autoescape is on, so whatever a "
        "visitor types is shown as text. url_for() and static() are template globals.",
    ),
    Note(
        "modules",
        "Modules",
        "A Module groups routes, templates and static files; app.register(module, "
        'prefix="/blog") mounts it and names its routes blog:name.',
    ),
)
BY_SLUG = {note.slug: note for note in NOTES}


async def note_list(request: Request) -> HTMLResponse:
    return render(request, "notes/list.html", notes=NOTES)


async def note_detail(request: Request, slug: str) -> HTMLResponse:
    note = BY_SLUG.get(slug)
    if note is None:
        abort(404, f"there is no note called {slug!r}")
    return render(request, "notes/detail.html", note=note, notes=NOTES)


urlpatterns = [
    path("", note_list, name="list"),
    path("<slug:slug>/", note_detail, name="detail"),
]
