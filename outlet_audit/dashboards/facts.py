"""What the dashboard counts, as SQL over the records: one statement per counts table, for some
applications or outlets (the ones a flush touched) or for all of them (a rebuild).

Each statement gives facts: rows of (district_id, brand, level, day, the table's own keys, what
it counts). counts.py adds them to its tables in every way a filter can read them.
"""

from datetime import date
from decimal import Decimal
from functools import cache

from sqlalchemy import Date, and_, bindparam, case, cast, func, literal, null, select, union_all

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.findings import VERIFIED  # closed or verified not closed: settled
from outlet_audit.checklist.kinds import AssessmentKind, FindingStatus, VisitType
from outlet_audit.checklist.models import Answer, Assessment, Finding, RectificationNotice
from outlet_audit.checklist.service import value_from_json
from outlet_audit.criteria.model import Edition, Item
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.outlets.models import Outlet
from outlet_audit.scoring import answer_type
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Status

from .models import AnswerScore
from .sql import shanghai_date, shanghai_days_between, upsert_insert

EVERY_DISTRICT, EVERY_BRAND, EVERY_LEVEL = 0, "", ""
NO_DAY = date(1970, 1, 1)  # a due date or last valid day that there is not
NO_VALUE = ""  # AnswerScore.value of an answer without one, and of every N/A answer
WAITING = (FindingStatus.ORDERED.value, FindingStatus.ANSWERED.value)  # for the outlet or the inspector


def first_visits() -> list:
    """The records that tell what outlets get wrong: each application's first inspection as it
    stands (signed; once a correction of it is signed, the correction instead).

    Re-inspections are left out: their answers are the rectified ones, and a failure found at the
    first visit stays counted after it was put right.
    """
    return [
        Assessment.kind == AssessmentKind.INSPECTION,
        Assessment.visit_type == VisitType.INITIAL,
        Assessment.signed_off_at.is_not(None),
        Assessment.superseded_at.is_(None),
    ]


def records_in_force() -> list:
    """The inspection records whose findings count: signed and not superseded by a correction
    (re-inspections included, supervision visits not)."""
    return [
        Assessment.kind == AssessmentKind.INSPECTION,
        Assessment.signed_off_at.is_not(None),
        Assessment.superseded_at.is_(None),
    ]


def _sum(expression):
    return func.coalesce(func.sum(expression), 0)


def _when(condition):
    return _sum(case((condition, 1), else_=0))


def _dimensions(day, district=Application.district_id, level=None):
    """Where a fact is counted: its district, its outlet's brand, its level and its Shanghai day."""
    level = func.coalesce(Application.target_level, EVERY_LEVEL) if level is None else level
    return (
        district.label("district_id"),
        Outlet.brand.label("brand"),
        level.label("level"),
        day.label("day"),
    )


NO_DATE = cast(null(), Date)  # the day of facts counted in all-time rows only


def _only(stmt, column, ids: list[int] | None):
    return stmt if ids is None else stmt.where(column.in_(ids))


def item_facts(application_ids: list[int] | None):
    """First-inspection answers of scored items, summed per district, brand, level, day, item and
    edition (of these applications; None: of all)."""
    value_key = case((Answer.not_applicable.is_(True), NO_VALUE), else_=func.coalesce(Answer.value, NO_VALUE))
    keys = (*_dimensions(shanghai_date(Assessment.signed_off_at)), Answer.item_code, Application.edition_pk)
    stmt = (
        select(
            *keys,
            func.count().label("answers"),
            _sum(AnswerScore.answered).label("answered"),
            _sum(AnswerScore.passed).label("passed"),
            _when(Answer.not_applicable.is_(True)).label("not_applicable"),
        )
        .select_from(Answer)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .join(Application, Application.id == Assessment.application_id)
        .join(Outlet, Outlet.id == Application.outlet_id)
        .join(
            AnswerScore,
            and_(
                AnswerScore.edition_pk == Application.edition_pk,
                AnswerScore.item_code == Answer.item_code,
                AnswerScore.not_applicable == Answer.not_applicable,
                AnswerScore.value == value_key,
            ),
        )
        .where(*first_visits())
        .group_by(*keys)
    )
    return _only(stmt, Application.id, application_ids)


def _findings(*columns, where=(), outer_notice=True):
    """Findings of records in force, with the notice they were ordered in (if any)."""
    stmt = (
        select(*columns)
        .select_from(Finding)
        .join(Assessment, Assessment.id == Finding.assessment_id)
        .join(Application, Application.id == Finding.application_id)
        .join(Outlet, Outlet.id == Application.outlet_id)
    )
    if outer_notice:
        stmt = stmt.outerjoin(RectificationNotice, RectificationNotice.id == Finding.notice_id)
    else:
        stmt = stmt.join(RectificationNotice, RectificationNotice.id == Finding.notice_id)
    return stmt.where(*records_in_force(), *where)


