"""The checklist form, generated from a criteria edition (as indico builds its review forms).

A registry of field builders, keyed by answer type, turns each item into a WTForms field and
says how an answer of that type reads (`display`, as indico's field types' `get_friendly_value`);
`build_assessment_form` makes a fresh form class per edition and language with one sub-form
per item, named from the item's stable code (`item_1_1` for "1.1"): its answer `value`,
`not_applicable` (only where the item allows it), a `note`, the `version` the page started
from and `evidence` files. The JSON save endpoint validates through the same sub-form, so a
value is read one way whether it comes from the plain form or from JavaScript.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DecimalField,
    Form,
    FormField,
    IntegerField,
    MultipleFileField,
    RadioField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, StopValidation, ValidationError

from outlet_audit.core.forms import BaseForm, PlainBaseForm
from outlet_audit.criteria.model import Edition, Item, decimal_text
from outlet_audit.scoring.answer_types import number_from_text

NOTE_MAX_LENGTH = 2000
FIELD_PREFIX = "item_"


def field_name(code: str) -> str:
    """The form field name for an item code: `1.1` → `item_1_1`, `A-2` → `item_A__2`.

    Codes hold letters, digits and single dots or hyphens between them, so this is one-to-one
    and the name is a Python identifier (templates write `form[name]`, JS reads the code).
    """
    return FIELD_PREFIX + code.replace("-", "__").replace(".", "_")


# --- field builders ----------------------------------------------------------------------


class FieldBuilder:
    """How one answer type appears in the form and converts to and from the engine's value."""

    answer_type: ClassVar[str]
    input_mode: ClassVar[str | None] = None  # the phone keyboard to offer

    def create_field(self, item: Item, lang: str):
        """The unbound WTForms field for the item's answer."""
        raise NotImplementedError

    def to_value(self, data: Any) -> Any:
        """The engine's value (bool, option code, Decimal, int) from the field's data; None if empty."""
        return data

    def to_data(self, value: Any) -> Any:
        """The field's data for an engine value, to pre-fill the form."""
        return value

    def to_text(self, value: Any) -> str:
        """The raw form text for an engine value, as the browser would send it."""
        return "" if value is None else str(self.to_data(value))

    def display(self, item: Item, value: Any, lang: str, style: "AnswerStyle") -> str | Decimal:
        """A (non-None) engine value as people read it: 是, the option's label, 96.5 %, 3 次."""
        raise NotImplementedError


FIELD_BUILDERS: dict[str, FieldBuilder] = {}


def register_field_builder(cls: type[FieldBuilder]) -> type[FieldBuilder]:
    FIELD_BUILDERS[cls.answer_type] = cls()
    return cls


def field_builder(answer_type: str) -> FieldBuilder:
    return FIELD_BUILDERS[answer_type]


@dataclass(frozen=True)
class AnswerStyle:
    """What differs between the places that show answers (page, inspection report, export sheet).

    The words are strings or lazy translations (turned into text when shown). `option` and
    `percent` are format strings; `numbers` keeps percentages and counts as numbers, for cells.
    """

    yes: Any
    no: Any
    option: str = "{label}"
    percent: str = "{} %"
    unanswered: str = "—"
    numbers: bool = False


ON_PAGE = AnswerStyle(yes=_l("Yes"), no=_l("No"))
NOT_APPLICABLE = _l("Not applicable")


def display_answer(item: Item, answer, lang: str, style: AnswerStyle = ON_PAGE) -> str | Decimal:
    """An answer (scoring's `Answer`) as people read it: N/A, nothing yet, or its type's `display`."""
    if answer.not_applicable:
        return str(NOT_APPLICABLE)
    if answer.value is None:
        return style.unanswered
    return field_builder(item.answer.type).display(item, answer.value, lang, style)


def _typed(field) -> str:
    return field.raw_data[0] if field.raw_data and isinstance(field.raw_data[0], str) else ""


def not_blank(_form, field) -> None:
    """Refuse an answer of spaces, which `Optional()` would take for no answer and clear the item with."""
    typed = _typed(field)
    if typed and not typed.strip():
        raise StopValidation(_l("Enter an answer, not only spaces."))


def plain_number(_form, field) -> None:
    """Refuse what Python reads as a number but nobody types as one (１０, 1_0, 1e2, NaN), and spaces.

    Runs before `Optional()`, which would take spaces for no answer; its message replaces the
    field's own ("Not a valid decimal value."), so the reader sees one.
    """
    typed = _typed(field)
    if typed and number_from_text(typed) is None:
        field.errors[:] = []
        raise StopValidation(_l("Enter a number."))


def finite_number(_form, field) -> None:
    """Refuse NaN and infinity, which Decimal accepts but no count or share can be."""
    if field.data is not None and not Decimal(field.data).is_finite():
        raise ValidationError(_l("Enter a number."))


@register_field_builder
class YesNoBuilder(FieldBuilder):
    answer_type = "yes_no"

    def create_field(self, item, lang):
        return RadioField(
            choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
            validators=[not_blank, Optional()],
            validate_choice=True,
        )

    def to_value(self, data):
        return {"yes": True, "no": False}.get(data)

    def to_data(self, value):
        return None if value is None else ("yes" if value else "no")

    def display(self, item, value, lang, style):
        return str(style.yes if value else style.no)


