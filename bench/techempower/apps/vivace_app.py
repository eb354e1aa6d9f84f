"""vivace, as its README writes an app: a bare ``App`` with its defaults on.

The handlers carry no annotations, as in the README: a return annotation
(``-> dict[str, str]``) hands the handler to vivace.api's planner, which
checks and encodes the declared type, a cost the typed-API style opts into.

The database tests (db, queries, fortunes, updates) come with vivace's data
layer; until then the runner reports them as pending (``PENDING`` in
``bench/techempower/cases.py``).
"""

from __future__ import annotations

from vivace import App, PlainTextResponse

app = App(__name__, allowed_hosts=["127.0.0.1", "localhost"])


@app.get("/plaintext")
async def plaintext(request):
    return PlainTextResponse("Hello, World!")


@app.get("/json")
async def json(request):
    return {"message": "Hello, World!"}
