"""The words of supervision (监督管理) after the certificate. Pure: imported by models, pages and
the audit trail alike; each value is what its table stores."""

import enum

from outlet_audit.text import N_

# The bureaus' menu folds the supervision pages into one drop-down under this label.
SUPERVISION_MENU = N_("Supervision")


class CampaignStatus(enum.StrEnum):
    PLANNED = "planned"  # scope and numbers set, nothing drawn yet
    DRAWN = "drawn"  # outlets and teams drawn from the recorded seed; visits under way
    CLOSED = "closed"  # over: its list and results are public (一公开)


CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.PLANNED: N_("Planned"),
    CampaignStatus.DRAWN: N_("Drawn"),
    CampaignStatus.CLOSED: N_("Closed and published"),
}


class CampaignChecklist(enum.StrEnum):
    SPOT_CHECK = "spot_check"  # the items the edition's spot-check list covers, with its pass rule
    FULL = "full"  # every item of the edition, with the spot-check pass rule


CAMPAIGN_CHECKLIST_LABELS = {
    CampaignChecklist.SPOT_CHECK: N_("The edition's spot-check items"),
    CampaignChecklist.FULL: N_("Every item of the edition"),
}


class CheckPurpose(enum.StrEnum):
    SPOT_CHECK = "spot_check"  # drawn in a random campaign (双随机)
    COMPLAINT = "complaint"  # a targeted visit opened on a public complaint
    TARGETED = "targeted"  # a targeted visit the bureau opened itself (a missing or failed yearly self-check)


CHECK_PURPOSE_LABELS = {
    CheckPurpose.SPOT_CHECK: N_("Random spot check"),
    CheckPurpose.COMPLAINT: N_("Visit on a complaint"),
    CheckPurpose.TARGETED: N_("Targeted visit"),
}


class CheckStatus(enum.StrEnum):
    """A supervision check: scheduled → visited (its team signed the record) → passed, rectification
    (a notice with a deadline) → rectified, or revocation (a revocation case is opened); cancelled
    when the certificate ends before the visit."""

    SCHEDULED = "scheduled"
    VISITED = "visited"
    PASSED = "passed"
    RECTIFICATION = "rectification"
    RECTIFIED = "rectified"
    REVOCATION = "revocation"
    CANCELLED = "cancelled"


CHECK_STATUS_LABELS = {
    CheckStatus.SCHEDULED: N_("Visit scheduled"),
    CheckStatus.VISITED: N_("Visited, awaiting the bureau's conclusion"),
    CheckStatus.PASSED: N_("Passed the check"),
    CheckStatus.RECTIFICATION: N_("Rectification ordered"),
    CheckStatus.RECTIFIED: N_("Rectified"),
    CheckStatus.REVOCATION: N_("Proposed for revocation"),
    CheckStatus.CANCELLED: N_("Cancelled"),
}
OPEN_CHECK_STATUSES = frozenset({CheckStatus.SCHEDULED, CheckStatus.VISITED, CheckStatus.RECTIFICATION})


class ComplaintCategory(enum.StrEnum):
    SECOND_PACKAGING = "second_packaging"  # e-commerce parcels packed a second time, excess packaging
    MATERIALS = "materials"  # wide tape, non-degradable bags, paper waybills
    RECYCLING = "recycling"  # no recycling point, reusable boxes not taken back
    WASTE_SORTING = "waste_sorting"
    CERTIFICATE = "certificate"  # a certificate shown that the outlet does not hold (any more)
    OTHER = "other"


COMPLAINT_CATEGORY_LABELS = {
    ComplaintCategory.SECOND_PACKAGING: N_("Second or excessive packaging"),
    ComplaintCategory.MATERIALS: N_("Wide tape, non-degradable bags or paper waybills"),
    ComplaintCategory.RECYCLING: N_("No recycling of packaging"),
    ComplaintCategory.WASTE_SORTING: N_("Waste not sorted"),
    ComplaintCategory.CERTIFICATE: N_("Certificate shown wrongly"),
    ComplaintCategory.OTHER: N_("Something else"),
}


class ComplaintStatus(enum.StrEnum):
    RECEIVED = "received"  # awaiting the district bureau's triage
    DISMISSED = "dismissed"  # with a reason the complainant can read
    VISIT_OPENED = "visit_opened"  # a targeted visit checks it
    SUBSTANTIATED = "substantiated"  # the visit found it true
    NOT_SUBSTANTIATED = "not_substantiated"  # the visit did not


COMPLAINT_STATUS_LABELS = {
    ComplaintStatus.RECEIVED: N_("Received"),
    ComplaintStatus.DISMISSED: N_("Dismissed"),
    ComplaintStatus.VISIT_OPENED: N_("Being checked on site"),
    ComplaintStatus.SUBSTANTIATED: N_("Substantiated"),
    ComplaintStatus.NOT_SUBSTANTIATED: N_("Not substantiated"),
}


class RevocationStatus(enum.StrEnum):
    """notified (告知: grounds, evidence, a deadline) → statement received (陈述申辩) → revoked or not
    revoked (the issuer's decision with reasons). A ground the edition lists as immediate goes
    straight to revoked."""

    NOTIFIED = "notified"
    STATEMENT = "statement"
    REVOKED = "revoked"
    NOT_REVOKED = "not_revoked"


REVOCATION_STATUS_LABELS = {
    RevocationStatus.NOTIFIED: N_("Notice served, awaiting the outlet's statement"),
    RevocationStatus.STATEMENT: N_("Statement received, awaiting the decision"),
    RevocationStatus.REVOKED: N_("Revoked"),
    RevocationStatus.NOT_REVOKED: N_("Not revoked"),
}


class YearlyStatus(enum.StrEnum):
    """open (the outlet fills it in; missing once past its due date) → submitted → accepted or failed."""

    OPEN = "open"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    FAILED = "failed"


YEARLY_STATUS_LABELS = {
    YearlyStatus.OPEN: N_("To submit"),
    YearlyStatus.SUBMITTED: N_("Submitted, awaiting review"),
    YearlyStatus.ACCEPTED: N_("Accepted on review"),
    YearlyStatus.FAILED: N_("Failed"),
}