def finding_facts(application_ids: list[int] | None):
    """Findings of records in force, per district, brand, level, day and item."""
    closed = Finding.status == FindingStatus.CLOSED.value
    keys = (*_dimensions(shanghai_date(Assessment.signed_off_at)), Finding.item_code)
    stmt = _findings(
        *keys,
        func.count().label("found"),
        _when(Finding.notice_id.is_not(None)).label("ordered"),
        _when(Finding.status == FindingStatus.NOT_REQUIRED.value).label("not_required"),
        _when(closed).label("closed"),
        _when(Finding.status.in_(VERIFIED)).label("verified"),
        _when(and_(closed, shanghai_date(Finding.closed_at) <= RectificationNotice.due_on)).label(
            "closed_on_time"
        ),
    ).group_by(*keys)
    return _only(stmt, Application.id, application_ids)


def waiting_finding_facts(application_ids: list[int] | None):
    """Findings still waiting, by their notice's due date."""
    keys = (
        *_dimensions(shanghai_date(Assessment.signed_off_at)),
        Finding.item_code,
        RectificationNotice.due_on,
    )
    stmt = _findings(
        *keys, func.count().label("waiting"), where=[Finding.status.in_(WAITING)], outer_notice=False
    ).group_by(*keys)
    return _only(stmt, Application.id, application_ids)


def closed_finding_facts(application_ids: list[int] | None):
    """Findings closed after a notice, by the Shanghai days from the notice to the closing."""
    days = shanghai_days_between(RectificationNotice.issued_at, Finding.closed_at)
    keys = (*_dimensions(shanghai_date(Assessment.signed_off_at)), Finding.item_code, days.label("days"))
    stmt = _findings(
        *keys,
        func.count().label("closed"),
        where=[Finding.status == FindingStatus.CLOSED.value],
        outer_notice=False,
    ).group_by(*keys)
    return _only(stmt, Application.id, application_ids)


def application_facts(application_ids: list[int] | None):
    """Applications per status, by the day they were submitted (drafts have none)."""
    keys = (*_dimensions(shanghai_date(Application.submitted_at)), Application.status)
    stmt = (
        select(*keys, func.count().label("applications"))
        .select_from(Application)
        .join(Outlet, Outlet.id == Application.outlet_id)
        .group_by(*keys)
    )
    return _only(stmt, Application.id, application_ids)


def notice_facts(application_ids: list[int] | None):
    """Notices waiting for the outlet's answer while the application is in rectification."""
    keys = (*_dimensions(NO_DATE), RectificationNotice.due_on)
    stmt = (
        select(*keys, func.count().label("notices"))
        .select_from(RectificationNotice)
        .join(Application, Application.id == RectificationNotice.application_id)
        .join(Outlet, Outlet.id == Application.outlet_id)
        .where(
            RectificationNotice.submitted_at.is_(None),
            Application.status == Status.RECTIFICATION_REQUESTED.value,
        )
        .group_by(*keys)
    )
    return _only(stmt, Application.id, application_ids)


def outlet_facts(outlet_ids: list[int] | None):
    """Outlets by the day they registered (no level: '')."""
    keys = _dimensions(shanghai_date(Outlet.created_at), Outlet.district_id, literal(EVERY_LEVEL))
    stmt = select(
        *keys,
        func.count().label("registered"),
        _when(Outlet.verified.is_(True)).label("verified"),
    ).group_by(*keys)
    return _only(stmt, Outlet.id, outlet_ids)


def _certificates(*keys, where=()):
    return (
        select(*keys, func.count().label("certificates"))
        .select_from(Certificate)
        .join(Outlet, Outlet.id == Certificate.outlet_id)
        .where(*where)
        .group_by(*keys)
    )


def _certificate_dimensions():
    return _dimensions(Certificate.issued_on, Certificate.district_id, Certificate.level)


def certificate_facts(outlet_ids: list[int] | None):
    """Certificates by the day they were issued and their stored state."""
    return _only(
        _certificates(*_certificate_dimensions(), Certificate.state), Certificate.outlet_id, outlet_ids
    )


def active_certificate_facts(outlet_ids: list[int] | None):
    """Active certificates by the day they were issued and their last valid day."""
    stmt = _certificates(
        *_certificate_dimensions(),
        Certificate.valid_until,
        where=[Certificate.state == StoredCertificateState.ACTIVE.value],
    )
    return _only(stmt, Certificate.outlet_id, outlet_ids)


