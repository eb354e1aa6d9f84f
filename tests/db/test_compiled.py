"""The compiled-statement cache: values laid out in the order of the placeholders."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from vivace.db.compiled import Compiled, param


def table() -> sa.Table:
    metadata = sa.MetaData()
    return sa.Table(
        "t",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.Text),
        sa.Column("b", sa.Text),
    )


def test_named_placeholders_take_values_by_name() -> None:
    t = table()
    statement = sa.update(t).values({"b": param(0), "a": param(1)}).where(t.c.id == param(2))
    compiled = Compiled(statement, postgresql.psycopg.dialect())  # type: ignore[attr-defined]
    assert compiled.bind(["B", "A", 1]) == {"p0": "B", "p1": "A", "p2": 1}


def test_positional_placeholders_in_numbering_order() -> None:
    t = table()
    statement = sa.select(t.c.id).where(t.c.a == param(0), t.c.b == param(1)).limit(param(2))
    compiled = Compiled(statement, sqlite.dialect(paramstyle="qmark"))
    # SQLite's LIMIT comes with an OFFSET of its own, a constant.
    assert compiled.sql.endswith("LIMIT ? OFFSET ?")
    assert list(compiled.bind(["A", "B", 5])) == ["A", "B", 5, 0]


def test_positional_placeholders_out_of_numbering_order() -> None:
    t = table()
    statement = sa.update(t).values({"b": param(0), "a": param(1)}).where(t.c.id == param(2))
    compiled = Compiled(statement, sqlite.dialect(paramstyle="qmark"))
    assert compiled.sql == "UPDATE t SET a=?, b=? WHERE t.id = ?"
    assert list(compiled.bind(["B", "A", 1])) == ["A", "B", 1]
