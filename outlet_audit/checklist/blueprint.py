"""The checklist blueprint and what each of its routes starts from: who reads a checklist, and the
checklist loaded with what the current user may do with it.

The view modules (`views`: filling in; `sign_off_views`: signing off, the result, reopening)
add their routes to `bp`; `views` imports `sign_off_views`, so registering `checklist.views.bp`
registers every checklist page.
"""

from dataclasses import dataclass
from functools import cached_property

from flask import Blueprint, abort, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from outlet_audit.access import Scope
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.coverage import covered_items
from outlet_audit.checklist.forms import display_answer
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.loaders import (  # also registers the record loaders
    assessment_with_application,
    team_still_signing,
)
from outlet_audit.checklist.locking import lock_assessment
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.page import (
    capture_gap_days,
    checklist_item_head,
    checklist_item_texts,
    checklist_texts,
    condition_text,
    evidence_rule_text,
    level_label,
    uploader_name,
)
from outlet_audit.checklist.permissions import (
    SUPERVISION_KINDS,
    Mode,
    awaiting_team,
    checklist_mode,
    why_not_editable,
)
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.core.views import bad_request, wants_json
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Edition
from outlet_audit.extensions import db, writing_request
from outlet_audit.roles import Role
from outlet_audit.scoring import UNANSWERED
from outlet_audit.supervision.models import SupervisionCheck, YearlySelfCheck
from outlet_audit.workflow.models import Application

bp = Blueprint("checklist", __name__, url_prefix="/checklist")
for _global in (
    display_answer,
    level_label,
    capture_gap_days,
    uploader_name,
    checklist_texts,
    checklist_item_head,
    checklist_item_texts,
):
    bp.add_app_template_global(_global)
bp.add_app_template_global(evidence_rule_text, "checklist_evidence_rule")
bp.add_app_template_global(condition_text, "checklist_condition_text")
bp.add_app_template_global(UNANSWERED, "unanswered")
bp.add_app_template_global(AssessmentKind, "AssessmentKind")


READERS = {
    Role.INSPECTOR: Scope.ASSIGNED,
    Role.OUTLET: Scope.OWN_OUTLET,
    Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT,
    Role.CITY_BUREAU: Scope.ALL,
}


@dataclass
class Checklist:
    """An assessment with its application, pinned edition and what the current user may do."""

    assessment: Assessment
    application: Application
    edition: Edition
    mode: Mode | None
    # After the certificate: the record's own stage (its check's or self-check's status), the
    # check or self-check it belongs to, and the items it covers (None: every item).
    stage: str | None = None
    owner: SupervisionCheck | YearlySelfCheck | None = None
    covered: frozenset[str] | None = None

    @property
    def status(self) -> str:
        """Where the record stands for the permissions: the application's, or its own stage."""
        return self.stage if self.assessment.kind in SUPERVISION_KINDS else self.application.status

    def covers(self, code: str) -> bool:
        return self.covered is None or code in self.covered

    @property
    def editable(self) -> bool:
        return self.mode is Mode.EDIT

    @property
    def signed_off(self) -> bool:
        return self.assessment.signed_off_at is not None

    @cached_property
    def awaiting(self) -> bool:
        """Signed by part of its team, waiting for the others (asks which record is the newest only
        when the rest of the answer allows it)."""
        if not awaiting_team(self.assessment, self.status):
            return False
        if self.assessment.kind == AssessmentKind.SUPERVISION:
            return True
        newest = assessment_of(self.application, AssessmentKind.INSPECTION)
        return newest is not None and newest.id == self.assessment.id

    def refusal(self):
        return why_not_editable(
            self.assessment.kind,
            self.status,
            current_user.role,
            self.signed_off,
            awaiting=self.signed_off and self.awaiting,
        )


def load_checklist(assessment_id: int) -> Checklist:
    """The checklist and what the user may do with it; a request that may write holds its lock
    from here on, so that what it decides and reads (stage, sign-off, answers) stays as stored."""
    if writing_request():
        lock_assessment(assessment_id)
    pair = assessment_with_application(assessment_id)
    if pair is None:
        abort(404)
    assessment, application = pair
    edition = pinned_edition(application.edition)
    owner, stage, covered = _after_certificate(assessment, edition)
    status = stage if assessment.kind in SUPERVISION_KINDS else application.status
    mode = checklist_mode(assessment.kind, status, current_user.role, assessment.signed_off_at is not None)
    if (
        mode is not None
        and assessment.kind == AssessmentKind.SUPERVISION
        and current_user.role == Role.OUTLET
        and (assessment.signed_off_at is None or team_still_signing(assessment.id))
    ):
        mode = None  # the outlet sees a visit only once its whole team has signed it
    return Checklist(assessment, application, edition, mode, stage, owner, covered)


def _after_certificate(assessment: Assessment, edition: Edition):
    """The check or yearly self-check a record after the certificate belongs to, its stage and the
    items it covers; (None, None, None) for the application's own checklists."""
    if assessment.kind == AssessmentKind.SUPERVISION:
        check = db.session.scalar(
            select(SupervisionCheck).where(SupervisionCheck.assessment_id == assessment.id)
        )
        if check is None:
            abort(404)
        return check, check.status, covered_items(assessment, edition, check.checklist)
    if assessment.kind == AssessmentKind.YEARLY:
        yearly = db.session.scalar(
            select(YearlySelfCheck).where(YearlySelfCheck.assessment_id == assessment.id)
        )
        if yearly is None:
            abort(404)
        certificate = yearly.certificate
        in_force = (
            certificate.state == StoredCertificateState.ACTIVE
            and certificate.valid_until >= today_in_shanghai()
        )
        return yearly, yearly.status if in_force else "certificate_ended", covered_items(assessment, edition)
    return None, None, None


@bp.errorhandler(CSRFError)
def csrf_refused(error):
    """A save from a page open since before the session expired: say so in the page's language."""
    message = _("Your session has expired. Reload the page; answers not yet saved are kept on this device.")
    if wants_json():
        return jsonify(status="csrf", message=message), 400
    return bad_request(error)
