"""The forms of a supervision check: the team's signature, the bureau's conclusions, and the lists'
filters. They keep what was typed; `supervision.visits` judges it."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from outlet_audit.core.forms import BaseForm, BoundedDateField
from outlet_audit.workflow.forms import CheckboxListField
from outlet_audit.workflow.states import MAX_TEXT


class PassForm(BaseForm):
    note = TextAreaField(
        _l("Why the check is passed"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("The outlet reads it."),
    )


class RectificationOrderForm(BaseForm):
    codes = CheckboxListField(_l("Short items to rectify"))
    due_on = BoundedDateField(_l("Rectify by"), validators=[Optional()])
    instructions = TextAreaField(_l("What the outlet must do (optional)"), validators=[Length(max=MAX_TEXT)])


class RevocationProposalForm(BaseForm):
    reasons = TextAreaField(
        _l("Reasons for proposing revocation"),
        validators=[Length(max=MAX_TEXT)],
        description=_l("The certificate's issuer reads them when it opens the revocation case."),
    )


class RectifiedForm(BaseForm):
    note = TextAreaField(_l("Note on the review (optional)"), validators=[Length(max=MAX_TEXT)])
