"""What the inspection report PDF prints, read from the database.

Everything is taken from stored data (dates included, never the clock), so the same data
gives byte-identical PDFs. Texts are chosen or translated for the reader's language here;
the renderers only lay them out.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import issuing_bureau
from outlet_audit.checklist.attachments import beside_originals
from outlet_audit.checklist.forms import AnswerStyle, display_answer
from outlet_audit.checklist.kinds import FindingStatus
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.story import FindingStory, InspectionStory, RecordStory
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.time import SHANGHAI
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import Item, decimal_text
from outlet_audit.evidence.operations import evidence_store
from outlet_audit.evidence.storage import StoredFileCorrupted
from outlet_audit.extensions import db
from outlet_audit.reports.report_pdf import (
    MAX_THUMBNAILS_PER_ITEM,
    ApprovalLine,
    BureauDecision,
    InspectorSignOff,
    LevelShortfall,
    MemberSignature,
    ReportChange,
    ReportCheck,
    ReportData,
    ReportFinding,
    ReportItem,
    ReportSection,
    ReportVisit,
)
from outlet_audit.roles import ACT_LABELS, ACT_ZH, OUTCOME_LABELS, OUTCOME_ZH, Act, Outcome
from outlet_audit.scoring import UNANSWERED, ItemScore
from outlet_audit.scoring.engine import SKIPPED_BY_CONDITION, SKIPPED_BY_PROFILE
from outlet_audit.text import N_
from outlet_audit.workflow.approvals import records_of
from outlet_audit.workflow.states import Level

SCORE_SCALE = Decimal(100)  # the engine's total is a percentage of the applicable points
DECISION_ACTIONS = ("approve", "agree", "confirm_city_level", "reject")  # the last is the decider
BONUS_SECTION_CODE = "+"


def shanghai_time(moment: datetime) -> datetime:
    """A stored naive-UTC moment as naive Shanghai wall time, as the PDFs print it."""
    return moment.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def report_data(application, story: InspectionStory) -> ReportData:
    """Fill the inspection report of an application from its pinned edition and the inspection
    records its reader may see (`checklist.story.inspection_story`)."""
    lang = current_language()
    edition = pinned_edition(application.edition)
    store = evidence_store()
    superseded_by = {
        record.record.amends_id: record.sequence
        for record in story.records
        if record.is_correction and record.record.signed_off_at is not None
    }
    visits = tuple(
        _visit(application, edition, story, record, superseded_by.get(record.record.id), store, lang)
        for record in story.records
    )
    return ReportData(
        application_number=application.reference,
        outlet_name=application.outlet.name,
        outlet_address=application.outlet.address,
        brand=application.outlet.brand,
        district=application.district.name(lang),
        criteria_edition_id=edition.id,
        criteria_content_hash=edition.content_hash,
        visits=visits,
        generated_at=shanghai_time(_as_of(application, story)),
        decision=_decision(application),
        approval=_approval(application),
    )


def _approval(application) -> tuple[ApprovalLine, ...]:
    """Every approval step signed on the application, as the report prints it (labels in both languages)."""
    with force_locale("en"):
        return tuple(
            ApprovalLine(
                step=f"{ACT_ZH[Act(record.act)]} {_(ACT_LABELS[Act(record.act)])}",
                organisation=record.organisation.name_zh if record.organisation else "—",
                signer=record.user.display_name if record.user else "—",
                outcome=f"{OUTCOME_ZH[Outcome(record.outcome)]} {_(OUTCOME_LABELS[Outcome(record.outcome)])}",
                signed_at=shanghai_time(record.created_at),
                opinion=record.opinion,
            )
            for record in records_of(application.id)
        )


def _visit(application, edition, story: InspectionStory, record: RecordStory, superseded_by, store, lang):
    """One record as the report prints it."""
    rows, answers, result = record.rows, record.answers, record.result

    def report_item(item: Item, scored: ItemScore) -> ReportItem:
        row = rows.get(item.code)
        own, carried = [], []
        for evidence in beside_originals(list(record.evidence.get(item.code, ()))):
            if evidence.kind == "photo":
                (carried if evidence.id in record.carried_from else own).append(evidence)
        return ReportItem(
            code=item.code,
            title=item.title.get(lang),
            # an item left out was never asked: the report says why, not the inspector's "N/A"
            answer=_(SKIP_REASONS[scored.skipped])
            if scored.skipped in SKIP_REASONS
            else shown_answer(item, answers.get(item.code, UNANSWERED), lang),
            points_earned=scored.earned,
            points_possible=item.points,  # what the item is worth, also when N/A (marked in its column)
            not_applicable=scored.not_applicable,
            veto_triggered=scored.veto_failed,
            note=(row.note or "") if row else "",
            thumbnails=_thumbnails(store, own),
            marked_copies=_marked_copies(own) + _marked_copies(carried, offset=len(own)),
            carried_thumbnails=_thumbnails(store, carried),
            carried_from=tuple(sorted({record.carried_from[evidence.id] for evidence in carried})),
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
    visit = record.record
    inspectors = tuple(story.names(visit.inspectors))
    if not inspectors and visit.signed_off_by_id is not None:
        inspectors = (story.name(visit.signed_off_by_id),)
    target_rank = Level(application.target_level).rank
    signature = record.signatures.get("inspector")
    compared = record.compared_with
    earlier = next((other for other in story.records if compared and other.record.id == compared.id), None)
    return ReportVisit(
        sequence=visit.sequence,
        visit_type=visit.visit_type,
        dates=_visit_dates(visit),
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
        sign_off=_sign_off(
            visit,
            inspectors,
            _read_evidence(store, signature.stored_sha256) if signature else None,
            record,
            store,
            lang,
        ),
        amends=compared.sequence if compared is not None and record.is_correction else None,
        amendment_reason=visit.amendment_reason or "",
        superseded_by=superseded_by,
        compared_with=compared.sequence if compared is not None else None,
        changes=tuple(
            ReportChange(
                code=change.item.code,
                title=change.item.title.get(lang),
                before=_stored_answer(change.item, change.before, earlier.answers if earlier else {}, lang),
                after=_stored_answer(change.item, change.after, answers, lang),
                changed_by=story.name(change.changed_by_id),
                changed_at=shanghai_time(change.changed_at) if change.changed_at else None,
            )
            for change in record.changes
        ),
        checks=tuple(
            ReportCheck(
                code=check.finding.item_code,
                title=check.item.title.get(lang) if check.item else "",
                found_at=check.found_at,
                closed=check.check.outcome == FindingStatus.CLOSED,
                method=check.check.method,
                note=check.check.note or "",
                checked_by=story.name(check.check.checked_by_id),
                checked_at=shanghai_time(check.check.checked_at),
            )
            for check in record.checks
        ),
        findings=tuple(_finding(finding, answers, rows, store, lang) for finding in record.findings),
    )


def _finding(finding: FindingStory, answers, record_rows, store, lang: str) -> ReportFinding:
    row, notice, item = finding.finding, finding.notice, finding.item
    photos = [evidence for evidence in finding.files if evidence.kind == "photo"]
    return ReportFinding(
        code=row.item_code,
        title=item.title.get(lang) if item else "",
        found=shown_answer(item, answers.get(row.item_code, UNANSWERED), lang) if item else "—",
        status=row.status,
        note=(record_rows[row.item_code].note or "") if row.item_code in record_rows else "",
        notice_number=notice.number if notice else "",
        due_on=notice.due_on if notice else None,
        responsible_person=row.responsible_person or "",
        response=row.response or "",
        responded_at=shanghai_time(row.responded_at) if row.responded_at else None,
        photos=_thumbnails(store, photos),
        documents=tuple(evidence.filename for evidence in finding.files if evidence.kind != "photo"),
    )


def shown_answer(item: Item, answer, lang: str) -> str:
    """An answer as the report and the notice print it."""
    return str(display_answer(item, answer, lang, IN_REPORT))


def _stored_answer(item: Item, row, answers, lang: str) -> str:
    """An answer row of a record as the changes table prints it: the answer, then its note."""
    if row is None:
        return ""
    shown = shown_answer(item, answers.get(item.code, UNANSWERED), lang) or "—"
    note = (row.note or "").strip()
    return f"{shown}\n备注 Note: {note}" if note else shown


SKIP_REASONS = {
    SKIPPED_BY_PROFILE: N_("Does not apply to this outlet"),
    SKIPPED_BY_CONDITION: N_("Not asked: condition not met"),
}
# The report writes the option's code before its label, and a percentage without a space.
IN_REPORT = AnswerStyle(yes=_l("Yes"), no=_l("No"), option="{code}. {label}", percent="{}%", unanswered="")


def _read_evidence(store, sha256: str | None) -> bytes:
    """Stored bytes, or b"" (printed as an unreadable image) when the file is missing or damaged."""
    if not sha256:
        return b""
    try:
        return store.open(sha256)
    except (FileNotFoundError, StoredFileCorrupted, ValueError):
        current_app.logger.warning("evidence file %s is missing or damaged", sha256)
        return b""


def _marked_copies(photos, offset: int = 0) -> tuple[tuple[int, int], ...]:
    """(copy, original) by their places among the photos the report shows, counted from 1 + offset."""
    shown = photos[:MAX_THUMBNAILS_PER_ITEM]
    place = {photo.id: offset + index for index, photo in enumerate(shown, start=1)}
    return tuple(
        (place[photo.id], place[photo.annotates_id]) for photo in shown if photo.annotates_id in place
    )


def _thumbnails(store, photos) -> tuple[bytes, ...]:
    """The first photos of a list as the report shows them (small thumbnails where kept)."""
    return tuple(
        _read_evidence(store, photo.thumbnail_sha256 or photo.stored_sha256)
        for photo in photos[:MAX_THUMBNAILS_PER_ITEM]
    )


def _visit_dates(visit: Assessment) -> tuple[date, ...]:
    days = {visit.scheduled_for}
    if visit.signed_off_at is not None:
        days.add(shanghai_time(visit.signed_off_at).date())
    return tuple(sorted(day for day in days if day is not None))


def _veto_finding(item: Item, row: AnswerRow | None, lang: str) -> str:
    note = (row.note or "").strip() if row else ""
    return f"{item.code} {item.title.get(lang)}" + (f": {note}" if note else "")


def _as_of(application, story: InspectionStory) -> datetime:
    """The latest change to what the report prints: its footer date, and the PDF's own date."""
    moments = [application.updated_at, application.decided_at]
    for record in story.records:
        moments += [record.record.signed_off_at, record.record.superseded_at]
        moments += [member.signed_at for member in record.team]
        moments += [row.updated_at for row in record.rows.values()]
        moments += [check.check.checked_at for check in record.checks]
        for finding in record.findings:
            moments += [finding.finding.responded_at, finding.notice.issued_at if finding.notice else None]
            moments += [evidence.uploaded_at for evidence in finding.files]
    return max(moment for moment in moments if moment is not None)


