"""Benchmark outlet-audit: seed, serve with gunicorn, load every built page with wrk, print the tables.

    make bench                                    # the default run, about 10 minutes on 2 CPUs
    make bench BENCH_ARGS="--duration 10 --write-results"
    .venv/bin/python -m bench.run --databases sqlite --concurrency 1,16 --skip-scaling

See bench/README.md. Everything runs against 127.0.0.1 only, in databases this run creates and drops.
"""

import argparse
import shlex
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench import report, seed
from bench.load import run_wrk
from bench.pages import BASELINE, BASELINE_AGAIN, PAGES, SCALING_PAGE, Page
from bench.server import Gunicorn, anonymous_session, request, sign_in
from bench.synthetic import Scale
from bench.urls import page_paths, preflight, request_lines

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WARM_UP_SECONDS = 1.0  # per page, before the measured windows, not reported
WARM_UP_CONCURRENCY = 8  # enough connections for every worker to take a share
LINES_PER_SECOND = 2_000  # distinct requests prepared per second of a run that needs them
SNAPSHOT_SETTING = "DASHBOARD_SNAPSHOT_SECONDS"  # 0: the dashboard computes its figures on every request


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale",
        type=int,
        default=Scale.outlets,
        help="outlets to seed (applications 3x, answers 100x); at most 100,000",
    )
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--concurrency", default="1,16,64", help="wrk connections, comma-separated")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds of wrk per page and concurrency")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument(
        "--pages", default="", help="only pages whose name contains one of these (comma-separated)"
    )
    parser.add_argument("--pdf-seconds", type=float, default=1.5, help="timing per PDF kind")
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument(
        "--scaling-sizes", default="1000,100000", help="outlets for the dashboard scaling check"
    )
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument("--write-results", action="store_true", help="rewrite bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, SQLite file)")
    args = parser.parse_args(argv)
    if not 1 <= args.scale <= 100_000:
        parser.error("--scale must be between 1 and 100,000 outlets")
    args.concurrencies = [int(c) for c in args.concurrency.split(",")]
    args.database_list = [d.strip() for d in args.databases.split(",") if d.strip()]
    args.sizes = [int(s) for s in args.scaling_sizes.split(",")]
    return args


def selected_pages(args) -> list[Page]:
    wanted = [w.strip().lower() for w in args.pages.split(",") if w.strip()]
    return [p for p in PAGES if not wanted or any(w in p.name.lower() for w in wanted)]


class Database:
    """A database this run creates (SQLite file or PostgreSQL database) and drops afterwards."""

    def __init__(self, kind: str, workdir: Path, admin_url: str):
        self.kind, self.admin_url = kind, admin_url
        self.name = f"oa_bench_{uuid.uuid4().hex[:10]}"
        if kind == "sqlite":
            self.url = f"sqlite:///{workdir / (self.name + '.sqlite3')}"
        else:
            self.url = (
                sa.engine.make_url(admin_url).set(database=self.name).render_as_string(hide_password=False)
            )

    def __enter__(self) -> "Database":
        if self.kind == "postgresql":
            self._admin(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *_exc) -> None:
        if self.kind == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
        engine.dispose()


def inspect_app(workdir: Path):
    """Build the app once (no database needed) to learn which endpoints exist."""
    env = seed.app_environment(f"sqlite:///{workdir / 'inspect.sqlite3'}", workdir / "inspect-instance")
    return seed.make_app(env)


def _too_slow(run, page: Page, concurrency: int, duration: float) -> str:
    """Why a higher concurrency is not worth running: the page cannot serve it in the window.

    When the previous level completed fewer than concurrency/2 requests in the whole window, most
    connections of this level would get no answer at all, and the requests queued in gunicorn
    would delay the next page for minutes.
    """
    done = [m for m in run.measurements if m.page == page.name and m.concurrency < concurrency]
    if not done:
        return ""
    last = max(done, key=lambda m: m.concurrency)
    if last.rps * duration < concurrency / 2:
        answers = f"{concurrency / 2:g} answers in {duration:g} s"
        return f"{last.rps:.2f} req/s at c={last.concurrency}: under {answers}"
    return ""


def wait_until_idle(port: int, timeout_s: float = 120) -> bool:
    """Wait until /healthz answers fast twice in a row: requests queued by the last run are done."""
    deadline, fast = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline:
        started = time.perf_counter()
        request(port, "GET", "/healthz", timeout=timeout_s)
        fast = fast + 1 if time.perf_counter() - started < 0.05 else 0
        if fast >= 2:
            return True
        time.sleep(0.1)
    return False


