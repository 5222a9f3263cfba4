"""The audit log's filter form (GET, kept in the URL so a filtered view can be shared)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from outlet_audit.audit.events import KIND_LABELS
from outlet_audit.core.forms import BaseForm, BoundedDateField


class LogFilterForm(BaseForm):
    """Who, what kind of act, and which Shanghai days; every field may stay empty."""

    class Meta:
        csrf = False  # a GET form: the filters live in the URL

    person = StringField(
        _l("Person"),
        validators=[Optional(), Length(max=100)],
        render_kw={"placeholder": _l("Username or name")},
    )
    kind = SelectField(
        _l("Kind of act"),
        choices=[SelectChoice("", _l("All kinds"))]
        + [SelectChoice(kind.value, _l(label)) for kind, label in KIND_LABELS.items()],
        validators=[Optional()],
    )
    date_from = BoundedDateField(_l("From"), validators=[Optional()])
    date_to = BoundedDateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
