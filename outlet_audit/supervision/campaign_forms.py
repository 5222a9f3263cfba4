"""The spot-check campaign forms: planning one, and the confirmed acts (draw, close)."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from outlet_audit.core.forms import BaseForm, BoundedDateField
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.supervision.campaigns import CampaignPlan
from outlet_audit.supervision.kinds import CAMPAIGN_CHECKLIST_LABELS, CampaignChecklist
from outlet_audit.workflow.states import LEVEL_LABELS, MAX_TEAM

SHARE, COUNT = "share", "count"
MAX_PER_DISTRICT = 1000
MAX_QUOTA = 100


class CampaignForm(BaseForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Give the campaign a title.")), Length(max=200)],
    )
    district_ids = SelectMultipleField(
        _l("Districts in scope"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose at least one district."))],
    )
    levels = SelectMultipleField(
        _l("Levels"),
        choices=[SelectChoice(level.value, _l(label.text)) for level, label in LEVEL_LABELS.items()],
        validators=[DataRequired(message=_l("Choose at least one level."))],
    )
    brands = SelectMultipleField(
        _l("Brands"), description=_l("None chosen: every brand."), validators=[Optional()]
    )
    sample_kind = RadioField(
        _l("How many outlets each district gives"),
        choices=[
            SelectChoice(SHARE, _l("A share of its certified outlets (%)")),
            SelectChoice(COUNT, _l("A number of outlets")),
        ],
        default=SHARE,
        validators=[InputRequired(message=_l("Choose a share or a number."))],
    )
    sample_value = IntegerField(
        _l("Share (%) or number"),
        description=_l("A share is rounded up, and never more outlets than a district has."),
        validators=[InputRequired(message=_l("Give the share or the number of outlets."))],
    )
    window_from = BoundedDateField(
        _l("Visits from"), validators=[InputRequired(message=_l("Choose the first day of the visits."))]
    )
    window_until = BoundedDateField(
        _l("Visits until"), validators=[InputRequired(message=_l("Choose the last day of the visits."))]
    )
    checklist = RadioField(
        _l("Checklist"),
        choices=[
            SelectChoice(choice.value, _l(label)) for choice, label in CAMPAIGN_CHECKLIST_LABELS.items()
        ],
        default=CampaignChecklist.SPOT_CHECK.value,
        validators=[InputRequired(message=_l("Choose the checklist."))],
    )
    recusal_months = IntegerField(
        _l("Recusal (months)"),
        description=_l("An inspector who visited an outlet within this many months is not drawn for it."),
        validators=[InputRequired(message=_l("Give the recusal period.")), NumberRange(min=0, max=60)],
    )
    team_size = IntegerField(
        _l("Inspectors a team"),
        default=2,
        validators=[InputRequired(message=_l("Give the team size.")), NumberRange(min=1, max=MAX_TEAM)],
    )
    quota_per_inspector = IntegerField(
        _l("Visits an inspector at most"),
        default=3,
        validators=[InputRequired(message=_l("Give the quota.")), NumberRange(min=1, max=MAX_QUOTA)],
    )
    submit = SubmitField(_l("Plan the campaign"))

    def validate_sample_value(self, field):
        high = 100 if self.sample_kind.data == SHARE else MAX_PER_DISTRICT
        if field.data is not None and not 1 <= field.data <= high:
            raise ValidationError(_l("Enter a number from 1 to %(high)s.", high=high))

    def validate_window_until(self, field):
        if field.data and self.window_from.data and field.data < self.window_from.data:
            raise ValidationError(_l("The last day comes on or after the first."))
        if field.data and field.data < today_in_shanghai():
            raise ValidationError(_l("The last day of the visits cannot be in the past."))

    def plan(self) -> CampaignPlan:
        share = self.sample_kind.data == SHARE
        return CampaignPlan(
            title=self.title.data,
            district_ids=tuple(self.district_ids.data),
            levels=tuple(self.levels.data),
            brands=tuple(self.brands.data or ()),
            share_percent=self.sample_value.data if share else None,
            per_district=None if share else self.sample_value.data,
            window_from=self.window_from.data,
            window_until=self.window_until.data,
            checklist=CampaignChecklist(self.checklist.data),
            recusal_months=self.recusal_months.data,
            team_size=self.team_size.data,
            quota_per_inspector=self.quota_per_inspector.data,
        )


class DrawForm(BaseForm):
    submit = SubmitField(_l("Draw the outlets and teams"))


class CloseForm(BaseForm):
    submit = SubmitField(_l("Close and publish the campaign"))