def benchmark_database(kind: str, args, pages: list[Page], workdir: Path, log) -> report.DatabaseRun:
    run = report.DatabaseRun(kind)
    with Database(kind, workdir, args.pg_admin_url) as database:
        instance = workdir / f"instance-{kind}"
        started = time.perf_counter()
        sample = seed.seed(database.url, instance, Scale.for_outlets(args.scale), log=log)
        run.seconds_seeding, run.counts = time.perf_counter() - started, sample.counts
        env = seed.app_environment(database.url, instance)
        # PDFs rendered on every request: each download measured as a first download (the worst
        # case); kept copies would turn later concurrencies into file reads of the same records.
        env["PDF_CACHE_MAX_BYTES"] = "0"
        app = seed.make_app(env)
        paths, run.page_notes = page_paths(app, pages, sample)
        with Gunicorn(env, args.workers, workdir / f"gunicorn-{kind}.log") as server:
            sessions = {None: anonymous_session()}
            for user in {p.user for p in pages if p.user is not None and p.name in paths}:
                sessions[user] = sign_in(
                    server.port, sample.usernames[user], sample.password, sample.totp_secret
                )
            live = []
            for page in [p for p in pages if p.name in paths]:
                first = request_lines(app, page, sample, 1)[0] if page.requests else None
                problem = preflight(server.port, page, paths[page.name], sessions[page.user], first)
                if problem:
                    run.page_notes[page.name] = f"not measured: {problem}"
                    log(f"  {page.name}: {problem}")
                else:
                    live.append(page)
            warm_up(server.port, app, [BASELINE, *live], paths, sessions, sample, log)
            for concurrency in args.concurrencies:
                for page in [BASELINE, *live, BASELINE_AGAIN]:
                    too_slow = _too_slow(run, page, concurrency, args.duration)
                    if too_slow:
                        run.skipped.append((page.name, concurrency, too_slow))
                        log(f"  {kind} c={concurrency:<3} {page.name:<28} skipped: {too_slow}")
                        continue
                    lines = None
                    if page.requests:
                        if page.method == "POST":  # earlier runs moved the answers' versions on
                            sample.answer_targets = seed.current_answer_targets(
                                database.url, instance, sample
                            )
                        count = int(LINES_PER_SECOND * args.duration)
                        lines = request_lines(app, page, sample, count)
                    m = run_wrk(
                        page.name,
                        server.port,
                        paths[page.name],
                        sessions[page.user],
                        concurrency,
                        args.duration,
                        lines=lines,
                        json_body=page.method == "POST",
                    )
                    run.measurements.append(m)
                    log(
                        f"  {kind} c={concurrency:<3} {page.name:<28} {m.rps:9.1f} req/s"
                        f"  p50 {m.p50_ms:7.1f} ms  p99 {m.p99_ms:7.1f} ms"
                        + (f"  errors: {m.error_detail}" if m.errors else "")
                    )
                    if not wait_until_idle(server.port):
                        log("  the server was still busy 120 s after the run; later figures may suffer")
            run.worker_rss_mb = server.worker_rss_mb()
    return run


def warm_up(port: int, app, pages: list[Page], paths, sessions, sample, log) -> None:
    """Let every worker serve every page a few times before any window is measured.

    A worker's first requests import modules, compile templates and fill its caches (districts,
    parsed editions); at c=1 a window holds a few hundred requests, so those first requests
    would be its p99. The answer save is left out: its saves are counted out one per target.
    """
    for page in pages:
        if page.method == "POST":
            continue
        lines = (
            request_lines(app, page, sample, int(LINES_PER_SECOND * WARM_UP_SECONDS))
            if page.requests
            else None
        )
        run_wrk(
            page.name,
            port,
            paths[page.name],
            sessions[page.user],
            WARM_UP_CONCURRENCY,
            WARM_UP_SECONDS,
            lines=lines,
        )
        wait_until_idle(port)
    log(f"  warmed up: {len(pages)} pages, {WARM_UP_SECONDS:g} s each at c={WARM_UP_CONCURRENCY}")


def dashboard_scaling(args, workdir: Path, app_endpoints, log) -> report.ScalingRun:
    page = next(p for p in PAGES if p.name == SCALING_PAGE)
    scaling = report.ScalingRun(tuple(args.sizes))
    if page.endpoint not in app_endpoints:
        scaling.note = f"{SCALING_PAGE} (`{page.endpoint}`) not built yet"
        return scaling
    for size in args.sizes:
        with Database("postgresql", workdir, args.pg_admin_url) as database:
            instance = workdir / f"instance-scaling-{size}"
            sample = seed.seed(database.url, instance, Scale.for_outlets(size, extras=False), log=log)
            env = seed.app_environment(database.url, instance)
            paths, problems = page_paths(seed.make_app(env), [page], sample)
            if page.name not in paths:
                scaling.note = problems.get(page.name, "")
                return scaling
            # Served: the figures an earlier request stored (the preflight's), as bureaus mostly get
            # them; cold: computed on every request, what the first request after expiry waits for.
            for kind, snapshot_seconds in (("served", ""), ("cold", "0")):  # "": the configured default
                server_env = {name: value for name, value in env.items() if name != SNAPSHOT_SETTING}
                server_env |= {SNAPSHOT_SETTING: snapshot_seconds} if snapshot_seconds else {}
                log_path = workdir / f"gunicorn-scaling-{size}-{kind}.log"
                with Gunicorn(server_env, args.workers, log_path) as server:
                    session = sign_in(
                        server.port, sample.usernames[page.user], sample.password, sample.totp_secret
                    )
                    problem = preflight(server.port, page, paths[page.name], session, None)
                    if problem:
                        scaling.note = f"{page.name} ({kind}) {problem}"
                        return scaling
                    p50 = median_latency_ms(server.port, paths[page.name], session, args.duration)
                    if kind == "cold":  # and with every filter set: other rows of the counts
                        filtered = paths[page.name] + filtered_dashboard_query(sample)
                        scaling.cold_filtered_ms[size] = median_latency_ms(
                            server.port, filtered, session, args.duration
                        )
                (scaling.p50_ms if kind == "served" else scaling.cold_ms)[size] = p50
            log(f"  scaling {size:>7,} outlets: median {scaling.p50_ms[size]:.1f} ms served, "
                f"{scaling.cold_ms[size]:.1f} ms cold, {scaling.cold_filtered_ms[size]:.1f} ms cold "
                "with every filter set")  # fmt: skip
    return scaling


