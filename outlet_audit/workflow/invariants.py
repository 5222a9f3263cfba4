"""What every database the operations wrote satisfies, checked over all of it.

The database holds some rules itself (CHECK constraints, the one-open-application index, unique
numbers). The rules below are held only by the operations: `apply_transition` writes a status with
the columns that go with it and its audit row, the sign-off scores and locks a complete checklist,
`issue_certificate` numbers and dates a certificate for an approved application. Data made another
way must satisfy them too: the benchmark's bulk loader writes rows directly (bench/check.py), and
the tests check data made by the operations against the same list, so the two cannot drift apart.

`broken_invariants(connection)` runs every check on a SQLAlchemy connection or session and returns
the keys of the rows that break each rule (at most `limit` per rule; an empty dict when all hold).
"""

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Text, and_, cast, exists, func, or_, select
from sqlalchemy.orm import aliased

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.numbering import LEVEL_LETTERS, parse_certificate_number
from outlet_audit.certificates.operations import add_months
from outlet_audit.checklist.attachments import SIGNERS
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import (
    Answer,
    Assessment,
    Finding,
    FindingCheck,
    RectificationNotice,
    visit_inspectors,
)
from outlet_audit.checklist.service import missing_items, profile_of, scoring_answers
from outlet_audit.criteria.model import Edition
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import AGENCY_BUREAU_ROLE, Agency, Role
from outlet_audit.scoring import InvalidAnswers, check_answers, skipped_items
from outlet_audit.workflow.models import Application, ApprovalRecord, inspection_assignments
from outlet_audit.workflow.states import FINAL_STATUSES, MAX_TEAM, Level, Status

S = Status
Correction = aliased(Assessment)
FINAL = [status.value for status in FINAL_STATUSES]
# Scheduled once (inspectors and a date), so still planned in these, whatever followed.
PLANNED = [
    s.value
    for s in (
        S.INSPECTION_SCHEDULED,
        S.INSPECTED,
        S.RECTIFICATION_REQUESTED,
        S.RECTIFICATION_SUBMITTED,
        S.IN_APPROVAL,
        S.APPROVED,
    )
]
# The newest inspection record is signed in these; a correction (reopening) or a re-inspection
# (after the rectification answer) is a new, unsigned record.
SIGNED = [s.value for s in (S.INSPECTED, S.RECTIFICATION_REQUESTED, S.IN_APPROVAL, S.APPROVED)]
UNSIGNED = [s.value for s in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.ACCEPTED)]
# At a visit the newest record is filled in (unsigned), then signed by its team one member after
# another: signed only while a member has yet to sign (the last signature moves the application on).
VISITING = [s.value for s in (S.INSPECTION_SCHEDULED, S.RECTIFICATION_SUBMITTED)]
# The audit rows an upload writes (checklist.attachments, workflow.drafting.record_upload).
UPLOAD_ACTIONS = ("evidence_uploaded", "evidence_marked", "signature_added")


@dataclass(frozen=True)
class Invariant:
    name: str
    rule: str  # what holds, in one sentence
    find: Callable  # connection -> the keys of the rows that break it


def _keys(statement) -> Callable:
    return lambda conn: (row[0] for row in conn.execute(statement))


def _no_json(column):
    """Nothing stored: SQL NULL, or the JSON null a JSON column writes for None."""
    return or_(column.is_(None), cast(column, Text) == "null")


def _blank(column):
    return or_(column.is_(None), func.length(func.trim(column)) == 0)


A = Application
newer = Certificate.__table__.alias("newer")  # the certificate that superseded another
signed_inspection = and_(Assessment.kind == AssessmentKind.INSPECTION, Assessment.signed_off_at.is_not(None))
assignment_count = (
    select(func.count())
    .select_from(inspection_assignments)
    .where(inspection_assignments.c.application_id == A.id)
    .scalar_subquery()
)


def _newest_record():
    """The condition that `Assessment` is its application's newest inspection record."""
    later = aliased(Assessment)
    return and_(
        Assessment.kind == AssessmentKind.INSPECTION,
        ~exists().where(
            later.application_id == Assessment.application_id,
            later.kind == AssessmentKind.INSPECTION,
            later.sequence > Assessment.sequence,
        ),
    )


