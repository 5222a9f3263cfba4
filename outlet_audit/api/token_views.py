"""The API token page: an organisation's tokens, made and revoked by its approvers or an administrator.

Every bureau member sees their organisation's tokens (name, scopes, who made it, last use); making
and revoking is for those who may hand out the organisation's data (`tokens.can_manage_tokens`).
A new token is shown once, on the answer to the form that made it, and never again.
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from outlet_audit.access import RecordFacts, Scope, allow, record_loader
from outlet_audit.accounts.organisations import Organisation, all_organisations
from outlet_audit.api.blueprint import bp
from outlet_audit.api.forms import NewTokenForm, RevokeTokenForm
from outlet_audit.api.models import ApiToken
from outlet_audit.api.scopes import SCOPE_LABELS
from outlet_audit.api.tokens import can_manage_tokens, issue_token, revoke_token, start_of_shanghai_day
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Role

# Bureau staff of any agency (ecology bureaus' too: joint) within their organisation; the
# administrator for every organisation. Which organisation is checked in the view (404 beyond).
TOKEN_PAGE = {Role.ADMIN: Scope.ALL, Role.CITY_BUREAU: Scope.ALL, Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT}
nav_entry(
    "api.tokens",
    _l("API tokens"),
    {Role.ADMIN, Role.CITY_BUREAU, Role.DISTRICT_BUREAU},
    order=95,
)


@record_loader("token_id")
def _token_facts(token_id: int) -> RecordFacts | None:
    token = db.session.get(ApiToken, token_id)
    return RecordFacts(district_id=token.organisation.district_id) if token else None


def _visible_organisations() -> list[Organisation]:
    if current_user.role == Role.ADMIN:
        return all_organisations()
    return [current_user.organisation] if current_user.organisation else []


def _new_token_form(organisations) -> NewTokenForm | None:
    manageable = [o for o in organisations if can_manage_tokens(current_user, o)]
    if not manageable:
        return None
    form = NewTokenForm()
    language = current_language()
    form.organisation.choices = [SelectChoice(o.id, o.name(language)) for o in manageable]
    return form


def _page(form: NewTokenForm | None, status: int = 200, issued=None):
    organisations = _visible_organisations()
    tokens = db.session.scalars(
        select(ApiToken)
        .options(selectinload(ApiToken.created_by), selectinload(ApiToken.revoked_by))
        .where(ApiToken.organisation_id.in_([o.id for o in organisations]))
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    ).all()
    return (
        render_template(
            "api/tokens.html",
            form=form,
            issued=issued,
            tokens=tokens,
            revoke_form=RevokeTokenForm(formdata=None),
            may_manage={o.id: can_manage_tokens(current_user, o) for o in organisations},
            scope_labels=SCOPE_LABELS,
            language=current_language(),
            now=utcnow(),
        ),
        status,
    )


@bp.get("/api-tokens")
@allow(TOKEN_PAGE, joint=True)
def tokens():
    return _page(_new_token_form(_visible_organisations()))


@bp.post("/api-tokens")
@allow(TOKEN_PAGE, joint=True)
def create_token():
    form = _new_token_form(_visible_organisations())
    if form is None:
        abort(403)
    if not form.validate_on_submit():
        return _page(form, 422)
    organisation = db.session.get(Organisation, form.organisation.data)
    expires_at = start_of_shanghai_day(form.expires_on.data) if form.expires_on.data else None
    with attempt(flash_refusal=False) as outcome:
        issued = issue_token(
            organisation,
            name=form.name.data,
            scopes=form.scopes.data,
            expires_at=expires_at,
            actor=current_user,
        )
    if not outcome.done:
        form.form_errors.append(outcome.message)
        return _page(form, 422)
    # Shown on this answer only: the page is not stored (no-store) and the secret is not kept.
    return _page(_new_token_form(_visible_organisations()), issued=issued)


@bp.post("/api-tokens/<int:token_id>/revoke")
@allow(TOKEN_PAGE, joint=True)
def revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.organisation_id not in {o.id for o in _visible_organisations()}:
        abort(404)  # another organisation's token, in the same district or the city's view
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    with attempt() as outcome:
        revoke_token(token, actor=current_user)
    if outcome.done:
        flash(_("The token “%(name)s” is revoked: it opens nothing from now on.", name=token.name), "success")
    return redirect(url_for("api.tokens"))
