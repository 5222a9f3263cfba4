"""The people of an outlet: one or more accounts, one of them its manager.

The manager invites staff (accounts/invitations.py) and removes them (their account is disabled:
its history stays theirs). A manager who leaves hands over to another active account of the
outlet; the district bureau approves or refuses the handover, and the leaving manager's account
may close with it. Every act is in the audit trail with the person who did it.
"""

from sqlalchemy import select

from outlet_audit.accounts.models import ManagerHandover, User
from outlet_audit.accounts.operations import AccountError
from outlet_audit.accounts.queries import district_bureau_users
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message

NOT_THE_MANAGER = N_("Only the outlet's manager can do this.")


def _check_manager(actor) -> None:
    if actor.role != Role.OUTLET or not actor.outlet_manager or not actor.active:
        raise AccountError(Message(NOT_THE_MANAGER))


def _audit(action: str, subject: User, actor, *, outlet_id: int, new=None, reason=None) -> None:
    record(
        action,
        actor=actor,
        subject_type="user",
        subject_id=subject.id,
        outlet_id=outlet_id,
        new=new,
        reason=reason,
    )


def remove_staff(user: User, *, actor) -> None:
    """The manager takes a member of staff off the outlet: the account is disabled, never deleted."""
    _check_manager(actor)
    if user.outlet_id != actor.outlet_id:
        raise AccountError(Message(NOT_THE_MANAGER))
    if user.id == actor.id or user.outlet_manager:
        raise AccountError(
            Message(N_("The manager leaves by handing over to another account, not by removal."))
        )
    if not user.active:
        raise AccountError(Message(N_("This account is removed already.")))
    user.active = False
    user.rotate_session_token()  # signed out at once
    _audit("outlet_staff_removed", user, actor, outlet_id=user.outlet_id, new=user.username)
    db.session.flush()


def open_handover(outlet_id: int) -> ManagerHandover | None:
    return db.session.scalar(
        select(ManagerHandover).where(
            ManagerHandover.outlet_id == outlet_id, ManagerHandover.outcome.is_(None)
        )
    )


def request_handover(to_user: User, *, actor, close_account: bool) -> ManagerHandover:
    """The manager asks to hand over to `to_user`; the district bureau is asked to approve."""
    _check_manager(actor)
    if to_user.outlet_id != actor.outlet_id or to_user.id == actor.id or not to_user.active:
        raise AccountError(Message(N_("Choose another active account of your outlet.")), "to_user")
    if open_handover(actor.outlet_id) is not None:
        raise AccountError(Message(N_("A handover is waiting for the district bureau already.")))
    handover = ManagerHandover(
        outlet_id=actor.outlet_id, from_user_id=actor.id, to_user_id=to_user.id, close_account=close_account
    )
    db.session.add(handover)
    db.session.flush()
    _audit("manager_handover_requested", to_user, actor, outlet_id=actor.outlet_id, new=to_user.username)
    outlet = actor.outlet
    notify(
        district_bureau_users(outlet.district_id),
        "manager_handover",
        N_("The manager of %(outlet)s asks to hand over to %(name)s."),
        path_for("outlets.detail", outlet_id=outlet.id),
        outlet=outlet.name,
        name=to_user.display_name,
    )
    return handover


def withdraw_handover(handover: ManagerHandover, *, actor) -> None:
    _check_manager(actor)
    if handover.outcome is not None or handover.from_user_id != actor.id:
        raise AccountError(Message(N_("This handover is decided already.")))
    handover.outcome, handover.decided_at, handover.decided_by_id = "withdrawn", utcnow(), actor.id
    _audit("manager_handover_withdrawn", handover.to_user, actor, outlet_id=handover.outlet_id)
    db.session.flush()


def decide_handover(handover: ManagerHandover, *, actor, approve: bool, reason: str = "") -> None:
    """The district bureau approves (the other account becomes the manager) or refuses, with a reason."""
    reason = (reason or "").strip()
    if actor.role != Role.DISTRICT_BUREAU or actor.district_id != handover.from_user.outlet.district_id:
        raise AccountError(Message(N_("Only the outlet's district bureau decides a handover.")))
    if handover.outcome is not None:
        raise AccountError(Message(N_("This handover is decided already.")))
    if not approve and not reason:
        raise AccountError(Message(N_("Give the reason, so the outlet knows what to correct.")), "reason")
    leaving, arriving = handover.from_user, handover.to_user
    if approve and (not arriving.active or not leaving.outlet_manager):
        raise AccountError(
            Message(N_("The accounts changed since the request: the outlet has to ask again."))
        )
    handover.outcome = "approved" if approve else "refused"
    handover.decided_at, handover.decided_by_id, handover.reason = utcnow(), actor.id, reason or None
    if approve:
        leaving.outlet_manager, arriving.outlet_manager = False, True
        if handover.close_account:
            leaving.active = False
            leaving.rotate_session_token()
    _audit(
        "manager_handover_approved" if approve else "manager_handover_refused",
        arriving,
        actor,
        outlet_id=handover.outlet_id,
        new=arriving.username,
        reason=reason or None,
    )
    db.session.flush()
    notify(
        [leaving, arriving],
        "manager_handover",
        N_("The district bureau approved the handover: %(name)s is now the outlet's manager.")
        if approve
        else N_("The district bureau did not approve the handover to %(name)s: %(reason)s"),
        path_for("people.index"),
        name=arriving.display_name,
        reason=reason,
    )
