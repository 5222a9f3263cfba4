"""Building complaints for the tests: through the public form as a person would, or by the operation."""

import re
from datetime import timedelta
from io import BytesIO

from sqlalchemy import select

from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.complaints import file_complaint
from outlet_audit.supervision.kinds import CheckStatus, ComplaintCategory
from outlet_audit.supervision.models import Complaint
from tests.factories import certify, make_outlet, make_user

DESCRIPTION = "网点对电商快件二次包装，使用宽胶带缠绕多圈。"


def certified(district_code: str = "FX"):
    return certify(make_outlet(district_code))


def form_data(**fields) -> dict:
    data = {"category": "second_packaging", "description": DESCRIPTION, "contact": ""}
    data.update(fields)
    return data


def send(client, number: str, *, photo: bytes | None = None, address: str | None = None, **fields):
    """POST the public form; `photo` as an uploaded file, `address` as the client's network."""
    data = form_data(**fields)
    if photo is not None:
        data["photo"] = (BytesIO(photo), "photo.jpg")
    extra = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return client.post(f"/complaints/new/{number}", data=data, content_type="multipart/form-data", **extra)


def receipt_of(page: str) -> tuple[str, str | None]:
    """The reference and the follow-up code (None when none is shown) on the receipt page."""
    reference = re.search(r"data-reference>([^<]+)<", page)[1]
    code = re.search(r"data-follow-code>([^<]+)<", page)
    return reference, code[1] if code else None


def newest_complaint() -> Complaint:
    return db.session.scalar(select(Complaint).order_by(Complaint.id.desc()).limit(1))


def make_complaint(certificate, *, contact: str | None = None, **fields) -> tuple[Complaint, str | None]:
    """A complaint filed by the operation; returns it and its follow-up code."""
    filed = file_complaint(
        certificate,
        category=ComplaintCategory(fields.pop("category", "materials")),
        description=fields.pop("description", DESCRIPTION),
        contact=contact,
        photo=fields.pop("photo", None),
    )
    for name, value in fields.items():
        setattr(filed.complaint, name, value)
    db.session.flush()
    return filed.complaint, filed.follow_code


def team_of(district_code: str = "FX", size: int = 2):
    return [make_user(Role.INSPECTOR, district_code=district_code) for _ in range(size)]


def visit_form(team, *, days: int = 10, reason: str = "核查是否仍二次包装") -> dict:
    return {
        "team": [str(user.id) for user in team],
        "due_by": (today_in_shanghai() + timedelta(days=days)).isoformat(),
        "reason": reason,
    }


def sign_the_visit(check) -> None:
    """Stand-in for the team signing the visit on the phone (H-visits' flow, not this one's): the
    record is marked signed by its first member and the check moves to `visited`, through the models."""
    visit = check.assessment
    signer = visit.inspectors[0].id
    visit.signed_off_at, visit.signed_off_by_id = utcnow(), signer
    check.status = CheckStatus.VISITED.value
    db.session.flush()