def _has_signed_inspection():
    """The application's newest inspection record is signed."""
    return exists().where(
        Assessment.application_id == A.id, _newest_record(), Assessment.signed_off_at.is_not(None)
    )


def _member_unsigned(record=Assessment):
    """A member of the record's team has not signed it."""
    return exists().where(
        visit_inspectors.c.assessment_id == record.id, visit_inspectors.c.signed_at.is_(None)
    )


def _waiting_for_team():
    """The application's newest record is signed by part of its team and waits for the others."""
    return exists().where(
        Assessment.application_id == A.id,
        _newest_record(),
        Assessment.signed_off_at.is_not(None),
        _member_unsigned(),
    )


def _awaiting_record():
    """The condition that `Assessment` waits for its team: the newest record of an application
    still at its visit stage (the one rule: `checklist.permissions.awaiting_team`)."""
    return and_(
        _newest_record(),
        exists().where(A.id == Assessment.application_id, A.status.in_(VISITING)),
    )


def _audited(action, subject_type: str, subject_id) -> object:
    return exists().where(
        AuditEvent.subject_type == subject_type,
        AuditEvent.subject_id == subject_id,
        AuditEvent.action.in_(action if isinstance(action, tuple) else (action,)),
    )


# --- rules that need the pinned edition -----------------------------------------------------


class Editions:
    """The pinned editions, read from their snapshots once each."""

    def __init__(self, conn):
        self.conn, self.parsed = conn, {}

    def __getitem__(self, edition_pk: int) -> Edition:
        if edition_pk not in self.parsed:
            snapshot = self.conn.execute(
                select(StoredEdition.snapshot).where(StoredEdition.id == edition_pk)
            ).scalar_one()
            data = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
            self.parsed[edition_pk] = Edition.from_snapshot(data)
        return self.parsed[edition_pk]


def _answers_by_assessment(conn, *conditions) -> Iterator[tuple]:
    """(assessment row, its answer rows) for the assessments matching `conditions`, with the facts
    the rules need: the pinned edition's key and the outlet's profile."""
    assessments = conn.execute(
        select(
            Assessment.id,
            Assessment.kind,
            Assessment.application_id,
            A.edition_pk,
            Outlet.brand,
            Outlet.has_packing_bench,
            District.code.label("district"),
        )
        .join(A, A.id == Assessment.application_id)
        .join(Outlet, Outlet.id == A.outlet_id)
        .join(District, District.id == Outlet.district_id)
        .where(*conditions)
        .order_by(Assessment.id)
    ).all()
    rows = defaultdict(list)
    answers = select(Answer.assessment_id, Answer.item_code, Answer.value, Answer.not_applicable)
    for row in conn.execute(
        answers.join(Assessment, Assessment.id == Answer.assessment_id).where(*conditions)
    ):
        rows[row.assessment_id].append(row)
    for assessment in assessments:
        yield assessment, rows[assessment.id]


def _invalid_answers(conn) -> Iterator[str]:
    """Answers save_answer would have refused: an item the pinned edition lacks, or a bad value."""
    editions = Editions(conn)
    for assessment, rows in _answers_by_assessment(conn):
        edition = editions[assessment.edition_pk]
        known = {item.code for item in (*edition.items(), *edition.bonus_items())}
        unknown = sorted(row.item_code for row in rows if row.item_code not in known)
        try:
            unknown += sorted(check_answers(edition, scoring_answers(edition, rows)))
        except InvalidAnswers as invalid:
            unknown += sorted(invalid.problems)
        if unknown:
            yield f"assessment {assessment.id}: {', '.join(unknown)}"


