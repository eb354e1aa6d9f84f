"""One database's measurements, in a process of its own (``run.py`` starts one per database).

Django's settings can be configured once per process and a vivace registry is
bound to one database, so each database gets a fresh interpreter: it builds
the tables and rows, opens every contender, checks every case, times them
and writes the samples as JSON for ``run.py`` to report.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cases import DbCase, build_cases, measure, operations
from data import BULK_ROWS, BULK_ROWS_QUICK, Admin, make_dataset
from harness import Plan, case_record, write_json
from targets import Target, server_version

SEED = 7


def open_contenders(target: Target, loop: asyncio.AbstractEventLoop) -> list[Any]:
    from contenders.django_orm import DjangoORM
    from contenders.raw import AioSQLite, RawPostgres, RawSQLite
    from contenders.sqlalchemy_orm import SQLAlchemyORM
    from contenders.vivace_orm import Vivace

    raw: list[Any] = [RawSQLite(target), AioSQLite(target)] if target.is_sqlite else [RawPostgres(target)]
    contenders = [*raw, Vivace(target), DjangoORM(target), SQLAlchemyORM(target)]
    for contender in contenders:
        opener = getattr(contender, "aopen", None)
        if opener is not None:
            loop.run_until_complete(opener())
    return contenders


def close_contenders(contenders: list[Any], loop: asyncio.AbstractEventLoop) -> None:
    for contender in contenders:
        loop.run_until_complete(contender.aclose())


def run(target: Target, plan: Plan, only: list[str] | None) -> dict[str, Any]:
    data = make_dataset(bulk_rows=BULK_ROWS_QUICK if plan.quick else BULK_ROWS)
    admin = Admin(target)
    admin.create(data)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    contenders = open_contenders(target, loop)
    cases: dict[str, dict[str, Any]] = {}
    try:
        for operation in operations(data):
            if only and operation.key not in only:
                continue
            group: list[DbCase] = build_cases(operation, contenders, data, admin, loop, SEED)
            _log(f"{target.name}: {operation.title}: {len(group)} cases checked, timing")
            measure(group, plan)
            for case in group:
                record = case_record(case)
                record.update(
                    operation=case.operation, title=operation.title, contender=case.contender, mode=case.mode
                )
                record["single_row"] = operation.single_row
                record["checked"] = case.checked
                cases[case.name] = record
    finally:
        close_contenders(contenders, loop)
        loop.close()
        admin.close()
    return {"server": server_version(target), "cases": cases}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--path", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--operations", default="")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    target = Target(args.target, path=args.path, host=args.host, port=args.port)
    plan = Plan(rounds=args.rounds, seconds=args.seconds, quick=args.quick)
    only = [name for name in args.operations.split(",") if name] or None
    write_json(args.out, run(target, plan, only))


if __name__ == "__main__":
    main()
