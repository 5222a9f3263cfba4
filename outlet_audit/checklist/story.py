"""Every inspection record of an application as one reader may see it, in order: the story the
inspection report (PDF) and the result page both tell.

Each record (a visit, or a correction of one) comes with its answers and notes, score, photos,
its team and each member's signature; what it changed against the record it corrects, or a
re-inspection against the visit before it (`results.amendments`); the findings it made, with the
bureau's notice and the outlet's answers; and the verifications it holds. The outlet sees records
signed by their whole team only: the one rule (`permissions.inspection_visible_to`) is asked of
each record. Everything is read in a fixed number of queries, however many records, answers and
files there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.checklist.findings import notices_of, rectification_files
from outlet_audit.checklist.kinds import AssessmentKind, VisitType
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment, Finding, FindingCheck, RectificationNotice
from outlet_audit.checklist.permissions import awaiting_team, inspection_visible_to
from outlet_audit.checklist.results import Amendment, ResultView, amendments, result_view
from outlet_audit.checklist.service import assessment_score, inspection_records, scoring_answers
from outlet_audit.checklist.team import Member, is_joint, teams_of
from outlet_audit.criteria.model import Edition, Item
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.scoring import Answer, ScoreResult


@dataclass
class FindingStory:
    """A finding made at a record, and what became of it: the notice ordering it rectified, the
    outlet's answer (`finding.responsible_person`, `.response`) and its files."""

    finding: Finding
    item: Item | None
    notice: RectificationNotice | None
    files: list[Evidence]


@dataclass
class CheckStory:
    """A verification held by a record, of a finding made at an earlier one (`found_at`)."""

    check: FindingCheck
    finding: Finding
    item: Item | None
    found_at: int | None  # the sequence of the record that made the finding


@dataclass
class RecordStory:
    record: Assessment
    rows: dict[str, AnswerRow]  # as stored, by item code: notes, who saved and when
    answers: dict[str, Answer]  # as the engine reads them
    result: ScoreResult
    view: ResultView
    evidence: dict[str, list[Evidence]]  # item files by code, oldest first
    carried_from: dict[int, int]  # evidence id -> sequence of the record the file was added to
    signatures: dict[str, Evidence]  # the latest drawing of each signer ("inspector", "outlet")
    compared_with: Assessment | None  # the record it corrects, or the visit before a re-inspection
    changes: list[Amendment]
    findings: list[FindingStory]
    checks: list[CheckStory]
    team: list[Member] = field(default_factory=list)  # each with when they signed
    drawn: dict[int, Evidence] = field(default_factory=dict)  # each member's drawn signature, by user id
    awaiting: bool = False  # signed by part of its team, waiting for the others

    @property
    def sequence(self) -> int:
        return self.record.sequence

    @property
    def joint(self) -> bool:
        return is_joint(self.team)

    @property
    def complete(self) -> bool:
        """Signed, and waiting for nobody."""
        return self.record.signed_off_at is not None and not self.awaiting

    @property
    def is_correction(self) -> bool:
        return self.record.amends_id is not None


@dataclass
class InspectionStory:
    records: list[RecordStory]
    people: dict[int, User] = field(default_factory=dict)  # everyone the story names, by id

    @property
    def current(self) -> RecordStory | None:
        """The newest record the reader sees: the one in force, or being filled in."""
        return self.records[-1] if self.records else None

    def name(self, user_id: int | None) -> str:
        user = self.people.get(user_id)
        return user.display_name if user else ""

    def names(self, users) -> list[str]:
        return [user.display_name for user in users]


