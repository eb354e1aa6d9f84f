"""The vivace demo: a guestbook, served by ``vivace demo``.

What it shows, page by page:

- every page extends ``templates/base.html`` (template inheritance), which
  links ``static/style.css`` through the ``static()`` template global;
- ``/`` has a form that posts back to ``/sign``, read with
  ``await request.form()``; what visitors type is shown through the
  templates' autoescape, so markup in it stays text;
- ``/api/entries`` answers the same entries as JSON;
- the guestbook routes are declared with decorators (``@app.get``), the
  about page and the notes with a Django-style URL list and ``include()``;
  templates reverse both with ``url_for`` (``"index"``, ``"notes:detail"``).

- ``/account/`` is for logged-in users only (``@login_required``, in
  ``accounts.py``), which switches the auth battery on: login and logout
  pages under ``/auth/``, sessions in ``db.sqlite3`` beside the demo, and
  CSRF tokens in the forms (``{{ csrf_input() }}``).
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from vivace import App, HTMLResponse, RedirectResponse, Request, include, path, redirect, render
from vivace.core.secret_key import development_key

from . import accounts, notes

MAX_NAME = 60
MAX_MESSAGE = 500
KEPT_ENTRIES = 50


class Entry(msgspec.Struct, frozen=True):
    name: str
    message: str
    created: datetime


class Guestbook:
    """The latest entries, newest first.

    Kept in memory until vivace's data layer exists: they are lost on restart
    and each worker process has its own.
    """

    def __init__(self, keep: int = KEPT_ENTRIES) -> None:
        self._entries: deque[Entry] = deque(maxlen=keep)

    def add(self, name: str, message: str) -> Entry:
        entry = Entry(name, message, datetime.now(UTC).replace(microsecond=0))
        self._entries.appendleft(entry)
        return entry

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def demo_secret_key() -> str:
    """VIVACE_SECRET_KEY, else a key kept beside the demo, so it runs with no setup (not for real apps)."""
    return os.environ.get("VIVACE_SECRET_KEY") or development_key(Path(__file__).parent)


app = App(__name__, secret_key=demo_secret_key())
# Per-app state, never a module global: two demo apps in one process share nothing.
app.state.guestbook = Guestbook()


def guestbook(request: Request) -> Guestbook:
    book: Guestbook = request.app.state.guestbook
    return book


@app.get("/")
async def index(request: Request) -> HTMLResponse:
    return _page(request)


@app.post("/sign")
async def sign(request: Request) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    name, message = form.get("name", ""), form.get("message", "")
    if not isinstance(name, str) or not isinstance(message, str):
        return _page(request, errors=["Name and message must be text, not files."], status=400)
    name, message = name.strip(), message.strip()
    errors = []
    if not name:
        errors.append("Please give your name.")
    elif len(name) > MAX_NAME:
        errors.append(f"Your name can be at most {MAX_NAME} characters.")
    if not message:
        errors.append("Please write a message.")
    elif len(message) > MAX_MESSAGE:
        errors.append(f"A message can be at most {MAX_MESSAGE} characters.")
    if errors:
        return _page(request, errors=errors, name=name, message=message, status=422)
    guestbook(request).add(name, message)
    # 303: the browser follows with a GET, so reloading the page does not post again.
    return redirect(request.app.url_for("index") + "#entries", 303)


@app.get("/api/entries")
async def entries(request: Request) -> dict[str, object]:
    book = guestbook(request)
    return {"count": len(book), "entries": list(book)}


async def about(request: Request) -> HTMLResponse:
    routes = sorted(request.app.router.routes, key=lambda route: route.path)
    return render(request, "about.html", routes=routes)


app.urls(
    [
        path("about/", about, name="about"),
        path("notes/", include(notes, namespace="notes")),
    ]
)
app.register(accounts.module, prefix="/account")


def _page(
    request: Request,
    *,
    errors: list[str] | None = None,
    name: str = "",
    message: str = "",
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "index.html",
        status=status,
        entries=list(guestbook(request)),
        errors=errors or [],
        form={"name": name, "message": message},
        max_name=MAX_NAME,
        max_message=MAX_MESSAGE,
    )