def filtered_dashboard_query(sample) -> str:
    """The city dashboard with a district, a brand, a level and a date range of 13 months that ends
    10 days ago: whole months, whole years and edge days of the counts are all read."""
    from datetime import date, timedelta
    from urllib.parse import urlencode

    end = date.today() - timedelta(days=10)
    query = {
        "district": sample.district_id,
        "brand": "顺丰",
        "level": "district",
        "date_from": (end - timedelta(days=400)).isoformat(),
        "date_to": end.isoformat(),
    }
    return "?" + urlencode(query)


def median_latency_ms(port: int, path: str, session, seconds: float, at_least: int = 3) -> float:
    """Sequential requests (concurrency 1) for `seconds`, at least `at_least`: the median time.

    Not wrk: a page that takes longer than wrk's timeout would give no figure at all.
    """
    import statistics

    times, deadline = [], time.monotonic() + seconds
    while len(times) < at_least or time.monotonic() < deadline:
        started = time.perf_counter()
        reply = request(port, "GET", path, headers={"Cookie": session.cookie}, timeout=300)
        if reply.status != 200:
            raise RuntimeError(f"{path} answered HTTP {reply.status}")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    command = "make bench" + (f' BENCH_ARGS="{shlex.join(sys.argv[1:])}"' if sys.argv[1:] else "")
    log = lambda text: print(text, flush=True)  # noqa: E731
    pages = selected_pages(args)
    workdir = Path(tempfile.mkdtemp(prefix="oa-bench-"))
    try:
        try:
            app = inspect_app(workdir)
        except Exception:
            log("The app cannot be built, so nothing can be measured:\n" + traceback.format_exc(limit=3))
            return 2
        states = {
            p.name: ("built" if p.endpoint in app.view_functions else "**not built yet**") for p in pages
        }
        for page in pages:
            log(f"{page.name:<28} {page.endpoint:<34} {states[page.name]}")
        pdf = []
        if not args.skip_pdf:
            from bench.pdf_throughput import measure

            log("PDF throughput ...")
            pdf = measure(args.pdf_seconds)
        runs = []
        for kind in args.database_list:
            log(f"== {kind}: seeding {args.scale:,} outlets ...")
            try:
                runs.append(benchmark_database(kind, args, pages, workdir, log))
            except Exception as error:
                log(traceback.format_exc())
                runs.append(report.DatabaseRun(kind, error=f"{type(error).__name__}: {error}"))
        scaling = report.ScalingRun(note="skipped (--skip-scaling)")
        if not args.skip_scaling:
            log(f"== dashboard scaling on PostgreSQL: {', '.join(f'{s:,}' for s in args.sizes)} outlets ...")
            try:
                scaling = dashboard_scaling(args, workdir, app.view_functions, log)
            except Exception as error:
                log(traceback.format_exc())
                scaling = report.ScalingRun(note=f"failed: {type(error).__name__}: {error}")
        targets = [t for run in runs for t in report.page_targets(run, pages)]
        targets += report.pdf_targets(pdf) + [report.scaling_target(scaling), report.cold_target(scaling)]
        settings = {
            "Command": f"`{command}`",
            "Scale": f"{args.scale:,} outlets, {3 * args.scale:,} applications, {100 * args.scale:,} answers",
            "Server": f"gunicorn, {args.workers} sync workers, OUTLET_AUDIT_ENV=production (SECRET_KEY and "
            "DATABASE_URL set), 127.0.0.1",
            "Load": f"wrk, {args.duration:g} s per page and concurrency, concurrency {args.concurrency}, "
            f"threads min(concurrency, nproc), --latency",
        }
        text = report.render(
            command=command,
            settings=settings,
            page_states=states,
            runs=runs,
            pdf=pdf,
            scaling=scaling,
            targets=targets,
            pages=pages,
            concurrencies=args.concurrencies,
            started=started,
            finished=datetime.now(UTC),
        )
        print("\n" + text)
        if args.write_results:
            previous = report.RESULTS_FILE.read_text() if report.RESULTS_FILE.exists() else None
            report.RESULTS_FILE.write_text(report.with_kept_sections(text, previous))
            log(f"wrote {report.RESULTS_FILE}")
        return 0
    finally:
        if args.keep:
            log(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
