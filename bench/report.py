"""Tables and targets: what the run measured, PASS/MISS per target, and bench/RESULTS.md."""

import os
import platform
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from bench.load import Measurement
from bench.pages import BASELINE, BASELINE_AGAIN, Page
from bench.pdf_throughput import CERTIFICATE_TARGET, REPORT_TARGET, PdfResult

PUBLIC_SHARE, SIGNED_IN_SHARE = 0.30, 0.15  # of /healthz throughput
P99_FACTOR, P99_FLOOR_MS = 3.0, 50.0  # p99 at most max(3 x p99 of /healthz, 50 ms)
SCALING_LIMIT = 2.0  # dashboard time at the large size / at the small size
COLD_LIMIT = 3.0  # the same for the figures computed cold (issue #23, target 1), filtered or not
RSS_LIMIT_MB = 150.0
RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
# What follows this line in RESULTS.md is measured by hand (bench/jobs.py, bench/exports.py, the
# national estimate) and kept when --write-results rewrites the rest.
KEPT_MARKER = "<!-- Sections below are written by hand and kept by --write-results. -->"


@dataclass
class DatabaseRun:
    database: str
    seconds_seeding: float = 0.0
    counts: dict = field(default_factory=dict)
    measurements: list = field(default_factory=list)  # Measurement
    page_notes: dict = field(default_factory=dict)  # page name → why it was not measured
    skipped: list = field(default_factory=list)  # (page name, concurrency, why)
    worker_rss_mb: list = field(default_factory=list)
    error: str = ""

    def baseline(self, concurrency: int) -> Measurement | None:
        """/healthz at this concurrency: the mean of its runs before and after the pages."""
        runs = [
            m
            for m in self.measurements
            if m.page in (BASELINE.name, BASELINE_AGAIN.name) and m.concurrency == concurrency
        ]
        if not runs:
            return None
        mean = lambda values: sum(values) / len(values)  # noqa: E731
        return replace(
            runs[0],
            requests=sum(m.requests for m in runs),
            rps=mean([m.rps for m in runs]),
            p50_ms=mean([m.p50_ms for m in runs]),
            p99_ms=mean([m.p99_ms for m in runs]),
            mean_ms=mean([m.mean_ms for m in runs]),
            errors=sum(m.errors for m in runs),
        )


@dataclass
class ScalingRun:
    sizes: tuple = ()
    p50_ms: dict = field(default_factory=dict)  # outlets → median latency at concurrency 1, served
    cold_ms: dict = field(default_factory=dict)  # outlets → the same with the figures computed every time
    cold_filtered_ms: dict = field(default_factory=dict)  # outlets → cold, with every filter set
    note: str = ""


