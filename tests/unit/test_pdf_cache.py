"""Kept PDFs: the fingerprint covers everything printed, and the store serves only whole, fresh files."""

import dataclasses
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from outlet_audit.certificates.certificate_pdf import CertificateData
from outlet_audit.certificates.state import CertificateState, Standing
from outlet_audit.pdf.cache import KINDS, SHARDS, PdfCache, fingerprint
from outlet_audit.reports.report_pdf import ReportChange, ReportFinding
from tests.pdf_helpers import photo_jpeg, sample_certificate, sample_report

ROOT = Path(__file__).resolve().parents[2]
KEY = "ab" + "0" * 62


def changed(value):
    """Another value of the same type."""
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, Decimal):
        return value + 1
    if isinstance(value, datetime | date):
        return value + timedelta(days=1)
    if isinstance(value, Standing):
        return Standing(CertificateState.REVOKED, date(2025, 9, 2), reason="复查不合格")
    raise AssertionError(f"no change for {value!r}")


@pytest.mark.parametrize("field", [field.name for field in dataclasses.fields(CertificateData)])
def test_every_certificate_field_changes_the_fingerprint(field):
    data = sample_certificate()
    other = dataclasses.replace(data, **{field: changed(getattr(data, field))})
    assert fingerprint("certificate", other) != fingerprint("certificate", data)


def _with_visit(report, **changes):
    return dataclasses.replace(report, visits=(dataclasses.replace(report.visits[0], **changes),))


def _with_item(report, **changes):
    section = report.visits[0].sections[0]
    item = dataclasses.replace(section.items[1], **changes)
    items = (section.items[0], item, *section.items[2:])
    sections = report.visits[0].sections
    return _with_visit(report, sections=(dataclasses.replace(section, items=items), *sections[1:]))


def _item(report):
    return report.visits[0].sections[0].items[1]


@pytest.mark.parametrize(
    "change",
    [
        lambda r: _with_item(r, note=_item(r).note + "。"),
        lambda r: _with_item(r, answer="否 No"),
        lambda r: _with_item(r, points_earned=Decimal("4.5")),
        lambda r: _with_item(r, veto_triggered=True),
        lambda r: _with_item(r, thumbnails=(photo_jpeg(999),)),
        lambda r: _with_item(r, thumbnails=(_item(r).thumbnails[0][:-1] + b"\x00",)),  # one byte of a photo
        lambda r: _with_item(r, carried_thumbnails=_item(r).thumbnails, carried_from=(1,)),
        lambda r: dataclasses.replace(r, generated_at=r.generated_at + timedelta(seconds=1)),
        lambda r: _with_visit(r, sign_off=None),
        lambda r: _with_visit(r, sign_off=dataclasses.replace(r.visits[0].sign_off, signature_png=b"")),
        lambda r: _with_visit(
            r, sign_off=dataclasses.replace(r.visits[0].sign_off, outlet_representative="王")
        ),
        lambda r: dataclasses.replace(r, decision=dataclasses.replace(r.decision, opinion="不同意。")),
        lambda r: _with_visit(r, level_reached=None),
        lambda r: _with_visit(r, inspectors=("王建国",)),
        lambda r: _with_visit(r, superseded_by=2),
        lambda r: _with_visit(
            r, changes=(ReportChange("1.2", "胶带", "否 No", "是 Yes", "王建国", datetime(2025, 3, 12, 9)),)
        ),
        lambda r: _with_visit(r, findings=(ReportFinding("1.2", "胶带", "否 No", "ordered"),)),
        lambda r: dataclasses.replace(r, visits=(*r.visits, r.visits[0])),
    ],
)
def test_any_change_to_a_report_changes_the_fingerprint(change):
    report = sample_report()
    assert _item(report).thumbnails  # the photo cases change something that is there
    assert fingerprint("report", change(report)) != fingerprint("report", report)


@pytest.mark.parametrize(
    "standing",
    [
        Standing(CertificateState.REVOKED, date(2025, 9, 3), reason="复查不合格"),
        Standing(CertificateState.REVOKED, date(2025, 9, 2), reason="复查不合格。"),
        Standing(CertificateState.EXPIRED, date(2025, 9, 2)),
        Standing(CertificateState.SUPERSEDED, date(2025, 9, 2), replaced_by="WFKD-2025-FX-S-0001"),
    ],
)
def test_every_part_of_the_standing_changes_the_fingerprint(standing):
    revoked = sample_certificate(
        standing=Standing(CertificateState.REVOKED, date(2025, 9, 2), reason="复查不合格")
    )
    assert fingerprint("certificate", sample_certificate(standing=standing)) != fingerprint(
        "certificate", revoked
    )


