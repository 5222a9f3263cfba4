"""Shared set-up for the revocation tests: a certified outlet, its issuer, a check concluded as revocation."""

from datetime import timedelta
from io import BytesIO

from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckPurpose, CheckStatus
from outlet_audit.supervision.operations import open_check
from outlet_audit.supervision.revocation_cases import earliest_response_due, serve_notice
from tests.factories import make_user
from tests.pdf_helpers import photo_jpeg


def concluded_for_revocation(certificate, bureau):
    """A check of the certificate the bureau concluded as proposed for revocation (H-visits' step)."""
    inspector = make_user(Role.INSPECTOR, district_code=certificate.outlet.district.code)
    check = open_check(
        certificate,
        CheckPurpose.TARGETED,
        [inspector],
        due_by=today_in_shanghai() + timedelta(days=5),
        actor=bureau,
        reason="抽查",
    )
    check.status, check.concluded_at, check.concluded_by_id = CheckStatus.REVOCATION, utcnow(), bureau.id
    check.conclusion = "抽查不合格，建议撤销。"
    db.session.flush()
    return check


def notice(certificate, bureau, *, ground="spot_check_failed", **fields):
    values = dict(
        grounds="2026年12月抽查：网点仍使用不可降解胶带。",
        evidence="抽查记录 JD-2026-FX；现场照片 3 张。",
        response_due=earliest_response_due(today_in_shanghai()),
    )
    values.update(fields)
    return serve_notice(certificate, bureau, ground=ground, **values)


def deadline_passed(case) -> None:
    """Move the case back in time: served ten days ago, its deadline yesterday."""
    case.notified_at = case.created_at = utcnow() - timedelta(days=10)
    case.response_due = today_in_shanghai() - timedelta(days=1)
    db.session.flush()


def upload(seed: int = 1, name: str = "rectified.jpg"):
    return (BytesIO(photo_jpeg(seed)), name)
