"""An audit row as people read it: its registry sentence filled in, its values as shown elsewhere.

Runs in a request (translations, the reader's language). Whatever a row needs besides itself
(the criteria edition of its application, district names) comes in a `Readings` read once per
timeline, so no row costs a query. Sentences are Markup: the translated template is escaped,
then every value is escaped into it, except the shortened tokens this module builds itself.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from outlet_audit.accounts.forms import ROLE_LABELS
from outlet_audit.audit.events import (
    EventType,
    Kind,
    Shown,
    SystemText,
    assessment_kind,
    event_type,
    field_code,
    system_text,
)
from outlet_audit.checklist.forms import display_answer
from outlet_audit.checklist.kinds import FINDING_STATUS_LABELS
from outlet_audit.checklist.service import value_from_json
from outlet_audit.core.i18n import readable_date, request_catalog
from outlet_audit.criteria.model import Edition, Item
from outlet_audit.scoring import Answer
from outlet_audit.text import N_
from outlet_audit.workflow.states import LEVEL_LABELS, STATUS_LABELS

# Outlet columns as the profile form names them (outlets/forms.py); lazy, as the verification
# pages show them too.
OUTLET_FIELD_LABELS = {
    "name": _l("Outlet name"),
    "brand": _l("Brand"),
    "district_id": _l("District"),
    "address": _l("Address"),
    "permit_number": _l("Express business permit or filing number"),
    "manager": _l("Manager"),
    "phone": _l("Contact phone"),
    "opening_hours": _l("Opening hours"),
    "has_packing_bench": _l("Packing bench"),
    "verified": _l("Verification"),
}
TOKEN_SHOWN = 12  # characters of a long token (a sha256) shown; the whole of it is in the title
_ACCOUNT = re.compile(r"(?P<name>.*) \((?P<role>\w+)\)", re.DOTALL)
_NOTED = re.compile(r"(?P<value>.+?) \((?P<note>.*)\)", re.DOTALL)  # checklist.service._describe


def t(template: str) -> str:
    """The reader's translation of a template (the request's catalog, looked up once)."""
    return request_catalog().ugettext(template)


@dataclass(frozen=True)
class Readings:
    """What the rows of one timeline need besides themselves, read once."""

    lang: str
    editions: Mapping[int, Edition]  # by application id
    districts: Mapping[str, str]  # district id as stored in a row (text) -> name


@dataclass(frozen=True)
class EventText:
    kind: Kind
    what: Markup
    old: str | None
    new: str | None
    show_change: bool
    change_label: str | None
    reason: str | None  # typed by a person: shown as typed, after "Why:"
    note: Markup | None  # written by the code: translated


def event_text(event, actor: str, readings: Readings) -> EventText:
    """The sentence and values of one audit row; `actor` is who did it, as the page names them."""
    kind = event_type(event.action)
    edition = readings.editions.get(event.application_id)
    old = shown_value(kind.shown, event, event.old_value, readings, edition)
    new = shown_value(kind.shown, event, event.new_value, readings, edition)
    template = t(kind.sentence(event))
    params = {
        "actor": actor,
        "field": str(OUTLET_FIELD_LABELS.get(event.field, event.field or "")),
        "item": item_label(event, edition, readings.lang),
        "old": old if old is not None else "—",
        "new": new if new is not None else "—",
        "reason": event.reason or "",
    }
    what = escape(template) % params
    reason, note = _reason(kind, event.reason, reason_in_sentence="%(reason)s" in template)
    return EventText(kind.kind, what, old, new, kind.show_change, _label(kind), reason, note)


def _label(kind: EventType) -> str | None:
    return t(kind.change_label) if kind.change_label else None


def _reason(kind: EventType, reason: str | None, *, reason_in_sentence: bool):
    if not reason or reason_in_sentence:
        return None, None
    if not kind.system_reason:
        return reason, None  # a person's words stay as they were typed
    return None, system_markup(reason)


def system_markup(text: str) -> Markup:
    """A text the code wrote, translated when it is a known one (long tokens shortened)."""
    known = system_text(text)
    if known is None:
        return escape(text)
    spec, params = known
    return escape(t(spec.shown)) % _token_params(spec, params)


def _token_params(spec: SystemText, params: dict[str, str]) -> dict:
    return {name: short_token(value) if name in spec.tokens else value for name, value in params.items()}


def short_token(value: str) -> Markup:
    """A long unbroken value (a hash) shortened, the whole of it in the title."""
    if len(value) <= TOKEN_SHOWN + 1:
        return escape(value)
    return Markup('<span class="audit-token" title="{0}">{1}…</span>').format(value, value[:TOKEN_SHOWN])


def item_label(event, edition: Edition | None, lang: str) -> str:
    """The checklist item or declaration a row is about: its code and title, as the pages show them."""
    code = field_code(event.field)
    if not code or edition is None:
        return code
    if event.action == "draft_saved":
        declaration = next((d for d in edition.eligibility if d.code == code), None)
        return f"{code} {declaration.text.get(lang).rstrip('。.')}" if declaration else code
    item = _item(edition, code)
    return f"{code} {item.title.get(lang)}" if item else code


def _item(edition: Edition | None, code: str) -> Item | None:
    return edition.find_item(code) if edition is not None else None


# Statuses the workflow no longer has, kept in the audit trail of the applications that had them
# (before approval steps, migration 0012, a city-level approval awaited the city's confirmation).
FORMER_STATUS_LABELS = {"awaiting_city_confirmation": N_("Awaiting city confirmation")}


def shown_value(shown: Shown, event, value: str | None, readings: Readings, edition) -> str | None:
    """A stored old or new value as people read it elsewhere; unknown values stay as stored."""
    if value is None:
        return None
    if shown == Shown.STATUS:
        label = STATUS_LABELS.get(value) or FORMER_STATUS_LABELS.get(value)
        return t(label) if label else value
    if shown == Shown.LEVEL:
        return t(LEVEL_LABELS[value].text) if value in LEVEL_LABELS else value
    if shown == Shown.YES_NO:
        return yes_no(value)
    if shown == Shown.DRAFT:
        return shown_value(
            Shown.LEVEL if event.field == "target_level" else Shown.YES_NO, event, value, readings, edition
        )
    if shown == Shown.ANSWER:
        item = _item(edition, field_code(event.field)) if assessment_kind(event.field) else None
        return answer_text(value, item, readings.lang)
    if shown == Shown.OUTLET_FIELD:
        if event.field == "district_id":
            return readings.districts.get(value, value)
        return yes_no(value) if event.field in ("verified", "has_packing_bench") else value
    if shown == Shown.DATE:
        return _date(value)
    if shown == Shown.ACCOUNT:
        return _account(value)
    if shown == Shown.SYSTEM_TEXT:
        return str(system_markup(value))
    if shown == Shown.FINDING:
        return t(FINDING_STATUS_LABELS[value]) if value in FINDING_STATUS_LABELS else value
    return value


def yes_no(value: str) -> str:
    if value in ("yes", "true", "True"):
        return t(N_("Yes"))
    if value in ("no", "false", "False"):
        return t(N_("No"))
    return value


def _date(value: str) -> str:
    try:
        return readable_date(date.fromisoformat(value))
    except ValueError:
        return value


def _account(value: str) -> str:
    match = _ACCOUNT.fullmatch(value)
    if match is None or match["role"] not in ROLE_LABELS:
        return value
    return t(N_("%(name)s (%(role)s)")) % {"name": match["name"], "role": str(ROLE_LABELS[match["role"]])}


def answer_text(stored: str, item: Item | None, lang: str) -> str:
    """A checklist answer, as the audit row keeps it (`"A" (a note)`), as the checklist shows it."""
    value, note = _split_note(stored)
    text = _answer_value(value, item, lang)
    return t(N_("%(answer)s (note: %(note)s)")) % {"answer": text, "note": note} if note else text


def _split_note(stored: str) -> tuple[str, str | None]:
    if stored in ("N/A", "—"):
        return stored, None
    try:
        json.loads(stored)
    except ValueError:
        match = _NOTED.fullmatch(stored)
        return (match["value"], match["note"]) if match else (stored, None)
    return stored, None


def _answer_value(value: str, item: Item | None, lang: str) -> str:
    if value == "N/A":
        return t(N_("Not applicable"))
    if value == "—":
        return value
    try:
        raw = json.loads(value)
    except ValueError:
        return value
    if item is not None:
        try:
            return display_answer(item, Answer(value_from_json(item, value)), lang)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            pass  # an answer the edition no longer reads: shown as stored
    if isinstance(raw, bool):
        return t(N_("Yes")) if raw else t(N_("No"))
    return str(raw)
