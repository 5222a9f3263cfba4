"""The dashboard's filter form (GET, kept in the URL)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from outlet_audit.core.forms import DayRangeFilterForm
from outlet_audit.outlets.forms import district_choices
from outlet_audit.outlets.models import KNOWN_BRANDS
from outlet_audit.workflow.states import LEVEL_LABELS, Level


def level_choices() -> list[SelectChoice]:
    return [SelectChoice("", _l("All levels"))] + [
        SelectChoice(level.value, _l(LEVEL_LABELS[level].text)) for level in Level
    ]


class DashboardFilterForm(DayRangeFilterForm):
    """Date range, level, brand and (for the city bureau) district; every field may stay empty."""

    level = SelectField(_l("Level"), validators=[Optional()])
    brand = SelectField(
        _l("Brand"),
        choices=[SelectChoice("", _l("All brands"))] + [SelectChoice(b, b) for b in KNOWN_BRANDS],
        validators=[Optional()],
    )
    district = SelectField(_l("District"), coerce=int, validators=[Optional()])

    def __init__(self, *args, with_district: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = level_choices()
        if with_district:
            self.district.choices = district_choices(placeholder=_l("All districts"))
        else:
            del self.district
