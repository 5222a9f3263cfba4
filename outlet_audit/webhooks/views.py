"""The webhook management pages: an organisation's endpoints, their deliveries, and the buttons.

Staff of an organisation read its endpoints; its approvers and the system administrator change
them. Another organisation's endpoint answers 404, as one that does not exist.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from outlet_audit.access import RecordFacts, Scope, allow, record_loader
from outlet_audit.accounts.organisations import Organisation, all_organisations
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.webhooks.addresses import AddressRefused
from outlet_audit.webhooks.endpoints import (
    create_endpoint,
    delete_endpoint,
    deliveries_of,
    endpoints_of,
    may_manage,
    may_read,
    rotate_secret,
    update_endpoint,
)
from outlet_audit.webhooks.events import DELIVERY_STATUS_LABELS, EVENT_LABELS, DeliveryStatus
from outlet_audit.webhooks.forms import ButtonForm, EndpointForm, NewEndpointForm
from outlet_audit.webhooks.models import WebhookDelivery, WebhookEndpoint
from outlet_audit.webhooks.publishing import send_again, send_test_event
from outlet_audit.webhooks.signature import DEFAULT_TOLERANCE_SECONDS

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
STAFF = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL, Role.ADMIN: Scope.ALL}
nav_entry("webhooks.index", _l("Webhooks"), set(STAFF), order=90)


def _organisation_facts(organisation_id: int | None) -> RecordFacts | None:
    if organisation_id is None:
        return None
    district_id = db.session.scalar(
        select(Organisation.district_id).where(Organisation.id == organisation_id)
    )
    return RecordFacts(district_id=district_id)


@record_loader("webhook_endpoint_id")
def endpoint_facts(webhook_endpoint_id: int) -> RecordFacts | None:
    return _organisation_facts(
        db.session.scalar(
            select(WebhookEndpoint.organisation_id).where(WebhookEndpoint.id == webhook_endpoint_id)
        )
    )


@record_loader("webhook_delivery_id")
def delivery_facts(webhook_delivery_id: int) -> RecordFacts | None:
    return _organisation_facts(
        db.session.scalar(
            select(WebhookEndpoint.organisation_id)
            .join(WebhookDelivery, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
            .where(WebhookDelivery.id == webhook_delivery_id)
        )
    )


def _endpoint(webhook_endpoint_id: int, *, manage: bool = False) -> WebhookEndpoint:
    """The endpoint, 404 when it is another organisation's; 403 for a change by a reader."""
    endpoint = db.session.get(WebhookEndpoint, webhook_endpoint_id)
    if endpoint is None or not may_read(current_user, endpoint.organisation_id):
        abort(404)
    if manage and not may_manage(current_user, endpoint.organisation_id):
        abort(403)
    return endpoint


def _page(template: str, status_code: int = 200, **context):
    return (
        render_template(
            template,
            event_labels=EVENT_LABELS,
            status_labels=DELIVERY_STATUS_LABELS,
            tolerance=DEFAULT_TOLERANCE_SECONDS,
            **context,
        ),
        status_code,
    )


