"""One lock per assessment: its answers, its files and its stored figures change only under it.

Sign-off and submission score the answers and close the checklist. A save, an upload, a deleted
file or a drawn signature must land wholly before them (and be in what they score) or wholly
after them (and see the checklist closed), never in between. So every writer takes
`lock_assessment` before it reads what it decides on, sign-off and submission take it (through
`lock_checklists`) before they read the answers they score, and each keeps it until its
transaction ends:

- PostgreSQL: SELECT ... FOR UPDATE on the assessment row. A second writer waits until the first
  has committed, then reads what it committed (under READ COMMITTED each statement sees the
  latest commits).
- SQLite: a writing request holds the whole database's write lock from its first statement
  (`extensions._sqlite_begin`), which is stronger; the SELECT (without FOR UPDATE) is harmless.

Once locked, the assessment is read again and so is its application if the session holds a
stale copy, so what the caller decides next (may this user still edit? is it signed off?) rests
on what is stored. Several locks are taken in one order (by kind: inspection before self), so
that no two transactions can each wait for the other's.

Deny by default: inside a writing request, a flush that writes an answer, an assessment's
evidence or an assessment without holding that assessment's lock raises AssessmentNotLocked,
so a new writer that forgets the lock fails its first test instead of racing in production.
"""

from collections.abc import Iterable

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer, Assessment
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db, writing_request
from outlet_audit.workflow.models import Application

HELD = "held_assessment_locks"  # key in Session.info: ids of the assessments locked in this transaction


class AssessmentNotLocked(RuntimeError):
    """A writer changed an assessment's answers, files or figures without holding its lock: a bug."""


def lock_assessment(assessment_id: int) -> Assessment | None:
    """Hold the assessment's lock until the transaction ends; the assessment as stored (None: gone)."""
    held = _held(db.session)
    if assessment_id in held:
        return db.session.get(Assessment, assessment_id)
    assessment = db.session.scalar(
        select(Assessment)
        .where(Assessment.id == assessment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if assessment is not None:
        _note_held(assessment)
        _refresh_application(assessment.application_id)
    return assessment


def lock_checklists(application_id: int, kinds: Iterable[AssessmentKind]) -> None:
    """Hold the locks of the application's assessments of these kinds (those that exist)."""
    kinds = sorted(set(kinds))
    if not kinds:
        return
    assessments = db.session.scalars(
        select(Assessment)
        .where(Assessment.application_id == application_id, Assessment.kind.in_(kinds))
        .order_by(Assessment.kind)  # the one order of every lock: inspection, then self
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    held = _held(db.session)
    taken = [assessment for assessment in assessments if assessment.id not in held]
    for assessment in taken:
        _note_held(assessment)
    if taken:  # otherwise the application was read again when the first of them was locked
        _refresh_application(application_id)


def holds_lock(assessment_id: int) -> bool:
    return assessment_id in _held(db.session)


def _held(session) -> set[int]:
    return session.info.setdefault(HELD, set())


def _note_held(assessment: Assessment) -> None:
    # Rolling back a savepoint releases the row locks taken inside it: such a lock is not counted
    # as held, so the next writer takes it again.
    session = db.session()
    if not session.in_nested_transaction():
        _held(session).add(assessment.id)


def _refresh_application(application_id: int) -> None:
    """Read the application again if the session holds a copy older than the stored row.

    Its status decides who may change the checklist; a transition that changed it since the
    copy was read has committed by now (it held this lock), and `version` tells.
    """
    application = db.session.identity_map.get(identity_key(Application, application_id))
    if application is None or "version" not in inspect(application).dict:
        return  # not loaded (or expired): whoever reads it next reads it as stored
    stored = db.session.scalar(select(Application.version).where(Application.id == application_id))
    if stored != application.version:
        db.session.refresh(application)


# --- the guard ----------------------------------------------------------------------------------


def _written_assessment(session, obj) -> int | None:
    """The id of the assessment this pending change writes to, or None."""
    if isinstance(obj, Assessment):
        return None if obj in session.new or not _changed(session, obj) else obj.id
    if isinstance(obj, Answer | Evidence) and (obj in session.new or _changed(session, obj)):
        if obj.assessment_id is None and isinstance(obj, Answer) and obj.assessment is not None:
            return obj.assessment.id  # added through the relationship; None while it is new too
        return obj.assessment_id
    return None


def _changed(session, obj) -> bool:
    return obj in session.deleted or session.is_modified(obj, include_collections=False)


@event.listens_for(Session, "before_flush")
def _writers_hold_the_lock(session, _context, _instances) -> None:
    if not writing_request():
        return
    held = _held(session)
    for obj in (*session.new, *session.dirty, *session.deleted):
        assessment_id = _written_assessment(session, obj)
        if assessment_id is not None and assessment_id not in held:
            raise AssessmentNotLocked(
                f"{type(obj).__name__} of assessment {assessment_id} written without lock_assessment"
            )


@event.listens_for(Session, "after_flush")
def _new_assessments_are_held(session, _context) -> None:
    """An assessment inserted by this transaction is seen by no other until it commits."""
    if not session.in_nested_transaction():
        _held(session).update(obj.id for obj in session.new if isinstance(obj, Assessment))


@event.listens_for(Session, "do_orm_execute")
def _bulk_writers_hold_a_lock(state: ORMExecuteState) -> None:
    """An UPDATE or DELETE statement names no assessment to check: it needs a lock held at least."""
    if not (state.is_update or state.is_delete) or not writing_request():
        return
    mapper = state.bind_mapper
    if mapper is not None and mapper.class_ in (Answer, Evidence, Assessment) and not _held(state.session):
        raise AssessmentNotLocked(f"{mapper.class_.__name__} updated without lock_assessment")


@event.listens_for(Session, "after_transaction_end")
def _locks_end_with_the_transaction(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(HELD, None)
