"""A certified outlet with a supervision check opened on it, and its people: the starting point of
the visit tests (tests/supervision/test_visit_*.py)."""

from datetime import timedelta

from outlet_audit.checklist.attachments import attach_item_evidence
from outlet_audit.checklist.coverage import covered_items
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.service import save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.scoring import Answer, evidence_required
from outlet_audit.supervision.kinds import CampaignChecklist, CheckPurpose
from outlet_audit.supervision.operations import open_check
from outlet_audit.supervision.visits import sign_visit
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import best_value, worst_value
from tests.checklist_helpers import pdf, photo
from tests.factories import certify, make_outlet, make_user


class Visit:
    """A targeted check of a certified FX outlet by a team of two, with the bureaus around it."""

    def __init__(self, *, checklist=CampaignChecklist.SPOT_CHECK, district_code="FX"):
        self.outlet = make_outlet(district_code)
        self.certificate = certify(self.outlet)
        self.application = db.session.get(Application, self.certificate.application_id)
        self.outlet_user = make_user(Role.OUTLET, outlet=self.outlet)
        self.inspector = make_user(Role.INSPECTOR, district_code=district_code, display_name="赵督查")
        self.second_inspector = make_user(Role.INSPECTOR, district_code=district_code, display_name="钱督查")
        self.other_inspector = make_user(Role.INSPECTOR, district_code=district_code)
        self.bureau = make_user(Role.DISTRICT_BUREAU, district_code=district_code)
        self.ecology = make_user(
            Role.DISTRICT_BUREAU, district_code=district_code, agency=Agency.DISTRICT_ECOLOGY
        )
        self.city = make_user(Role.CITY_BUREAU)
        self.check = open_check(
            self.certificate,
            CheckPurpose.TARGETED,
            [self.inspector, self.second_inspector],
            due_by=today_in_shanghai() + timedelta(days=14),
            actor=self.bureau,
            reason="yearly self-check missing",
            checklist=checklist,
        )
        self.record = self.check.assessment
        self.edition = pinned_edition(self.application.edition)
        self.covered = covered_items(self.record, self.edition, self.check.checklist)

    def uncovered_code(self) -> str:
        return next(item.code for item in self.edition.items() if item.code not in self.covered)

    def save(self, code, value, actor=None):
        row = db.session.scalar(
            db.select(AnswerRow).where(AnswerRow.assessment_id == self.record.id, AnswerRow.item_code == code)
        )
        return save_answer(
            self.record,
            self.edition,
            code,
            value=value,
            not_applicable=False,
            note=None,
            expected_version=row.version if row else 0,
            actor=actor or self.inspector,
        )

    def attach(self, code, actor=None):
        item = self.edition.item(code)
        document = item.evidence.kind == "document"
        return attach_item_evidence(
            self.record,
            self.application,
            self.edition,
            code,
            pdf() if document else photo((64, 48)),
            "doc.pdf" if document else "photo.jpg",
            actor or self.inspector,
        )

    def complete(self, short_of=()):
        """Answer every covered item (full marks, or none for those `short_of`) with its evidence."""
        for item in self.edition.items():
            if item.code not in self.covered:
                continue
            value = worst_value(item) if item.code in short_of else best_value(item)
            self.save(item.code, value)
            if evidence_required(item, Answer(value)):
                self.attach(item.code)

    def sign_all(self):
        for user in (self.inspector, self.second_inspector):
            sign_visit(self.check, user, confirmed=True, outlet_representative="店长 孙")