def _incomplete_sign_offs(conn) -> Iterator[str]:
    """Signed-off inspections the sign-off would have refused: an answer or its evidence missing."""
    editions = Editions(conn)
    counts = defaultdict(lambda: defaultdict(int))
    evidence = select(Evidence.assessment_id, Evidence.item_code, func.count()).where(
        Evidence.purpose == EvidencePurpose.ITEM
    )
    for assessment_id, code, count in conn.execute(
        evidence.group_by(Evidence.assessment_id, Evidence.item_code)
    ):
        counts[assessment_id][code] = count
    for assessment, rows in _answers_by_assessment(conn, signed_inspection):
        edition = editions[assessment.edition_pk]
        answers = scoring_answers(edition, rows)
        skipped = skipped_items(
            edition, answers, profile_of(assessment.brand, assessment.district, assessment.has_packing_bench)
        )
        missing = missing_items(edition, answers, counts[assessment.id], skipped=skipped)
        if missing:
            codes = ", ".join(str(message.params.get("code")) for message in missing)
            yield f"assessment {assessment.id}: {codes}"


def _certificates_not_as_issued(conn) -> Iterator[str]:
    """Certificates whose number, dates or edition are not what issue_certificate gives."""
    editions = Editions(conn)
    codes = dict(conn.execute(select(District.id, District.code)).all())
    certificates = conn.execute(
        select(
            Certificate.id,
            Certificate.number,
            Certificate.level,
            Certificate.district_id,
            Certificate.issued_on,
            Certificate.valid_until,
            Certificate.edition_id,
            Certificate.edition_hash,
            A.edition_pk,
        )
        .join(A, A.id == Certificate.application_id)
        .order_by(Certificate.id)
    )
    for certificate in certificates:
        edition_pk = certificate.edition_pk
        edition = editions[edition_pk]
        number = parse_certificate_number(certificate.number)
        months = edition.level(certificate.level).certificate_validity_months
        expected = (
            certificate.issued_on.year,
            codes[certificate.district_id],
            LEVEL_LETTERS[Level(certificate.level)],
            add_months(certificate.issued_on, months),
            edition.id,
            edition.content_hash,
        )
        found = (
            number and number.year,
            number and number.district_code,
            number and LEVEL_LETTERS[number.level],
            certificate.valid_until,
            certificate.edition_id,
            certificate.edition_hash,
        )
        if found != expected:
            yield f"certificate {certificate.id} {certificate.number}"


def _approvals_off_the_edition(conn) -> Iterator[str]:
    """Applications in approval or approved whose signed steps are not their edition's, in order:
    in approval, the next step is the one awaited; approved, the last round agreed at every step
    and the certificate's issuer is the settling step's agency."""
    editions = Editions(conn)
    rounds: dict[int, list] = defaultdict(list)
    records = select(
        ApprovalRecord.application_id,
        ApprovalRecord.round,
        ApprovalRecord.position,
        ApprovalRecord.level,
        ApprovalRecord.agency,
        ApprovalRecord.act,
        ApprovalRecord.outcome,
    ).order_by(ApprovalRecord.application_id, ApprovalRecord.round, ApprovalRecord.position)
    for row in conn.execute(records):
        kept = rounds[row.application_id]
        if kept and kept[-1].round != row.round:
            kept.clear()  # only the last round counts for where the application stands
        kept.append(row)
    issuers = dict(
        conn.execute(
            select(Certificate.application_id, Organisation.agency).join(
                Organisation, Organisation.id == Certificate.issuer_organisation_id
            )
        ).all()
    )
    candidates = select(A.id, A.status, A.edition_pk, A.awaiting_agency).where(
        A.status.in_((S.IN_APPROVAL.value, S.APPROVED.value))
    )
    for application in conn.execute(candidates.order_by(A.id)):
        signed = rounds.get(application.id, [])
        if not signed:
            if application.status == S.IN_APPROVAL.value:
                yield f"application {application.id}: in approval with no proposal"
            continue  # approved before steps were recorded
        steps = editions[application.edition_pk].level(signed[0].level).approvals
        wrong = [
            row.position
            for index, row in enumerate(signed)
            if row.position != index
            or row.position >= len(steps)
            or (row.agency, row.act) != (steps[row.position].agency, steps[row.position].act)
            or (row.outcome != "agree" and index != len(signed) - 1)
        ]
        all_agreed = all(row.outcome == "agree" for row in signed)
        if application.status == S.IN_APPROVAL.value:
            awaited = steps[len(signed)].agency if all_agreed and len(signed) < len(steps) else None
            if wrong or application.awaiting_agency != awaited:
                yield f"application {application.id}"
        elif (
            wrong
            or not all_agreed
            or len(signed) != len(steps)
            or issuers.get(application.id) != steps[-1].agency
        ):
            yield f"application {application.id}"


