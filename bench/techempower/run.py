"""TechEmpower's test types for vivace and its peers, side by side, checked before they are timed.

Run from the repository root, after ``pip install -r bench/techempower/requirements.txt``:

    python bench/techempower/run.py                       # everything; ~45 min on 2 cores
    python bench/techempower/run.py --tests plaintext,json --rounds 3 --duration 10
    python bench/techempower/run.py --smoke               # CI: every case checked, ~1 s of load each
    python bench/techempower/run.py --profile production  # vivace on its production servers

The run makes its own databases (a SQLite file and a throwaway PostgreSQL
cluster), starts every server pinned to core 0 (PostgreSQL too), checks every
endpoint, warms each case up, then times interleaved rounds with ``wrk`` on
core 1. It writes ``bench/results/techempower[-production][-smoke].{md,json}``
(or ``--output PREFIX``) and exits 1 when any case is missing or fails its
checks.

To see where the time goes, ``inprocess.py`` calls each app in a loop without
a server (``--cprofile N`` to profile it) and ``protocols.py`` measures the
server's own cost per request, uvicorn's protocol against vivace's, with and
without the access log.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # bench/, for harness

from cases import DATABASES, PEERS, REFERENCES, Case, Entry, matrix, production_entries
from checks import check
from databases import Database, databases
from harness import RESULTS_DIR, stopwatch, write_json
from load import LoadError, Sample, run_wrk, write_script, wrk_path
from report import Result, markdown, run_record
from servers import Server, ServerError, start, wait_until_quiet
from spec import ACCEPT, TESTS


@dataclass(frozen=True)
class Plan:
    profile: str
    smoke: bool
    rounds: int
    duration: int
    warmup: int
    connections: int
    server_cores: str | None
    load_cores: str | None
    load_threads: int

    def describe(self) -> str:
        pinned = (
            f"each server one worker pinned to core {self.server_cores}, wrk on core {self.load_cores}"
            if self.server_cores is not None
            else "servers and wrk unpinned, sharing every core"
        )
        warm = f"a {self.warmup} s warm-up per case, " if self.warmup else "no warm-up, "
        return (
            f"{pinned}; every endpoint checked first; {warm}then {self.rounds} interleaved "
            f"round(s) of {self.duration} s per case, wrk -t{self.load_threads} -c{self.connections}; "
            "figures are medians over rounds"
        )


def parse_args(argv: Sequence[str] | None) -> tuple[Plan, list[Entry], list[str], list[str], Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--smoke", action="store_true", help="check everything, ~1 s of load per case, 1 round"
    )
    parser.add_argument("--profile", choices=("peers", "production"), default="peers")
    parser.add_argument(
        "--frameworks",
        help="comma-separated app names (default: all of the profile; raw-asgi+headers only when named)",
    )
    parser.add_argument("--tests", help=f"comma-separated, of {','.join(TESTS)} (default: all)")
    parser.add_argument("--databases", default=",".join(DATABASES), help="sqlite,postgres (default: both)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3; smoke 1)")
    parser.add_argument(
        "--duration", type=int, help="seconds of load per case and round (default 10; smoke 1)"
    )
    parser.add_argument("--warmup", type=int, help="seconds of warm-up per case (default 5; smoke 0)")
    parser.add_argument("--connections", type=int, help="wrk connections (default 64; smoke 16)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="production profile: workers per server (default: the number of cores)",
    )
    parser.add_argument("--output", type=Path, help="write PREFIX.md and PREFIX.json")
    args = parser.parse_args(argv)

    entries = list(PEERS if args.profile == "peers" else production_entries(args.workers))
    if args.frameworks:
        wanted = args.frameworks.split(",")
        known = [*entries, *REFERENCES] if args.profile == "peers" else entries
        unknown = set(wanted) - {e.name for e in known}
        if unknown:
            parser.error(f"unknown app(s) {sorted(unknown)}; the profile has {[e.name for e in known]}")
        entries = [e for e in known if e.name in wanted]
    default_tests = list(TESTS) if args.profile == "peers" else ["plaintext", "json"]
    tests = args.tests.split(",") if args.tests else default_tests
    dbs = args.databases.split(",")
    if set(tests) - set(TESTS) or set(dbs) - set(DATABASES) or not dbs:
        parser.error(f"tests are {list(TESTS)}, databases {list(DATABASES)}")

    two_cores = (os.cpu_count() or 1) >= 2
    pinned = args.profile == "peers"
    plan = Plan(
        profile=args.profile,
        smoke=args.smoke,
        rounds=args.rounds or (1 if args.smoke else 3),
        duration=args.duration or (1 if args.smoke else 10),
        warmup=args.warmup if args.warmup is not None else (0 if args.smoke else 5),
        connections=args.connections or (16 if args.smoke else 64),
        server_cores="0" if pinned else None,
        load_cores=("1" if two_cores else "0") if pinned else None,
        load_threads=1 if pinned else max(1, (os.cpu_count() or 1)),
    )
    if plan.rounds < 1 or plan.duration < 1 or plan.warmup < 0:
        parser.error("--rounds and --duration must be at least 1, --warmup at least 0")
    name = "techempower" + ("-production" if args.profile == "production" else "")
    output = args.output or RESULTS_DIR / (name + ("-smoke" if args.smoke else ""))
    return plan, entries, tests, dbs, output


def run(
    plan: Plan, entries: tuple[Entry, ...], tests: list[str], dbs: list[str], work: Path
) -> tuple[list[Result], dict[str, str]]:
    cases = matrix(entries, tests, dbs)
    results = {case.key: Result(case) for case in cases}
    script = write_script(work)
    needs_databases = any(TESTS[test].uses_database for test in tests)
    groups = dbs if needs_databases else dbs[:1]
    with databases(groups, work) as made:
        described = {name: db.describe() for name, db in made.items()}
        for index, group in enumerate(groups):
            in_group = [c for c in cases if c.database == group or (c.database is None and index == 0)]
            run_group(plan, entries, in_group, made[group], results, script, work / "logs")
    return list(results.values()), described


def run_group(
    plan: Plan,
    entries: tuple[Entry, ...],
    cases: list[Case],
    database: Database,
    results: dict[tuple[str, str, str], Result],
    script: Path,
    logs: Path,
) -> None:
    """Start every server on ``database``, check every case, then time the ones that passed."""
    servers: dict[str, Server] = {}
    try:
        for entry in entries:
            say(f"[{database.name}] starting {entry.name} on {entry.server_label}")
            try:
                servers[entry.name] = start(entry, database.url, logs, plan.server_cores)
            except ServerError as exc:
                for case in cases:
                    if case.entry is entry:
                        results[case.key].fail(str(exc))
        timed: list[Case] = []
        for case in cases:
            server = servers.get(case.entry.name)
            if server is None:
                continue
            verdict = check(server.port, case.test, database if case.database else None)
            result = results[case.key]
            result.status, result.problems = verdict.status, verdict.problems
            say(f"[{database.name}] check {' · '.join(case.key)}: {result.verdict()}")
            if verdict.status == "ok":
                timed.append(case)
        running = list(servers.values())
        wait_until_quiet(running, database.pids)
        if plan.warmup:
            for case in timed:
                load(plan, script, servers[case.entry.name], case, results[case.key], plan.warmup)
                wait_until_quiet(running, database.pids)
        order = list(dict.fromkeys((case.test, case.database) for case in timed))
        for round_index in range(plan.rounds):
            for test, db in order:
                row = [case for case in timed if (case.test, case.database) == (test, db)]
                if round_index % 2:
                    row.reverse()
                for case in row:
                    result = results[case.key]
                    if result.status != "ok":
                        continue
                    sample = load(plan, script, servers[case.entry.name], case, result, plan.duration)
                    waited = wait_until_quiet(running, database.pids)
                    if sample is not None:
                        result.samples.append(sample)
                        say(
                            f"[{database.name}] round {round_index + 1} {' · '.join(case.key)}: "
                            f"{sample.rps:,.0f} req/s, {sample.cpu_us or 0:,.0f} CPU µs/req, "
                            f"p99 {sample.p99_ms:.2f} ms, {sample.errors} errors, "
                            f"{waited:.1f} s to drain"
                        )
    finally:
        for server in servers.values():
            server.stop()


def load(plan: Plan, script: Path, server: Server, case: Case, result: Result, seconds: int) -> Sample | None:
    """One wrk run of ``case``; on failure the result is marked failed and ``None`` returned."""
    test = TESTS[case.test]
    cpu_before = server.cpu_seconds()
    try:
        sample = run_wrk(
            server.url + test.path,
            script=script,
            seconds=seconds,
            connections=plan.connections,
            threads=plan.load_threads,
            pipeline=test.pipeline,
            accept=ACCEPT[test.body],
            cores=plan.load_cores,
        )
    except LoadError as exc:
        result.fail(str(exc))
        return None
    if server.process.poll() is not None:
        result.fail(f"the server died under load ({server.process.returncode}):\n{server.log_tail()}")
        return None
    sample.server_cpu_s = server.cpu_seconds() - cpu_before
    return sample


_CLOCK = stopwatch()


def say(message: str) -> None:
    print(f"{_CLOCK():6.1f} s  {message}", flush=True)


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    # A terminated run still stops its servers and removes its PostgreSQL cluster.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGHUP, _exit_on_signal)
    plan, entry_list, tests, dbs, output = parse_args(argv)
    entries = tuple(entry_list)
    wrk_path()
    elapsed = stopwatch()
    with tempfile.TemporaryDirectory(prefix="vivace-tfb-") as folder:
        results, described = run(plan, entries, tests, dbs, Path(folder))
    record = run_record(
        profile=plan.profile,
        smoke=plan.smoke,
        method=plan.describe(),
        databases=described,
    )
    record["seconds"] = round(elapsed(), 1)
    record["cases"] = [result.record() for result in results]
    text = markdown(record, results, entries)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".md").write_text(text + "\n", encoding="utf-8")
    write_json(output.with_suffix(".json"), record)
    print("\n" + text)
    bad = [result for result in results if not result.acceptable]
    for result in bad:
        print(f"NOT OK {' · '.join(result.case.key)}: {result.verdict()}", file=sys.stderr)
    print(f"wrote {output.with_suffix('.md')} and .json in {elapsed():.0f} s", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
