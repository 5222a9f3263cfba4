"""The certificate pages' forms: the list's filters, and the issuer's and the district's acts.

Each act's fields have names of their own (`reason`, `reasons`, `decision_reason`), so the page
can hold several forms without two fields sharing an id.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SearchField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from outlet_audit.certificates.authority import ProposalOutcome
from outlet_audit.certificates.state import STATE_LABELS, CertificateState
from outlet_audit.core.forms import BaseForm, PlainBaseForm

REASON_MAX = 1000  # each text; a revocation on a proposal gives both the proposal's and the decision's


class RevokeForm(BaseForm):
    """Immediate revocation, without notice: only on a ground the certificate's edition marks
    immediate (the page sets `ground.choices` to those)."""

    ground = SelectField(
        _l("Ground for immediate revocation"),
        description=_l("The public verification page shows this ground."),
        validators=[InputRequired(message=_l("Choose the ground for the revocation."))],
        validate_choice=False,  # the operation checks the ground against the edition, with its message
    )
    reason = TextAreaField(
        _l("Reason for the revocation"),
        description=_l("Kept in the audit trail and told to the outlet; not shown publicly."),
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
    """Decline the proposal, or accept it by serving notice of the intended revocation: then the
    ground, the evidence and the deadline of the notice are asked too (the page sets the choices)."""

    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(ProposalOutcome.REVOKED.value, _l("Accept: serve notice of intended revocation")),
            SelectChoice(ProposalOutcome.DECLINED.value, _l("Decline the proposal")),
        ],
        validators=[
            InputRequired(message=_l("Choose whether to revoke the certificate or decline the proposal."))
        ],
    )
    decision_reason = TextAreaField(
        _l("Reasons for the decision"),
        description=_l(
            "The proposing bureau is told them. On acceptance the notice states the proposal's reasons "
            "followed by these as its facts and grounds."
        ),
        validators=[
            DataRequired(message=_l("Give the reasons for your decision.")),
            Length(max=REASON_MAX),
        ],
    )
    ground = SelectField(_l("Ground for revocation"), validators=[Optional()], validate_choice=False)
    evidence = TextAreaField(
        _l("Evidence relied on"),
        description=_l("Needed on acceptance: the notice lists it."),
        validators=[Length(max=REASON_MAX)],
    )
    response_due = DateField(
        _l("The outlet may state its case until"),
        description=_l("Leave empty for the shortest time the rules allow."),
        validators=[Optional()],
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