def _staff_outside_their_organisation(conn) -> Iterator[str]:
    """Staff whose organisation is not of their district (or the city's) or not for their role."""
    rows = conn.execute(
        select(User.id, User.role, User.district_id, Organisation.agency, Organisation.district_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .order_by(User.id)
    )
    for user_id, role, district_id, agency, organisation_district in rows:
        agency = Agency(agency)
        fits = AGENCY_BUREAU_ROLE[agency] == role if role != Role.INSPECTOR else agency.district_tier
        if not fits or district_id != organisation_district:
            yield f"user {user_id}"


def _broken_trails(conn) -> Iterator[str]:
    """Applications whose transition rows do not lead from draft to their status, step by step."""
    steps = defaultdict(list)
    transitions = select(AuditEvent.application_id, AuditEvent.old_value, AuditEvent.new_value).where(
        AuditEvent.action == "transition", AuditEvent.subject_type == "application"
    )
    for application_id, old, new in conn.execute(transitions.order_by(AuditEvent.id)):
        steps[application_id].append((old, new))
    for application_id, status in conn.execute(select(A.id, A.status).order_by(A.id)):
        reached = S.DRAFT.value
        for old, new in steps[application_id]:
            if old != reached:
                break
            reached = new
        else:
            if reached == status:
                continue
        yield f"application {application_id}"


def _dangling_references(conn) -> Iterator[str]:
    """Rows whose foreign keys name no row (a bulk load that switched the database's checks off)."""
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            child, parents = key.parent, key.column.table.alias()  # an alias: a table may refer to itself
            named = parents.c[key.column.name] == child
            orphans = (
                select(func.count()).select_from(table).where(child.is_not(None), ~exists().where(named))
            )
            count = conn.execute(orphans).scalar_one()
            if count:
                yield f"{table.name}.{child.name} -> {key.column.table.name}: {count} rows"


INVARIANTS = (
    Invariant(
        "submission time",
        "an application has a submission time once submitted, and a draft has none",
        _keys(
            select(A.id).where(
                or_(
                    and_(A.status == S.DRAFT.value, A.submitted_at.is_not(None)),
                    and_(A.status.not_in([S.DRAFT.value, S.WITHDRAWN.value]), A.submitted_at.is_(None)),
                )
            )
        ),
    ),  # fmt: skip
    Invariant(
        "decision time",
        "an application has a decision time exactly when it is approved, rejected or withdrawn",
        _keys(
            select(A.id).where(
                or_(
                    and_(A.status.in_(FINAL), A.decided_at.is_(None)),
                    and_(A.status.not_in(FINAL), A.decided_at.is_not(None)),
                )
            )
        ),
    ),  # fmt: skip
    Invariant(
        "granted level",
        "city level is granted only to an application for city level",
        _keys(select(A.id).where(A.granted_level == "city", A.target_level != "city")),
    ),
    Invariant(
        "decision opinion",
        "an approved or rejected application says why",
        _keys(
            select(A.id).where(A.status.in_([S.APPROVED.value, S.REJECTED.value]), _blank(A.decision_opinion))
        ),
    ),
    Invariant(
        "return reasons",
        "an application returned for changes says which",
        _keys(select(A.id).where(A.status == S.RETURNED.value, _blank(A.return_reasons))),
    ),
    Invariant(
        "rectification request",
        "an application in rectification has a notice ordering at least one finding rectified",
        _keys(
            select(A.id).where(
                A.status.in_([S.RECTIFICATION_REQUESTED.value, S.RECTIFICATION_SUBMITTED.value]),
                ~exists().where(
                    RectificationNotice.application_id == A.id,
                    Finding.notice_id == RectificationNotice.id,
                ),
            )
        ),
    ),
    Invariant(
        "findings of signed records",
        "a finding belongs to a signed inspection record (or supervision visit) of its own application",
        _keys(
            select(Finding.id)
            .join(Assessment, Assessment.id == Finding.assessment_id)
            .where(
                or_(
                    Assessment.signed_off_at.is_(None),
                    Assessment.kind.not_in([AssessmentKind.INSPECTION, AssessmentKind.SUPERVISION]),
                    Assessment.application_id != Finding.application_id,
                )
            )
        ),
    ),
    Invariant(
        "verified findings",
        "a finding closed or not closed was verified in a signed record of its application",
        _keys(
            select(Finding.id).where(
                Finding.status.in_(["closed", "not_closed"]),
                ~exists()
                .where(FindingCheck.finding_id == Finding.id, FindingCheck.outcome == Finding.status)
                .where(
                    exists().where(
                        Assessment.id == FindingCheck.assessment_id, Assessment.signed_off_at.is_not(None)
                    )
                ),
            )
        ),
    ),
    Invariant(
        "superseded by a signed correction",
        "a superseded record is amended by a signed correction",
        _keys(
            select(Assessment.id).where(
                Assessment.superseded_at.is_not(None),
                ~exists().where(Correction.amends_id == Assessment.id, Correction.signed_off_at.is_not(None)),
            )
        ),
    ),
    Invariant(
        "inspection plan",
        "an application scheduled for inspection has a date and one to four inspectors",
        _keys(
            select(A.id).where(
                A.status.in_(PLANNED),
                or_(A.scheduled_for.is_(None), assignment_count.not_in(list(range(1, MAX_TEAM + 1)))),
            )
        ),
    ),
    Invariant(
        "inspectors of the district",
        "only inspectors of the application's district are assigned to it",
        _keys(
            select(A.id)
            .join(inspection_assignments, inspection_assignments.c.application_id == A.id)
            .join(User, User.id == inspection_assignments.c.inspector_id)
            .where(or_(User.role != Role.INSPECTOR, User.district_id != A.district_id))
        ),
    ),
    Invariant(
        "self-assessment never signed off",
        "the self-assessment is submitted with the application, never signed off",
        _keys(
            select(Assessment.id).where(
                Assessment.kind == AssessmentKind.SELF, Assessment.signed_off_at.is_not(None)
            )
        ),
    ),
    Invariant(
        "signed off in these statuses",
        "the inspection is signed off exactly while the application is inspected, in rectification, "
        "in approval or approved, or at its visit while part of the record's team has yet to sign it",
        _keys(
            select(A.id).where(
                or_(
                    and_(A.status.in_(SIGNED), ~_has_signed_inspection()),
                    and_(A.status.in_(UNSIGNED), _has_signed_inspection()),
                    and_(A.status.in_(VISITING), _has_signed_inspection(), ~_waiting_for_team()),
                )
            )
        ),
    ),  # fmt: skip
    Invariant(
        "signed-off scores kept",
        "a signed-off inspection keeps its total, final score and result",
        _keys(
            select(Assessment.id).where(
                signed_inspection,
                or_(Assessment.total.is_(None), Assessment.final.is_(None), _no_json(Assessment.result)),
            )
        ),
    ),
    Invariant(
        "signed off by an assigned inspector",
        "a signed-off inspection record was signed by one of its visit's inspectors",
        _keys(
            select(Assessment.id).where(
                signed_inspection,
                ~exists().where(
                    visit_inspectors.c.assessment_id == Assessment.id,
                    visit_inspectors.c.inspector_id == Assessment.signed_off_by_id,
                ),
            )
        ),
    ),
    Invariant(
        "team signatures",
        "a member signs a record of their team once it is signed, not before, and its first signer has",
        _keys(
            select(visit_inspectors.c.assessment_id)
            .join(Assessment, Assessment.id == visit_inspectors.c.assessment_id)
            .where(
                or_(
                    and_(
                        visit_inspectors.c.signed_at.is_not(None),
                        or_(
                            Assessment.signed_off_at.is_(None),
                            visit_inspectors.c.signed_at < Assessment.signed_off_at,
                        ),
                    ),
                    and_(
                        visit_inspectors.c.inspector_id == Assessment.signed_off_by_id,
                        visit_inspectors.c.signed_at.is_(None),
                    ),
                )
            )
        ),
    ),
    Invariant(
        "whole team signed",
        "a signed record that waits for nobody is signed by every member of its team (one signed for "
        "its team before members signed one by one names its first signer alone)",
        _keys(
            select(Assessment.id).where(
                signed_inspection,
                ~_awaiting_record(),
                _member_unsigned(),
                or_(
                    _audited("inspection_signed", "assessment", Assessment.id),
                    exists().where(
                        visit_inspectors.c.assessment_id == Assessment.id,
                        visit_inspectors.c.signed_at.is_not(None),
                        visit_inspectors.c.inspector_id != Assessment.signed_off_by_id,
                    ),
                ),
            )
        ),
    ),
    Invariant(
        "complete when signed off",
        "a signed-off inspection answers every item it asks, each with the evidence it needs",
        _incomplete_sign_offs,
    ),
    Invariant(
        "answers the edition accepts",
        "every stored answer is one save_answer accepts for an item of the pinned edition",
        _invalid_answers,
    ),
    Invariant(
        "submitted self-assessment scored",
        "a submitted application's self-assessment exists and keeps its score",
        _keys(
            select(A.id).where(
                A.submitted_at.is_not(None),
                ~exists().where(
                    Assessment.application_id == A.id,
                    Assessment.kind == AssessmentKind.SELF,
                    Assessment.total.is_not(None),
                ),
            )
        ),
    ),
    Invariant(
        "commitment letter",
        "a submitted application has its commitment letter",
        _keys(
            select(A.id).where(
                A.submitted_at.is_not(None),
                ~exists().where(
                    Evidence.application_id == A.id, Evidence.purpose == EvidencePurpose.COMMITMENT
                ),
            )
        ),
    ),
    Invariant(
        "evidence attached as its purpose says",
        "item evidence names its checklist and item, a letter its application, a signature its signer",
        _keys(
            select(Evidence.id).where(
                or_(
                    and_(
                        Evidence.purpose == EvidencePurpose.ITEM,
                        or_(Evidence.assessment_id.is_(None), Evidence.item_code.is_(None)),
                    ),
                    and_(
                        Evidence.purpose.in_([EvidencePurpose.COMMITMENT, EvidencePurpose.RECTIFICATION]),
                        Evidence.application_id.is_(None),
                    ),
                    and_(Evidence.purpose == EvidencePurpose.COMMITMENT, Evidence.assessment_id.is_not(None)),
                    and_(
                        Evidence.purpose == EvidencePurpose.SIGNATURE,
                        or_(Evidence.assessment_id.is_(None), Evidence.item_code.not_in(SIGNERS)),
                    ),
                )
            )
        ),
    ),  # fmt: skip
    Invariant(
        "evidence of its own outlet",
        "evidence belongs to the outlet and application of the checklist it is attached to",
        _keys(
            select(Evidence.id)
            .outerjoin(A, A.id == Evidence.application_id)
            .outerjoin(Assessment, Assessment.id == Evidence.assessment_id)
            .where(
                or_(
                    and_(Evidence.application_id.is_not(None), A.outlet_id != Evidence.outlet_id),
                    and_(
                        Evidence.assessment_id.is_not(None),
                        Assessment.application_id != Evidence.application_id,
                    ),
                )
            )
        ),
    ),
    Invariant(
        "certificate of an approved application",
        "a certificate belongs to an approved application, at its granted level, outlet and district",
        _keys(
            select(Certificate.id)
            .join(A, A.id == Certificate.application_id)
            .where(
                or_(
                    A.status != S.APPROVED.value,
                    A.granted_level != Certificate.level,
                    A.outlet_id != Certificate.outlet_id,
                    A.district_id != Certificate.district_id,
                )
            )
        ),
    ),
    Invariant(
        "certificate as issued",
        "a certificate's number names its year of issue, district and level, and it runs for the "
        "pinned edition's months",
        _certificates_not_as_issued,
    ),
    Invariant(
        "certificate score",
        "a certificate carries the final score of its application's signed-off inspection",
        _keys(
            select(Certificate.id)
            .join(
                Assessment,
                and_(Assessment.application_id == Certificate.application_id, _newest_record()),
            )
            .where(or_(Assessment.final.is_(None), Assessment.final != Certificate.score))
        ),
    ),
    Invariant(
        "supersession",
        "a certificate is superseded exactly when a later one of its outlet replaced it",
        _keys(
            select(Certificate.id).where(
                or_(
                    (Certificate.state == "superseded") != Certificate.superseded_by_id.is_not(None),
                    and_(
                        Certificate.superseded_by_id.is_not(None),
                        ~exists().where(
                            Certificate.superseded_by_id == newer.c.id,
                            newer.c.outlet_id == Certificate.outlet_id,
                        ),
                    ),
                )
            )
        ),
    ),
    Invariant(
        "revocation",
        "a revoked certificate names who revoked it",
        _keys(
            select(Certificate.id).where(Certificate.state == "revoked", Certificate.revoked_by_id.is_(None))
        ),
    ),
    Invariant(
        "one active certificate a level",
        "an outlet holds at most one active certificate of each level",
        _keys(
            select(Certificate.outlet_id)
            .where(Certificate.state == "active")
            .group_by(Certificate.outlet_id, Certificate.level)
            .having(func.count() > 1)
        ),
    ),
    Invariant(
        "application created, audited",
        "every application has the audit row of its creation",
        _keys(select(A.id).where(~_audited("application_created", "application", A.id))),
    ),
    Invariant(
        "transitions, audited",
        "the transition rows of an application lead from draft to its status, one step after another",
        _broken_trails,
    ),
    Invariant(
        "answers, audited",
        "every answer has the audit row of its saving (one carried unchanged into a later record, "
        "that of the record's start)",
        _keys(
            select(Answer.id).where(
                ~_audited("answer_saved", "answer", Answer.id),
                ~and_(
                    Answer.version == 1,
                    _audited("inspection_record_started", "assessment", Answer.assessment_id),
                ),
            )
        ),
    ),
    Invariant(
        "evidence, audited",
        "every file has the audit row of its upload (one carried into a later record, "
        "that of the record's start)",
        _keys(
            select(Evidence.id).where(
                ~_audited(UPLOAD_ACTIONS, "evidence", Evidence.id),
                ~and_(
                    Evidence.copied_from_id.is_not(None),
                    _audited("inspection_record_started", "assessment", Evidence.assessment_id),
                ),
            )
        ),
    ),
    Invariant(
        "certificates, audited",
        "every certificate has the audit row of its issue, and of its revocation or supersession",
        _keys(
            select(Certificate.id).where(
                or_(
                    ~_audited("certificate_issued", "certificate", Certificate.id),
                    and_(
                        Certificate.state == "revoked",
                        ~_audited("certificate_revoked", "certificate", Certificate.id),
                    ),
                    and_(
                        Certificate.state == "superseded",
                        ~_audited("certificate_superseded", "certificate", Certificate.id),
                    ),
                )
            )
        ),
    ),  # fmt: skip
    Invariant(
        "approval steps",
        "an application in approval awaits the next step of its edition's chain; an approved one agreed "
        "at every step of its last round, and its certificate's issuer is the settling step's agency",
        _approvals_off_the_edition,
    ),
    Invariant(
        "staff organisations",
        "every member of staff belongs to an organisation of their district (the city's for the city "
        "bureau) that takes their role",
        _staff_outside_their_organisation,
    ),
    Invariant(
        "references",
        "every foreign key names an existing row",
        _dangling_references,
    ),
)


def broken_invariants(conn, *, waived: Iterable[str] = (), limit: int = 10) -> dict[str, list]:
    """The rows breaking each invariant (by name), at most `limit` each; rules in `waived` are skipped."""
    waived = set(waived)
    unknown = waived - {invariant.name for invariant in INVARIANTS}
    if unknown:
        raise ValueError(f"no such invariants: {sorted(unknown)}")
    broken = {}
    for invariant in INVARIANTS:
        if invariant.name in waived:
            continue
        found = []
        for key in invariant.find(conn):
            found.append(key)
            if len(found) >= limit:
                break
        if found:
            broken[invariant.name] = found
    return broken
