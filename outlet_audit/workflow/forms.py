"""Forms of the application workflow. They parse and keep what was typed; the state machine judges it.

Each action has its form (`actions.ACTIONS` says which), and the form turns what was typed
into the action's `Payload`. On the application page the forms carry the action as prefix so
several can share one page. A form's own checks cover only the shape of the input (a date,
a known choice, a length); whether the action is allowed with it (a reason given, the
inspector's confirmation) is for `states.plan_transition` to say, whichever route it came by.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from outlet_audit.core.forms import BaseForm, BoundedDateField
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.model import Edition
from outlet_audit.workflow.states import LEVEL_LABELS, MAX_TEXT, Level, Payload


def level_choices() -> list[SelectChoice]:
    return [SelectChoice(level.value, _l(LEVEL_LABELS[level].text)) for level in Level]


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewApplicationForm(BaseForm):
    target_level = RadioField(_l("Level applied for"), default=Level.DISTRICT.value)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_level.choices = level_choices()


YES_NO = [SelectChoice("yes", _l("Yes, this is true")), SelectChoice("no", _l("No"))]


def declaration_field_name(code: str) -> str:
    return "declaration_" + "".join(ch if ch.isalnum() else "_" for ch in code)


def draft_form(edition: Edition, lang: str, *, application=None, formdata=None) -> BaseForm:
    """The application form of one edition: target level and a yes/no answer per declaration."""

    class DraftForm(BaseForm):
        target_level = RadioField(_l("Level applied for"), choices=level_choices())

    for declaration in edition.eligibility:
        field = RadioField(declaration.text.get(lang), choices=YES_NO, validators=[Optional()])
        setattr(DraftForm, declaration_field_name(declaration.code), field)

    data = {}
    if application is not None:
        data["target_level"] = application.target_level
        for code, value in (application.eligibility or {}).items():
            data[declaration_field_name(code)] = "yes" if value else "no"
    if formdata is None:
        form = DraftForm(formdata=None, data=data, prefix="draft")
    else:
        form = DraftForm(formdata=formdata, prefix="draft")
    form.declarations = [(d, form[declaration_field_name(d.code)]) for d in edition.eligibility]
    return form


def eligibility_answers(form, edition: Edition) -> dict[str, bool | None]:
    answers = {}
    for declaration in edition.eligibility:
        value = getattr(form, declaration_field_name(declaration.code)).data
        answers[declaration.code] = {"yes": True, "no": False}.get(value)
    return answers


class CommitmentUploadForm(BaseForm):
    letter = FileField(
        _l("Signed commitment letter"),
        validators=[FileRequired(_l("Choose the scanned or photographed letter."))],
        description=_l("A PDF scan or a clear photo of the signed and stamped letter."),
    )


class ActionForm(BaseForm):
    """The form of one action: it builds the action's `Payload` from what was typed."""

    def payload_fields(self) -> dict:
        return {}

    def payload(self, **given) -> Payload:
        """The input as the state machine reads it; `given` adds what the route worked out itself."""
        return Payload(today=today_in_shanghai(), **self.payload_fields(), **given)


class ConfirmForm(ActionForm):
    """An action without input: only the CSRF token travels."""


class ReasonsForm(ActionForm):
    reasons = TextAreaField(_l("Reasons"), validators=[Length(max=MAX_TEXT)])

    def payload_fields(self) -> dict:
        return {"reasons": self.reasons.data or ""}


class ScheduleForm(ActionForm):
    inspector_ids = CheckboxListField(
        _l("Inspectors"),
        coerce=int,
        description=_l("One to four, of the district's postal bureau and ecology and environment bureau."),
    )
    scheduled_on = BoundedDateField(_l("Inspection date"), validators=[Optional()])

    def payload_fields(self) -> dict:
        return {
            "inspector_ids": frozenset(self.inspector_ids.data or ()),
            "scheduled_on": self.scheduled_on.data,
        }


