"""Where assessments, evidence and applications sit, for the deny-by-default scope check.

Imported by the checklist and evidence views; `application_id` has its one loader in
workflow/record_facts.py.
"""

from flask import g
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from outlet_audit.access import RecordFacts, record_loader
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, Finding, visit_inspectors
from outlet_audit.checklist.permissions import inspection_visible_to
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.record_facts import application_record_facts


def assessment_with_application(assessment_id: int) -> tuple[Assessment, Application] | None:
    """The assessment and its application in one query, with what the scope check and the page read.

    The inspectors (the scope check, in a second query) and the pinned edition's row (its snapshot
    JSON is deferred: the parsed edition is cached by content hash) come along.
    The pair is kept on `g` for the rest of the request: the scope check loads it and the view
    reads it again, and the session's identity map holds objects only weakly, so without this
    reference the view would load both rows a second time.
    """
    loaded = g.setdefault("checklist_assessments", {})
    pair = loaded.get(assessment_id)
    if pair is None or pair[0] not in db.session:
        row = (
            db.session.execute(
                select(Assessment, Application)
                .join(Application, Application.id == Assessment.application_id)
                .where(Assessment.id == assessment_id)
                # The inspectors in a second, indexed query: joined in, SQLite materialises the
                # whole assignments x users join (every inspection of the city) for each request.
                .options(selectinload(Application.inspectors), joinedload(Application.edition))
            )
            .unique()
            .first()
        )
        if row is None:
            return None
        pair = loaded[assessment_id] = (row[0], row[1])
    return pair


def record_visible_to(user, record: Assessment) -> bool:
    """`inspection_visible_to` for a record read on its own (an evidence file's): where its
    application stands, and whether a later record follows it, are read only when the answer
    depends on them (the outlet, asking for a signed record)."""
    if user.role != Role.OUTLET or record.signed_off_at is None:
        return inspection_visible_to(user, record, None)
    if record.kind == AssessmentKind.SUPERVISION:
        # Its check stays scheduled exactly until the last member signs: read that from the team.
        stage = "scheduled" if team_still_signing(record.id) else "visited"
        return inspection_visible_to(user, record, stage)
    status = db.session.scalar(select(Application.status).where(Application.id == record.application_id))
    later = exists().where(
        Assessment.application_id == record.application_id,
        Assessment.kind == record.kind,
        Assessment.sequence > record.sequence,
    )
    newest = not db.session.scalar(select(later))
    return inspection_visible_to(user, record, status, newest=newest)


def team_still_signing(record_id: int) -> bool:
    """Whether a member of the record's team has not signed it yet."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    visit_inspectors.c.assessment_id == record_id, visit_inspectors.c.signed_at.is_(None)
                )
            )
        )
    )


def record_team_ids(record_id: int) -> frozenset[int]:
    return frozenset(
        db.session.scalars(
            select(visit_inspectors.c.inspector_id).where(visit_inspectors.c.assessment_id == record_id)
        )
    )


@record_loader("assessment_id")
def assessment_facts(assessment_id: int) -> RecordFacts | None:
    """The application's facts; after the certificate, the record's own assignment: a supervision
    visit is assigned to its team (not the application's inspectors), a yearly self-check to nobody."""
    pair = assessment_with_application(assessment_id)
    if pair is None:
        return None
    record, application = pair
    facts = application_record_facts(application)
    if record.kind == AssessmentKind.SUPERVISION:
        return RecordFacts(facts.district_id, facts.outlet_id, record_team_ids(record.id))
    if record.kind == AssessmentKind.YEARLY:
        return RecordFacts(facts.district_id, facts.outlet_id)
    return facts


@record_loader("evidence_id")
def evidence_facts(evidence_id: int) -> RecordFacts | None:
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        return None
    if evidence.assessment_id is not None:  # a supervision visit's file is its team's, not the application's
        return assessment_facts(evidence.assessment_id)
    if evidence.application_id is not None:
        return application_record_facts(db.session.get(Application, evidence.application_id))
    outlet = db.session.get(Outlet, evidence.outlet_id)
    return RecordFacts(district_id=outlet.district_id, outlet_id=outlet.id)


@record_loader("finding_id")
def finding_facts(finding_id: int) -> RecordFacts | None:
    finding = db.session.get(Finding, finding_id)
    if finding is None:
        return None
    return assessment_facts(finding.assessment_id)
