"""The flush hooks that keep the dashboard's counts (counts.py) equal to the records.

Hooked on the session rather than called by each operation, so that every path that changes
what is counted keeps the counts, also one written later, a bulk import or a test's factory:
before a flush, the applications it touches give back what they counted; after it, they count
again as they now stand. In the same transaction: a rollback takes both back.

A flush touches an application's counts when it writes one of its answers, findings, notices
or inspection records, or what the application is counted under (status, submission, district,
level, edition, outlet, the outlet's brand); an outlet's counts when it writes the outlet's
registration or one of its certificates. Answers saved on a record not signed off (the inspector
at work, the outlet's self-assessment) count nowhere and cost nothing here.

UPDATE and DELETE statements write no object a flush sees: those on the counted tables give back
and count again the rows their WHERE selects (`_statements_keep_the_counts`). Answers are left out:
the one such statement saves an answer on a record not signed off, which counts nowhere.
"""

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key

from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer, Assessment, Finding, RectificationNotice
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.models import Application

from . import counts

PENDING = "dashboard_counts_pending"  # key in Session.info: what a flush took away, and its new records

# The attributes whose change moves an object's facts from one count to another.
COUNTED_ATTRIBUTES = {
    Application: ("status", "submitted_at", "district_id", "target_level", "edition_pk", "outlet_id"),
    Assessment: ("application_id", "kind", "visit_type", "signed_off_at", "superseded_at"),
    Certificate: ("outlet_id", "district_id", "level", "state", "issued_on", "valid_until"),
    Outlet: ("brand", "district_id", "verified", "created_at"),
}
# Of an outlet: what its applications are counted under too.
APPLICATIONS_FOLLOW = ("brand",)
# Of an application: what its answers and findings are counted under (not its status).
ANSWERS_FOLLOW = ("district_id", "target_level", "edition_pk", "outlet_id")


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _was(obj, name):
    """The attribute's value as stored before this flush (its current one when unchanged)."""
    history = inspect(obj).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, name)


def _both(obj, name) -> tuple:
    return (getattr(obj, name), _was(obj, name))


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


def touched_records(session: Session) -> counts.Touched:
    """The stored applications and outlets whose counts this flush may change (new ones are counted
    after it)."""
    touched = counts.Touched()
    answers, outlets_moved = [], set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        new, deleted = obj in session.new, obj in session.deleted
        written = new or deleted or session.is_modified(obj, include_collections=False)
        if isinstance(obj, Answer):
            if written:
                answers.append(obj)
        elif isinstance(obj, Finding):
            if written:
                touched.answers.update(_both(obj, "application_id"))
        elif isinstance(obj, RectificationNotice):
            if written:  # its due date counts with the findings, its answer with the notices
                touched.answers.update(_both(obj, "application_id"))
                touched.applications.update(_both(obj, "application_id"))
        elif isinstance(obj, Assessment):
            if deleted or (new and obj.signed_off_at is not None):
                touched.answers.add(obj.application_id)
            elif not new and _changed(obj, COUNTED_ATTRIBUTES[Assessment]):
                touched.answers.update(_both(obj, "application_id"))
        elif isinstance(obj, Application) and not new:
            if deleted or _changed(obj, COUNTED_ATTRIBUTES[Application]):
                touched.applications.add(obj.id)
            if deleted or _changed(obj, ANSWERS_FOLLOW):
                touched.answers.add(obj.id)
        elif isinstance(obj, Certificate):
            if new or deleted or _changed(obj, COUNTED_ATTRIBUTES[Certificate]):
                touched.outlets.update(_both(obj, "outlet_id"))
        elif isinstance(obj, Outlet) and not new:
            if deleted or _changed(obj, COUNTED_ATTRIBUTES[Outlet]):
                touched.outlets.add(obj.id)
            if deleted or _changed(obj, APPLICATIONS_FOLLOW):
                outlets_moved.add(obj.id)
    touched.answers |= _answer_applications(session, answers)
    if outlets_moved:
        stmt = select(Application.id).where(Application.outlet_id.in_(outlets_moved))
        moved = set(session.connection().execute(stmt).scalars())
        touched.answers |= moved
        touched.applications |= moved
    return touched


@event.listens_for(Session, "before_flush")
def _take_away_what_the_flush_changes(session, _context, _instances) -> None:
    touched = touched_records(session)
    created = [obj for obj in session.new if isinstance(obj, Application | Outlet)]
    session.info[PENDING] = (touched, created, any(_counts_when_new(obj) for obj in session.new))
    counts.take_away(session.connection(), touched)


@event.listens_for(Session, "after_flush")
def _count_again(session, _context) -> None:
    touched, created, answers_too = session.info.pop(PENDING, (counts.Touched(), [], False))
    # New applications and outlets had nothing to take away; whatever was stored with them counts now.
    for obj in created:
        if isinstance(obj, Outlet):
            touched.outlets.add(obj.id)
        else:
            touched.applications.add(obj.id)
            if answers_too:  # a record signed, or findings, written with a new application (a loader's)
                touched.answers.add(obj.id)
    counts.put_back(session.connection(), touched)


def _counts_when_new(obj) -> bool:
    return isinstance(obj, Finding | RectificationNotice) or (
        isinstance(obj, Assessment) and obj.signed_off_at is not None
    )


# --- UPDATE and DELETE statements ----------------------------------------------------------------------

# Whose counts a statement on these tables may change: the owners of the rows its WHERE selects.
STATEMENT_OWNERS = {
    Application: (("answers", "applications"), Application.id),
    Assessment: (("answers",), Assessment.application_id),
    Finding: (("answers",), Finding.application_id),
    RectificationNotice: (("answers", "applications"), RectificationNotice.application_id),
    Certificate: (("outlets",), Certificate.outlet_id),
    Outlet: (("outlets",), Outlet.id),
}


@event.listens_for(Session, "do_orm_execute")
def _statements_keep_the_counts(state: ORMExecuteState):
    """A conditional UPDATE (a revocation: of two approvers, one wins) writes no object a flush
    would see: the rows its WHERE selects give back their counts around it.

    Answers are left out: the one UPDATE of answers saves an answer on a record not signed off, which
    counts nowhere (checklist.permissions locks a signed record's answers).
    """
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return None
    model = state.bind_mapper.class_
    if model not in STATEMENT_OWNERS:
        return None
    kinds, owner = STATEMENT_OWNERS[model]
    where = state.statement.whereclause
    connection = state.session.connection()
    ids = set(
        connection.execute(select(owner).where(where) if where is not None else select(owner)).scalars()
    )
    touched = counts.Touched()
    for kind in kinds:
        getattr(touched, kind).update(ids)
    if model is Outlet:  # its applications are counted under its brand
        moved = set(
            connection.execute(select(Application.id).where(Application.outlet_id.in_(ids))).scalars()
        )
        touched.answers |= moved
        touched.applications |= moved
    counts.take_away(connection, touched)
    result = state.invoke_statement()
    counts.put_back(connection, touched)
    return result
