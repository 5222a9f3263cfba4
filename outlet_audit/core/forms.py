"""The base of every form: typed text is cleaned once, the same way, whatever form it comes through.

Forms inherit `BaseForm` (Flask-WTF: CSRF, request data) or, for sub-forms and forms without a
request, `PlainBaseForm`. Their Meta puts `clean_text` first among the filters of every text
field (a text area keeps its line breaks), so a field's own filters and validators see the
cleaned text and no form can forget it. Passwords are left exactly as typed, and hidden fields
carry tokens, not text. Choice fields are cleaned too: `Optional()` takes a value of spaces for
an empty one and stops checking, so " " would otherwise reach the code as a choice. Dates go
through `BoundedDateField`, which refuses a day no list or calculation here can use.

The Meta also draws a plain single choice list (`<select>`) in one pass: WTForms' own widget
builds each option's attributes through its generic `html_params` and looks up the option
renderer's signature on every call, ~17 µs an option, and the filters above every list hold
dozens of options (a third of the queue's template time). The HTML is the same, byte for byte
(tests/unit/test_form_widgets.py); anything unusual (several choices, groups, an option's own
attributes) goes to WTForms' widget.
"""

from functools import partial

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, Form, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import Select, html_params

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


def one_pass_select(field, **kwargs) -> Markup | None:
    """A single `<select>` as WTForms' `Select` draws it, or None where that widget must: a
    multiple choice, option groups, or an option with attributes of its own."""
    if field.has_groups():
        return None
    choices = field.iter_choices()
    if any(choice.render_kw for choice in choices):
        return None
    kwargs.setdefault("id", field.id)
    flags = vars(field.flags)  # as WTForms: the required and disabled flags the field has set
    for name in Select.validation_attrs:
        if name not in kwargs and name in flags:
            kwargs[name] = flags[name]
    html = [f"<select {html_params(name=field.name, **kwargs)}>"]
    for choice in choices:
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        html.append(
            f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>'
        )
    html.append("</select>")
    return Markup("".join(html))  # noqa: S704 - every value and label escaped above


class OnePassSelectMeta:
    """Meta mixin: plain single choice lists drawn by `one_pass_select`."""

    def render_field(self, field, render_kw):
        widget = field.widget
        if type(widget) is Select and not widget.multiple:
            own = getattr(field, "render_kw", None)
            drawn = one_pass_select(field, **(dict(own, **render_kw) if own else render_kw))
            if drawn is not None:
                return drawn
        return super().render_field(field, render_kw)


class BaseForm(FlaskForm):
    class Meta(CleanTextMeta, OnePassSelectMeta):
        pass


class PlainBaseForm(Form):
    """For sub-forms (FormField) and forms read outside Flask-WTF: the same cleaning, no CSRF."""

    class Meta(CleanTextMeta, OnePassSelectMeta):
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


# --- GET filter forms (the dashboards, the audit log) --------------------------------------------


def filter_value(field):
    """A filter field's value, or None when it is empty or was not understood: a GET filter form
    leaves a field in error out of the filter and shows its message beside it."""
    return None if field is None or field.errors else (field.data or None)


class DayRangeFilterForm(BaseForm):
    """A GET filter form with a range of Shanghai days, `date_from` to `date_to`, both optional."""

    class Meta:
        csrf = False  # a GET form: the filters live in the URL, so links can be shared and bookmarked

    date_from = BoundedDateField(_l("From"), validators=[Optional()])
    date_to = BoundedDateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def days(self) -> tuple:
        """(date_from, date_to) to filter by. A `date_to` in error (not a day, or before the start,
        which is said on it) leaves the whole range out: half of a range the reader did not mean
        would filter as no range they asked for."""
        if self.date_to.errors:
            return None, None
        return filter_value(self.date_from), filter_value(self.date_to)
