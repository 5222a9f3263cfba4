from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from outlet_audit.accounts.forms import AccountFieldsMixin
from outlet_audit.core.forms import BaseForm
from outlet_audit.core.i18n import current_language
from outlet_audit.outlets.models import KNOWN_BRANDS
from outlet_audit.outlets.reference import all_districts
from outlet_audit.outlets.rules import (
    is_valid_permit_number,
    is_valid_phone,
    normalise_permit_number,
    normalise_phone,
)


def district_choices(placeholder=None) -> list[SelectChoice]:
    lang = current_language()
    choices = [SelectChoice(d.id, d.name(lang)) for d in all_districts()]
    return [SelectChoice(0, placeholder)] + choices if placeholder else choices


def packing_bench_answer(value) -> bool | None:
    """The packing bench answer as the outlet column keeps it: True, False or None (not stated)."""
    if value in (None, "", "None"):
        return None
    if value in (True, "True"):
        return True
    if value in (False, "False"):
        return False
    raise ValueError("not an answer")


class OutletFieldsMixin:
    outlet_name = StringField(_l("Outlet name"), validators=[DataRequired(), Length(max=200)])
    brand = SelectField(_l("Brand"), choices=[SelectChoice(b, b) for b in KNOWN_BRANDS])
    district_id = SelectField(_l("District"), coerce=int)
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    permit_number = StringField(
        _l("Express business permit or filing number"),
        filters=[normalise_permit_number],
        validators=[DataRequired(), Length(max=40)],
        description=_l("As printed on the permit or filing certificate, e.g. SH-KD-2023-0158."),
    )
    manager = StringField(_l("Manager"), validators=[DataRequired(), Length(max=50)])
    phone = StringField(
        _l("Contact phone"), filters=[normalise_phone], validators=[DataRequired(), Length(max=30)]
    )
    opening_hours = StringField(_l("Opening hours (optional)"), validators=[Optional(), Length(max=100)])
    has_packing_bench = SelectField(
        _l("Packing bench"),
        choices=[
            SelectChoice(None, _l("Not stated")),
            SelectChoice(True, _l("Yes: parcels are packed at the outlet")),
            SelectChoice(False, _l("No: the outlet packs no parcels")),
        ],
        coerce=packing_bench_answer,
        default=None,
        description=_l(
            "Outlets without a packing bench are not assessed on the packing items. "
            "Not stated: every item applies."
        ),
    )

    def validate_permit_number(self, field):
        if not is_valid_permit_number(field.data or ""):
            raise ValidationError(
                _l("6–40 letters, digits or hyphens, with at least four digits, e.g. SH-KD-2023-0158.")
            )

    def validate_phone(self, field):
        if not is_valid_phone(field.data or ""):
            raise ValidationError(_l("A mobile number (11 digits) or a landline such as 021-57123456."))

    def validate_district_id(self, field):
        if not field.data or field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose the district."))


class OutletRegistrationForm(OutletFieldsMixin, AccountFieldsMixin, BaseForm):
    submit = SubmitField(_l("Register"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.district_id.choices = district_choices(placeholder=_l("— choose —"))


# Profile form fields and the outlet columns they edit.
PROFILE_FORM_FIELDS = {
    "outlet_name": "name",
    "brand": "brand",
    "district_id": "district_id",
    "address": "address",
    "permit_number": "permit_number",
    "manager": "manager",
    "phone": "phone",
    "opening_hours": "opening_hours",
    "has_packing_bench": "has_packing_bench",
}


class OutletProfileForm(OutletFieldsMixin, BaseForm):
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, brand=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.district_id.choices = district_choices()
        if brand and brand not in KNOWN_BRANDS:  # a brand typed in by an import stays choosable
            self.brand.choices = [SelectChoice(brand, brand), *self.brand.choices]

    def values(self) -> dict:
        """The outlet's columns as the form has them (empty optional fields as None)."""
        return {
            column: _column_value(getattr(self, name).data) for name, column in PROFILE_FORM_FIELDS.items()
        }


def _column_value(data):
    """A field's data as the column keeps it: a yes/no answer as typed, an empty text as None."""
    return data if isinstance(data, bool) else data or None


class RejectChangesForm(BaseForm):
    reason = TextAreaField(_l("Why the changes are not accepted"), validators=[Length(max=2000)])


# The bulk import (import_views.py): upload a file to check, then confirm what to import.
IMPORT_VALID_ROWS = "valid_rows"
IMPORT_ALL_OR_NOTHING = "all_or_nothing"


class ImportUploadForm(BaseForm):
    file = FileField(
        _l("Filled-in template (.xlsx or .csv)"),
        validators=[FileRequired(_l("Choose the file to check."))],
    )
    submit = SubmitField(_l("Check the file (nothing is saved yet)"))


class ImportConfirmForm(BaseForm):
    sha256 = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
    token = HiddenField(validators=[DataRequired()])
    mode = RadioField(
        _l("What to import"),
        choices=[
            SelectChoice(IMPORT_ALL_OR_NOTHING, _l("Import only if every row is valid")),
            SelectChoice(IMPORT_VALID_ROWS, _l("Import the valid rows, skip the rest")),
        ],
        default=IMPORT_ALL_OR_NOTHING,
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Import"))
