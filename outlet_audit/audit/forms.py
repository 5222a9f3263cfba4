"""The audit log's filter form (GET, kept in the URL so a filtered view can be shared)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from outlet_audit.audit.events import KIND_LABELS
from outlet_audit.core.forms import DayRangeFilterForm


class LogFilterForm(DayRangeFilterForm):
    """Who, what kind of act, and which Shanghai days; every field may stay empty."""

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