def inspection_story(application, edition: Edition, viewer) -> InspectionStory:
    """The inspection records of `application` that `viewer` may see, each with what it holds."""
    every = inspection_records(application.id)
    sequence_of = {record.id: record.sequence for record in every}
    records = [
        record
        for record in every
        if inspection_visible_to(viewer, record, application.status, newest=record is every[-1])
    ]
    by_id = {record.id: record for record in records}
    by_sequence = {record.sequence: record for record in records}
    ids = list(by_id)

    rows: dict[int, dict[str, AnswerRow]] = defaultdict(dict)
    if ids:
        for row in db.session.scalars(
            select(AnswerRow).where(AnswerRow.assessment_id.in_(ids)).order_by(AnswerRow.id)
        ):
            rows[row.assessment_id][row.item_code] = row
    evidence, signatures, drawn, carried = _files(ids, sequence_of)
    teams = teams_of(ids)
    findings = list(
        db.session.scalars(
            select(Finding)
            .join(Assessment, Assessment.id == Finding.assessment_id)
            .where(Finding.application_id == application.id, Assessment.kind == AssessmentKind.INSPECTION)
            .order_by(Finding.id)
        )
    )
    finding_by_id = {finding.id: finding for finding in findings}
    notices = {notice.id: notice for notice in notices_of(application.id)}
    files = rectification_files(finding.id for finding in findings if finding.assessment_id in by_id)
    checks: dict[int, list[FindingCheck]] = defaultdict(list)
    if ids:
        for check in db.session.scalars(
            select(FindingCheck).where(FindingCheck.assessment_id.in_(ids)).order_by(FindingCheck.id)
        ):
            checks[check.assessment_id].append(check)

    stories = []
    for record in records:
        answers = scoring_answers(edition, rows[record.id].values())
        result = assessment_score(record, edition, application.outlet_id, answers=answers)
        compared_with = _compared_with(record, by_id, by_sequence)
        stories.append(
            RecordStory(
                record=record,
                rows=rows[record.id],
                answers=answers,
                result=result,
                view=result_view(edition, result),
                evidence=evidence[record.id],
                carried_from=carried,
                signatures=signatures[record.id],
                compared_with=compared_with,
                changes=amendments(edition, rows[compared_with.id], rows[record.id])
                if compared_with is not None
                else [],
                findings=[
                    FindingStory(
                        finding,
                        edition.find_item(finding.item_code),
                        notices.get(finding.notice_id),
                        files.get(finding.id, []),
                    )
                    for finding in findings
                    if finding.assessment_id == record.id
                ],
                checks=[
                    CheckStory(
                        check,
                        finding_by_id[check.finding_id],
                        edition.find_item(finding_by_id[check.finding_id].item_code),
                        sequence_of.get(finding_by_id[check.finding_id].assessment_id),
                    )
                    for check in checks[record.id]
                    if check.finding_id in finding_by_id
                ],
                team=teams[record.id],
                drawn=drawn[record.id],
                awaiting=awaiting_team(record, application.status, newest=record is every[-1]),
            )
        )
    story = InspectionStory(stories)
    _load_people(story, notices.values())
    return story


def _compared_with(record: Assessment, by_id: dict, by_sequence: dict) -> Assessment | None:
    """What a record's changes are read against: the record a correction amends, or the record a
    re-inspection was started from (the one before it)."""
    if record.amends_id is not None:
        return by_id.get(record.amends_id)
    if record.visit_type == VisitType.REINSPECTION:
        return by_sequence.get(record.sequence - 1)
    return None


def _files(ids: list[int], sequence_of: dict[int, int]):
    """Item files and signatures of the records, by record (the inspectors' drawings also by who
    drew them: each member draws their own); and for each file carried into a later record from an
    earlier one, the sequence of the record it was first added to."""
    evidence: dict[int, dict[str, list[Evidence]]] = defaultdict(lambda: defaultdict(list))
    signatures: dict[int, dict[str, Evidence]] = defaultdict(dict)
    drawn: dict[int, dict[int, Evidence]] = defaultdict(dict)
    carried: dict[int, int] = {}
    if not ids:
        return evidence, signatures, drawn, carried
    rows = list(
        db.session.scalars(
            select(Evidence)
            .where(
                Evidence.assessment_id.in_(ids),
                Evidence.purpose.in_((EvidencePurpose.ITEM, EvidencePurpose.SIGNATURE)),
            )
            .order_by(Evidence.uploaded_at, Evidence.id)
        )
    )
    originals = {row.id: row.assessment_id for row in rows}
    for row in rows:
        if row.purpose == EvidencePurpose.SIGNATURE:
            signatures[row.assessment_id][row.item_code] = row  # the latest one counts
            if row.item_code == "inspector":
                drawn[row.assessment_id][row.uploaded_by_id] = row
            continue
        evidence[row.assessment_id][row.item_code].append(row)
        origin = originals.get(row.copied_from_id)
        if origin is not None and origin in sequence_of:
            carried[row.id] = sequence_of[origin]
    return evidence, signatures, drawn, carried


def _load_people(story: InspectionStory, notices) -> None:
    """Everyone the story names, in one query; kept on it while the page renders (the session holds
    users only weakly, and the evidence cards ask it for the uploaders' names)."""
    ids = {notice.issued_by_id for notice in notices}
    for record in story.records:
        ids |= {row.updated_by_id for row in record.rows.values()}
        ids |= {ev.uploaded_by_id for items in record.evidence.values() for ev in items}
        ids |= {ev.uploaded_by_id for ev in record.signatures.values()}
        ids.add(record.record.signed_off_by_id)
        ids |= {member.user.id for member in record.team}
        ids |= {check.check.checked_by_id for check in record.checks}
        for finding in record.findings:
            ids.add(finding.finding.responded_by_id)
            ids |= {ev.uploaded_by_id for ev in finding.files}
    ids.discard(None)
    if ids:
        story.people = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
