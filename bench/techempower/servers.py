"""Starting and stopping the servers under test, each in its own process group."""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cases import APPS_DIR, Entry
from databases import free_port

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
QUIET_WINDOW = 0.2
QUIET_TICKS = 1  # CPU clock ticks (10 ms each, usually) allowed in a quiet window
QUIET_TIMEOUT = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerError(RuntimeError):
    """A server did not start; the message carries the end of its log."""


@dataclass
class Server:
    entry: Entry
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User and system CPU time of every process of the server (its workers included)."""
        group = self.process.pid
        return process_ticks(lambda pid, ppid, pgrp: pgrp == group) / CLOCK_TICKS

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)


def start(entry: Entry, database_url: str, logs: Path, cores: str | None) -> Server:
    """Start ``entry`` on a free port of 127.0.0.1, pinned to ``cores``; return once it answers."""
    port = free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(APPS_DIR), env.get("PYTHONPATH")])),
        PYTHONDONTWRITEBYTECODE="1",
        DJANGO_SETTINGS_MODULE="django_app.settings",
    )
    env.pop("VIVACE_DEBUG", None)
    command = entry.command(port)
    if cores is not None:
        command = ["taskset", "-c", cores, *command]
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{entry.name.replace(' ', '').replace('@', '-')}-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=APPS_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = Server(entry, port, process, log)
    try:
        wait_until_answering(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_answering(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerError(
                f"{server.entry.name} exited with {server.process.returncode} at start-up:\n"
                f"{server.log_tail()}"
            )
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            try:
                connection.request("GET", "/plaintext")
                connection.getresponse().read()
                return
            finally:
                connection.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise ServerError(f"{server.entry.name} did not answer within {START_TIMEOUT:g} s:\n{server.log_tail()}")


def process_ticks(match: Callable[[int, int, int], bool]) -> int:
    """User and system CPU ticks of every process whose ``(pid, ppid, pgrp)`` ``match`` accepts."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if match(int(entry.name), int(fields[1]), int(fields[2])):
            total += int(fields[11]) + int(fields[12])
    return total


def wait_until_quiet(servers: list[Server], extra_pids: Callable[[], set[int]]) -> float:
    """Wait until the servers (and ``extra_pids()``, the database's processes) stop using CPU.

    A server keeps working through the requests it had accepted when ``wrk``
    stopped; the next case must not share the core with that tail, nor (on
    SQLite) wait for its write locks. Returns the seconds waited.
    """
    groups = {server.process.pid for server in servers}
    started = time.monotonic()
    previous = None
    while time.monotonic() - started < QUIET_TIMEOUT:
        ticks = process_ticks(_belongs(groups, extra_pids()))
        if previous is not None and ticks - previous <= QUIET_TICKS:
            break
        previous = ticks
        time.sleep(QUIET_WINDOW)
    return time.monotonic() - started


def _belongs(groups: set[int], pids: set[int]) -> Callable[[int, int, int], bool]:
    """A process of one of the servers' groups, or one of ``pids`` or their children."""
    return lambda pid, ppid, pgrp: pgrp in groups or pid in pids or ppid in pids


def _die_with_parent() -> None:
    """In the child before exec: receive SIGTERM when the runner dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
