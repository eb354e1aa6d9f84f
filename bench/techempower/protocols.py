"""The server's own cost per request: uvicorn's HTTP protocol against vivace's, without sockets.

    python bench/techempower/protocols.py
    python bench/techempower/protocols.py --cprofile 25 --variants "vivace+log"

Each variant builds one connection's protocol over an in-memory transport and
feeds it wrk's json request again and again; the app answers at once, so
what is timed is the protocol (parsing, the checks, the deadlines, writing the
response) and the access log when it is on. ``run.py --profile production``
measures the same end to end with sockets and worker processes; this isolates
the part vivace changes, in CPU µs per request, median of interleaved rounds.
The access log goes to a file, as a production server's would.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import logging.config
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spec import ACCEPT

REQUEST = (
    b"GET /json HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAccept: " + ACCEPT["json"].encode() + b"\r\n"
    b"Connection: keep-alive\r\n\r\n"
)
BODY = b'{"message":"Hello, World!"}'


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"27")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


class MemoryTransport(asyncio.Transport):
    """Keeps the last write; the protocol believes it talks to a socket."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 51234), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += 1

    def writelines(self, lines: Any) -> None:
        self.written += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        pass


def configure_logging(kind: str, log_file: Path) -> None:
    """``kind``: "off", "uvicorn" (its own config) or "vivace" (vivace's), the access log to a file."""
    from uvicorn.config import LOGGING_CONFIG

    from vivace.server.logs import log_config

    config = log_config("info") if kind == "vivace" else LOGGING_CONFIG
    config = {**config, "handlers": {**config["handlers"]}}
    config["handlers"]["access"] = {**config["handlers"]["access"], "class": "logging.FileHandler"}
    config["handlers"]["access"].pop("stream", None)
    config["handlers"]["access"]["filename"] = str(log_file)
    # dictConfig adds a logger's filters to those it has: start from none, as a new process does.
    for name in config["loggers"]:
        logging.getLogger(name).filters.clear()
    logging.config.dictConfig(config)
    access = logging.getLogger("uvicorn.access")
    if kind == "off":
        access.handlers = []
        access.propagate = False


def build(variant: str, loop: asyncio.AbstractEventLoop, log_file: Path) -> tuple[Any, MemoryTransport]:
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    from uvicorn.server import ServerState

    from vivace.server import make_config

    config = (
        make_config(app, log_level="info")
        if variant.startswith("vivace")
        else uvicorn.Config(app, http="httptools", log_level="info", lifespan="off")
    )
    config.load()
    # Making the config set logging up; the variant's own set-up comes after, before the
    # protocol reads whether the access log has a handler.
    configure_logging(VARIANTS[variant], log_file)
    state = ServerState()
    factory = config.http_protocol_class if variant.startswith("vivace") else HttpToolsProtocol
    protocol = factory(config=config, server_state=state, app_state={}, _loop=loop)  # type: ignore[operator]
    transport = MemoryTransport()
    protocol.connection_made(transport)
    return protocol, transport


def runner(variant: str, loop: asyncio.AbstractEventLoop, log_file: Path) -> Callable[[int], None]:
    protocol, transport = build(variant, loop, log_file)
    tasks = protocol.server_state.tasks

    async def requests(count: int) -> None:
        for _ in range(count):
            protocol.data_received(REQUEST)
            while tasks:
                await asyncio.gather(*tasks)

    def run(count: int) -> None:
        before = transport.written
        loop.run_until_complete(requests(count))
        if transport.written - before < count or transport.closing:
            raise AssertionError(f"{variant}: {transport.written - before} writes for {count} requests")

    return run


# name: how logging is configured (see configure_logging)
VARIANTS = {
    "uvicorn": "off",
    "uvicorn+log": "uvicorn",
    "vivace": "off",
    "vivace+log": "vivace",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, of the above")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=20_000, help="requests per measurement")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="profile the first variant")
    args = parser.parse_args()
    names = [name.strip() for name in args.variants.split(",")]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variant(s) {sorted(unknown)}; the variants are {list(VARIANTS)}")
    import uvloop

    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    folder = Path(tempfile.mkdtemp(prefix="vivace-protocols-"))
    runs = {}
    for name in names:
        runs[name] = (VARIANTS[name], runner(name, loop, folder / "access.log"))

    def measure(name: str, count: int) -> float:
        configure_logging(runs[name][0], folder / "access.log")
        started = time.thread_time_ns()
        runs[name][1](count)
        return (time.thread_time_ns() - started) / count / 1000

    if args.cprofile:
        measure(names[0], 2000)
        profiler = cProfile.Profile()
        profiler.enable()
        measure(names[0], args.requests)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(args.cprofile)
        return
    for name in names:
        measure(name, 2000)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(args.rounds):
        for name in names if index % 2 == 0 else list(reversed(names)):
            samples[name].append(measure(name, args.requests))
            if (folder / "access.log").exists():
                os.truncate(folder / "access.log", 0)
    print(f"CPU µs per request, median of {args.rounds} rounds of {args.requests:,} requests")
    for name in names:
        print(f"{name:22} {statistics.median(samples[name]):8.2f}")


if __name__ == "__main__":
    sys.exit(main())
