"""vivace, as its README writes an app: a bare ``App`` with its defaults on, models, ``render``.

The handlers carry no annotations, as in the README: a return annotation
(``-> dict[str, str]``) hands the handler to vivace.api's planner, which
checks and encodes the declared type, a cost the typed-API style opts into.

The models are declared in this file, so the app opens the database named by
``DATABASE_URL`` (the runner's SQLite file or PostgreSQL cluster) at start-up;
the tables are the runner's, hence ``Meta.table_name``.
"""

from __future__ import annotations

import random

from vivace import App, PlainTextResponse, render
from vivace.db import Model, atomic, fields

app = App(__name__, allowed_hosts=["127.0.0.1", "localhost"])


class World(Model):
    random_number = fields.Integer(db_column="randomnumber")

    class Meta:
        table_name = "world"

    def as_dict(self) -> dict[str, int]:
        return {"id": self.id, "randomNumber": self.random_number}


class Fortune(Model):
    message = fields.String(max_length=2048)

    class Meta:
        table_name = "fortune"


def queries_count(request) -> int:
    try:
        count = int(request.query_params.get("queries", "1"))
    except ValueError:
        return 1
    return min(max(count, 1), 500)


@app.get("/plaintext")
async def plaintext(request):
    return PlainTextResponse("Hello, World!")


@app.get("/json")
async def json(request):
    return {"message": "Hello, World!"}


@app.get("/db")
async def db(request):
    world = await World.objects.aget(pk=random.randint(1, 10000))
    return world.as_dict()


@app.get("/queries")
async def queries(request):
    ids = random.sample(range(1, 10001), queries_count(request))
    return [(await World.objects.aget(pk=id_)).as_dict() for id_ in ids]


@app.get("/fortunes")
async def fortunes(request):
    rows = await Fortune.objects.all()
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return render(request, "fortunes.html", fortunes=rows)


@app.get("/updates")
async def updates(request):
    ids = sorted(random.sample(range(1, 10001), queries_count(request)))
    async with atomic():
        worlds = [await World.objects.aget(pk=id_) for id_ in ids]
        for world in worlds:
            world.random_number = random.randint(1, 10000)
        await World.objects.abulk_update(worlds, ["random_number"])
    return [world.as_dict() for world in worlds]
