"""What the rectification notice PDF prints, read from the notice and the record it orders rectified.

Everything comes from stored rows (the issue date too, never the clock), so the same notice gives
the same bytes; the criteria's texts and the answers are chosen for the reader's language here.
"""

from outlet_audit.checklist.models import Assessment, RectificationNotice
from outlet_audit.checklist.service import answer_rows, scoring_answers
from outlet_audit.core.i18n import current_language
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.reports.data import shanghai_time, shown_answer
from outlet_audit.reports.notice_pdf import NoticeData, NoticeItem
from outlet_audit.scoring import UNANSWERED
from outlet_audit.workflow.models import Application


def notice_data(notice: RectificationNotice) -> NoticeData:
    lang = current_language()
    application = db.session.get(Application, notice.application_id)
    edition = pinned_edition(application.edition)
    record = db.session.get(Assessment, notice.assessment_id)
    rows = {row.item_code: row for row in answer_rows(record)}
    answers = scoring_answers(edition, rows.values())
    order = {item.code: index for index, item in enumerate((*edition.items(), *edition.bonus_items()))}
    items = []
    for finding in sorted(notice.findings, key=lambda finding: order.get(finding.item_code, len(order))):
        item = edition.item(finding.item_code)  # the pinned edition holds every item it was scored on
        row = rows.get(finding.item_code)
        items.append(
            NoticeItem(
                code=item.code,
                title=item.title.get(lang),
                requirement=item.guidance.get(lang),
                found=shown_answer(item, answers.get(item.code, UNANSWERED), lang),
                note=(row.note or "") if row else "",
            )
        )
    outlet = application.outlet
    return NoticeData(
        number=notice.number,
        outlet_name=outlet.name,
        outlet_address=outlet.address,
        permit_number=outlet.permit_number,
        application_number=application.reference,
        criteria_title_zh=edition.title.zh,
        criteria_title_en=edition.title.en,
        inspected_on=shanghai_time(record.signed_off_at).date() if record.signed_off_at else None,
        record_sequence=record.sequence,
        issuing_bureau=notice.issuing_bureau,
        issued_at=shanghai_time(notice.issued_at),
        due_on=notice.due_on,
        instructions=notice.instructions or "",
        items=tuple(items),
    )
