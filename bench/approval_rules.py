"""Rules of approval steps, joint teams and issuers that the operations keep (issue #16), checked over
a whole database like `outlet_audit.workflow.invariants`.

`workflow.approvals.record_step` writes each step as the pinned edition names it, `apply_transition`
keeps `awaiting_agency` on the step that waits, the transition table asks a joint team of the
agencies the level names, each member signs the visit, and `issue_certificate` names the settling
agency's organisation as the issuer. The benchmark's bulk load (bench/check.py) is checked against
these besides the shared list; they are written as `Invariant`s so that they can join that list
once the approval operations have settled.
"""

from collections import defaultdict
from collections.abc import Iterator

from sqlalchemy import and_, func, or_, select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, visit_inspectors
from outlet_audit.roles import Agency, Outcome
from outlet_audit.workflow.invariants import PLANNED, Editions, Invariant
from outlet_audit.workflow.models import Application, ApprovalRecord, inspection_assignments
from outlet_audit.workflow.states import Action, Status

A, R = Application, ApprovalRecord
STEP_ACTIONS = tuple(a.value for a in (Action.APPROVE, Action.AGREE, Action.DISAGREE, Action.RETURN_STEP))


def _steps_not_as_the_edition(conn) -> Iterator[str]:
    """Records whose step is not the pinned edition's at that position, or whose organisation or
    signer is not of the step's agency (and district), or whose signer may not sign steps."""
    editions = Editions(conn)
    rows = conn.execute(
        select(
            R.id,
            R.level,
            R.position,
            R.agency,
            R.act,
            R.user_id,
            A.edition_pk,
            A.district_id,
            Organisation.agency.label("organisation_agency"),
            Organisation.district_id.label("organisation_district"),
            User.organisation_id.label("signer_organisation"),
            User.approver,
            R.organisation_id,
        )  # fmt: skip
        .join(A, A.id == R.application_id)
        .outerjoin(Organisation, Organisation.id == R.organisation_id)
        .outerjoin(User, User.id == R.user_id)
        .order_by(R.id)
    )
    for row in rows:
        chain = editions[row.edition_pk].level(row.level).approvals
        step = chain[row.position] if row.position < len(chain) else None
        agency = Agency(row.agency)
        district = row.district_id if agency.district_tier else None
        if (
            step is None
            or (step.agency.value, step.act.value) != (row.agency, row.act)
            or row.organisation_agency != row.agency
            or row.organisation_district != district
            or row.signer_organisation != row.organisation_id
            or not row.approver
        ):
            yield f"approval record {row.id}"


def _rounds(conn) -> dict[int, list[list]]:
    """Each application's rounds, in order, each its (position, outcome, level) rows in order."""
    rounds: dict[int, dict[int, list]] = defaultdict(dict)
    records = select(R.application_id, R.round, R.position, R.outcome, R.level).order_by(
        R.application_id, R.round, R.position
    )
    for row in conn.execute(records):
        rounds[row.application_id].setdefault(row.round, []).append(row)
    return {application_id: [by[n] for n in sorted(by)] for application_id, by in rounds.items()}


def _standing_broken(conn) -> Iterator[str]:
    """Applications whose rounds do not lead to their status: rounds numbered from 1, steps from 0,
    every round but the last stopped by its last step; in approval exactly while the last round
    waits, for the agency of the step that waits; approved by a last round agreed to the end, at the
    level granted; a round agreed to the end only when approved."""
    editions = Editions(conn)
    rounds = _rounds(conn)
    applications = select(A.id, A.status, A.awaiting_agency, A.granted_level, A.edition_pk).order_by(A.id)
    for app in conn.execute(applications):
        mine = rounds.get(app.id, [])
        numbered = [row.round for signed in mine for row in signed[:1]] == list(range(1, len(mine) + 1))
        in_order = all([row.position for row in signed] == list(range(len(signed))) for signed in mine)
        agreed = [all(row.outcome == Outcome.AGREE for row in signed[:-1]) for signed in mine]
        stopped = [signed[-1].outcome != Outcome.AGREE for signed in mine]
        last = mine[-1] if mine else None
        chain = editions[app.edition_pk].level(last[0].level).approvals if last else ()
        waiting = bool(last) and not stopped[-1] and len(last) < len(chain)
        complete = bool(last) and not stopped[-1] and len(last) == len(chain)
        if app.status == Status.IN_APPROVAL:
            fine = waiting and app.awaiting_agency == chain[len(last)].agency.value
        elif app.status == Status.APPROVED:
            fine = complete and app.granted_level == last[0].level
        else:  # an outlet may withdraw while a round waits; nothing else leaves one waiting
            fine = not complete and (app.status == Status.WITHDRAWN or not waiting)
        fine = fine and numbered and in_order and all(agreed) and all(stopped[:-1])
        fine = fine and (app.status == Status.IN_APPROVAL or app.awaiting_agency is None)
        if not fine:
            yield f"application {app.id}"


