"""Forms of the yearly self-check pages: the bureau's review and the targeted visit it may open.
They check the shape of the input; the operations (`supervision.yearly`) judge it."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from outlet_audit.core.forms import BaseForm, BoundedDateField

MAX_NOTE = 2000


class ConfirmForm(BaseForm):
    """An act without input (submit, accept): only the CSRF token travels."""


class FailForm(BaseForm):
    note = TextAreaField(
        _l("Why it fails"),
        validators=[DataRequired(_l("Say why the self-check fails.")), Length(max=MAX_NOTE)],
        description=_l("The outlet reads it."),
    )


class TeamField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TargetedVisitForm(BaseForm):
    team = TeamField(
        _l("Inspectors"), coerce=int, validators=[InputRequired(_l("Choose at least one inspector."))]
    )
    due_by = BoundedDateField(
        _l("Visit by"), validators=[InputRequired(_l("Give the date the visit is made by."))]
    )
    reason = TextAreaField(_l("Why the visit"), validators=[Length(max=MAX_NOTE)])
