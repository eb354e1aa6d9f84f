"""Routing micro-benchmark: does matching slow down as an app grows from 10 to 1,000 routes?

Run from the repository root:

    python bench/routing.py            # full run, ~12 s; writes bench/results/routing.json
    python bench/routing.py --quick    # smoke run for CI, a few hundred ms, writes nothing

Two apps are built through ``App.add_route`` (so the routes are parsed,
wrapped and indexed exactly as in a real app), one with 10 routes and one
with 1,000. Both look like a JSON API: resources under ``/api/v1/`` and
``/api/v2/``, each with a collection, a few static sub-paths and mostly
dynamic routes below ``<int:id>`` (int, slug, uuid and str converters). Both
end with the same four routes, registered last, that the cases probe:

    GET        /api/v1/health                                         static
    GET, PATCH /api/v1/projects/<int:project_id>
    GET        /api/v1/projects/<int:project_id>/tasks/<slug:task>
    GET        /api/v1/projects/<int:project_id>/tasks/<slug:task>/notes/<uuid:note_id>

The cases, each timed as ``app.router.match(method, path)``:

    last    GET the last-registered route (dynamic, three converters)
    static  GET /api/v1/health
    404     GET a near miss: the last route's path with a wrong final segment,
            so the router walks the whole branch before giving up
    405     DELETE the last route's path (only GET and HEAD are routed)

Every case is checked (right route, right parameters, right error and Allow
set) before any timing. Results come by wall clock and by the thread's CPU
time (see harness.py); on a busy machine compare the CPU table.

The goal is that the 1,000-route figures stay within 10% of the 10-route
ones: the cost of a match should follow the depth of the path, not the size
of the route table.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harness import (
    CLOCKS,
    RESULTS_DIR,
    Case,
    Clock,
    Runner,
    case_record,
    describe_machine,
    describe_plan,
    machine,
    markdown_table,
    measure,
    noise_warning,
    ns,
    parse_args,
    stopwatch,
    write_json,
)

from vivace import App
from vivace.core.exceptions import MethodNotAllowed, NotFound

SIZES = (10, 1000)
GOAL = 1.10

RESOURCES = (
    "users",
    "orders",
    "invoices",
    "products",
    "carts",
    "payments",
    "refunds",
    "shipments",
    "warehouses",
    "suppliers",
    "customers",
    "reviews",
    "coupons",
    "categories",
    "articles",
    "authors",
    "teams",
    "webhooks",
    "tickets",
    "subscriptions",
    "plans",
    "reports",
    "devices",
    "locations",
    "channels",
    "messages",
    "files",
    "albums",
    "playlists",
    "events",
    "venues",
    "courses",
)

# (pattern below /api/<version>/<resource>, methods, name); one entry per add_route call.
RESOURCE_ROUTES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("", ("GET", "POST"), "list"),
    ("/search", ("GET",), "search"),
    ("/export.csv", ("GET",), "export"),
    ("/<int:id>", ("GET", "PUT", "PATCH", "DELETE"), "detail"),
    ("/<int:id>/history", ("GET",), "history"),
    ("/<int:id>/comments", ("GET", "POST"), "comments"),
    ("/<int:id>/comments/<int:comment_id>", ("GET", "DELETE"), "comment"),
    ("/<int:id>/tags", ("GET",), "tags"),
    ("/<int:id>/tags/<slug:tag>", ("PUT", "DELETE"), "tag"),
    ("/<int:id>/attachments/<uuid:attachment_id>", ("GET",), "attachment"),
    ("/<int:id>/fields/<str:field>", ("GET",), "field"),
    ("/<int:id>/events/<int:event_id>/payload", ("GET",), "payload"),
    ("/<int:id>/audit/<uuid:entry_id>", ("GET",), "audit"),
    ("/<int:id>/members/<slug:member>/roles", ("GET",), "roles"),
    ("/by-slug/<slug:slug>", ("GET",), "by-slug"),
    ("/by-uuid/<uuid:uid>", ("GET",), "by-uuid"),
)

PROBE_ROUTES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("/api/v1/health", ("GET",), "health"),
    ("/api/v1/projects/<int:project_id>", ("GET", "PATCH"), "project"),
    ("/api/v1/projects/<int:project_id>/tasks/<slug:task>", ("GET",), "task"),
    ("/api/v1/projects/<int:project_id>/tasks/<slug:task>/notes/<uuid:note_id>", ("GET",), "note"),
)

NOTE_ID = uuid.UUID("6f1c2a9e-3b7d-4e58-9a10-5c2f8d7e4b31")
LAST_PATH = f"/api/v1/projects/4711/tasks/fix-login-form/notes/{NOTE_ID}"


@dataclass(frozen=True)
class Probe:
    """One case: a request and what the router must answer to it."""

    name: str
    method: str
    path: str
    route: str | None = None
    params: dict[str, Any] | None = None
    error: type[Exception] | None = None


PROBES = (
    Probe(
        "last",
        "GET",
        LAST_PATH,
        route=PROBE_ROUTES[-1][0],
        params={"project_id": 4711, "task": "fix-login-form", "note_id": NOTE_ID},
    ),
    Probe("static", "GET", "/api/v1/health", route="/api/v1/health", params={}),
    Probe("404", "GET", "/api/v1/projects/4711/tasks/fix-login-form/missing", error=NotFound),
    Probe("405", "DELETE", LAST_PATH, error=MethodNotAllowed),
)


async def endpoint(request: Any, **params: Any) -> dict[str, Any]:
    return params


def filler_routes() -> Iterator[tuple[str, tuple[str, ...], str]]:
    """Routes of a growing API, in registration order, none of them a probe."""
    for version in ("v1", "v2"):
        for resource in RESOURCES:
            for pattern, methods, kind in RESOURCE_ROUTES:
                yield f"/api/{version}/{resource}{pattern}", methods, f"{version}:{resource}:{kind}"


def build_app(size: int, root: str) -> App:
    """A bare app with ``size`` routes, the probe routes registered last."""
    fillers = size - len(PROBE_ROUTES)
    routes = [route for _, route in zip(range(fillers), filler_routes(), strict=False)]
    if len(routes) < fillers:
        raise ValueError(f"the filler table holds only {len(routes)} routes, {fillers} asked")
    app = App("bench_routing", root=root)
    for path, methods, name in [*routes, *PROBE_ROUTES]:
        app.add_route(path, endpoint, methods, name=name)
    if len(app.router.routes) != size:
        raise AssertionError(f"expected {size} routes, the router holds {len(app.router.routes)}")
    return app


def check(app: App, probe: Probe) -> None:
    """Fail loudly unless the router answers ``probe`` as expected."""
    where = f"{len(app.router.routes)} routes, {probe.name}: {probe.method} {probe.path}"
    if probe.error is None:
        route, params = app.router.match(probe.method, probe.path)
        if route.path != probe.route or params != probe.params:
            raise AssertionError(f"{where}: matched {route.path} with {params}")
        return
    try:
        route, params = app.router.match(probe.method, probe.path)
    except probe.error as exc:
        if isinstance(exc, MethodNotAllowed):
            target, _ = app.router.match("GET", probe.path)
            expected = sorted(target.methods)
            if exc.allowed != expected:
                raise AssertionError(f"{where}: Allow {exc.allowed}, expected {expected}") from None
        return
    except Exception as exc:
        raise AssertionError(f"{where}: raised {exc!r}, expected {probe.error.__name__}") from None
    raise AssertionError(f"{where}: matched {route.path}, expected {probe.error.__name__}")


def runner_for(app: App, probe: Probe) -> Runner:
    match = app.router.match
    method, path = probe.method, probe.path

    if probe.error is None:

        def run(loops: int) -> None:
            for _ in range(loops):
                match(method, path)

        return run

    error = probe.error

    def run_failing(loops: int) -> None:
        for _ in range(loops):
            try:  # noqa: SIM105 - contextlib.suppress would add its own cost to each match
                match(method, path)
            except error:
                pass

    return run_failing


def report(cases: dict[tuple[str, int], Case], clock: Clock) -> tuple[str, dict[str, Any]]:
    """The markdown table for one clock, and its figures for the JSON file."""
    small, large = SIZES
    rows = []
    ratios: dict[str, Any] = {}
    for probe in PROBES:
        a, b = cases[probe.name, small], cases[probe.name, large]
        ratio = b.median(clock) / a.median(clock)
        rows.append(
            [
                f"{probe.name} ({probe.method})",
                ns(a.median(clock)),
                ns(b.median(clock)),
                f"{ratio:.2f}x",
                f"±{max(a.spread(clock), b.spread(clock)) * 100:.1f}%",
                "yes" if ratio <= GOAL else "NO",
            ]
        )
        ratios[probe.name] = {"ratio": round(ratio, 4), "within_goal": ratio <= GOAL}
    header = [
        "case",
        f"{small} routes (ns/match)",
        f"{large:,} routes (ns/match)",
        f"ratio {large}/{small}",
        "spread",
        f"within {round((GOAL - 1) * 100)}%",
    ]
    return markdown_table(header, rows), ratios


def main() -> int:
    plan, json_path = parse_args("Routing: ns per match with 10 and with 1,000 routes.")
    if json_path is None and not plan.quick:
        json_path = RESULTS_DIR / "routing.json"
    elapsed = stopwatch()
    info = machine()

    with tempfile.TemporaryDirectory() as root:
        apps = {size: build_app(size, root) for size in SIZES}
        for app in apps.values():
            for probe in PROBES:
                check(app, probe)
        # For each probe, the small and the large table are measured back to back.
        cases = {
            (probe.name, size): Case(f"{probe.name} @ {size}", runner_for(apps[size], probe))
            for probe in PROBES
            for size in SIZES
        }
        measure(list(cases.values()), plan)

    print(f"Routing benchmark — {describe_plan(plan)}")
    print(f"Machine: {describe_machine(info)}")
    results: dict[str, Any] = {
        probe.name: {
            "method": probe.method,
            "path": probe.path,
            **{str(size): case_record(cases[probe.name, size]) for size in SIZES},
        }
        for probe in PROBES
    }
    for clock, title in CLOCKS.items():
        table, ratios = report(cases, clock)
        print()
        print(f"{title}:")
        print()
        print(table)
        for name, verdict in ratios.items():
            results[name][f"{clock}_ratio"] = verdict["ratio"]
            results[name][f"{clock}_within_goal"] = verdict["within_goal"]
    print()
    print("spread: half the range of the rounds, relative to the median (the larger of the two).")
    warning = noise_warning(list(cases.values()), (GOAL - 1) / 2)
    if warning is not None and not plan.quick:
        print(warning)
    if json_path is not None:
        write_json(
            json_path,
            {
                "benchmark": "routing",
                "unit": "ns per match",
                "machine": info,
                "rounds": plan.rounds,
                "seconds_per_measurement": plan.seconds,
                "sizes": list(SIZES),
                "goal_ratio": GOAL,
                "cases": results,
            },
        )
        print(f"Wrote {json_path}")
    print(f"Total {elapsed():.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
