"""What the inspectors have beside an inspection record: the outlet's own self-assessment of each
item, the findings a re-inspection verifies, the signed record its answers were carried over from;
and, before signing, the items short of full marks.

Each is read for the whole page at once (one query for all the outlet's answers, one for all their
files), never item by item: the page stays the same number of queries however much it shows.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from outlet_audit.checklist.findings import findings_to_verify, shortfalls
from outlet_audit.checklist.forms import display_answer
from outlet_audit.checklist.kinds import VISIT_TYPE_LABELS, AssessmentKind, VisitType
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment, Finding
from outlet_audit.checklist.page import ChecklistState
from outlet_audit.checklist.service import scoring_answers
from outlet_audit.criteria.model import Edition, Item, decimal_text
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db


@dataclass(frozen=True)
class OutletAnswer:
    """How the outlet assessed one item itself: its answer as people read it, its note and files."""

    text: str
    answered: bool
    note: str | None = None
    files: tuple[Evidence, ...] = ()


@dataclass
class VisitContext:
    """What an inspection record's page shows beside its items."""

    outlet_answers: dict[str, OutletAnswer] = field(default_factory=dict)
    self_assessed: bool = False  # the outlet's self-assessment holds an answer or a file
    to_verify: dict[str, Finding] = field(default_factory=dict)  # by item code, while unsigned
    carried_from: Assessment | None = None  # the signed record this one was pre-filled from
    record: Assessment | None = None

    def outlet_answer(self, item: Item) -> OutletAnswer:
        return self.outlet_answers.get(item.code) or OutletAnswer(_("Not answered"), answered=False)

    @staticmethod
    def visit_label(record: Assessment) -> str:
        return _(VISIT_TYPE_LABELS[VisitType(record.visit_type)])

    def carried(self, row: AnswerRow | None) -> bool:
        """Is this answer still as it was carried over (not saved again in this record)?

        A carried answer keeps the version 1 and the time of the record it came from, which was
        signed before this record was made; any save in this record comes after, and counts up."""
        return (
            self.carried_from is not None
            and row is not None
            and row.version == 1
            and row.updated_at < self.record.created_at
        )


def visit_context(record: Assessment, edition: Edition, lang: str) -> VisitContext:
    """The outlet's self-assessment by item, and for a later record what it carries and verifies."""
    if record.kind != AssessmentKind.INSPECTION:
        return VisitContext()
    context = VisitContext(record=record)
    own = (Assessment.application_id == record.application_id, Assessment.kind == AssessmentKind.SELF)
    rows = list(db.session.scalars(select(AnswerRow).join(Assessment).where(*own)))
    files: dict[str, list[Evidence]] = defaultdict(list)
    for evidence in db.session.scalars(
        select(Evidence)
        .join(Assessment, Assessment.id == Evidence.assessment_id)
        .where(*own, Evidence.purpose == EvidencePurpose.ITEM)
        .order_by(Evidence.uploaded_at, Evidence.id)
    ):
        files[evidence.item_code].append(evidence)
    answers = scoring_answers(edition, rows)
    for row in rows:
        if row.item_code not in answers:
            continue  # an item no longer in the edition
        item = edition.item(row.item_code)
        answer = answers[row.item_code]
        text = str(display_answer(item, answer, lang)) if answer.answered else _("Not answered")
        context.outlet_answers[row.item_code] = OutletAnswer(
            text, answer.answered, row.note, tuple(files.get(item.code, ()))
        )
    for code, evidence in files.items():  # a file for an item the outlet left unanswered still shows
        if code in context.outlet_answers:
            continue
        context.outlet_answers[code] = OutletAnswer(_("Not answered"), answered=False, files=tuple(evidence))
    context.self_assessed = bool(rows or files)
    if record.signed_off_at is None:  # once signed, the application page tells how each was verified
        context.to_verify = {finding.item_code: finding for finding in findings_to_verify(record)}
    if record.sequence > 1:
        context.carried_from = db.session.scalar(
            select(Assessment).where(
                Assessment.application_id == record.application_id,
                Assessment.kind == AssessmentKind.INSPECTION,
                Assessment.sequence == record.sequence - 1,
            )
        )
    return context


# --- before signing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    """An item short of full marks, as the record stands: it becomes a finding when signed."""

    item: Item
    answer: str
    earned: str
    possible: str
    note: str | None
    files: tuple[Evidence, ...]


def shortfalls_of(state: ChecklistState, lang: str) -> list[Shortfall]:
    """Every scored item below full marks (`findings.shortfalls` of the record's score), in edition order."""
    short = set(shortfalls(state.result))
    lines = {line.code: line for line in state.result.items}
    found = []
    for item in state.edition.items():
        if item.code not in short:
            continue
        row = state.rows.get(item.code)
        found.append(
            Shortfall(
                item=item,
                answer=str(display_answer(item, state.answer(item.code), lang)),
                earned=decimal_text(lines[item.code].earned),
                possible=decimal_text(lines[item.code].possible),
                note=row.note if row else None,
                files=tuple(state.evidence.get(item.code, ())),
            )
        )
    return found
