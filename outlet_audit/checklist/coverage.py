"""Which items a checklist asks and scores: every item, or, after the certificate, the items its
supervision visit or yearly self-check covers (the edition's `supervision` rules). Pure.

An item not covered is not shown, not saved, not counted in the progress and never missing for
the sign-off; the visit's result reads only the covered items (`visit_outcome`).
"""

from dataclasses import replace

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.criteria.model import Edition
from outlet_audit.scoring import ScoreResult, SpotCheckOutcome, spot_check_outcome
from outlet_audit.supervision.kinds import CampaignChecklist


def covered_items(record, edition: Edition, checklist: str | None = None) -> frozenset[str] | None:
    """The item codes `record` asks and scores; None: every item (self-assessment, inspection).

    `checklist`: a supervision visit's check's `checklist` (a CampaignChecklist value; the spot-check
    items when not given). A yearly self-check covers the edition's yearly items (none when the
    edition asks for no yearly self-check)."""
    if record.kind == AssessmentKind.YEARLY:
        yearly = edition.supervision.yearly
        return frozenset(yearly.item_codes) if yearly is not None else frozenset()
    if record.kind == AssessmentKind.SUPERVISION:
        scored = (item.code for item in edition.items())
        if checklist == CampaignChecklist.FULL:
            return frozenset(scored)
        return frozenset(code for code in scored if edition.supervision.spot_check.covers(code))
    return None


def visit_outcome(edition: Edition, result: ScoreResult, checklist: str) -> SpotCheckOutcome:
    """The spot-check pass rule applied to a visit's score: over the spot-check items, or over every
    scored item when the check used the full checklist (`CampaignChecklist.FULL`)."""
    if checklist == CampaignChecklist.FULL:
        rules = replace(edition.supervision.spot_check, item_codes=None)
        edition = replace(edition, supervision=replace(edition.supervision, spot_check=rules))
    return spot_check_outcome(edition, result)
