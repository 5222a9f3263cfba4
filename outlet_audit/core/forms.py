"""The base of every form: typed text is cleaned once, the same way, whatever form it comes through.

Forms inherit `BaseForm` (Flask-WTF: CSRF, request data) or, for sub-forms and forms without a
request, `PlainBaseForm`. Their Meta puts `clean_text` first among the filters of every text
field (a text area keeps its line breaks), so a field's own filters and validators see the
cleaned text and no form can forget it. Passwords are left exactly as typed, and hidden fields
carry tokens, not text. Choice fields are cleaned too: `Optional()` takes a value of spaces for
an empty one and stops checking, so " " would otherwise reach the code as a choice. Dates go
through `BoundedDateField`, which refuses a day no list or calculation here can use.
"""

from functools import partial

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, HiddenField, PasswordField, SelectField, StringField, TextAreaField

from outlet_audit.core.params import FIRST_DAY, LAST_DAY, day_in_range
from outlet_audit.text import clean_text

clean_line = partial(clean_text, multiline=False)
clean_multiline = partial(clean_text, multiline=True)


class CleanTextMeta:
    """Meta mixin: bind every text and choice field with `clean_text` as its first filter."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        cleaned = issubclass(field_class, (StringField, SelectField))  # a multiple choice's list passes as is
        if cleaned and not issubclass(field_class, (PasswordField, HiddenField)):
            cleaner = clean_multiline if issubclass(field_class, TextAreaField) else clean_line
            own = tuple(unbound_field.kwargs.get("filters", ()))
            options = {**options, "filters": (cleaner, *own)}
        return super().bind_field(form, unbound_field, options)


class BaseForm(FlaskForm):
    class Meta(CleanTextMeta):
        pass


class PlainBaseForm(Form):
    """For sub-forms (FormField) and forms read outside Flask-WTF: the same cleaning, no CSRF."""

    class Meta(CleanTextMeta):
        pass


class BoundedDateField(DateField):
    """A date field that refuses days outside FIRST_DAY..LAST_DAY with an error on the field."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not day_in_range(self.data):
            self.data = None
            raise ValueError(
                _l(
                    "Enter a date between %(first)s and %(last)s.",
                    first=FIRST_DAY.isoformat(),
                    last=LAST_DAY.isoformat(),
                )
            )
