"""vivace, as its README writes an app: a bare ``App`` with its defaults on.

The database tests (db, queries, fortunes, updates) come with vivace's data
layer; until then the runner reports them as pending (``PENDING`` in
``bench/techempower/cases.py``).
"""

from __future__ import annotations

from vivace import App, PlainTextResponse, Request

app = App(__name__, allowed_hosts=["127.0.0.1", "localhost"])


@app.get("/plaintext")
async def plaintext(request: Request) -> PlainTextResponse:
    return PlainTextResponse("Hello, World!")


@app.get("/json")
async def json(request: Request) -> dict[str, str]:
    return {"message": "Hello, World!"}