def _sign_off(
    visit: Assessment, inspectors: tuple[str, ...], signature: bytes | None, record: RecordStory, store, lang
) -> InspectorSignOff | None:
    """The record's signatures: the first (which locked it), and each inspector's of the team, with
    their organisation and drawn signature. A team of one prints as it always did."""
    if visit.signed_off_at is None:
        return None
    members = ()
    if len(record.team) > 1 or record.awaiting:
        members = tuple(
            MemberSignature(
                name=member.user.display_name,
                organisation=member.user.organisation.name(lang) if member.user.organisation else "",
                signed_at=shanghai_time(member.signed_at) if member.signed_at else None,
                signature_png=_read_evidence(store, record.drawn[member.user.id].stored_sha256)
                if member.user.id in record.drawn
                else None,
            )
            for member in record.team
        )
    return InspectorSignOff(
        names=inspectors,
        signed_at=shanghai_time(visit.signed_off_at),
        signature_png=signature,
        outlet_representative=visit.outlet_representative or "",
        members=members,
        joint=record.joint,
        awaiting=record.awaiting,
    )


def _decision(application) -> BureauDecision | None:
    if application.status not in ("approved", "rejected") or application.decided_at is None:
        return None
    settling = records_of(application.id)[-1:] if application.status == "approved" else []
    decider = settling[0].user if settling else None
    decider = decider or db.session.scalar(
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