def _steps_unaudited(conn) -> Iterator[str]:
    """Applications with more or fewer approval transitions in the audit trail than steps signed."""
    steps = dict(conn.execute(select(R.application_id, func.count()).group_by(R.application_id)).all())
    audited = dict(
        conn.execute(
            select(AuditEvent.application_id, func.count())
            .where(
                AuditEvent.action == "transition",
                AuditEvent.subject_type == "application",
                AuditEvent.field.in_(STEP_ACTIONS),
            )
            .group_by(AuditEvent.application_id)
        ).all()
    )
    for application_id in sorted(steps.keys() | audited.keys()):
        if steps.get(application_id, 0) != audited.get(application_id, 0):
            yield f"application {application_id}"


def _issuers_not_the_settling_agency(conn) -> Iterator[str]:
    """Certificates whose issuer is not the organisation of the pinned edition's settling agency."""
    editions = Editions(conn)
    organisations = {
        (row.agency, row.district_id): row.id
        for row in conn.execute(select(Organisation.id, Organisation.agency, Organisation.district_id))
    }
    certificates = select(
        Certificate.id,
        Certificate.level,
        Certificate.district_id,
        Certificate.issuer_organisation_id,
        A.edition_pk,
    ).join(A, A.id == Certificate.application_id)
    for row in conn.execute(certificates.order_by(Certificate.id)):
        issuer = editions[row.edition_pk].level(row.level).issuer
        expected = organisations.get((issuer.value, row.district_id if issuer.district_tier else None))
        if row.issuer_organisation_id != expected:
            yield f"certificate {row.id}"


def _teams_short(conn) -> Iterator[str]:
    """Planned applications, and their inspection records, without an inspector of each agency the
    pinned edition's level wants on a visit (`inspection_team`)."""
    editions = Editions(conn)
    applications = {
        row.id: editions[row.edition_pk].level(row.target_level).inspection_team
        for row in conn.execute(
            select(A.id, A.edition_pk, A.target_level).where(A.status.in_(PLANNED)).order_by(A.id)
        )
    }
    assigned, visits = defaultdict(set), defaultdict(set)
    agency = Organisation.agency
    for application_id, organisation_agency in conn.execute(
        select(inspection_assignments.c.application_id, agency)
        .join(User, User.id == inspection_assignments.c.inspector_id)
        .join(Organisation, Organisation.id == User.organisation_id)
    ):
        assigned[application_id].add(organisation_agency)
    for application_id, assessment_id, organisation_agency in conn.execute(
        select(Assessment.application_id, Assessment.id, agency)
        .join(visit_inspectors, visit_inspectors.c.assessment_id == Assessment.id)
        .join(User, User.id == visit_inspectors.c.inspector_id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(Assessment.kind == AssessmentKind.INSPECTION)
    ):
        visits[(application_id, assessment_id)].add(organisation_agency)
    for application_id, team in applications.items():
        wanted = {member.value for member in team}
        short = not wanted <= assigned[application_id] or any(
            not wanted <= present for (owner, _), present in visits.items() if owner == application_id
        )
        if short:
            yield f"application {application_id}"


vi = visit_inspectors.c
signed_record = select(Assessment.signed_off_at).where(Assessment.id == vi.assessment_id).scalar_subquery()
signer = select(Assessment.signed_off_by_id).where(Assessment.id == vi.assessment_id).scalar_subquery()

APPROVAL_RULES = (
    Invariant(
        "approval steps as the edition's",
        "each approval record is the pinned edition's step at its position, signed for that step's "
        "organisation (of the application's district) by an approver of it",
        _steps_not_as_the_edition,
    ),
    Invariant(
        "approval standing",
        "an application's rounds lead to its status: in approval while the last round waits, for the "
        "agency of the step that waits; approved by a round agreed to the end, at the level granted",
        _standing_broken,
    ),
    Invariant(
        "approval steps, audited",
        "every approval step signed has its transition in the audit trail",
        _steps_unaudited,
    ),
    Invariant(
        "certificate issuer",
        "a certificate is issued by the organisation of its level's settling agency",
        _issuers_not_the_settling_agency,
    ),
    Invariant(
        "joint team",
        "a planned visit has an inspector of every agency its level's inspection team names",
        _teams_short,
    ),
    Invariant(
        "team signatures",
        "a signed record's signer signed it when it was signed off, no member signed before that, and "
        "nobody signed a record not signed off",
        lambda conn: (
            f"assessment {row[0]}, inspector {row[1]}"
            for row in conn.execute(
                select(vi.assessment_id, vi.inspector_id).where(
                    or_(
                        and_(signed_record.is_(None), vi.signed_at.is_not(None)),
                        and_(signed_record.is_not(None), vi.signed_at < signed_record),
                        and_(
                            vi.inspector_id == signer,
                            or_(vi.signed_at.is_(None), vi.signed_at != signed_record),
                        ),
                    )
                )
            )
        ),
    ),
)
