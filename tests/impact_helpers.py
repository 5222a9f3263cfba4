"""Seeding for the draft-impact tests: shanghai-2025 edited into a draft, signed inspections."""

from datetime import timedelta
from pathlib import Path

import yaml

from outlet_audit.core.time import clock_at, today_in_shanghai, utcnow
from outlet_audit.criteria.editions import active_edition
from outlet_audit.roles import Role
from outlet_audit.workflow.seeding import answer_checklist, worst_value
from outlet_audit.workflow.states import Status
from tests.factories import advance, certify, evidence_row, make_application, make_user

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


def signed_inspection(outlet, failing=(), *, days_ago=10, signed=True, edition=None, values=None):
    """An inspection signed off `days_ago` days ago, every scored item answered with full marks but the
    `failing` ones (no points) and those `values` gives (item code -> engine value). The outlet then
    withdrew that application, so it may apply again (for more inspections or a certificate) and no
    certificate came of this one. `edition`: a test edition to pin (default: the active shanghai-2025)."""
    inspector = make_user(Role.INSPECTOR, district_code=outlet.district.code)
    pinned = edition or active_edition()
    with clock_at(utcnow() - timedelta(days=days_ago)):
        application = make_application(
            outlet, status=Status.INSPECTION_SCHEDULED, inspectors=[inspector], edition=edition
        )
        answers = {code: worst_value(pinned.item(code)) for code in failing} | dict(values or {})
        inspection = answer_checklist(application, "inspection", inspector, answers, attach=evidence_row)
        if signed:
            advance(application, Status.INSPECTED)
            advance(application, Status.WITHDRAWN)
    return inspection


def holds_certificate(outlet):
    """A valid district certificate from an application inspected a hundred days ago: its inspection
    is not the outlet's latest when later ones are made within the last hundred days."""
    certify(outlet, issued_on=today_in_shanghai() - timedelta(days=100))
