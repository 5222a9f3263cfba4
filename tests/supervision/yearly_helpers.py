"""Builders for the yearly self-check tests: certified outlets issued on a given day, days to run
the job on, and the covered items answered the way the checklist page saves them."""

import copy
from contextlib import contextmanager
from datetime import date

from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.service import answer_rows_by_code, save_answer
from outlet_audit.core.time import clock_at
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.scoring import Answer, evidence_required
from outlet_audit.supervision.yearly import covered_items, edition_by_hash
from outlet_audit.workflow.models import Application
from tests.factories import certify, evidence_row, make_outlet, make_user, shanghai_moment
from tests.workflow_helpers import best_value

# The 2025 edition's yearly self-check: items 1.1, 1.2, 1.5, 3.2 and 4.1, due 31 March, reminded
# 30 days before. The tests' year is 2027; a certificate issued in mid-2026 owes it.
YEAR = 2027
DUE = date(YEAR, 3, 31)
ISSUED = date(2026, 6, 1)


@contextmanager
def on(day: date, hour: int = 9):
    """Run the block as on this Shanghai day."""
    with clock_at(shanghai_moment(day, hour)):
        yield


def certified_outlet(district_code: str = "FX", issued_on: date = ISSUED, **fields) -> Certificate:
    return certify(make_outlet(district_code, **fields), issued_on=issued_on)


def outlet_user(certificate: Certificate):
    return make_user(Role.OUTLET, outlet=certificate.outlet)


def without_yearly(certificate: Certificate) -> None:
    """Pin the certificate to a copy of its edition that asks for no yearly self-check."""
    application = db.session.get(Application, certificate.application_id)
    snapshot = copy.deepcopy(db.session.get(StoredEdition, application.edition_pk).snapshot)
    snapshot["supervision"].pop("yearly_self_check")
    stored = StoredEdition(edition_id="no-yearly", content_hash="f" * 64, snapshot=snapshot)
    db.session.add(stored)
    db.session.flush()
    assert pinned_edition(stored).supervision.yearly is None
    certificate.edition_hash = stored.content_hash
    db.session.flush()


def answer_covered(self_check, actor, *, leave_out=(), without_evidence=()) -> None:
    """Answer the covered items at full marks (but `leave_out`), with the evidence each requires."""
    edition = edition_by_hash(self_check.certificate.edition_hash)
    application = db.session.get(Application, self_check.certificate.application_id)
    rows = answer_rows_by_code(self_check.assessment)
    for code in covered_items(self_check, edition):
        if code in leave_out:
            continue
        item = edition.item(code)
        value = best_value(item)
        row = rows.get(code)
        save_answer(
            self_check.assessment, edition, code, value=value, not_applicable=False, note=None,
            expected_version=row.version if row else 0, actor=actor, rows=rows,
        )  # fmt: skip
        if evidence_required(item, Answer(value)) and code not in without_evidence:
            evidence_row(self_check.assessment, application, item, actor)
    db.session.flush()


def evidence_items(self_check) -> list[str]:
    """The covered items whose full-marks answer requires evidence (at least one, or the test is moot)."""
    edition = edition_by_hash(self_check.certificate.edition_hash)
    codes = covered_items(self_check, edition)
    return [
        code
        for code in codes
        if evidence_required(edition.item(code), Answer(best_value(edition.item(code))))
    ]