@register_field_builder
class ChoiceBuilder(FieldBuilder):
    answer_type = "choice"

    def create_field(self, item, lang):
        return RadioField(
            choices=[SelectChoice(option.code, option.label.get(lang)) for option in item.answer.options],
            validators=[not_blank, Optional()],
        )

    def to_value(self, data):
        return data or None

    def display(self, item, value, lang, style):
        option = item.answer.option(value)
        return style.option.format(code=option.code, label=option.label.get(lang)) if option else str(value)


@register_field_builder
class PercentageBuilder(FieldBuilder):
    answer_type = "percentage"
    input_mode = "decimal"

    def create_field(self, item, lang):
        return DecimalField(
            places=None,
            validators=[
                plain_number,
                Optional(),
                finite_number,
                NumberRange(min=0, max=100, message=_l("Enter a share between 0 and 100.")),
            ],
            render_kw={"step": "any", "min": 0, "max": 100},
        )

    def to_data(self, value):
        return None if value is None else Decimal(value)

    def to_text(self, value):
        return "" if value is None else decimal_text(Decimal(value))

    def display(self, item, value, lang, style):
        return value if style.numbers else style.percent.format(decimal_text(Decimal(value)))


@register_field_builder
class NumberBuilder(FieldBuilder):
    answer_type = "number"
    input_mode = "numeric"

    def create_field(self, item, lang):
        return IntegerField(
            validators=[
                plain_number,
                Optional(),
                NumberRange(min=0, message=_l("Enter a whole number, 0 or more.")),
            ],
            render_kw={"step": 1, "min": 0},
        )

    def to_value(self, data):
        return data  # an int, which the engine takes as it is

    def to_data(self, value):
        return None if value is None else int(value)

    def display(self, item, value, lang, style):
        if style.numbers:
            return value
        unit = item.answer.unit.get(lang) if item.answer.unit else ""
        return f"{decimal_text(Decimal(value))} {unit}".strip()


# --- the form ------------------------------------------------------------------------------


class ItemForm(PlainBaseForm):
    """One item's part of the checklist; the builder adds `value`, and `not_applicable` where allowed."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX_LENGTH)])
    version = IntegerField(default=0, validators=[Optional()])
    evidence = MultipleFileField(_l("Evidence"))

    item: ClassVar[Item]


@dataclass(frozen=True)
class ItemInput:
    """What one item's sub-form says, in the engine's terms."""

    value: Any
    not_applicable: bool
    note: str | None
    version: int


def item_form_class(item: Item, lang: str) -> type[ItemForm]:
    fields: dict[str, Any] = {"item": item, "value": field_builder(item.answer.type).create_field(item, lang)}
    if item.not_applicable_allowed:
        fields["not_applicable"] = BooleanField(_l("Not applicable"))
    return type(f"ItemForm_{field_name(item.code)}", (ItemForm,), fields)


def read_item(subform: ItemForm) -> ItemInput:
    """The engine's answer from a validated sub-form; N/A wins over a value given with it."""
    not_applicable = bool(getattr(subform, "not_applicable", None) and subform.not_applicable.data)
    value = None if not_applicable else field_builder(subform.item.answer.type).to_value(subform.value.data)
    note = (subform.note.data or "").strip() or None
    return ItemInput(value, not_applicable, note, subform.version.data or 0)


def item_data(item: Item, value: Any, not_applicable: bool, note: str | None, version: int) -> dict[str, Any]:
    """Pre-fill data for one item's sub-form."""
    return {
        "value": None if not_applicable else field_builder(item.answer.type).to_data(value),
        "not_applicable": not_applicable,
        "note": note or "",
        "version": version,
    }


def item_formdata(item: Item, raw: Mapping[str, Any]) -> MultiDict:
    """Form data for one item's sub-form from the JSON the page sends (`value` as the input's text)."""
    value = raw.get("value")
    if isinstance(value, bool):  # a yes/no sent as true/false rather than the radio's text
        value = "yes" if value else "no"
    data = MultiDict({"value": "" if value is None else str(value), "note": str(raw.get("note") or "")})
    if raw.get("not_applicable") is True:
        data["not_applicable"] = "y"
    return data


class AssessmentForm(BaseForm):
    """Base of the generated checklist forms; `edition` and `lang` are set on each generated class."""

    edition: ClassVar[Edition]
    lang: ClassVar[str]

    def item_forms(self):
        """(item, sub-form) for every scored and bonus item, in edition order."""
        for item in (*self.edition.items(), *self.edition.bonus_items()):
            yield item, self[field_name(item.code)].form


_form_classes: dict[tuple[str, str, type], type] = {}


def build_assessment_form(edition: Edition, lang: str, *, base: type[Form] = AssessmentForm) -> type:
    """The checklist form class for an edition in a language (built once, then reused).

    `base` is AssessmentForm (CSRF, request data) in views; previews and unit tests pass
    PlainAssessmentForm, which needs no request.
    """
    key = (edition.content_hash, lang, base)
    if key not in _form_classes:
        fields: dict[str, Any] = {"edition": edition, "lang": lang}
        for item in (*edition.items(), *edition.bonus_items()):
            fields[field_name(item.code)] = FormField(item_form_class(item, lang), label=item.title.get(lang))
        _form_classes[key] = type(f"AssessmentForm_{edition.id}_{lang}", (base,), fields)
    return _form_classes[key]


class PlainAssessmentForm(PlainBaseForm):
    """A checklist form without CSRF or request: previews and unit tests."""

    edition: ClassVar[Edition]
    lang: ClassVar[str]
    item_forms = AssessmentForm.item_forms