class SignOffForm(ActionForm):
    """Sent from the sign-off page: the confirmation is the action's input, the signatures go with it."""

    outlet_representative = StringField(
        _l("The outlet's representative present"),
        validators=[Length(max=100)],
        description=_l("Name and position of the person who signs for the outlet."),
    )
    confirm = BooleanField(_l("I confirm that these answers and this evidence are what I found on site."))
    inspector_signature = HiddenField()
    outlet_signature = HiddenField()

    def payload_fields(self) -> dict:
        return {
            "confirmed": bool(self.confirm.data),
            "outlet_representative": self.outlet_representative.data or "",
        }


class ReopenForm(ActionForm):
    """Sent from the inspection's result page, where the bureau sees what it reopens."""

    reason = TextAreaField(
        _l("Why reopen the inspection?"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("The outlet and the inspectors will see it."),
    )

    def payload_fields(self) -> dict:
        return {"reasons": self.reason.data or ""}


class RectificationRequestForm(ActionForm):
    item_codes = CheckboxListField(_l("Findings to rectify"))
    deadline = BoundedDateField(_l("Rectify by"), validators=[Optional()])
    reasons = TextAreaField(_l("What the outlet must do (optional)"), validators=[Length(max=MAX_TEXT)])

    def payload_fields(self) -> dict:
        return {
            "rectification_item_codes": frozenset(self.item_codes.data or ()),
            "rectification_deadline": self.deadline.data,
            "reasons": self.reasons.data or "",
        }


class DecisionForm(ActionForm):
    granted_level = SelectField(_l("Level granted"), validators=[Optional()])
    opinion = TextAreaField(_l("Written opinion"), validators=[Length(max=MAX_TEXT)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.granted_level.choices = level_choices()

    def payload_fields(self) -> dict:
        level = Level(self.granted_level.data) if self.granted_level.data else None
        return {"granted_level": level, "opinion": self.opinion.data or ""}


class OpinionForm(ActionForm):
    """An approval step: the signer's written opinion (its outcome is the button chosen)."""

    opinion = TextAreaField(_l("Written opinion"), validators=[Length(max=MAX_TEXT)])

    def payload_fields(self) -> dict:
        return {"opinion": self.opinion.data or ""}


ANY = ""


class QueueFilterForm(BaseForm):
    """The work queue's filters, read from the query string (GET: no CSRF token)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Outlet name or permit number"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    brand = SelectField(_l("Brand"), validators=[Optional()])
    target_level = SelectField(_l("Level applied for"), validators=[Optional()])
    district_id = SelectField(_l("District"), validators=[Optional()])
    submitted_from = BoundedDateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = BoundedDateField(_l("Submitted until"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()])


class FindingAnswerForm(BaseForm):
    """The outlet's answer to one finding of a rectification notice, with its proof."""

    responsible_person = StringField(
        _l("Person responsible at the outlet"),
        validators=[Length(max=100)],
        description=_l("Name and position."),
    )
    response = TextAreaField(_l("What was done"), validators=[Length(max=MAX_TEXT)])
    files = MultipleFileField(
        _l("Photos or documents of the result"),
        description=_l("JPEG, PNG, WebP or PDF: the rectified place, a receipt, a new rule posted."),
    )

    def uploads(self) -> list:
        """The files chosen (the browser sends an empty part when none was)."""
        return [upload for upload in self.files.data or [] if getattr(upload, "filename", "")]


VERIFICATION_OUTCOMES = [
    SelectChoice("closed", _l("Rectified: close it")),
    SelectChoice("not_closed", _l("Not rectified")),
]
VERIFICATION_METHODS = [
    SelectChoice("desk", _l("Desk review of the evidence")),
    SelectChoice("on_site", _l("Seen on site")),
]


class FindingCheckForm(BaseForm):
    """An inspector's verification of one finding in the re-inspection."""

    outcome = RadioField(_l("Outcome"), choices=VERIFICATION_OUTCOMES, validators=[Optional()])
    method = RadioField(_l("Verified by"), choices=VERIFICATION_METHODS, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_TEXT)])
