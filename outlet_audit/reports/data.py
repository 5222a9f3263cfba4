"""What the inspection report PDF prints, read from the database.

Everything is taken from stored data (dates included, never the clock), so the same data
gives byte-identical PDFs. Texts are chosen or translated for the reader's language here;
the renderers only lay them out.
"""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import issuing_bureau
from outlet_audit.checklist.forms import AnswerStyle, display_answer
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import assessment_score, scoring_answers
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.time import SHANGHAI
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Item, decimal_text
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import evidence_store
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.evidence.storage import StoredFileCorrupted
from outlet_audit.extensions import db
from outlet_audit.reports.report_pdf import (
    MAX_THUMBNAILS_PER_ITEM,
    BureauDecision,
    InspectorSignOff,
    LevelShortfall,
    ReportData,
    ReportItem,
    ReportSection,
)
from outlet_audit.scoring import UNANSWERED, ItemScore
from outlet_audit.scoring.engine import SKIPPED_BY_CONDITION, SKIPPED_BY_PROFILE
from outlet_audit.text import N_
from outlet_audit.workflow.states import Level

SCORE_SCALE = Decimal(100)  # the engine's total is a percentage of the applicable points
DECISION_ACTIONS = ("approve", "confirm_city_level", "reject")
BONUS_SECTION_CODE = "+"


def shanghai_time(moment: datetime) -> datetime:
    """A stored naive-UTC moment as naive Shanghai wall time, as the PDFs print it."""
    return moment.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def report_data(application, inspection: Assessment) -> ReportData:
    """Fill the inspection report of an application from its pinned edition and inspection."""
    lang = current_language()
    edition = pinned_edition(application.edition)
    rows = {row.item_code: row for row in _answer_rows(inspection)}
    answers = scoring_answers(edition, rows.values())
    result = assessment_score(inspection, edition, application.outlet_id, answers=answers)
    photos, signature = _inspection_files(inspection)

    def report_item(item: Item, scored: ItemScore) -> ReportItem:
        row = rows.get(item.code)
        return ReportItem(
            code=item.code,
            title=item.title.get(lang),
            # an item left out was never asked: the report says why, not the inspector's "N/A"
            answer=_(SKIP_REASONS[scored.skipped])
            if scored.skipped in SKIP_REASONS
            else display_answer(item, answers.get(item.code, UNANSWERED), lang, IN_REPORT),
            points_earned=scored.earned,
            points_possible=item.points,  # what the item is worth, also when N/A (marked in its column)
            not_applicable=scored.not_applicable,
            veto_triggered=scored.veto_failed,
            note=(row.note or "") if row else "",
            thumbnails=photos.get(item.code, ()),
        )

    sections = [
        ReportSection(
            code=section.code,
            title=section.title.get(lang),
            items=tuple(report_item(item, result.item(item.code)) for item in section.items),
            points_earned=section_score.earned,
            points_possible=section_score.possible,
        )
        for section, section_score in zip(edition.sections, result.sections, strict=True)
    ]
    if edition.bonus:
        bonus_items = tuple(report_item(item, result.item(item.code)) for item in edition.bonus.items)
        sections.append(
            ReportSection(
                code=BONUS_SECTION_CODE,
                title=_("Bonus items (at most %(cap)s points in all)", cap=decimal_text(edition.bonus.cap)),
                items=bonus_items,
                points_earned=sum((item.points_earned for item in bonus_items), Decimal(0)),
                points_possible=sum((item.points for item in edition.bonus.items), Decimal(0)),
            )
        )
    target_rank = Level(application.target_level).rank
    inspectors = tuple(user.display_name for user in application.inspectors)
    return ReportData(
        application_number=application.reference,
        outlet_name=application.outlet.name,
        outlet_address=application.outlet.address,
        brand=application.outlet.brand,
        district=application.district.name(lang),
        criteria_edition_id=edition.id,
        criteria_content_hash=edition.content_hash,
        inspection_dates=_inspection_dates(application, inspection),
        inspectors=inspectors,
        sections=tuple(sections),
        total_points=result.total,
        possible_points=SCORE_SCALE,
        bonus_points=result.bonus,
        final_score=result.final,
        veto_findings=tuple(
            _veto_finding(edition.item(code), rows.get(code), lang) for code in result.veto_failures
        ),
        level_reached=result.level,
        levels_not_reached=tuple(
            LevelShortfall(level, tuple(translate_message(message) for message in messages))
            for level, messages in result.reasons.items()
            if Level(level).rank
            <= target_rank  # an outlet that asked for district level needs no city reasons
        ),
        generated_at=shanghai_time(_as_of(application, inspection, rows.values())),
        sign_off=_sign_off(inspection, inspectors, signature),
        decision=_decision(application),
    )


