"""The forms of a revocation case: the issuer's notice, the outlet's statement, the issuer's decision."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import DateField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from outlet_audit.core.forms import BaseForm
from outlet_audit.supervision.kinds import RevocationStatus

TEXT_MAX = 4000


class NoticeForm(BaseForm):
    """The notice (告知): the ground, what it rests on, the facts and evidence, and the deadline.
    The page sets the choices (the edition's grounds with notice; the outlet's checks and complaints)."""

    ground = SelectField(
        _l("Ground for revocation"),
        validators=[InputRequired(message=_l("Choose the ground for the revocation."))],
        validate_choice=False,  # the operation checks it against the certificate's edition
    )
    source = SelectField(
        _l("Found by"),
        description=_l(
            "A check concluded as proposed for revocation, a substantiated complaint, or neither "
            "(false materials)."
        ),
        default="",
        validate_choice=False,
    )
    grounds = TextAreaField(
        _l("Facts and grounds"),
        description=_l("What was found, when, and which rule it breaks. The notice states it as written."),
        validators=[
            DataRequired(message=_l("State the facts and grounds for the intended revocation.")),
            Length(max=TEXT_MAX),
        ],
    )
    evidence = TextAreaField(
        _l("Evidence relied on"),
        description=_l("The records, photos and documents, each named so the outlet can find it."),
        validators=[
            DataRequired(message=_l("List the evidence the intended revocation relies on.")),
            Length(max=TEXT_MAX),
        ],
    )
    response_due = DateField(
        _l("The outlet may state its case until"),
        validators=[InputRequired(message=_l("Give the deadline for the outlet's statement."))],
    )
    submit = SubmitField(_l("Serve the notice"))


class StatementForm(BaseForm):
    statement = TextAreaField(
        _l("Your statement"),
        description=_l("Why the certificate should not be revoked: facts, what was rectified, and when."),
        validators=[DataRequired(message=_l("Write the outlet's statement.")), Length(max=TEXT_MAX)],
    )
    documents = MultipleFileField(
        _l("Documents"),
        description=_l("Photos or PDF documents that support the statement (at most 5)."),
    )
    submit = SubmitField(_l("Send the statement"))


class DecisionForm(BaseForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice(RevocationStatus.REVOKED.value, _l("Revoke the certificate")),
            SelectChoice(RevocationStatus.NOT_REVOKED.value, _l("Do not revoke")),
        ],
        validators=[InputRequired(message=_l("Choose whether to revoke the certificate."))],
    )
    reasons = TextAreaField(
        _l("Reasons for the decision"),
        description=_l("The decision letter states them, answering the outlet's statement if it gave one."),
        validators=[DataRequired(message=_l("Give the reasons for your decision.")), Length(max=TEXT_MAX)],
    )
    submit = SubmitField(_l("Record the decision"))