@dataclass
class Target:
    name: str
    passed: bool | None  # None: could not be measured
    detail: str


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"MemTotal:\s+(\d+) kB", meminfo.read_text())
        memory = f"{int(found.group(1)) / 2**20:.1f} GiB" if found else memory
    return {
        "nproc": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def page_targets(run: DatabaseRun, pages: list[Page]) -> list[Target]:
    """Throughput share and p99 of every measured page, at every concurrency, against /healthz."""
    targets = []
    for page in pages:
        rows = [m for m in run.measurements if m.page == page.name]
        if not rows:
            continue
        share = PUBLIC_SHARE if page.public else SIGNED_IN_SHARE
        misses = []
        for m in rows:
            base = run.baseline(m.concurrency)
            if base is None or not base.ok:
                misses.append(f"c={m.concurrency}: no /healthz baseline")
                continue
            limit = max(P99_FACTOR * base.p99_ms, P99_FLOOR_MS)
            if m.errors:
                misses.append(f"c={m.concurrency}: errors ({m.error_detail})")
            if m.rps / base.rps < share:
                misses.append(f"c={m.concurrency}: {m.rps / base.rps:.2f} of /healthz < {share:.2f}")
            if m.p99_ms > limit:
                misses.append(f"c={m.concurrency}: p99 {m.p99_ms:.0f} ms > {limit:.0f} ms")
        misses += [f"c={level}: not run, {why}" for name, level, why in run.skipped if name == page.name]
        kind = "public" if page.public else "signed-in"
        detail = (
            "; ".join(misses) or f"{kind}: share >= {share:.2f} and p99 within limit at every concurrency"
        )
        targets.append(Target(f"{run.database}: {page.name}", not misses, detail))
    if run.worker_rss_mb:
        worst = max(run.worker_rss_mb)
        sizes = ", ".join(f"{size:.0f}" for size in run.worker_rss_mb)
        targets.append(
            Target(
                f"{run.database}: gunicorn worker RSS < {RSS_LIMIT_MB:.0f} MB",
                worst < RSS_LIMIT_MB,
                f"VmRSS after the run: {sizes} MB",
            )
        )
    return targets


def pdf_targets(results: list[PdfResult]) -> list[Target]:
    """The certificate against its bare page; the inspection report against a bare platypus
    document with the same photos and as many table cells (not the text-only page)."""
    targets = []
    for name, label, limit in (
        ("certificate", f"certificate PDF <= {CERTIFICATE_TARGET}x bare page", CERTIFICATE_TARGET),
        (
            "inspection report",
            f"inspection report PDF <= {REPORT_TARGET}x bare document (same photos and table cells)",
            REPORT_TARGET,
        ),
    ):
        result = next((r for r in results if r.name == name), None)
        if result is None:
            targets.append(Target(label, None, "not measured (--skip-pdf)"))
            continue
        detail = f"{result.ratio:.2f}x ({result.per_second:.1f}/s vs {result.bare_per_second:.1f}/s)"
        targets.append(Target(label, result.ratio <= limit, detail))
    return targets


def scaling_target(scaling: ScalingRun) -> Target:
    """Judged on the page as served (from its snapshot); the cold computation is shown beside it."""
    name = f"city dashboard, largest / smallest size <= {SCALING_LIMIT:.0f}x (PostgreSQL)"
    if len(scaling.p50_ms) < 2:
        return Target(name, None, scaling.note or "not measured")
    small, large = min(scaling.p50_ms), max(scaling.p50_ms)
    ratio = scaling.p50_ms[large] / scaling.p50_ms[small]
    detail = (
        f"served: median {scaling.p50_ms[small]:.0f} ms at {small:,} outlets, "
        f"{scaling.p50_ms[large]:.0f} ms at {large:,}: {ratio:.1f}x"
    )
    if small in scaling.cold_ms and large in scaling.cold_ms:
        cold_small, cold_large = scaling.cold_ms[small], scaling.cold_ms[large]
        detail += (
            f"; computed (cold): {cold_small:.0f} ms, {cold_large:.0f} ms: {cold_large / cold_small:.1f}x"
        )
    return Target(name, ratio <= SCALING_LIMIT, detail)


def cold_target(scaling: ScalingRun) -> Target:
    """The figures computed on every request: city-wide, and with district, brand, level and a
    date range all set (the filters read other rows of the counts)."""
    name = f"dashboard figures computed cold, largest / smallest size <= {COLD_LIMIT:.0f}x (PostgreSQL)"
    parts, ratios = [], []
    for label, times in (("city-wide", scaling.cold_ms), ("every filter set", scaling.cold_filtered_ms)):
        if len(times) < 2:
            continue
        small, large = min(times), max(times)
        ratios.append(times[large] / times[small])
        parts.append(f"{label}: {times[small]:.0f} ms, {times[large]:.0f} ms: {ratios[-1]:.1f}x")
    if len(ratios) < 2:
        return Target(name, None, scaling.note or "not measured")
    return Target(name, max(ratios) <= COLD_LIMIT, "; ".join(parts))


def page_table(run: DatabaseRun, pages: list[Page], concurrencies: list[int]) -> str:
    """One row per page: req/s, share of /healthz and p50/p99 at each concurrency."""
    header = (
        "| page | "
        + " | ".join(f"c={c} req/s (× healthz) | c={c} p50 / p99 ms" for c in concurrencies)
        + " |"
    )
    lines = [header, "|" + "---|" * (1 + 2 * len(concurrencies))]
    for page in [BASELINE, BASELINE_AGAIN, *pages]:
        cells = []
        for c in concurrencies:
            m = next((m for m in run.measurements if m.page == page.name and m.concurrency == c), None)
            base = run.baseline(c)
            if m is None:
                skipped = any(name == page.name and level == c for name, level, _why in run.skipped)
                cells += ["too slow, skipped" if skipped else "—", "—"]
                continue
            is_baseline = page in (BASELINE, BASELINE_AGAIN)
            share = f" (×{m.rps / base.rps:.2f})" if base and base.rps and not is_baseline else ""
            flags = f" ⚠ errors: {m.error_detail}" if m.errors else ""
            flags += f" ⚠ ran out of distinct requests {m.wrapped}×" if m.wrapped else ""
            cells += [f"{m.rps:,.1f}{share}{flags}", f"{m.p50_ms:.1f} / {m.p99_ms:.1f}"]
        if all(cell == "—" for cell in cells) and page.name in run.page_notes:
            cells = [run.page_notes.get(page.name, "not measured")] + ["—"] * (len(cells) - 1)
        lines.append(f"| {page.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pdf_table(results: list[PdfResult]) -> str:
    lines = [
        "| document | ours per s | bare document per s | time ratio (ours / bare) | note |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.name} | {r.per_second:.1f} | {r.bare_per_second:.1f} | {r.ratio:.2f} | {r.note} |"
        for r in results
    ]
    return "\n".join(lines)


def targets_table(targets: list[Target]) -> str:
    lines = ["| target | result | detail |", "|---|---|---|"]
    verdict = {True: "PASS", False: "MISS", None: "n/a"}
    lines += [f"| {t.name} | {verdict[t.passed]} | {t.detail} |" for t in targets]
    return "\n".join(lines)


def render(
    *,
    command: str,
    settings: dict,
    page_states: dict,
    runs: list[DatabaseRun],
    pdf: list[PdfResult],
    scaling: ScalingRun,
    targets: list[Target],
    pages: list[Page],
    concurrencies: list[int],
    started: datetime,
    finished: datetime,
) -> str:
    info = machine()
    out = [
        "# outlet-audit benchmark results",
        "",
        f"Rewritten by `{command}` (bench/run.py --write-results). Do not edit by hand.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC, run took {(finished - started).total_seconds() / 60:.1f} min",
        f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory, Linux {info['kernel']}, "
        f"Python {info['python']}",
        *[f"- {name}: {value}" for name, value in settings.items()],
        "",
        "## Pages",
        "",
        "| page | endpoint | state |",
        "|---|---|---|",
        *[f"| {page.name} | `{page.endpoint}` | {page_states[page.name]} |" for page in pages],
    ]
    for run in runs:
        out += ["", f"## {run.database}", ""]
        if run.error:
            out += [f"Not measured: {run.error}"]
            continue
        out += [
            "× healthz: throughput against the mean of the two /healthz runs of that concurrency "
            "(before and after the pages).",
            "",
            f"Seeded in {run.seconds_seeding:.0f} s: "
            + ", ".join(f"{n:,} {t}" for t, n in run.counts.items()),
            "",
            page_table(run, pages, concurrencies),
        ]
    if pdf:
        out += ["", "## PDF throughput (one process)", "", pdf_table(pdf)]
    out += [
        "",
        "## Dashboard scaling (PostgreSQL, one request at a time, median)",
        "",
        "Lean seed: the same outlets, applications, checklists, answers and certificates; no evidence, "
        "audit trail, notifications or result JSON (the dashboard reads none of them).",
        "Served: the figures stored by an earlier request (`DASHBOARD_SNAPSHOT_SECONDS` as configured), "
        "as bureaus get them; computed: `DASHBOARD_SNAPSHOT_SECONDS=0`, the figures computed on every "
        "request, as the first request after a snapshot expires (or `flask dashboards refresh`) waits.",
        "",
    ]
    if scaling.p50_ms:
        out += [
            "| outlets | served | computed (cold) | computed (cold), every filter set |",
            "|---|---|---|---|",
        ]
        out += [
            f"| {size:,} | {ms:.1f} ms | "
            + " | ".join(
                f"{times[size]:.1f} ms" if size in times else "—"
                for times in (scaling.cold_ms, scaling.cold_filtered_ms)
            )
            + " |"
            for size, ms in sorted(scaling.p50_ms.items())
        ]
    out += [f"- {scaling.note}"] if scaling.note else []
    out += ["", "## Targets", "", targets_table(targets), ""]
    return "\n".join(out)


def with_kept_sections(text: str, previous: str | None) -> str:
    """The generated results followed by the hand-written sections of the previous file, if any."""
    if previous is None or KEPT_MARKER not in previous:
        return text
    return text.rstrip("\n") + "\n\n" + KEPT_MARKER + previous.split(KEPT_MARKER, 1)[1]
