"""Changing outlet records: verification, and profile changes that verified fields send to the bureau.

A verified outlet's name, brand, district, address, permit number and manager are what the
bureau checked against the permit register, and whether it has a packing bench decides which
checklist items apply; a change to them waits in `pending_changes` until
the district bureau accepts it. Other fields change at once. Every field is audited alone.
"""

from dataclasses import dataclass, field

from sqlalchemy import delete, func, null, select
from sqlalchemy.exc import IntegrityError

from outlet_audit.accounts.models import RegistrationRefusal
from outlet_audit.accounts.queries import district_bureau_users, outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.outlets.models import VERIFIED_FIELDS, Outlet
from outlet_audit.text import N_, Message, Refused

PROFILE_FIELDS = (*VERIFIED_FIELDS, "phone", "opening_hours")


class ProfileRefused(Refused):
    """The profile change cannot be made; `message` says why and `field` names the culprit."""


@dataclass
class ProfileUpdate:
    applied: list[str] = field(default_factory=list)  # fields changed at once
    requested: list[str] = field(default_factory=list)  # fields now waiting for the bureau
    withdrawn: list[str] = field(default_factory=list)  # earlier requests the outlet took back


def verify_outlet(outlet: Outlet, *, actor) -> None:
    if outlet.verified:
        return
    outlet.verified = True
    outlet.verified_at = utcnow()
    record(
        "outlet_verified",
        actor=actor,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
        field="verified",
        old=False,
        new=True,
    )
    # A refusal the bureau thinks better of ends here; the applicant is told either way.
    db.session.execute(delete(RegistrationRefusal).where(RegistrationRefusal.outlet_id == outlet.id))
    notify(
        outlet_accounts(outlet.id),
        "outlet_verified",
        N_("The district bureau verified %(outlet)s. You can now apply."),
        path_for("workflow.my_applications"),
        outlet=outlet.name,
    )


def pending_changes(outlet: Outlet) -> dict:
    return dict(outlet.pending_changes or {})


def _audit(action: str, outlet: Outlet, actor, field_name: str, old, new, reason: str | None = None) -> None:
    record(
        action,
        actor=actor,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
        field=field_name,
        old=old,
        new=new,
        reason=reason,
    )


def _permit_taken_elsewhere(outlet: Outlet, permit_number: str) -> bool:
    query = select(func.count()).where(Outlet.permit_number == permit_number, Outlet.id != outlet.id)
    return db.session.scalar(query) > 0


def update_profile(outlet: Outlet, values: dict, *, actor) -> ProfileUpdate:
    """Apply the outlet's edits: verified fields of a verified outlet wait for the bureau."""
    if values.get("permit_number") not in (None, outlet.permit_number) and _permit_taken_elsewhere(
        outlet, values["permit_number"]
    ):
        raise ProfileRefused(
            Message(N_("Another outlet is registered with this permit or filing number.")), "permit_number"
        )
    pending = pending_changes(outlet)
    update = ProfileUpdate()
    for name in PROFILE_FIELDS:
        if name not in values:
            continue
        new, current = values[name], getattr(outlet, name)
        if name in VERIFIED_FIELDS and outlet.verified:
            if new == current and name in pending:
                _audit("profile_change_withdrawn", outlet, actor, name, pending.pop(name), current)
                update.withdrawn.append(name)
            elif new != current and pending.get(name) != new:
                pending[name] = new
                _audit("profile_change_requested", outlet, actor, name, current, new)
                update.requested.append(name)
        elif new != current:
            setattr(outlet, name, new)
            _audit("profile_updated", outlet, actor, name, current, new)
            update.applied.append(name)
    outlet.pending_changes = pending or null()  # SQL NULL, not JSON null: the queue looks for IS NOT NULL
    db.session.flush()
    if update.requested:
        notify(
            district_bureau_users(outlet.district_id),  # its postal bureau, which verifies outlets
            "profile_change",
            N_("%(outlet)s asks to change its registered details."),
            path_for("outlets.verification_queue"),
            outlet=outlet.name,
        )
    return update


def accept_profile_changes(outlet: Outlet, *, actor) -> list[str]:
    """Apply every waiting change, audited field by field; ProfileRefused if the permit is taken."""
    pending = pending_changes(outlet)
    if not pending:
        return []
    if "permit_number" in pending and _permit_taken_elsewhere(outlet, pending["permit_number"]):
        raise ProfileRefused(Message(N_("Another outlet is registered with this permit or filing number.")))
    for name, new in pending.items():
        _audit("profile_change_accepted", outlet, actor, name, getattr(outlet, name), new)
        setattr(outlet, name, new)
    outlet.pending_changes = null()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ProfileRefused(
            Message(N_("Another outlet is registered with this permit or filing number."))
        ) from None
    notify(
        outlet_accounts(outlet.id),
        "profile_change_accepted",
        N_("The district bureau accepted the changes to your outlet's details."),
        path_for("outlets.profile"),
    )
    return sorted(pending)


def reject_profile_changes(outlet: Outlet, *, actor, reason: str) -> list[str]:
    """Drop every waiting change, with the reason recorded for each field."""
    reason = reason.strip()
    if not reason:
        raise ProfileRefused(Message(N_("Give the reason, so the outlet knows what to correct.")), "reason")
    pending = pending_changes(outlet)
    for name, new in pending.items():
        _audit("profile_change_rejected", outlet, actor, name, getattr(outlet, name), new, reason)
    outlet.pending_changes = null()
    db.session.flush()
    notify(
        outlet_accounts(outlet.id),
        "profile_change_rejected",
        N_("The district bureau did not accept the changes to your outlet's details: %(reason)s"),
        path_for("outlets.profile"),
        reason=reason,
    )
    return sorted(pending)