def test_the_context_and_the_kind_are_part_of_the_fingerprint():
    report = sample_report()
    assert fingerprint("report", report, "zh") != fingerprint("report", report, "en")
    assert fingerprint("report", report) != fingerprint("certificate", report)
    certificate = sample_certificate()
    assert fingerprint("certificate", certificate, "active") != fingerprint(
        "certificate", certificate, "revoked"
    )


def test_equal_data_gives_the_same_fingerprint_in_any_process():
    key = fingerprint("report", sample_report(), "zh")
    assert fingerprint("report", sample_report(), "zh") == key
    script = (
        "from outlet_audit.pdf.cache import fingerprint\n"
        "from tests.pdf_helpers import sample_report\n"
        "print(fingerprint('report', sample_report(), 'zh'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "4321"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == key


def test_the_fingerprint_refuses_what_it_cannot_hash_exactly():
    with pytest.raises(TypeError):
        fingerprint("certificate", {"a": 1})


class Renders:
    def __init__(self, pdf=b"%PDF-1.4 test\n%%EOF\n"):
        self.pdf, self.count = pdf, 0

    def __call__(self):
        self.count += 1
        return self.pdf


def test_a_kept_pdf_is_served_without_rendering_again(tmp_path):
    cache, render = PdfCache(tmp_path, 10**9), Renders()
    assert cache.get_or_render("report", KEY, render) == render.pdf
    assert cache.get_or_render("report", KEY, render) == render.pdf
    assert render.count == 1
    assert cache.path_for("report", KEY) == tmp_path / "report" / "ab" / f"{KEY}.pdf"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-40],  # cut short
        lambda data: data[:10] + b"X" + data[11:],  # one byte changed
        lambda data: b"",
    ],
)
def test_a_damaged_or_truncated_file_is_rendered_again(tmp_path, damage):
    cache, render = PdfCache(tmp_path, 10**9), Renders()
    cache.get_or_render("certificate", KEY, render)
    path = cache.path_for("certificate", KEY)
    path.write_bytes(damage(path.read_bytes()))
    assert cache.get_or_render("certificate", KEY, render) == render.pdf
    assert render.count == 2
    assert cache.read(path) == render.pdf  # whole again


def test_nothing_is_kept_when_the_limit_is_zero(tmp_path):
    cache, render = PdfCache(tmp_path, 0), Renders()
    cache.get_or_render("report", KEY, render)
    cache.get_or_render("report", KEY, render)
    assert render.count == 2
    assert not any(tmp_path.iterdir())


def test_a_shard_keeps_to_its_share_dropping_the_least_recently_used(tmp_path):
    pdf = b"%PDF-" + b"x" * 995
    shard_share = 3 * (len(pdf) + 32)  # room for three files
    cache = PdfCache(tmp_path, shard_share * len(KINDS) * SHARDS)
    keys = [f"ab{index:062x}" for index in range(5)]
    for age, key in enumerate(keys[:3]):
        cache.get_or_render("report", key, Renders(pdf))
        os.utime(cache.path_for("report", key), (1_000_000 + age, 1_000_000 + age))
    cache.get_or_render("report", keys[0], Renders(pdf))  # read again: now the most recent
    cache.get_or_render("report", keys[3], Renders(pdf))
    kept = {path.stem for path in (tmp_path / "report" / "ab").iterdir()}
    assert kept == {keys[0], keys[2], keys[3]}  # keys[1] was the least recently used


def test_a_file_larger_than_the_share_is_still_kept_until_the_next_one(tmp_path):
    cache = PdfCache(tmp_path, len(KINDS) * SHARDS * 100)  # 100 bytes a shard
    big = b"%PDF-" + b"y" * 1000
    cache.get_or_render("report", KEY, Renders(big))
    assert cache.read(cache.path_for("report", KEY)) == big


def test_abandoned_temporary_files_are_cleared(tmp_path):
    cache = PdfCache(tmp_path, 10**9)
    shard = tmp_path / "report" / "ab"
    shard.mkdir(parents=True)
    old, fresh = shard / ".incoming-old", shard / ".incoming-fresh"
    old.write_bytes(b"partial")
    fresh.write_bytes(b"being written")
    os.utime(old, (1_000_000, 1_000_000))
    cache.get_or_render("report", KEY, Renders())
    assert not old.exists() and fresh.exists()


def test_a_disk_that_refuses_writes_still_gives_the_pdf(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    cache, render = PdfCache(blocker, 10**9), Renders()
    assert cache.get_or_render("report", KEY, render) == render.pdf
    assert cache.get_or_render("report", KEY, render) == render.pdf
    assert render.count == 2


@pytest.mark.parametrize("kind, key", [("other", KEY), ("report", "../" + KEY[3:]), ("report", KEY.upper())])
def test_only_cache_keys_name_files(tmp_path, kind, key):
    with pytest.raises(ValueError):
        PdfCache(tmp_path, 10**9).path_for(kind, key)
