"""Forms of the draft edition pages: the upload to preview, and the acceptance that saves it."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Regexp

from outlet_audit.core.forms import BaseForm
from outlet_audit.criteria.impact import MAX_MONTHS


class DraftUploadForm(BaseForm):
    file = FileField(_l("Draft edition (YAML file)"), validators=[FileRequired(_l("Choose the draft file."))])
    months = IntegerField(
        _l("Signed inspections of the last … months"),
        default=12,
        validators=[
            InputRequired(_l("Enter a number of months.")),
            NumberRange(1, MAX_MONTHS, _l("Enter a number of months from %(min)s to %(max)s.")),
        ],
    )
    district = SelectField(_l("District"), choices=[], default="")


class DraftSaveForm(BaseForm):
    """The previewed draft, carried back as text (it is never staged on disk), and what it was."""

    # Hidden fields are not cleaned: the file's text comes back exactly as it was shown
    draft = HiddenField(validators=[DataRequired()])
    file_name = HiddenField()
    content_hash = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{64}$")])
