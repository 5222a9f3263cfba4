"""The two checklists an application has. Pure: imported by models, pages and the audit trail alike.

The value is what `assessments.kind` stores and what the audit trail writes before the colon of
a field ("inspection:1.3"); being a StrEnum, a member compares equal to the stored text.
"""

import enum

from outlet_audit.text import N_


class AssessmentKind(enum.StrEnum):
    SELF = "self"  # the outlet's self-assessment (自评), submitted with the application
    INSPECTION = "inspection"  # the inspectors' on-site checklist, signed off


ASSESSMENT_KIND_LABELS = {
    AssessmentKind.SELF: N_("Self-assessment"),
    AssessmentKind.INSPECTION: N_("Inspection"),
}
