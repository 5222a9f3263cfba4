"""District bureaus verify the outlets that registered in their district."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import RecordFacts, Scope, allow, current_scope, record_loader
from outlet_audit.core.navigation import nav_entry
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.operations import verify_outlet
from outlet_audit.roles import Role

bp = Blueprint("outlets", __name__, url_prefix="/outlets")
nav_entry(
    "outlets.verification_queue", _l("Outlets to verify"), {Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=60
)
BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}


@record_loader("outlet_id")
def outlet_facts(outlet_id: int) -> RecordFacts | None:
    outlet = db.session.get(Outlet, outlet_id)
    return RecordFacts(district_id=outlet.district_id, outlet_id=outlet.id) if outlet else None


def outlets_in_scope(query):
    """Narrow an outlet query to what the current user's scope reaches."""
    if current_scope() is Scope.ALL:
        return query
    return query.where(Outlet.district_id == current_user.district_id)


@bp.get("/verification")
@allow(BUREAUS)
def verification_queue():
    query = outlets_in_scope(select(Outlet).where(Outlet.verified.is_(False)).order_by(Outlet.created_at))
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("outlets/verification_queue.html", page=page)


@bp.post("/<int:outlet_id>/verify")
@allow({Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT})
def verify(outlet_id: int):
    outlet = db.get_or_404(Outlet, outlet_id)
    verify_outlet(outlet, actor=current_user)
    db.session.commit()
    flash(_("%(name)s is verified; its staff can now sign in.", name=outlet.name), "success")
    return redirect(url_for("outlets.verification_queue"))