def coverage_facts(outlet_ids: list[int] | None):
    """Verified outlets holding an active certificate, by its last valid day: the latest of any
    level (level '') and the latest of each level. Those without one are not counted here: the
    outlet counts have every verified outlet."""
    held = _only(
        select(Certificate.outlet_id, Certificate.level, func.max(Certificate.valid_until).label("until"))
        .where(Certificate.state == StoredCertificateState.ACTIVE.value)
        .group_by(Certificate.outlet_id, Certificate.level),
        Certificate.outlet_id,
        outlet_ids,
    ).subquery("held")
    verified = select(Outlet.id, Outlet.district_id, Outlet.brand).where(Outlet.verified.is_(True))
    verified = _only(verified, Outlet.id, outlet_ids).subquery("verified")
    per_outlet = (
        select(verified.c.district_id, verified.c.brand, func.max(held.c.until).label("until"))
        .select_from(verified)
        .join(held, held.c.outlet_id == verified.c.id)
        .group_by(verified.c.id, verified.c.district_id, verified.c.brand)
        .subquery("any_level")
    )
    rows = union_all(
        select(
            per_outlet.c.district_id,
            per_outlet.c.brand,
            literal(EVERY_LEVEL).label("level"),
            NO_DATE.label("day"),
            per_outlet.c.until,
            func.count().label("outlets"),
        ).group_by(per_outlet.c.district_id, per_outlet.c.brand, per_outlet.c.until),
        select(
            verified.c.district_id,
            verified.c.brand,
            held.c.level,
            NO_DATE.label("day"),
            held.c.until,
            func.count().label("outlets"),
        )
        .select_from(verified)
        .join(held, held.c.outlet_id == verified.c.id)
        .group_by(verified.c.district_id, verified.c.brand, held.c.level, held.c.until),
    )
    return select(rows.subquery("coverage"))


# --- scores ------------------------------------------------------------------------------------------


_EDITIONS: dict[str, dict] = {}  # content hash -> scored items by code (an edition never changes)


def _scored_items(connection, edition_pk: int) -> dict:
    """The edition's scored items, read through `connection`: not criteria.editions.pinned_edition,
    which reads through the session, and a flush hook or a migration must not use it."""
    content_hash = connection.execute(
        select(StoredEdition.content_hash).where(StoredEdition.id == edition_pk)
    ).scalar_one()
    if content_hash not in _EDITIONS:
        snapshot = connection.execute(
            select(StoredEdition.snapshot).where(StoredEdition.id == edition_pk)
        ).scalar_one()
        edition = Edition.from_snapshot(snapshot, source=f"snapshot {content_hash[:12]}")
        _EDITIONS[content_hash] = {item.code: item for item in edition.items()}
    return _EDITIONS[content_hash]


def score_answers(connection, application_ids: list[int] | None) -> None:
    """Keep the score of every distinct answer of these applications' first inspections that has none."""
    missing = _unscored(application_ids is not None)
    rows = connection.execute(missing, {} if application_ids is None else {"ids": application_ids}).all()
    if not rows:
        return
    _keep_scores(connection, rows)


@cache
def _unscored(some: bool):
    """Distinct answers of first inspections (of the applications :ids when `some`) not scored yet."""
    value_key = case((Answer.not_applicable.is_(True), NO_VALUE), else_=func.coalesce(Answer.value, NO_VALUE))
    missing = (
        select(Application.edition_pk, Answer.item_code, Answer.not_applicable, value_key)
        .select_from(Answer)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .join(Application, Application.id == Assessment.application_id)
        .where(*first_visits())
        .where(
            ~select(AnswerScore.edition_pk)
            .where(
                AnswerScore.edition_pk == Application.edition_pk,
                AnswerScore.item_code == Answer.item_code,
                AnswerScore.not_applicable == Answer.not_applicable,
                AnswerScore.value == value_key,
            )
            .exists()
        )
        .distinct()
    )
    return _only(missing, Application.id, bindparam("ids", expanding=True) if some else None)


def _keep_scores(connection, rows) -> None:
    editions = {edition_pk: _scored_items(connection, edition_pk) for edition_pk in {row[0] for row in rows}}
    scores = []
    for edition_pk, code, not_applicable, value in rows:
        item = editions[edition_pk].get(code)
        if item is None:
            continue  # a bonus item, or not in the edition: counted nowhere
        answered, passed = (0, 0) if not_applicable or value == NO_VALUE else answer_score(item, value)
        scores.append(
            {
                "edition_pk": edition_pk,
                "item_code": code,
                "not_applicable": not_applicable,
                "value": value,
                "answered": answered,
                "passed": passed,
            }
        )
    if scores:
        insert = upsert_insert(connection.dialect.name)(AnswerScore.__table__)
        connection.execute(insert.on_conflict_do_nothing(), scores)


def answer_score(item: Item, stored_value: str) -> tuple[int, int]:
    """(answered, passed) of a stored answer: answered once it holds a value, passed when it earns
    full marks (a value not valid for the item earns nothing)."""
    return 1, int(earns_full_marks(item, stored_value))


def read_stored_answer(item: Item, stored_value: str | None):
    """The engine's value of a stored answer (JSON text); None when absent or not valid for the item."""
    try:
        value = value_from_json(item, stored_value)
    except ValueError:
        return None
    if value is None or answer_type(item.answer.type).check(item.answer, value) is not None:
        return None
    return value


def points_earned(item: Item, value) -> Decimal:
    return answer_type(item.answer.type).earned(item.answer, item.points, value)


def earns_full_marks(item: Item, stored_value: str | None) -> bool:
    value = read_stored_answer(item, stored_value)
    return value is not None and points_earned(item, value) == item.points
