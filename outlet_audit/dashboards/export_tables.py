"""The three exports as tables (sheet title, header, rows), for the page that sends them at once
and for the job that builds a large one later (jobs/exports.py): one definition for both."""

from collections.abc import Iterator
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from outlet_audit.workflow.states import STATUS_LABELS

from . import export_rows
from .queries import CertificateBucket, Filters

BUCKET_LABELS = {
    CertificateBucket.VALID: _l("In force, over 90 days left"),
    CertificateBucket.EXPIRING: _l("Expiring within 90 days"),
    CertificateBucket.EXPIRED: _l("Expired"),
    CertificateBucket.REVOKED: _l("Revoked"),
    CertificateBucket.SUPERSEDED: _l("Superseded"),
}
EXPORTS = {
    "applications": ("申请", export_rows.APPLICATION_HEADER, export_rows.application_rows),
    "certificates": ("证书", export_rows.CERTIFICATE_HEADER, export_rows.certificate_rows),
    "inspections": ("检查结果", export_rows.INSPECTION_HEADER, export_rows.inspection_rows),
}


def export_table(kind: str, f: Filters) -> tuple[str, list[str], Iterator[tuple]]:
    sheet_title, header, make_rows = EXPORTS[kind]
    with force_locale("zh_CN"):  # the sheet is Chinese whatever the page language, like its header
        labels = (
            {s.value: _(label) for s, label in STATUS_LABELS.items()}
            if kind != "certificates"
            else {b: str(label) for b, label in BUCKET_LABELS.items()}
        )
    return sheet_title, header, make_rows(f, labels)


def download_name(kind: str, fmt: str, f: Filters) -> tuple[str, str]:
    """The file's name, and its ASCII stand-in for old browsers."""
    return f"{EXPORTS[kind][0]}-{f.today:%Y%m%d}.{fmt}", f"{kind}-{f.today:%Y%m%d}.{fmt}"


def filters_to_json(f: Filters) -> dict:
    return {
        "today": f.today.isoformat(),
        "district_id": f.district_id,
        "date_from": f.date_from.isoformat() if f.date_from else None,
        "date_to": f.date_to.isoformat() if f.date_to else None,
        "level": f.level,
        "brand": f.brand,
    }


def filters_from_json(data: dict) -> Filters:
    day = lambda text: date.fromisoformat(text) if text else None  # noqa: E731
    return Filters(
        today=date.fromisoformat(data["today"]),
        district_id=data.get("district_id"),
        date_from=day(data.get("date_from")),
        date_to=day(data.get("date_to")),
        level=data.get("level"),
        brand=data.get("brand"),
    )
