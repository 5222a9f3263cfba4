"""What a checklist page shows: stored answers, item scores, evidence, progress and the live score.

Everything is computed by the scoring engine on the server; the page (and its JavaScript)
only displays the figures it is given here.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property, lru_cache
from types import SimpleNamespace
from typing import Any

from flask import get_template_attribute
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from outlet_audit.accounts.models import User
from outlet_audit.checklist.attachments import item_evidence
from outlet_audit.checklist.forms import display_answer, field_builder, field_name, item_data
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import (
    answer_rows_by_code,
    assessment_score,
    missing_items,
    scoring_answers,
    value_to_json,
)
from outlet_audit.core.i18n import readable_datetime, request_locale
from outlet_audit.criteria.model import Edition, Item, decimal_text
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.scoring import UNANSWERED, Answer, ScoreResult, evidence_required
from outlet_audit.text import N_, Message
from outlet_audit.workflow.states import LEVEL_LABELS

SHANGHAI_OFFSET = timedelta(hours=8)  # no daylight saving in China


def level_label(level: str | None) -> str:
    return _(LEVEL_LABELS[level].text) if level in LEVEL_LABELS else _("No level reached")


@dataclass
class ChecklistState:
    """One assessment as stored now, scored."""

    assessment: Assessment
    edition: Edition
    rows: dict[str, AnswerRow]
    answers: dict[str, Answer]
    result: ScoreResult
    evidence: dict[str, list[Evidence]]
    people: dict[int, User] = field(default_factory=dict)  # see load_people
    covered: frozenset[str] | None = None  # the items a supervision record asks (`coverage`); None: all

    def covers(self, code: str) -> bool:
        return self.covered is None or code in self.covered

    def answer(self, code: str) -> Answer:
        return self.answers.get(code, UNANSWERED)

    def version(self, code: str) -> int:
        row = self.rows.get(code)
        return row.version if row else 0

    @cached_property
    def skipped(self) -> dict[str, str]:
        """Items not asked of this outlet now, with why: "profile" (never) or "condition" (not yet).

        As the score left them out: `result` scored these answers for this outlet's profile. After
        the certificate, an item the visit or self-check does not cover is "not_covered"."""
        skipped = {s.code: s.skipped for s in (*self.result.items, *self.result.bonus_items) if s.skipped}
        if self.covered is not None:
            for s in (*self.result.items, *self.result.bonus_items):
                if s.code not in self.covered:
                    skipped.setdefault(s.code, "not_covered")
        return skipped

    def skip_reason(self, item: Item) -> str | None:
        return self.skipped.get(item.code)

    def evidence_required(self, item: Item) -> bool:
        return item.code not in self.skipped and evidence_required(item, self.answer(item.code))

    def evidence_missing(self, item: Item) -> bool:
        return self.evidence_required(item) and not self.evidence.get(item.code)

    def progress(self) -> tuple[int, int]:
        """Scored items answered (N/A counts as answered) and scored items in all.

        Items not asked of this outlet (`skipped`) count in neither."""
        asked = [s for s in self.result.items if s.code not in self.skipped]
        return sum(1 for s in asked if s.answered), len(asked)

    def section_progress(self, section) -> tuple[int, int]:
        asked = [item for item in section.items if item.code not in self.skipped]
        return sum(1 for item in asked if self.answer(item.code).answered), len(asked)

    def missing_for_sign_off(self) -> list[Message]:
        """`service.missing_for_sign_off` from what is loaded here."""
        counts = {code: len(items) for code, items in self.evidence.items()}
        return missing_items(self.edition, self.answers, counts, skipped=self.skipped)

    def load_people(self) -> None:
        """Load everyone the page names (who saved an answer, uploaded a file, signed off) in one query.

        Kept on the state while the page renders: the session holds loaded users only weakly,
        and `uploader_name` (the evidence cards) finds these in it without a query of its own.
        """
        ids = {row.updated_by_id for row in self.rows.values()}
        ids |= {e.uploaded_by_id for items in self.evidence.values() for e in items}
        ids.add(self.assessment.signed_off_by_id)
        ids.discard(None)
        for user_id in ids:  # those the session holds already (the signed-in user) cost nothing
            user = db.session.identity_map.get(identity_key(User, user_id))
            if user is not None:
                self.people[user_id] = user
        if wanted := ids - self.people.keys():
            users = db.session.scalars(select(User).where(User.id.in_(wanted)))
            self.people.update((user.id, user) for user in users)

    def person_name(self, user_id: int | None) -> str:
        user = self.people.get(user_id)
        return user.display_name if user else uploader_name(user_id)

    def form_data(self) -> dict[str, Any]:
        """Pre-fill data for the generated form: the stored answer and version of every item."""
        data = {}
        for item in (*self.edition.items(), *self.edition.bonus_items()):
            row, answer = self.rows.get(item.code), self.answer(item.code)
            data[field_name(item.code)] = item_data(
                item, answer.value, answer.not_applicable, row.note if row else None, self.version(item.code)
            )
        return data


def load_state(
    assessment: Assessment,
    edition: Edition,
    outlet_id: int,
    result: ScoreResult | None = None,
    rows: dict[str, AnswerRow] | None = None,
    covered: frozenset[str] | None = None,
):
    """The assessment's answers (`rows` by item code if the caller has them), evidence and score
    (`result` if the caller has just scored these rows for the outlet; else `assessment_score`);
    `covered`: the only items it asks (`coverage.covered_items`)."""
    if rows is None:
        rows = answer_rows_by_code(assessment)
    answers = scoring_answers(edition, rows.values())
    if result is None:
        result = assessment_score(assessment, edition, outlet_id, answers=answers)
    return ChecklistState(
        assessment, edition, rows, answers, result, item_evidence(assessment), covered=covered
    )


def score_json(result: ScoreResult) -> dict[str, Any]:
    return {
        "total": str(result.total),
        "bonus": str(result.bonus),
        "final": str(result.final),
        "level": result.level,
        "level_label": level_label(result.level),
        "veto_failures": list(result.veto_failures),
        "sections": {
            s.code: {"earned": decimal_text(s.earned), "possible": decimal_text(s.possible)}
            for s in result.sections
        },
    }


def summary_json(state: ChecklistState, missing_count: int | None) -> dict[str, Any]:
    """Progress and score for the page after a save; the JavaScript shows these figures as they are."""
    answered, total = state.progress()
    return {
        "progress": {"answered": answered, "total": total},
        "sections": {
            section.code: dict(zip(("answered", "total"), state.section_progress(section), strict=True))
            for section in state.edition.sections
        },
        "score": score_json(state.result),
        "missing_count": missing_count,
        # conditional items whose condition does not hold now: the script hides them
        "not_asked": sorted(code for code, why in state.skipped.items() if why == "condition"),
    }


def row_json(item: Item, row: AnswerRow | None, edition: Edition, lang: str) -> dict[str, Any]:
    """One stored answer as the page needs it: the input's text, what it reads, who saved it and when."""
    answer = scoring_answers(edition, [row]).get(item.code, UNANSWERED) if row else UNANSWERED
    return {
        "code": item.code,
        "value": field_builder(item.answer.type).to_text(None if answer.not_applicable else answer.value),
        "not_applicable": answer.not_applicable,
        "note": (row.note if row else None) or "",
        "version": row.version if row else 0,
        "display": display_answer(item, answer, lang),
        "updated_by": uploader_name(row.updated_by_id if row else None),
        "updated_at": row.updated_at.isoformat() + "Z" if row else None,
        "updated_at_text": readable_datetime(row.updated_at) if row else "",
    }


