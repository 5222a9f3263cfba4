"""The checklists an application has, and the kinds of inspection visit. Pure: imported by models,
pages and the audit trail alike.

The value is what `assessments.kind` stores and what the audit trail writes before the colon of
a field ("inspection:1.3"); being a StrEnum, a member compares equal to the stored text.

An application has one self-assessment and one or more inspection records: each visit (the first
inspection, a re-inspection after rectification) is its own assessment with its own inspectors,
date, answers, evidence, signatures and score; a correction of a signed visit is a new record that
`amends` it, so the signed one is never changed again.
"""

import enum

from outlet_audit.text import N_


class AssessmentKind(enum.StrEnum):
    SELF = "self"  # the outlet's self-assessment (自评), submitted with the application
    INSPECTION = "inspection"  # an inspection visit's on-site checklist, signed off
    # After the certificate, on the application that earned it (outlet_audit.supervision): never
    # one of that application's inspection records, which are asked for by kind.
    SUPERVISION = "supervision"  # a supervision check's visit (spot check, complaint), signed by its team
    YEARLY = "yearly"  # the outlet's yearly continued-compliance self-check, submitted by the outlet


ASSESSMENT_KIND_LABELS = {
    AssessmentKind.SELF: N_("Self-assessment"),
    AssessmentKind.INSPECTION: N_("Inspection"),
    AssessmentKind.SUPERVISION: N_("Supervision visit"),
    AssessmentKind.YEARLY: N_("Yearly self-check"),
}


class VisitType(enum.StrEnum):
    INITIAL = "initial"  # 首次现场检查
    REINSPECTION = "reinspection"  # 整改复查: verifies the findings the bureau ordered rectified


VISIT_TYPE_LABELS = {
    VisitType.INITIAL: N_("First inspection"),
    VisitType.REINSPECTION: N_("Re-inspection after rectification"),
}


class FindingStatus(enum.StrEnum):
    """A finding (整改项): an item not at full marks at a signed visit.

    open → ordered (the bureau requires it rectified) or not_required (it did not) → answered (the
    outlet said what it did) → closed or not_closed (the inspector verified it).
    """

    OPEN = "open"
    NOT_REQUIRED = "not_required"
    ORDERED = "ordered"
    ANSWERED = "answered"
    CLOSED = "closed"
    NOT_CLOSED = "not_closed"


FINDING_STATUS_LABELS = {
    FindingStatus.OPEN: N_("Found"),
    FindingStatus.NOT_REQUIRED: N_("Rectification not required"),
    FindingStatus.ORDERED: N_("To rectify"),
    FindingStatus.ANSWERED: N_("Rectification answered"),
    FindingStatus.CLOSED: N_("Verified closed"),
    FindingStatus.NOT_CLOSED: N_("Not closed"),
}


class VerificationMethod(enum.StrEnum):
    DESK = "desk"  # 书面核查: the outlet's answer and files suffice
    ON_SITE = "on_site"  # 现场复查


VERIFICATION_METHOD_LABELS = {
    VerificationMethod.DESK: N_("Desk review of the evidence"),
    VerificationMethod.ON_SITE: N_("On site"),
}
