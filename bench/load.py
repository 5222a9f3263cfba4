"""Drive one page with wrk at one concurrency and read back its summary (bench/wrk/common.lua)."""

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.server import HOST, Session

WRK_DIR = Path(__file__).resolve().parent / "wrk"
WRK_TIMEOUT_S = 10  # a response slower than this counts as a timeout error
MAX_REQUESTS = 200_000  # per wrk run: a safety bound on top of the duration


@dataclass(frozen=True)
class Measurement:
    page: str
    concurrency: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    errors: int  # HTTP >= 400, socket errors and timeouts
    wrapped: int = 0  # POST runs that ran out of distinct requests
    error_detail: str = ""  # which kinds of errors, e.g. "3 HTTP >= 400, 1 socket"

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.errors == 0


def threads_for(concurrency: int) -> int:
    return max(1, min(concurrency, os.cpu_count() or 1))


def run_wrk(
    page_name: str,
    port: int,
    path: str,
    session: Session,
    concurrency: int,
    duration_s: float,
    *,
    lines: list[str] | None = None,
    json_body: bool = False,
) -> Measurement:
    """Run wrk on http://127.0.0.1:port/path, or send `lines` ("METHOD\\tpath\\tbody" each)."""
    threads = threads_for(concurrency)
    headers = []
    if session.cookie:
        headers += ["-H", f"Cookie: {session.cookie}"]
    script = "get.lua"
    env = {
        **os.environ,
        "BENCH_WRK_DIR": str(WRK_DIR),
        "BENCH_THREADS": str(threads),
        "BENCH_MAX_REQUESTS": str(MAX_REQUESTS // threads),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as lines_file:
        if lines is not None:
            script = "lines.lua"
            lines_file.write("\n".join(lines) + "\n")
            env["BENCH_REQUESTS"] = lines_file.name
        if json_body:
            headers += ["-H", f"X-CSRFToken: {session.csrf_token}", "-H", "Content-Type: application/json"]
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(concurrency),
        "-d",
        f"{duration_s:g}s",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        "--latency",
        "-s",
        str(WRK_DIR / script),
        *headers,
        f"http://{HOST}:{port}{path if lines is None else '/'}",
    ]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration_s + 60)
    finally:
        os.unlink(lines_file.name)
    summary = next((line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")), None)
    if summary is None:
        raise RuntimeError(f"wrk gave no summary (exit {done.returncode}): {done.stderr[-2000:]}")
    r = json.loads(summary.removeprefix("BENCH_RESULT "))
    seconds = max(r["duration_us"], 1) / 1e6
    return Measurement(
        page=page_name,
        concurrency=concurrency,
        requests=r["requests"],
        rps=r["requests"] / seconds,
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        mean_ms=r["mean_us"] / 1000,
        errors=r["status_errors"] + r["socket_errors"] + r["timeouts"],
        error_detail=", ".join(
            f"{r[key]} {label}"
            for key, label in (
                ("status_errors", "HTTP >= 400"),
                ("socket_errors", "socket"),
                ("timeouts", "timeouts"),
            )
            if r[key]
        ),
        wrapped=r["wrapped"],
    )