def same_answer(row: AnswerRow | None, given) -> bool:
    """Does the stored row already hold exactly this answer (value, N/A and note)?"""
    stored = (None, False, None) if row is None else (row.value, row.not_applicable, row.note)
    return stored == (
        None if given.not_applicable else value_to_json(given.value),
        given.not_applicable,
        given.note,
    )


def condition_text(item: Item, lang: str, edition: Edition | None = None) -> str:
    """When a conditional item is to be answered, in words: “Answer only if C1 is answered: Yes”.

    `edition` finds the controlling item, to name its options as the inspector sees them; the
    admin's preview of an edition may render without one.
    """
    condition = item.shown_when
    if condition is None:
        return ""
    if condition.above is not None:
        return _(
            "Answer only if the answer to %(code)s is above %(value)s",
            code=condition.item,
            value=decimal_text(condition.above),
        )
    if condition.below is not None:
        return _(
            "Answer only if the answer to %(code)s is below %(value)s",
            code=condition.item,
            value=decimal_text(condition.below),
        )
    controller = edition.item(condition.item) if edition else None
    answers = ", ".join(
        display_answer(controller, Answer(value), lang)
        if controller
        else (_("Yes") if value is True else _("No") if value is False else str(value))
        for value in condition.answers
    )
    return _("Answer only if %(code)s is answered: %(answers)s", code=condition.item, answers=answers)


EVIDENCE_KIND_LABELS = {
    "photo": N_("Photo"),
    "document": N_("Document"),
    "photo_or_document": N_("Photo or document"),
}


def evidence_rule_text(item: Item, lang: str) -> str:
    """What evidence the item asks for, in words: “Photo required”, “Document required when: Yes”."""
    rule = item.evidence
    kind = _(EVIDENCE_KIND_LABELS[rule.kind])
    if rule.required == "always":
        return _("%(kind)s required", kind=kind)
    if rule.required == "never":
        return _("%(kind)s optional", kind=kind)
    if rule.bounds():  # a number or percentage: evidence only above (or below) a bound
        key, bound = rule.bounds()[0]
        shown = display_answer(item, Answer(bound), lang)
        if key == "above":
            return _("%(kind)s required when the answer is above %(bound)s", kind=kind, bound=shown)
        return _("%(kind)s required when the answer is below %(bound)s", kind=kind, bound=shown)
    answers = ", ".join(display_answer(item, Answer(value), lang) for value in rule.when)
    return _("%(kind)s required when the answer is: %(answers)s", kind=kind, answers=answers)


