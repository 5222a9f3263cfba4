"""Outlet records: the bureau verifies registrations and profile changes; the outlet keeps its profile."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import RecordFacts, Scope, allow, current_scope, record_loader
from outlet_audit.accounts.registrations import refused_outlet_ids
from outlet_audit.audit.display import OUTLET_FIELD_LABELS
from outlet_audit.audit.queries import outlet_timeline
from outlet_audit.certificates.queries import outlet_certificates
from outlet_audit.core.i18n import current_language, readable_datetime
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.outlets.forms import PROFILE_FORM_FIELDS, OutletProfileForm, RejectChangesForm
from outlet_audit.outlets.models import VERIFIED_FIELDS, Outlet
from outlet_audit.outlets.operations import (
    accept_profile_changes,
    pending_changes,
    reject_profile_changes,
    update_profile,
    verify_outlet,
)
from outlet_audit.outlets.reference import district_name
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import STATUS_LABELS

bp = Blueprint("outlets", __name__, url_prefix="/outlets")
nav_entry(
    "outlets.verification_queue", _l("Outlets to verify"), {Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=60
)
nav_entry("outlets.profile", _l("Outlet profile"), {Role.OUTLET}, order=80)
BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
PENDING_SHOWN = 100


@bp.app_template_global()
def packing_bench_text(value: bool | None) -> str:
    """Yes, no or not stated: whether an outlet has a packing bench, as pages and change tables say it."""
    if value is None:
        return _("Not stated")
    return _("Yes") if value else _("No")


@record_loader("outlet_id")
def outlet_facts(outlet_id: int) -> RecordFacts | None:
    outlet = db.session.get(Outlet, outlet_id)
    return RecordFacts(district_id=outlet.district_id, outlet_id=outlet.id) if outlet else None


def outlets_in_scope(query):
    """Narrow an outlet query to what the current user's scope reaches."""
    if current_scope() is Scope.ALL:
        return query
    return query.where(Outlet.district_id == current_user.district_id)


def change_rows(outlet: Outlet) -> list[tuple[str, str, str]]:
    """The outlet's waiting changes as (field label, current value, requested value), districts by name."""
    lang = current_language()
    rows = []
    for name, new in pending_changes(outlet).items():
        old = getattr(outlet, name)
        if name == "district_id":
            old, new = (district_name(value, lang) or str(value) for value in (old, new))
        elif name == "has_packing_bench":
            old, new = (packing_bench_text(value) for value in (old, new))
        rows.append((str(OUTLET_FIELD_LABELS.get(name, name)), old or "—", new or "—"))
    return rows


@bp.get("/verification")
@allow(BUREAUS)
def verification_queue():
    # A refused registration waits for the applicant, not for the bureau.
    waiting = Outlet.verified.is_(False) & Outlet.id.not_in(refused_outlet_ids())
    query = outlets_in_scope(select(Outlet).where(waiting).order_by(Outlet.created_at))
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    changed = db.session.scalars(
        outlets_in_scope(select(Outlet).where(Outlet.pending_changes.is_not(None)))
        .order_by(Outlet.updated_at)
        .limit(PENDING_SHOWN)
    ).all()
    lang = current_language()
    return render_template(
        "outlets/verification_queue.html",
        page=page,
        # What each registration row shows, worked out once for both layouts (phone list, table).
        registrations=[
            {
                "outlet": outlet,
                "district": district_name(outlet.district_id, lang),
                "registered": readable_datetime(outlet.created_at),
                "verify_url": url_for("outlets.verify", outlet_id=outlet.id),
            }
            for outlet in page.items
        ],
        changed=[(outlet, change_rows(outlet)) for outlet in changed if pending_changes(outlet)],
        reject_form=RejectChangesForm(formdata=None),
    )


@bp.post("/<int:outlet_id>/verify")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def verify(outlet_id: int):
    outlet = db.get_or_404(Outlet, outlet_id)
    with attempt() as outcome:
        verify_outlet(outlet, actor=current_user)
    if outcome.done:
        flash(_("%(name)s is verified; its staff can now sign in.", name=outlet.name), "success")
    return redirect(url_for("outlets.verification_queue"))


@bp.post("/<int:outlet_id>/changes/accept")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def accept_changes(outlet_id: int):
    outlet = db.get_or_404(Outlet, outlet_id)
    with attempt() as outcome:
        accepted = accept_profile_changes(outlet, actor=current_user)
    if outcome.done and accepted:
        flash(_("The changes to %(name)s are accepted.", name=outlet.name), "success")
    return redirect(url_for("outlets.verification_queue"))


@bp.post("/<int:outlet_id>/changes/reject")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def reject_changes(outlet_id: int):
    outlet = db.get_or_404(Outlet, outlet_id)
    form = RejectChangesForm()
    if form.validate():
        with attempt() as outcome:
            reject_profile_changes(outlet, actor=current_user, reason=form.reason.data or "")
        if outcome.done:
            flash(
                _("The changes to %(name)s are not accepted; the outlet is told why.", name=outlet.name),
                "info",
            )
    else:
        flash(_("Please correct the fields marked below."), "danger")
    return redirect(url_for("outlets.verification_queue"))


@bp.get("/<int:outlet_id>")
@allow(BUREAUS, joint=True)
def detail(outlet_id: int):
    outlet = db.get_or_404(Outlet, outlet_id)
    applications = db.session.scalars(
        select(Application).where(Application.outlet_id == outlet.id).order_by(Application.created_at.desc())
    ).all()
    return render_template(
        "outlets/detail.html",
        outlet=outlet,
        changes=change_rows(outlet),
        applications=applications,
        certificates=outlet_certificates(outlet.id, today_in_shanghai()),
        status_labels=STATUS_LABELS,
        timeline=outlet_timeline(outlet.id, viewer=current_user),
    )


@bp.route("/profile", methods=["GET", "POST"])
@allow({Role.OUTLET: Scope.OWN_OUTLET})
def profile():
    outlet = current_user.outlet
    waiting = pending_changes(outlet)
    # The form shows what the outlet last asked for, so saving again keeps the request.
    shown = {
        name: waiting.get(column, getattr(outlet, column)) for name, column in PROFILE_FORM_FIELDS.items()
    }
    form = OutletProfileForm(data=shown, brand=outlet.brand)
    status_code = 200
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            update = update_profile(outlet, form.values(), actor=current_user)
        if outcome.done:
            if update.requested:
                flash(
                    _("Saved. Changes to verified details wait for the district bureau to check them."),
                    "info",
                )
            elif update.applied or update.withdrawn:
                flash(_("Your outlet's details are saved."), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("outlets.profile"))
        # The form comes back with what was typed, the reason beside the field it is about.
        culprit = outcome.refusal.field if outcome.refusal else None
        target = {v: k for k, v in PROFILE_FORM_FIELDS.items()}.get(culprit)
        (getattr(form, target).errors if target else form.form_errors).append(outcome.message)
        status_code = 422
    elif form.errors:
        status_code = 422
    return render_template(
        "outlets/profile.html",
        outlet=outlet,
        form=form,
        changes=change_rows(outlet),
        verified_fields={name for name, column in PROFILE_FORM_FIELDS.items() if column in VERIFIED_FIELDS},
        timeline=outlet_timeline(outlet.id, viewer=current_user),
    ), status_code
