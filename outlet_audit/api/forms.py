from flask_babel import lazy_gettext as _l
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from outlet_audit.api.scopes import SCOPE_LABELS
from outlet_audit.core.forms import BaseForm, BoundedDateField


class ScopesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewTokenForm(BaseForm):
    organisation = SelectField(_l("Organisation"), coerce=int, validators=[InputRequired()])
    name = StringField(
        _l("Token name"),
        validators=[DataRequired(_l("Say what the token is for.")), Length(max=100)],
        description=_l("The system that uses it, e.g. 电子证照库."),
    )
    scopes = ScopesField(
        _l("Scopes"),
        choices=[SelectChoice(scope.value, _l(label)) for scope, label in SCOPE_LABELS.items()],
        validators=[InputRequired(_l("Choose at least one scope."))],
    )
    expires_on = BoundedDateField(
        _l("Expires on"),
        validators=[Optional()],
        description=_l("Optional. The token stops working at the start of this day (Shanghai time)."),
    )
    submit = SubmitField(_l("Create the token"))


class RevokeTokenForm(BaseForm):
    submit = SubmitField(_l("Revoke"))
