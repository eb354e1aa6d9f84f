"""Flask, as its documentation writes an app: Flask-SQLAlchemy models, jsonify, render_template.

Served by gunicorn with one sync worker.
"""

from __future__ import annotations

import os
import random

from flask import Flask, Response, jsonify, render_template, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def sync_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class World(db.Model):
    __tablename__ = "world"
    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]

    def as_dict(self) -> dict[str, int]:
        return {"id": self.id, "randomNumber": self.randomnumber}


class Fortune(db.Model):
    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = sync_url(os.environ["DATABASE_URL"])
db.init_app(app)


def queries_count() -> int:
    try:
        count = int(request.args.get("queries", "1"))
    except ValueError:
        return 1
    return min(max(count, 1), 500)


@app.get("/plaintext")
def plaintext() -> Response:
    return Response("Hello, World!", mimetype="text/plain")


@app.get("/json")
def json() -> Response:
    return jsonify(message="Hello, World!")


@app.get("/db")
def single_query() -> Response:
    world = db.session.get(World, random.randint(1, 10000))
    return jsonify(world.as_dict())


@app.get("/queries")
def queries() -> Response:
    ids = random.sample(range(1, 10001), queries_count())
    return jsonify([db.session.get(World, id_).as_dict() for id_ in ids])


@app.get("/fortunes")
def fortunes() -> str:
    rows = list(db.session.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message="Additional fortune added at request time."))
    rows.sort(key=lambda fortune: fortune.message)
    return render_template("fortunes.html", fortunes=rows)


@app.get("/updates")
def updates() -> Response:
    ids = sorted(random.sample(range(1, 10001), queries_count()))
    worlds = [db.session.get(World, id_) for id_ in ids]
    for world in worlds:
        world.randomnumber = random.randint(1, 10000)
    body = [world.as_dict() for world in worlds]
    db.session.commit()
    return jsonify(body)
