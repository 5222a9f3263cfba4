from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from outlet_audit.accounts.password_policy import MIN_PASSWORD_LENGTH, password_problem
from outlet_audit.core.forms import BaseForm
from outlet_audit.core.i18n import translate_message
from outlet_audit.outlets.rules import USERNAME_RE, normalise_permit_number
from outlet_audit.roles import Role

# RFC 2606 and RFC 6761 names that no real mailbox has.
TEST_DOMAINS = ("example", "example.com", "example.net", "example.org", "test", "invalid", "localhost")

PASSWORD_HINT = _l(
    "At least %(n)d characters. A passphrase of a few unrelated words works well; "
    "avoid your name, your username and common passwords.",
    n=MIN_PASSWORD_LENGTH,
)


def account_names(form) -> tuple[str | None, ...]:
    """The names a new password must not contain: the form's own fields, or the account being
    changed (`form.account_names`, set by the view)."""
    if hasattr(form, "username"):
        return (form.username.data, form.display_name.data)
    return tuple(getattr(form, "account_names", ()))


def policy_password(form, field):
    """The password policy as a field validator: the same rule the operations enforce, shown
    beside the field together with the form's other errors."""
    problem = password_problem(field.data or "", account_names(form))
    if problem is not None:
        raise ValidationError(translate_message(problem))


def valid_email(_form, field):
    """A deliverable-looking address (email-validator, no DNS lookup). The reserved test domains
    (example.com, *.test) only where EMAIL_ALLOW_TEST_DOMAINS is on: development and tests."""
    allow_test_domains = current_app.config["EMAIL_ALLOW_TEST_DOMAINS"]
    try:
        result = validate_email(field.data, check_deliverability=False, test_environment=allow_test_domains)
    except EmailNotValidError:
        raise ValidationError(_l("Enter an e-mail address such as name@company.cn.")) from None
    domain = result.ascii_domain.lower()
    if not allow_test_domains and any(domain == d or domain.endswith("." + d) for d in TEST_DOMAINS):
        raise ValidationError(_l("This is a reserved test address. Enter a real e-mail address."))
    field.data = result.normalized


username_validators = [
    DataRequired(),
    Regexp(USERNAME_RE, message=_l("3–64 letters, digits, dots, hyphens or underscores.")),
]


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class NewPasswordForm(BaseForm):
    """A new password typed twice (reset link, invitation): `account_names` is set by the view."""

    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), policy_password],
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Set the password"))


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    submit = SubmitField(_l("Change password"))


class AccountFieldsMixin:
    username = StringField(_l("Username"), validators=username_validators)
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254), valid_email])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), policy_password],
        description=PASSWORD_HINT,
    )


STAFF_ROLES = (Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.ADMIN)
ROLE_LABELS = {
    Role.OUTLET: _l("Outlet staff"),
    Role.INSPECTOR: _l("Inspector"),
    Role.DISTRICT_BUREAU: _l("District bureau"),
    Role.CITY_BUREAU: _l("City bureau"),
    Role.ADMIN: _l("Administrator"),
}


class StaffAccountForm(AccountFieldsMixin, BaseForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES])
    district_id = SelectField(_l("District"), coerce=int, validators=[Optional()])
    kind = SelectField(
        _l("Organisation"),
        choices=[
            SelectChoice("postal", _l("Postal administration")),
            SelectChoice("ecology", _l("Ecology and environment bureau")),
        ],
        default="postal",
        description=_l("Of the district chosen above, or of the city for the city bureau."),
    )
    approver = BooleanField(
        _l("Signs approval steps (approver)"),
        description=_l("Opinions, co-signatures, decisions and confirmations for the organisation."),
    )
    submit = SubmitField(_l("Create account"))

    def validate_approver(self, field):
        if field.data and self.role.data not in (Role.DISTRICT_BUREAU, Role.CITY_BUREAU):
            raise ValidationError(_l("Only bureau staff sign approval steps."))

    def validate_district_id(self, field):
        needs_district = self.role.data in (Role.INSPECTOR, Role.DISTRICT_BUREAU)
        if needs_district and not field.data:
            raise ValidationError(_l("Inspectors and district bureaus belong to a district."))


class ForgotPasswordForm(BaseForm):
    login = StringField(
        _l("Username or e-mail address"),
        validators=[DataRequired(), Length(max=254)],
        description=_l("The link goes to the e-mail address kept with the account."),
    )
    submit = SubmitField(_l("Send me a link"))


class RefuseRegistrationForm(BaseForm):
    reason = TextAreaField(
        _l("Why the registration is not accepted"),
        description=_l("The applicant reads this, corrects the details and sends the registration again."),
    )


class InvitationCodeForm(BaseForm):
    code = StringField(
        _l("Invitation code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("16 letters and digits, as on the letter or in the e-mail, e.g. ABCD-EFGH-JKMN-PQRS."),
    )
    submit = SubmitField(_l("Continue"))


class InvitedAccountForm(AccountFieldsMixin, BaseForm):
    submit = SubmitField(_l("Create my account"))


class InviteForm(BaseForm):
    email = EmailField(
        _l("E-mail address (optional)"),
        validators=[Optional(), Length(max=254), valid_email],
        description=_l(
            "With an address the invitation is mailed; without one, a letter with the code is printed."
        ),
    )
    submit = SubmitField(_l("Invite"))


class InviteOutletManagerForm(InviteForm):
    permit_number = StringField(
        _l("The outlet's permit or filing number"),
        filters=[normalise_permit_number],
        validators=[DataRequired(), Length(max=40)],
    )


class HandoverForm(BaseForm):
    to_user = SelectField(_l("Hand over to"), coerce=int)
    close_account = BooleanField(_l("Close my account once the bureau approves"))
    submit = SubmitField(_l("Ask the district bureau to approve"))


class SecondFactorForm(BaseForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 6 digits your authenticator app shows now, or one of your recovery codes."),
    )
    submit = SubmitField(_l("Confirm"))


class HandoverDecisionForm(BaseForm):
    reason = TextAreaField(_l("Why the handover is not approved"))
