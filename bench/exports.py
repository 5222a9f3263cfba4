"""Export throughput and memory: the applications export, CSV and XLSX, at a few sizes.

    PYTHONPATH=. .venv/bin/python -m bench.exports --rows 6000 --rows 100000

For each size a lean SQLite database with that many applications is seeded once (bench.seed,
kept under --work-dir and reused by later runs), then each measurement runs in a fresh
subprocess so one's memory does not hide another's:

- `job`: `jobs.exports.build_export` on a recorded ExportFile, as the worker runs it for an
  export above EXPORT_INLINE_ROWS: the query, the rows, the file written in EXPORT_DIR and the
  owner's notification.
- `stream`: what the export view sends inline: `export_table` consumed through `iter_csv` or
  `iter_xlsx` (chunks read and dropped, as a WSGI server sends them).

Each is timed once without tracing (rows/s, and the growth of the process's peak RSS over the
app's own, from getrusage), then run again under tracemalloc for the peak of Python allocations.
"""

import argparse
import json
import math
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from bench import synthetic as syn

KIND = "applications"
FORMATS = ("csv", "xlsx")
PATHS = ("job", "stream")


def database_for(rows: int, work_dir: Path) -> tuple[str, Path]:
    """A SQLite database holding `rows` applications (seeded on first use) and its instance folder."""
    from bench.seed import seed

    instance = work_dir / f"instance-{rows}"
    path = work_dir / f"applications-{rows}.sqlite3"
    url = f"sqlite:///{path}"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        print(f"seeding {rows:,} applications into {path} ...", flush=True)
        scale = syn.Scale(outlets=max(math.ceil(rows / 3), 50), applications=rows, answers=0, extras=False)
        try:
            seed(url, instance, scale, log=lambda line: print(line, flush=True))
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return url, instance


def measure(database_url: str, instance: Path, fmt: str, path: str, trace: bool) -> dict:
    """Run one export in this process; return its rows, seconds and memory figures."""
    from sqlalchemy import select

    from bench.seed import app_environment, make_app
    from outlet_audit.accounts.models import User
    from outlet_audit.core.spreadsheets import iter_csv, iter_xlsx
    from outlet_audit.core.time import today_in_shanghai
    from outlet_audit.dashboards.export_tables import export_table, filters_to_json
    from outlet_audit.dashboards.queries import Filters
    from outlet_audit.extensions import db
    from outlet_audit.jobs.exports import build_export, export_dir
    from outlet_audit.jobs.models import ExportFile

    env = app_environment(database_url, instance)
    app = make_app(env)
    app.config["EXPORT_DIR"] = str(instance / "exports")
    with app.app_context():
        f = Filters(today=today_in_shanghai())
        user = db.session.scalar(select(User).where(User.username == "bench-city"))
        export = ExportFile(
            user_id=user.id, kind=KIND, fmt=fmt, filters=filters_to_json(f), download_name="x"
        )
        db.session.add(export)
        db.session.flush()
        # Warm what any export pays once per process (imports, the first query's compilation).
        _title, _header, warm = export_table(KIND, f)
        next(warm, None)
        warm.close()

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if trace:
            tracemalloc.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        if path == "job":
            build_export(export.id)
            rows, size = export.rows, export.size
        else:
            title, header, table = export_table(KIND, f)
            counted = _Counter(table)
            chunks = (
                iter_csv(header, counted) if fmt == "csv" else iter_xlsx(header, counted, sheet_title=title)
            )
            size = sum(len(chunk.encode("utf-8") if isinstance(chunk, str) else chunk) for chunk in chunks)
            rows = counted.count
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        peak = tracemalloc.get_traced_memory()[1] if trace else None
        if trace:
            tracemalloc.stop()
        rss_growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        if export.stored_name:
            (export_dir() / export.stored_name).unlink(missing_ok=True)
        db.session.rollback()
    return {
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "cpu_seconds": cpu_seconds,
        "rows_per_cpu_s": rows / cpu_seconds if cpu_seconds else 0.0,
        "tracemalloc_peak_mib": peak / 2**20 if peak is not None else None,
        "rss_growth_mib": rss_growth_kib / 1024,
    }


class _Counter:
    def __init__(self, rows):
        self.rows, self.count = rows, 0

    def __iter__(self):
        for row in self.rows:
            self.count += 1
            yield row


def run_measurement(database_url: str, instance: Path, fmt: str, path: str, trace: bool) -> dict:
    """`measure` in a fresh interpreter, so each figure starts from the same process."""
    command = [sys.executable, "-m", "bench.exports", "--measure", database_url, str(instance), fmt, path]
    if trace:
        command.append("--trace")
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, action="append", help="applications to export (repeatable)")
    parser.add_argument("--format", choices=FORMATS, action="append", dest="formats")
    parser.add_argument("--path", choices=PATHS, action="append", dest="paths")
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs (they are slow)")
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/oa-bench-exports"))
    parser.add_argument(
        "--measure", nargs=4, metavar=("URL", "INSTANCE", "FMT", "PATH"), help=argparse.SUPPRESS
    )
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        url, instance, fmt, path = args.measure
        print(json.dumps(measure(url, Path(instance), fmt, path, args.trace)))
        return

    args.work_dir.mkdir(parents=True, exist_ok=True)
    print(
        "| rows | format | path | seconds | rows/s | CPU s | rows/CPU-s | peak RSS growth MiB"
        " | tracemalloc peak MiB | file KiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for rows in args.rows or [6000, 100_000]:
        url, instance = database_for(rows, args.work_dir)
        for fmt in args.formats or FORMATS:
            for path in args.paths or PATHS:
                timed = run_measurement(url, instance, fmt, path, trace=False)
                traced = None if args.no_trace else run_measurement(url, instance, fmt, path, trace=True)
                peak = f"{traced['tracemalloc_peak_mib']:.1f}" if traced else "—"
                print(
                    f"| {timed['rows']:,} | {fmt} | {path} | {timed['seconds']:.2f}"
                    f" | {timed['rows_per_s']:,.0f} | {timed['cpu_seconds']:.2f}"
                    f" | {timed['rows_per_cpu_s']:,.0f}"
                    f" | {timed['rss_growth_mib']:.1f} | {peak} | {timed['bytes'] / 1024:,.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
