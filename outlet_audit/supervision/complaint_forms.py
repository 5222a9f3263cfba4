"""The forms of public complaints: the public's (file, follow) and the bureau's (triage, outcome, filter)."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from outlet_audit.accounts.forms import valid_email
from outlet_audit.core.forms import BaseForm, BoundedDateField
from outlet_audit.outlets.rules import is_valid_phone, normalise_phone
from outlet_audit.supervision.complaints import DESCRIPTION_MAX_CHARS, OUTCOME_MAX_CHARS
from outlet_audit.supervision.kinds import (
    COMPLAINT_CATEGORY_LABELS,
    COMPLAINT_STATUS_LABELS,
    ComplaintCategory,
    ComplaintStatus,
)

CONTACT_MAX_CHARS = 120
REFERENCE_MAX_CHARS = 24
CODE_MAX_CHARS = 40
REASON_MAX_CHARS = 1000


def valid_contact(form, field):
    """A phone number (mobile or landline) or an e-mail address; kept in its normal form."""
    if not field.data:
        return
    if "@" in field.data:
        valid_email(form, field)
        return
    if not is_valid_phone(field.data):
        raise ValidationError(
            _l("Enter a mobile number (11 digits), a landline such as 021-57123456, or an e-mail address.")
        )
    field.data = normalise_phone(field.data)


class ComplaintForm(BaseForm):
    category = SelectField(
        _l("What is wrong"),
        choices=[
            SelectChoice(category.value, _l(label)) for category, label in COMPLAINT_CATEGORY_LABELS.items()
        ],
        validators=[InputRequired(_l("Choose what is wrong."))],
    )
    description = TextAreaField(
        _l("What you saw"),
        description=_l("When and what happened, as exactly as you can. At most 2,000 characters."),
        validators=[
            DataRequired(_l("Describe what you saw.")),
            Length(max=DESCRIPTION_MAX_CHARS, message=_l("At most 2,000 characters.")),
        ],
        render_kw={"rows": 6, "maxlength": DESCRIPTION_MAX_CHARS},
    )
    photo = FileField(
        _l("A photo (optional)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    contact = StringField(
        _l("Your phone or e-mail (optional)"),
        description=_l(
            "Only the district bureau sees it, to ask you about what you saw; the outlet never does. "
            "Leave one to receive a code to follow the complaint."
        ),
        validators=[Optional(), Length(max=CONTACT_MAX_CHARS), valid_contact],
        render_kw={"maxlength": CONTACT_MAX_CHARS},
    )
    submit = SubmitField(_l("Send the complaint"))

    def validate_category(self, field):
        if field.data not in set(ComplaintCategory):
            raise ValidationError(_l("Choose what is wrong."))


class FollowForm(BaseForm):
    reference = StringField(
        _l("Complaint reference"),
        description=_l("As shown when you sent the complaint, e.g. TS-2027-FX-000123."),
        validators=[DataRequired(_l("Enter the reference.")), Length(max=REFERENCE_MAX_CHARS)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    code = StringField(
        _l("Follow-up code"),
        validators=[DataRequired(_l("Enter the follow-up code.")), Length(max=CODE_MAX_CHARS)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"},
    )
    submit = SubmitField(_l("Show the complaint's status"))


class DismissForm(BaseForm):
    reason = TextAreaField(
        _l("Why the complaint is dismissed"),
        description=_l("The person who sent the complaint reads this."),
        validators=[DataRequired(_l("Give the reason.")), Length(max=REASON_MAX_CHARS)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Dismiss the complaint"))


class OpenVisitForm(BaseForm):
    team = SelectMultipleField(
        _l("Inspectors"), coerce=int, validators=[DataRequired(_l("Choose the team."))]
    )
    due_by = BoundedDateField(_l("Visit by"), validators=[DataRequired(_l("Enter a date."))])
    reason = TextAreaField(
        _l("What the team should check"),
        description=_l(
            "The team reads this, and so does the outlet in its history: "
            "never name the person who complained."
        ),
        validators=[DataRequired(_l("Say what the team should check.")), Length(max=REASON_MAX_CHARS)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Open the visit"))


class OutcomeForm(BaseForm):
    status = RadioField(
        _l("What the visit found"),
        choices=[
            SelectChoice(ComplaintStatus.SUBSTANTIATED.value, _l("The complaint is substantiated")),
            SelectChoice(ComplaintStatus.NOT_SUBSTANTIATED.value, _l("The complaint is not substantiated")),
        ],
        validators=[InputRequired(_l("Choose what the visit found."))],
    )
    outcome = TextAreaField(
        _l("For the person who complained"),
        description=_l("One or two sentences on what was found and done. They read it with their code."),
        validators=[DataRequired(_l("Say what was found.")), Length(max=OUTCOME_MAX_CHARS)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Record the outcome"))


STATUS_FILTERS = [
    SelectChoice("", _l("All")),
    *(SelectChoice(status.value, _l(label)) for status, label in COMPLAINT_STATUS_LABELS.items()),
]


class ComplaintFilterForm(BaseForm):
    class Meta(BaseForm.Meta):
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=STATUS_FILTERS, validators=[Optional()], validate_choice=False)

    @property
    def chosen_status(self) -> ComplaintStatus | None:
        return ComplaintStatus(self.status.data) if self.status.data in set(ComplaintStatus) else None