# Rendered item heads by item, language and locale; the item is kept with its HTML so that its id,
# part of the key, cannot be reused by another object while the entry lives. Items come from
# editions parsed once per content hash, so this holds a few editions' worth; it starts over when full.
_item_heads: dict[tuple, tuple[Item, Markup]] = {}
ITEM_HEADS_MAX = 2000


def checklist_item_head(item: Item, lang: str) -> Markup:
    """The item's title, points, tags, guidance and scoring hint, rendered once per item and language.

    They depend on nothing but the edition's content and the language (its criteria texts and
    its translations); rendering them for every item of every page was a fifth of its rendering.
    """
    key = (id(item), lang, request_locale())
    cached = _item_heads.get(key)
    if cached is None or cached[0] is not item:
        if len(_item_heads) >= ITEM_HEADS_MAX:
            _item_heads.clear()
        html = get_template_attribute("checklist/_item.html", "item_head")(item, lang)  # Markup
        cached = _item_heads[key] = (item, html)
    return cached[1]


def capture_gap_days(evidence: Evidence) -> int | None:
    """Whole days between the photo's own capture time and its upload (both on Shanghai's clock).

    The camera writes its local time without a zone; the phones used here are set to Shanghai.
    """
    if evidence.captured_at is None:
        return None
    uploaded_local = evidence.uploaded_at + SHANGHAI_OFFSET
    return abs((uploaded_local - evidence.captured_at).days)


def uploader_name(user_id: int | None) -> str:
    """The display name of whoever uploaded a file or saved an answer ("" when unknown)."""
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else ""


def checklist_item_texts() -> SimpleNamespace:
    """The fixed words of every checklist item, translated once per locale instead of once per item."""
    return _item_texts(request_locale())


@lru_cache(maxsize=8)
def _item_texts(_locale) -> SimpleNamespace:  # the catalog is the request's, whose locale is the key
    return SimpleNamespace(
        answer=_("Answer"),
        not_applicable=_("Not applicable"),
        not_for_outlet=_("Does not apply to this outlet."),
        answer_to=_("Answer to %(code)s"),
        note=_("Note"),
        evidence_missing=_("Evidence is still missing for this answer."),
        take_photo=_("Take photo"),
        choose_photo=_("Choose photo"),
        choose_file=_("Choose file"),
        not_saved=_("Not saved: see the message above."),
        saved=_("Saved"),
        not_answered=_("Not answered yet"),
        keep_mine=_("Keep my answer"),
        take_theirs=_("Take their answer"),
        # beside an inspection record's items (checklist.visit_context)
        outlet_self=_("Outlet's self-assessment:"),
        files=_("%(count)d file(s)"),
        photo=_("Photo: %(name)s"),
        outlet_nothing_more=_("No note and no files from the outlet."),
        to_verify=_("To verify: rectification"),
        see_rectification=_("See the outlet's rectification answer"),
        carried=_("Carried over from record %(number)d"),
    )


def checklist_texts() -> dict[str, str]:
    """The words the page's script shows, translated here; %(name)s placeholders are filled in there."""
    return _script_texts(request_locale())


@lru_cache(maxsize=8)
def _script_texts(_locale) -> dict[str, str]:  # the catalog is the request's, whose locale is the key
    return {
        "saved": _("Saved"),
        "saved_by": _("Saved · %(name)s · %(time)s"),
        "pending": _("Not saved yet: waiting to send"),
        "sending": _("Saving…"),
        "section_score": _("%(earned)s of %(possible)s pts"),
        "offline": _("Offline: kept on this device, will be sent when the connection returns"),
        "error": _("Not saved"),
        "conflict": _("Someone else changed this item"),
        "banner_saved": _("All answers are saved."),
        "banner_pending": _("%(count)s answer(s) not saved yet: kept on this device."),
        "banner_offline": _(
            "No connection. %(count)s answer(s) kept on this device; "
            "they will be sent when the connection returns."
        ),
        "banner_problem": _("%(count)s answer(s) need your attention: see the items marked below."),
        "banner_unsendable": _(
            "Answers kept on this device for items %(codes)s could not be saved: "
            "the checklist can no longer be changed. Tell the district bureau."
        ),
        "uploading": _("Uploading %(name)s…"),
        "uploaded": _("Attached."),
        "upload_failed": _("Not attached: %(reason)s"),
        "upload_offline": _(
            "No connection: the file is not attached yet. It is sent when the connection returns; "
            "keep this page open."
        ),
        "confirm_delete": _("Delete this file?"),
        "delete_offline": _("No connection: the file was not deleted. Try again when you are online."),
        "signed_out": _(
            "You are signed out or the page has expired. Open the checklist again in a new tab; "
            "answers not yet saved are kept on this device."
        ),
    }
