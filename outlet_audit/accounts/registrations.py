"""Registrations both ways: the district bureau is told one arrived, verifies it (outlets.operations
`verify_outlet`) or refuses it with a reason the applicant sees; the applicant corrects the details
and sends it again.

An outlet account may sign in before its outlet is verified, but reaches only its registration
page, its outlet's details (to correct them), its notifications and its own account
(accounts/gate.py): that is where it reads the bureau's answer.
"""

from sqlalchemy import select

from outlet_audit.accounts.models import RegistrationRefusal
from outlet_audit.accounts.operations import AccountError, tell_bureau_of_registration
from outlet_audit.accounts.queries import outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.outlets.models import Outlet
from outlet_audit.text import N_, Message

REFUSAL_REASON_MAX = 2000


def refusal_of(outlet_id: int) -> RegistrationRefusal | None:
    return db.session.get(RegistrationRefusal, outlet_id)


def refused_outlet_ids():
    """A subquery of the outlets whose registration waits for the applicant, not the bureau."""
    return select(RegistrationRefusal.outlet_id)


def refuse_registration(outlet: Outlet, *, actor, reason: str) -> RegistrationRefusal:
    """Do not verify the outlet; the reason goes to the applicant, who may correct and send again."""
    reason = (reason or "").strip()
    if outlet.verified:
        raise AccountError(Message(N_("This outlet is verified already.")))
    if not reason:
        raise AccountError(Message(N_("Give the reason, so the outlet knows what to correct.")), "reason")
    if len(reason) > REFUSAL_REASON_MAX:
        raise AccountError(Message(N_("Use at most %(n)d characters."), {"n": REFUSAL_REASON_MAX}), "reason")
    refusal = refusal_of(outlet.id)
    if refusal is None:
        refusal = RegistrationRefusal(outlet_id=outlet.id)
        db.session.add(refusal)
    refusal.reason, refusal.refused_at, refusal.refused_by_id = reason, utcnow(), actor.id
    record(
        "registration_refused",
        actor=actor,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
        reason=reason,
    )
    db.session.flush()
    notify(
        outlet_accounts(outlet.id),
        "registration_refused",
        N_("The district bureau did not accept the registration of %(outlet)s: %(reason)s"),
        path_for("registrations.status"),
        outlet=outlet.name,
        reason=reason,
    )
    return refusal


def resubmit_registration(outlet: Outlet, *, actor) -> None:
    """Send a refused registration back to the district bureau, with the details as they are now."""
    refusal = refusal_of(outlet.id)
    if outlet.verified or refusal is None:
        raise AccountError(Message(N_("This registration is already with the district bureau.")))
    db.session.delete(refusal)
    record(
        "registration_resubmitted",
        actor=actor,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
    )
    db.session.flush()
    tell_bureau_of_registration(outlet, N_("%(outlet)s corrected its registration and sent it again."))
