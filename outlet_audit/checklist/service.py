"""Assessments in the database: answers saved one item at a time, scored by the pure engine.

The same code serves the outlet's self-assessment and the inspectors' checklist. Answers are
stored as JSON text of the value (`true`, `"B"`, `96.5`) so `answers_from_json` reads them
back with the edition's own answer types. Whatever writes answers or the stored figures holds the
assessment's lock (`checklist.locking`) first.
"""

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from outlet_audit.audit.operations import record
from outlet_audit.certificates.queries import holds_valid_certificate
from outlet_audit.checklist.kinds import AssessmentKind, VisitType
from outlet_audit.checklist.locking import AssessmentNotLocked, holds_lock, lock_assessment
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.model import Edition, Item
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db, writing_request
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import district_by_id
from outlet_audit.scoring import (
    Answer,
    ScoreResult,
    evidence_required,
    score,
    skipped_items,
    validate_answer,
)
from outlet_audit.scoring.answer_types import answer_type
from outlet_audit.scoring.engine import SKIPPED_BY_CONDITION, SKIPPED_BY_PROFILE
from outlet_audit.text import N_, Message, Refused
from outlet_audit.workflow.models import Application

SIGNED_OFF = N_("This checklist is signed off and locked.")
# Why an item takes no answer, by the reason `scoring.skipped_items` gives.
NOT_ASKED = {
    SKIPPED_BY_PROFILE: N_("%(code)s does not apply to this outlet (its profile), so it takes no answer."),
    SKIPPED_BY_CONDITION: N_(
        "%(code)s is not asked: the answer to %(item)s does not call for it. Change that answer first."
    ),
}


class AnswerRefused(Refused):
    """The answer cannot be saved; `message` says why."""


class AnswerConflict(Exception):
    """Someone else saved this item since the version the client started from."""

    def __init__(self, current: AnswerRow):
        super().__init__(f"item {current.item_code} is at version {current.version}")
        self.current = current


def assessment_of(
    application, kind: AssessmentKind, *, loaded: Mapping[str, Assessment] | None = None
) -> Assessment | None:
    """The application's self-assessment, or its current inspection record (the newest: the one
    being filled in, or the last signed), if it was started.

    `loaded`: the application's current records by kind (`assessments_by_kind`), when the caller
    has read them already: the answer is then looked up there, not read again.
    """
    if loaded is not None:
        return loaded.get(kind)
    return db.session.scalar(
        select(Assessment)
        .where(Assessment.application_id == application.id, Assessment.kind == kind)
        .order_by(Assessment.sequence.desc())
        .limit(1)
    )


def assessments_by_kind(application) -> dict[str, Assessment]:
    """The self-assessment and the current inspection record, whichever exist, in one query."""
    rows = db.session.scalars(
        select(Assessment).where(Assessment.application_id == application.id).order_by(Assessment.sequence)
    )
    return {assessment.kind: assessment for assessment in rows}  # the newest of each kind wins


def inspection_records(application_id: int) -> list[Assessment]:
    """Every inspection record of the application, in order: visits and corrections."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.application_id == application_id, Assessment.kind == AssessmentKind.INSPECTION)
            .order_by(Assessment.sequence)
        )
    )


def get_or_create_assessment(application, kind: AssessmentKind) -> Assessment:
    """The current record of this kind; the self-assessment, or a first visit, is made when missing."""
    assessment = assessment_of(application, kind)
    if assessment is None:
        assessment = Assessment(
            application_id=application.id,
            kind=kind,
            sequence=1,
            visit_type=VisitType.INITIAL if kind == AssessmentKind.INSPECTION else None,
        )
        db.session.add(assessment)
        db.session.flush()
    return assessment


def value_to_json(value) -> str | None:
    """The stored text form of a scoring value."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return json.dumps(float(value)) if value != value.to_integral() else str(int(value))
    return json.dumps(value, ensure_ascii=False)


def value_from_json(item: Item, stored: str | None):
    """The engine's value of an answer as stored (`value_to_json`'s text), read by the item's answer
    type; None when unanswered. ValueError when the text is not JSON."""
    if stored is None:
        return None
    return answer_type(item.answer.type).from_json(json.loads(stored))


def scoring_answers(edition: Edition, rows) -> dict[str, Answer]:
    """The engine's answers from stored rows (items no longer in the edition are ignored; N/A wins)."""
    answers = {}
    for row in rows:
        try:
            item = edition.item(row.item_code)
        except KeyError:
            continue
        answers[row.item_code] = Answer(
            None if row.not_applicable else value_from_json(item, row.value), row.not_applicable
        )
    return answers


def answer_rows(assessment: Assessment) -> list[AnswerRow]:
    """The answers as stored now: rows the session read earlier (before a lock) are read again."""
    return list(
        db.session.scalars(
            select(AnswerRow)
            .where(AnswerRow.assessment_id == assessment.id)
            .execution_options(populate_existing=True)
        )
    )