@bp.get("")
@allow(STAFF, joint=True)
def index():
    if current_user.role == Role.ADMIN:
        organisations = all_organisations()
    elif current_user.organisation is not None:
        organisations = [current_user.organisation]
    else:
        abort(403)
    return _page(
        "webhooks/index.html",
        organisations=organisations,
        endpoints=endpoints_of(o.id for o in organisations),
        can_add=any(may_manage(current_user, o.id) for o in organisations),
        language=current_language(),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(STAFF, joint=True)
def new():
    form = NewEndpointForm()
    if current_user.role == Role.ADMIN:
        form.organisation_id.choices = [
            SelectChoice(o.id, o.name(current_language())) for o in all_organisations()
        ]
    else:
        if current_user.organisation_id is None or not may_manage(current_user, current_user.organisation_id):
            abort(403)
        del form.organisation_id
    if form.validate_on_submit():
        organisation_id = (
            form.organisation_id.data if "organisation_id" in form else current_user.organisation_id
        )
        with attempt(flash_refusal=False) as outcome:
            endpoint, secret = create_endpoint(organisation_id, form.settings(), current_user)
        if outcome.done:
            return _page("webhooks/secret.html", endpoint=endpoint, secret=secret, created=True)
        _refusal_on_form(form, outcome)
    return _page("webhooks/new.html", 422 if form.errors else 200, form=form)


def _refusal_on_form(form, outcome) -> None:
    """Put an operation's refusal on the field it names (the address, the events), else on the form."""
    refusal = outcome.refusal
    name = "url" if isinstance(refusal, AddressRefused) else getattr(refusal, "field", None)
    if name in form:
        form[name].errors = [*form[name].errors, outcome.message]
    else:
        form.form_errors.append(outcome.message)


@bp.route("/<int:webhook_endpoint_id>", methods=["GET", "POST"])
@allow(STAFF, joint=True)
def detail(webhook_endpoint_id: int):
    endpoint = _endpoint(webhook_endpoint_id, manage=request.method == "POST")
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            update_endpoint(endpoint, form.settings(), current_user)
        if outcome.done:
            flash(_("The endpoint is saved."), "success")
            return redirect(url_for("webhooks.detail", webhook_endpoint_id=endpoint.id))
        _refusal_on_form(form, outcome)
        endpoint = _endpoint(webhook_endpoint_id)
    return _page(
        "webhooks/detail.html",
        422 if form.errors else 200,
        endpoint=endpoint,
        form=form,
        button=ButtonForm(),
        deliveries=deliveries_of(endpoint.id),
        can_manage=may_manage(current_user, endpoint.organisation_id),
        failed=DeliveryStatus.FAILED,
    )


_UNDONE = object()


def _pressed(act):
    """A button's POST: its CSRF token checked, `act()` run in one unit of work; what it returned,
    or _UNDONE when the token was wrong or the act refused (the refusal is flashed)."""
    if not ButtonForm().validate_on_submit():
        return _UNDONE
    with attempt() as outcome:
        result = act()
    return result if outcome.done else _UNDONE


def _back_to(endpoint_id: int):
    return redirect(url_for("webhooks.detail", webhook_endpoint_id=endpoint_id))


@bp.post("/<int:webhook_endpoint_id>/delete")
@allow(STAFF, joint=True)
def delete(webhook_endpoint_id: int):
    endpoint = _endpoint(webhook_endpoint_id, manage=True)
    if _pressed(lambda: delete_endpoint(endpoint, current_user)) is _UNDONE:
        return _back_to(webhook_endpoint_id)
    flash(_("The endpoint is deleted."), "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/<int:webhook_endpoint_id>/rotate")
@allow(STAFF, joint=True)
def rotate(webhook_endpoint_id: int):
    endpoint = _endpoint(webhook_endpoint_id, manage=True)
    secret = _pressed(lambda: rotate_secret(endpoint, current_user))
    if secret is _UNDONE:
        return _back_to(webhook_endpoint_id)
    return _page("webhooks/secret.html", endpoint=endpoint, secret=secret, created=False)


@bp.post("/<int:webhook_endpoint_id>/test")
@allow(STAFF, joint=True)
def test_event(webhook_endpoint_id: int):
    endpoint = _endpoint(webhook_endpoint_id, manage=True)
    if _pressed(lambda: send_test_event(endpoint)) is not _UNDONE:
        flash(_("A test event is on its way; its delivery appears below."), "success")
    return _back_to(webhook_endpoint_id)


@bp.post("/<int:webhook_endpoint_id>/deliveries/<int:webhook_delivery_id>/again")
@allow(STAFF, joint=True)
def send_delivery_again(webhook_endpoint_id: int, webhook_delivery_id: int):
    endpoint = _endpoint(webhook_endpoint_id, manage=True)
    delivery = db.session.get(WebhookDelivery, webhook_delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        abort(404)
    if delivery.status != DeliveryStatus.FAILED:
        flash(_("Only a failed delivery is sent again."), "warning")
    elif _pressed(lambda: send_again(delivery)) is not _UNDONE:
        flash(_("The delivery is sent again."), "success")
    return _back_to(webhook_endpoint_id)
