from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from outlet_audit.outlets.rules import USERNAME_RE
from outlet_audit.roles import Role

MIN_PASSWORD_LENGTH = 10


def strong_password(_form, field):
    value = field.data or ""
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if not (any(c.isalpha() for c in value) and any(c.isdigit() for c in value)):
        raise ValidationError(_l("Use both letters and digits."))


username_validators = [
    DataRequired(),
    Regexp(USERNAME_RE, message=_l("3–64 letters, digits, dots, hyphens or underscores.")),
]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), strong_password])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class AccountFieldsMixin:
    username = StringField(_l("Username"), validators=username_validators)
    display_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), strong_password])


STAFF_ROLES = (Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.ADMIN)
ROLE_LABELS = {
    Role.OUTLET: _l("Outlet staff"),
    Role.INSPECTOR: _l("Inspector"),
    Role.DISTRICT_BUREAU: _l("District bureau"),
    Role.CITY_BUREAU: _l("City bureau"),
    Role.ADMIN: _l("Administrator"),
}


class StaffAccountForm(AccountFieldsMixin, FlaskForm):
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in STAFF_ROLES])
    district_id = SelectField(_l("District"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Create account"))

    def validate_district_id(self, field):
        needs_district = self.role.data in (Role.INSPECTOR, Role.DISTRICT_BUREAU)
        if needs_district and not field.data:
            raise ValidationError(_l("Inspectors and district bureaus belong to a district."))
