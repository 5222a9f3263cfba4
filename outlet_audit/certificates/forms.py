"""The certificate pages' forms: the list's filters, and the issuer's and the district's acts.

Each act's fields have names of their own (`reason`, `reasons`, `decision_reason`), so the page
can hold several forms without two fields sharing an id.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SearchField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from outlet_audit.certificates.authority import ProposalOutcome
from outlet_audit.certificates.state import STATE_LABELS, CertificateState
from outlet_audit.core.forms import BaseForm, PlainBaseForm

REASON_MAX = 1000  # each text; a revocation on a proposal gives both the proposal's and the decision's


class RevokeForm(BaseForm):
    reason = TextAreaField(
        _l("Reason for the revocation"),
        description=_l("Shown on the public verification page and kept in the audit trail."),
        validators=[
            DataRequired(message=_l("Give the reason for the revocation.")),
            Length(max=REASON_MAX),
        ],
    )
    submit = SubmitField(_l("Revoke certificate"))


class ProposeRevocationForm(BaseForm):
    reasons = TextAreaField(
        _l("Reasons for proposing revocation"),
        description=_l(
            "What your bureau found, and when. The issuing bureau reads them; if it revokes the "
            "certificate they are shown on the public verification page."
        ),
        validators=[
            DataRequired(message=_l("Give the reasons for the proposal.")),
            Length(max=REASON_MAX),
        ],
    )
    submit = SubmitField(_l("Send the proposal"))


class DecideProposalForm(BaseForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(ProposalOutcome.REVOKED.value, _l("Revoke the certificate")),
            SelectChoice(ProposalOutcome.DECLINED.value, _l("Decline the proposal")),
        ],
        validators=[
            InputRequired(message=_l("Choose whether to revoke the certificate or decline the proposal."))
        ],
    )
    decision_reason = TextAreaField(
        _l("Reasons for the decision"),
        description=_l(
            "The proposing bureau is told them. On revocation the public verification page shows "
            "the proposal's reasons followed by these."
        ),
        validators=[
            DataRequired(message=_l("Give the reasons for your decision.")),
            Length(max=REASON_MAX),
        ],
    )
    submit = SubmitField(_l("Record the decision"))


class CertificateFilterForm(PlainBaseForm):
    """The list's filters, read from the query string (a GET form: nothing to protect from CSRF)."""

    state = SelectField(_l("State"), default="")
    q = SearchField(_l("Outlet name or certificate number"), validators=[Length(max=100)])

    def __init__(self, formdata):
        super().__init__(formdata)
        self.state.choices = [
            SelectChoice("", _("All")),
            *(SelectChoice(s.value, _(STATE_LABELS[s])) for s in CertificateState),
        ]
