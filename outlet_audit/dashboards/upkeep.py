"""The flush hooks that keep the dashboard's counts (counts.py) equal to the records.

Hooked on the session rather than called by each operation, so that every path that changes
what is counted keeps the counts, also one written later, a bulk import or a test's factory:
before a flush, the applications it touches give back what they counted; after it, they count
again as they now stand. In the same transaction: a rollback takes both back.

A flush touches an application's counts when it writes one of its answers, findings, notices
or inspection records, the application's district, level, edition or outlet, or its outlet's
brand. Answers saved on a record not signed off (the inspector at work, the outlet's
self-assessment) count nowhere and cost nothing here: most flushes do no counting at all.

Bulk UPDATE and DELETE statements bypass flushes: the one the application runs (an answer saved
on an unsigned record, checklist/service.py) changes nothing counted.
"""

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer, Assessment, Finding, RectificationNotice
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.models import Application

from . import counts

PENDING = "dashboard_counts_pending"  # key in Session.info: the applications a flush takes away

# The attributes whose change moves an object's facts from one count to another.
COUNTED_ATTRIBUTES = {
    Application: ("district_id", "target_level", "edition_pk", "outlet_id"),
    Assessment: ("application_id", "kind", "visit_type", "signed_off_at", "superseded_at"),
    Outlet: ("brand",),
}


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _was(obj, name):
    """The attribute's value as stored before this flush (its current one when unchanged)."""
    history = inspect(obj).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, name)


def _loaded(obj, name):
    """A relationship's object if the session holds it, without loading it (no SQL inside a flush)."""
    return inspect(obj).dict.get(name)


def _answer_applications(session: Session, answers: list) -> set[int]:
    """The applications of these answers' records, for records signed off (or being signed now).

    Answers of records at work count nowhere: most flushes end here with nothing to do.
    """
    ids, unknown = set(), set()
    for answer in answers:
        assessment = _loaded(answer, "assessment")
        if assessment is None and answer.assessment_id is not None:
            assessment = session.identity_map.get(identity_key(Assessment, answer.assessment_id))
        if assessment is None:
            if answer.assessment_id is not None:
                unknown.add(answer.assessment_id)
            continue
        if assessment.signed_off_at is None and _was(assessment, "signed_off_at") is None:
            continue
        if AssessmentKind.INSPECTION not in (assessment.kind, _was(assessment, "kind")):
            continue
        ids.add(assessment.application_id)
    if unknown:
        stmt = select(Assessment.application_id).where(
            Assessment.id.in_(unknown),
            Assessment.kind == AssessmentKind.INSPECTION,
            Assessment.signed_off_at.is_not(None),
        )
        ids.update(session.connection().execute(stmt).scalars())
    return ids


def touched_applications(session: Session) -> set[int]:
    """The stored applications whose counts this flush may change (new ones are counted after it)."""
    ids: set = set()
    answers, outlets = [], set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        new, deleted = obj in session.new, obj in session.deleted
        if isinstance(obj, Answer):
            if new or deleted or session.is_modified(obj, include_collections=False):
                answers.append(obj)
        elif isinstance(obj, Finding | RectificationNotice):
            if new or deleted or session.is_modified(obj, include_collections=False):
                ids.update((obj.application_id, _was(obj, "application_id")))
        elif isinstance(obj, Assessment):
            if deleted or (new and obj.signed_off_at is not None):
                ids.add(obj.application_id)
            elif not new and _changed(obj, COUNTED_ATTRIBUTES[Assessment]):
                ids.update((obj.application_id, _was(obj, "application_id")))
        elif isinstance(obj, Application):
            if deleted or (not new and _changed(obj, COUNTED_ATTRIBUTES[Application])):
                ids.add(obj.id)
        elif isinstance(obj, Outlet) and (deleted or (not new and _changed(obj, COUNTED_ATTRIBUTES[Outlet]))):
            outlets.add(obj.id)
    ids |= _answer_applications(session, answers)
    if outlets:
        stmt = select(Application.id).where(Application.outlet_id.in_(outlets))
        ids.update(session.connection().execute(stmt).scalars())
    ids.discard(None)
    return ids


@event.listens_for(Session, "before_flush")
def _take_away_what_the_flush_changes(session, _context, _instances) -> None:
    ids = touched_applications(session)
    new_applications = [obj for obj in session.new if isinstance(obj, Application)]
    if not any(_counts_when_new(obj) for obj in session.new):
        new_applications = []  # a draft, an application submitted: nothing counted yet
    session.info[PENDING] = (ids, new_applications)
    if ids:
        counts.take_away(session.connection(), ids)


@event.listens_for(Session, "after_flush")
def _count_again(session, _context) -> None:
    ids, new_applications = session.info.pop(PENDING, (set(), []))
    # A new application had nothing to take away; whatever was stored with it counts now.
    ids = ids | {application.id for application in new_applications if application.id is not None}
    if ids:
        counts.put_back(session.connection(), ids)


def _counts_when_new(obj) -> bool:
    return isinstance(obj, Finding | RectificationNotice) or (
        isinstance(obj, Assessment) and obj.signed_off_at is not None
    )
