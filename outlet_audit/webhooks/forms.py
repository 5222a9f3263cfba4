from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from outlet_audit.core.forms import BaseForm
from outlet_audit.webhooks.addresses import MAX_URL_LENGTH
from outlet_audit.webhooks.endpoints import EndpointSettings
from outlet_audit.webhooks.events import EVENT_LABELS, SUBSCRIBABLE, WebhookEvent


class EventsField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(BaseForm):
    url = StringField(
        _l("Address (URL)"),
        validators=[DataRequired(), Length(max=MAX_URL_LENGTH)],
        description=_l("http:// or https://, on a public address; each event is POSTed to it as JSON."),
    )
    events = EventsField(
        _l("Events"),
        choices=[SelectChoice(event.value, _l(EVENT_LABELS[event])) for event in SUBSCRIBABLE],
        validators=[InputRequired(message=_l("Choose at least one event."))],
    )
    active = BooleanField(_l("Active: send events to this address"), default=True)

    def settings(self) -> EndpointSettings:
        return EndpointSettings(
            url=self.url.data,
            events=tuple(WebhookEvent(value) for value in self.events.data),
            active=self.active.data,
        )


class NewEndpointForm(EndpointForm):
    # Shown to the system administrator only, who chooses whose endpoint it is.
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=True)


class ButtonForm(BaseForm):
    """The CSRF token of a button's POST (delete, rotate the secret, send a test event, send again)."""
