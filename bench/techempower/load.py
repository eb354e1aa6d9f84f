"""Load from ``wrk``: one run against one URL, its figures read from a Lua ``done`` hook.

The script sends TechEmpower's ``Accept`` header and, for plaintext, 16
requests pipelined per write, as TechEmpower's ``pipeline.lua`` does. At the
end it prints one line of JSON: requests, duration, socket errors, responses
with a status other than 2xx/3xx, and latency percentiles in microseconds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

MARK = "TFB-RESULT "

SCRIPT = """
local pipeline_request

function init(args)
  local depth = tonumber(args[1]) or 1
  local headers = {["Accept"] = args[2] or "*/*", ["Connection"] = "keep-alive"}
  local batch = {}
  for i = 1, depth do
    batch[i] = wrk.format("GET", nil, headers)
  end
  pipeline_request = table.concat(batch)
end

function request()
  return pipeline_request
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,' ..
    '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    "MARK", summary.requests, summary.duration, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
""".replace("MARK", MARK)


@dataclass
class Sample:
    """One wrk run; ``rps`` counts only 2xx/3xx responses."""

    requests: int
    duration_s: float
    socket_errors: int
    bad_status: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_s: float = 0.0  # CPU time the server's processes used during the run

    @property
    def rps(self) -> float:
        return (self.requests - self.bad_status) / self.duration_s if self.duration_s else 0.0

    @property
    def cpu_us(self) -> float | None:
        """Server CPU microseconds per 2xx response: steady when a busy machine makes req/s swing."""
        answered = self.requests - self.bad_status
        return self.server_cpu_s / answered * 1e6 if answered > 0 and self.server_cpu_s else None

    @property
    def errors(self) -> int:
        return self.socket_errors + self.bad_status

    def record(self) -> dict[str, float | None]:
        cpu = self.cpu_us
        return {
            **asdict(self),
            "rps": round(self.rps, 1),
            "cpu_us": round(cpu, 2) if cpu is not None else None,
            "errors": self.errors,
        }


class LoadError(RuntimeError):
    pass


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise LoadError("wrk not found: apt-get install wrk")
    return found


def write_script(folder: Path) -> Path:
    path = folder / "tfb.lua"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def run_wrk(
    url: str,
    *,
    script: Path,
    seconds: int,
    connections: int,
    threads: int,
    pipeline: int,
    accept: str,
    cores: str | None,
) -> Sample:
    """One wrk run of ``seconds`` against ``url`` (which must be on 127.0.0.1)."""
    if not url.startswith("http://127.0.0.1:"):
        raise LoadError(f"refusing to load {url!r}: only 127.0.0.1 is a target")
    command = [
        wrk_path(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, seconds)}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        str(pipeline),
        accept,
    ]
    if cores is not None:
        command = ["taskset", "-c", cores, *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith(MARK)), None)
    if result.returncode != 0 or line is None:
        raise LoadError(f"wrk failed ({result.returncode}): {result.stderr.strip() or result.stdout[-500:]}")
    data = json.loads(line[len(MARK) :])
    return Sample(
        requests=data["requests"],
        duration_s=data["duration_us"] / 1e6,
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        bad_status=data["status"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