def answer_rows_by_code(assessment: Assessment) -> dict[str, AnswerRow]:
    """The assessment's answers by item code, as `save_answer(rows=...)` takes and keeps them."""
    return {row.item_code: row for row in answer_rows(assessment)}


def save_answer(
    assessment: Assessment,
    edition: Edition,
    item_code: str,
    *,
    value,
    not_applicable: bool,
    note: str | None,
    expected_version: int,
    actor,
    rows: dict[str, AnswerRow] | None = None,
) -> AnswerRow:
    """Save one item's answer if nobody saved it since `expected_version` (0: never saved).

    `value` is the engine's value (bool, option code, Decimal or None). Raises AnswerRefused
    for an invalid or locked answer and AnswerConflict when another save came first. `rows`,
    the assessment's answers by item code already loaded in this transaction (under the lock),
    spares reading the item's row again and is kept up to date (the new row, or the one another
    save just created); the conditional UPDATE (or the unique constraint, for a first answer)
    still decides between simultaneous saves of one item. The assessment's lock keeps the save
    apart from sign-off and submission: it is taken before the sign-off is looked at.
    """
    lock_assessment(assessment.id)
    if assessment.signed_off_at is not None:
        raise AnswerRefused(Message(SIGNED_OFF))
    try:
        item = edition.item(item_code)
    except KeyError:
        raise AnswerRefused(Message(N_("Unknown item %(code)s."), {"code": item_code})) from None
    problem = validate_answer(item, Answer(value, not_applicable))
    if problem:
        raise AnswerRefused(problem)
    problem = not_asked(assessment, edition, item, None if rows is None else rows.values())
    if problem:
        raise AnswerRefused(problem)
    stored_value = None if not_applicable else value_to_json(value)
    note = (note or "").strip() or None

    if rows is None:
        current = db.session.scalar(
            select(AnswerRow).where(
                AnswerRow.assessment_id == assessment.id, AnswerRow.item_code == item_code
            )
        )
    else:
        current = rows.get(item_code)
    if current is None:
        if expected_version != 0:
            raise AnswerRefused(Message(N_("This answer was removed; reload the page.")))
        row = AnswerRow(
            assessment_id=assessment.id,
            item_code=item_code,
            value=stored_value,
            not_applicable=not_applicable,
            note=note,
            version=1,
            updated_by_id=actor.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # another inspector created it a moment ago
            current = db.session.scalar(
                select(AnswerRow).where(
                    AnswerRow.assessment_id == assessment.id, AnswerRow.item_code == item_code
                )
            )
            if rows is not None:
                rows[item_code] = current
            raise AnswerConflict(current) from None
        _audit_answer(assessment, item_code, None, row, actor)
        if rows is not None:
            rows[item_code] = row
        return row

    if current.version != expected_version:
        raise AnswerConflict(current)
    old = (current.value, current.not_applicable, current.note)
    # A conditional UPDATE: of two simultaneous saves from the same version, exactly one wins.
    # RETURNING refreshes the row object with what was written (no second read).
    saved = db.session.scalar(
        update(AnswerRow)
        .where(AnswerRow.id == current.id, AnswerRow.version == expected_version)
        .values(
            value=stored_value,
            not_applicable=not_applicable,
            note=note,
            version=expected_version + 1,
            updated_by_id=actor.id,
            updated_at=utcnow(),
        )
        .returning(AnswerRow)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    if saved is None:
        db.session.refresh(current)
        raise AnswerConflict(current)
    _audit_answer(assessment, item_code, old, saved, actor)
    return saved


def not_asked(assessment: Assessment, edition: Edition, item: Item, rows=None) -> Message | None:
    """Why the item takes no answer nor file now, or None: it is left out for this outlet's profile
    or by an unmet condition on the answers stored now, so it would never be asked, scored or shown.
    `rows`: the assessment's answer rows when the caller has them (under the lock)."""
    if not item.applies_to and item.shown_when is None:
        return None  # asked of every outlet whatever the answers: nothing to read
    outlet_id = db.session.get(Application, assessment.application_id).outlet_id
    stored = answer_rows(assessment) if rows is None else rows
    why = skipped_items(edition, scoring_answers(edition, stored), outlet_profile(outlet_id)).get(item.code)
    if why is None:
        return None
    return Message(
        NOT_ASKED[why], {"code": item.code, "item": item.shown_when.item if item.shown_when else ""}
    )


def _describe(value, not_applicable, note) -> str:
    text = "N/A" if not_applicable else (value if value is not None else "—")
    return f"{text}" + (f" ({note})" if note else "")


def _audit_answer(assessment, item_code, old, row, actor) -> None:
    record(
        "answer_saved",
        actor=actor,
        subject_type="answer",
        subject_id=row.id,
        application_id=assessment.application_id,
        field=f"{assessment.kind}:{item_code}",
        old=_describe(*old) if old else None,
        new=_describe(row.value, row.not_applicable, row.note),
    )


def holds_valid_district_certificate(outlet_id: int) -> bool:
    """A valid district certificate, or a city one (which supersedes it and includes it), is held today."""
    return holds_valid_certificate(outlet_id, today_in_shanghai())


def outlet_profile(outlet_id: int) -> dict[str, str | bool | None]:
    """The facts of the outlet that decide which items apply to it (`applies_to`), as scoring takes them.

    Every caller that scores or checks an application's answers passes this: items of another
    brand or district are then left out, never asked and never missing. The outlet is usually in
    the session already (the page or operation loaded it) and the district's code is cached
    reference data, so this costs no query.
    """
    outlet = db.session.get(Outlet, outlet_id)
    return profile_of(outlet.brand, district_by_id(outlet.district_id).code, outlet.has_packing_bench)


def profile_of(
    brand: str, district_code: str, has_packing_bench: bool | None
) -> dict[str, str | bool | None]:
    """An outlet profile as scoring takes it: the outlet's brand, its district's code and whether it
    has a packing bench (None: not stated, so the packing items still apply)."""
    return {"brand": brand, "district": district_code, "packing_bench": has_packing_bench}


def score_assessment(
    assessment: Assessment, edition: Edition, outlet_id: int, rows: Iterable[AnswerRow] | None = None
) -> ScoreResult:
    """Score the stored answers and keep the figures on the assessment for lists and exports.

    `rows`: the assessment's answers when the caller has loaded them already, under its lock:
    figures kept from answers read before it could be those of answers changed since.
    """
    if rows is not None and writing_request() and not holds_lock(assessment.id):
        raise AssessmentNotLocked(f"answers of assessment {assessment.id} read without its lock")
    lock_assessment(assessment.id)
    result = score_for_outlet(
        edition, scoring_answers(edition, answer_rows(assessment) if rows is None else rows), outlet_id
    )
    assessment.total = result.total
    assessment.final = result.final
    assessment.level_reached = result.level
    assessment.result = result.to_dict()
    return result


def score_for_outlet(edition: Edition, answers: Mapping[str, Answer], outlet_id: int) -> ScoreResult:
    """Score answers now for this outlet: its profile, and whether it holds a valid district certificate."""
    return score(
        edition,
        answers,
        holds_valid_district_certificate=holds_valid_district_certificate(outlet_id),
        profile=outlet_profile(outlet_id),
    )


def score_is_stored(assessment: Assessment) -> bool:
    """Is the assessment's score the one kept when it was signed off (and so never computed again)?"""
    return assessment.signed_off_at is not None and bool(assessment.result)


def assessment_score(
    assessment: Assessment,
    edition: Edition,
    outlet_id: int,
    *,
    answers: Mapping[str, Answer] | None = None,
) -> ScoreResult:
    """The assessment's score: as kept at sign-off once signed off, else scored now from its answers.

    A signed-off score is never recomputed: the bureau decided on it, and the facts it rests on may
    change since (a city certificate supersedes the district one the city level required, so scoring
    again would report the city level as not reached). `answers`: the stored answers when the
    caller has read them already (`scoring_answers`).
    """
    if score_is_stored(assessment):
        return ScoreResult.from_dict(assessment.result)
    if answers is None:
        answers = scoring_answers(edition, answer_rows(assessment))
    return score_for_outlet(edition, answers, outlet_id)


def evidence_counts(assessment: Assessment) -> dict[str, int]:
    rows = db.session.execute(
        select(Evidence.item_code, func.count())
        .where(Evidence.assessment_id == assessment.id, Evidence.purpose == EvidencePurpose.ITEM)
        .group_by(Evidence.item_code)
    )
    return {code: count for code, count in rows}


def missing_for_sign_off(assessment: Assessment, edition: Edition, outlet_id: int) -> list[Message]:
    """Everything that must be added before the checklist can be signed off, item by item."""
    answers = scoring_answers(edition, answer_rows(assessment))
    return missing_items(
        edition,
        answers,
        evidence_counts(assessment),
        skipped=skipped_items(edition, answers, outlet_profile(outlet_id)),
    )


def missing_items(
    edition: Edition, answers: Mapping[str, Answer], counts: Mapping[str, int], *, skipped: Mapping[str, str]
) -> list[Message]:
    """What `missing_for_sign_off` reports, from answers and evidence counts by item already loaded.

    Items `skipped` (`scoring.skipped_items`: left out for the outlet's profile or by an unmet
    condition) are not asked: neither their answer nor their evidence is missing (an answer stored
    before the condition changed is ignored, as scoring ignores it).
    """
    missing = []
    for item in edition.items():
        if item.code in skipped:
            continue
        answer = answers.get(item.code)
        if answer is None or not answer.answered:
            missing.append(Message(N_("%(code)s: no answer"), {"code": item.code}))
        elif evidence_required(item, answer) and not counts.get(item.code):
            missing.append(Message(N_("%(code)s: evidence required"), {"code": item.code}))
    for item in edition.bonus_items():
        answer = answers.get(item.code)
        if item.code in skipped or answer is None:
            continue
        if evidence_required(item, answer) and not counts.get(item.code):
            missing.append(Message(N_("%(code)s: evidence required"), {"code": item.code}))
    return missing