SKIP_REASONS = {
    SKIPPED_BY_PROFILE: N_("Does not apply to this outlet"),
    SKIPPED_BY_CONDITION: N_("Not asked: condition not met"),
}
# The report writes the option's code before its label, and a percentage without a space.
IN_REPORT = AnswerStyle(yes=_l("Yes"), no=_l("No"), option="{code}. {label}", percent="{}%", unanswered="")


def _answer_rows(inspection: Assessment) -> list[AnswerRow]:
    return list(
        db.session.scalars(
            select(AnswerRow).where(AnswerRow.assessment_id == inspection.id).order_by(AnswerRow.id)
        )
    )


def _read_evidence(store, sha256: str | None) -> bytes:
    """Stored bytes, or b"" (printed as an unreadable image) when the file is missing or damaged."""
    if not sha256:
        return b""
    try:
        return store.open(sha256)
    except (FileNotFoundError, StoredFileCorrupted, ValueError):
        current_app.logger.warning("evidence file %s is missing or damaged", sha256)
        return b""


def _inspection_files(inspection: Assessment) -> tuple[dict[str, tuple[bytes, ...]], bytes | None]:
    """The first photos of each item (small thumbnails where kept) and the inspector's signature."""
    chosen: dict[str, list[str]] = defaultdict(list)
    signature = None
    for purpose, code, thumbnail, stored in db.session.execute(
        select(Evidence.purpose, Evidence.item_code, Evidence.thumbnail_sha256, Evidence.stored_sha256)
        .where(
            Evidence.assessment_id == inspection.id,
            or_(
                and_(Evidence.purpose == EvidencePurpose.ITEM, Evidence.kind == "photo"),
                and_(Evidence.purpose == EvidencePurpose.SIGNATURE, Evidence.item_code == "inspector"),
            ),
        )
        .order_by(Evidence.id)
    ):
        if purpose == EvidencePurpose.SIGNATURE:
            signature = stored  # the latest one counts
        elif len(chosen[code]) < MAX_THUMBNAILS_PER_ITEM:
            chosen[code].append(thumbnail or stored)
    store = evidence_store()
    photos = {code: tuple(_read_evidence(store, key) for key in keys) for code, keys in chosen.items()}
    return photos, _read_evidence(store, signature) if signature else None


def _inspection_dates(application, inspection: Assessment) -> tuple[date, ...]:
    days = {application.scheduled_for}
    if inspection.signed_off_at is not None:
        days.add(shanghai_time(inspection.signed_off_at).date())
    return tuple(sorted(day for day in days if day is not None))


def _veto_finding(item: Item, row: AnswerRow | None, lang: str) -> str:
    note = (row.note or "").strip() if row else ""
    return f"{item.code} {item.title.get(lang)}" + (f": {note}" if note else "")


def _as_of(application, inspection: Assessment, rows) -> datetime:
    """The latest change to what the report prints: its footer date, and the PDF's own date."""
    moments = [application.updated_at, application.decided_at, inspection.signed_off_at]
    moments += [row.updated_at for row in rows]
    return max(moment for moment in moments if moment is not None)


def _sign_off(
    inspection: Assessment, inspectors: tuple[str, ...], signature: bytes | None
) -> InspectorSignOff | None:
    if inspection.signed_off_at is None:
        return None
    if not inspectors and inspection.signed_off_by is not None:
        inspectors = (inspection.signed_off_by.display_name,)
    return InspectorSignOff(
        names=inspectors, signed_at=shanghai_time(inspection.signed_off_at), signature_png=signature
    )


def _decision(application) -> BureauDecision | None:
    if application.status not in ("approved", "rejected") or application.decided_at is None:
        return None
    decider = db.session.scalar(
        select(User)
        .join(AuditEvent, AuditEvent.actor_id == User.id)
        .where(
            AuditEvent.application_id == application.id,
            AuditEvent.action == "transition",
            AuditEvent.field.in_(DECISION_ACTIONS),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if application.status == "approved":
        level = application.granted_level
        decision = (
            _("Certified as a city-level zero-waste express outlet")
            if level == "city"
            else _("Certified as a district-level zero-waste express outlet")
        )
        bureau = db.session.scalar(
            select(Certificate.issuing_bureau).where(Certificate.application_id == application.id)
        ) or issuing_bureau(level, application.district)
    else:
        decision = _("Not certified")
        bureau = issuing_bureau("district", application.district)
    return BureauDecision(
        decision=decision,
        bureau=bureau,
        decided_by=decider.display_name if decider else "—",
        decided_at=shanghai_time(application.decided_at),
        opinion=application.decision_opinion or "",
    )
