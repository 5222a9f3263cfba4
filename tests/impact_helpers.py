"""Seeding for the draft-impact tests: shanghai-2025 edited into a draft, signed inspections."""

from datetime import timedelta
from pathlib import Path

import yaml

from outlet_audit.certificates.operations import issue_certificate
from outlet_audit.checklist.models import Answer
from outlet_audit.checklist.service import get_or_create_assessment, value_to_json
from outlet_audit.core.time import utcnow
from outlet_audit.criteria.editions import active_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.factories import make_application, make_user
from tests.workflow_helpers import best_value

SHANGHAI_PATH = Path(__file__).resolve().parents[1] / "criteria" / "shanghai-2025.yaml"
SHANGHAI_TEXT = SHANGHAI_PATH.read_text(encoding="utf-8")


def draft_text(**replacements) -> str:
    """shanghai-2025 edited as tests/web/test_criteria_impact.py tabulates, as an editor writes a file."""
    data = yaml.safe_load(SHANGHAI_TEXT)  # dates become date objects: written back as YYYY-MM-DD
    data["id"] = "shanghai-2026"
    items = {i["code"]: i for s in data["sections"] for i in s["items"]}
    items["1.1"]["points"] = 10
    items["6.1"]["points"] = 2
    data["levels"]["district"]["min_score"] = 85
    data["levels"]["city"]["items_at_full_marks"].append("5.1")
    data.update(replacements)
    return "# a draft\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def signed_inspection(outlet, failing=(), *, days_ago=10, signed=True):
    """An inspection of shanghai-2025 with every scored item answered, the `failing` ones earning 0."""
    edition = active_edition()
    inspector = make_user(Role.INSPECTOR, district_code=outlet.district.code)
    # decided (approved): an outlet has one open application at most, and here several inspections
    application = make_application(outlet, status="approved", inspectors=[inspector])
    inspection = get_or_create_assessment(application, "inspection")
    for item in edition.items():
        value = best_value(item)
        if item.code in failing:
            value = not item.answer.earns_on
        db.session.add(Answer(assessment_id=inspection.id, item_code=item.code, value=value_to_json(value)))
    if signed:
        inspection.signed_off_at = utcnow() - timedelta(days=days_ago)
        inspection.signed_off_by_id = inspector.id
    db.session.flush()
    return inspection


def holds_certificate(outlet):
    approved = make_application(outlet, status="approved", target_level="district")
    issue_certificate(approved, None)
