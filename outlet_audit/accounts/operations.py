"""Account operations: they change the session's objects and flush; the view commits."""

import secrets
from functools import cache

from flask import current_app
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from outlet_audit.accounts.models import PASSWORD_METHOD, User
from outlet_audit.accounts.organisations import Organisation, organisation_for
from outlet_audit.accounts.password_policy import password_problem
from outlet_audit.accounts.queries import district_bureau_users
from outlet_audit.accounts.throttle import FORGET_AFTER, ThrottleRule
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import BUREAU_ROLES, ORGANISATION_ROLES, Agency, Role
from outlet_audit.text import N_, Message, Refused

# One answer to every failed sign-in: a wrong password, an unknown name, an account that must
# wait or a disabled account all read the same, with the same status
# and one password hash's time, so no answer tells a stranger anything about an account.
SIGN_IN_FAILED = N_(
    "Sign-in failed. Check the username and password. After several failed attempts, wait a few "
    "minutes before trying again. A disabled account can sign in once the administrator enables it."
)
# Registration does not say whether the permit number or the username is the one already known.
REGISTRATION_REFUSED = N_(
    "We could not register an outlet with these details. If your outlet is in the system already "
    "(entered by the district bureau, or registered by a colleague), ask the district bureau or the "
    "manager of your outlet for an invitation code."
)


@cache
def _timing_dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def spend_a_password_check(password: str) -> None:
    """Check `password` against a throwaway hash made the configured way: a refusal that needs no
    real check (unknown name, account waiting) costs as long as a wrong password."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_METHOD)
    check_password_hash(_timing_dummy_hash(method), password)


class AccountError(Refused):
    """A request about accounts that cannot be done, with the reason for the user."""


def username_taken(username: str) -> bool:
    return db.session.scalar(select(func.count()).where(func.lower(User.username) == username.lower())) > 0


def permit_number_taken(permit_number: str) -> bool:
    return db.session.scalar(select(func.count()).where(Outlet.permit_number == permit_number)) > 0


def set_checked_password(user: User, password: str, field: str = "password") -> None:
    """Set the password after the one policy has passed it (accounts/password_policy.py)."""
    problem = password_problem(password, (user.username, user.display_name))
    if problem is not None:
        raise AccountError(problem, field=field)
    user.set_password(password)


def user_named(username: str) -> User | None:
    """The account with this username, whatever its case and the spaces around it."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(username: str, password: str, known_user_ids=()) -> User:
    """Return the user, or raise AccountError(SIGN_IN_FAILED) whatever the reason.

    `known_user_ids`: accounts that signed in before in this browser; they skip the account's wait.
    """
    rule = ThrottleRule.from_config(current_app.config)
    user = user_named(username)
    if user is None or not _claim_attempt(user, rule, known_device=user.id in known_user_ids):
        spend_a_password_check(password)
        raise AccountError(Message(SIGN_IN_FAILED))
    if not user.check_password(password):
        record_sign_in_failure(user, "password")
        _record_if_throttled(user, rule)
        raise AccountError(Message(SIGN_IN_FAILED))
    # An outlet not yet verified signs in too, but reaches only its registration (accounts/gate.py).
    if not user.active:
        # The attempt stays counted: the account's wait holds back whoever keeps trying it, and
        # the trail says the password was right (someone holds a disabled account's password).
        record_sign_in_failure(user, "disabled")
        _record_if_throttled(user, rule)
        raise AccountError(Message(SIGN_IN_FAILED))
    if user.totp_enabled_at is None:
        complete_sign_in(user, "password")
    else:
        # With a second factor the attempt stays counted until its code is right too (two_factor.py);
        # a right password is written now, whether or not a code ever follows.
        record("second_factor_asked", actor=user, subject_type="user", subject_id=user.id, field="password")
    return user


def mark_signed_in(user: User) -> None:
    """What a finished sign-in changes on the account: its streak of failures ends, the time is kept."""
    clear_throttle(user)
    user.last_login_at = utcnow()


def complete_sign_in(user: User, how: str) -> None:
    """The account is signed in, and the audit trail says how (`how`: "password", or the first
    step and the second factor: "password+second_factor", "sso+second_factor"). A sign-in that
    single sign-on finishes alone is written by accounts/oidc.py as oidc_sign_in."""
    mark_signed_in(user)
    record("signed_in", actor=user, subject_type="user", subject_id=user.id, field=how)


def record_sign_in_failure(user: User, why: str) -> None:
    """A sign-in to a known account refused after its password, code or single sign-on was checked
    (`why`: "password", "disabled", "second_factor", "disabled_sso"). Attempts the account's wait
    holds back are not written: they check nothing, and the wait bounds how many rows a guesser
    can add."""
    record("sign_in_failed", actor=None, subject_type="user", subject_id=user.id, field=why)


def _record_if_throttled(user: User, rule: ThrottleRule) -> None:
    if user.failed_logins == rule.free_failures:
        record(
            "login_throttled",
            actor=None,
            subject_type="user",
            subject_id=user.id,
            reason=f"{user.failed_logins} failed sign-ins in a row",
        )


def count_failure(user: User) -> None:
    """A failed step after the password (a wrong second-factor code): one more failure in the
    account's streak, with the wait it earns, exactly as a wrong password."""
    rule = ThrottleRule.from_config(current_app.config)
    user.failed_logins += 1
    user.login_blocked_until = rule.blocked_until(user.failed_logins, utcnow())
    record_sign_in_failure(user, "second_factor")
    _record_if_throttled(user, rule)


def _claim_attempt(user: User, rule: ThrottleRule, known_device: bool) -> bool:
    """Count this attempt as a failure before the password is checked, unless the account must wait.

    One conditional UPDATE: concurrent attempts cannot all read "no wait" and all go ahead, since
    each sees the count and the wait the one before it wrote. The right password clears both.
    """
    now = utcnow()
    conditions = [User.id == user.id]
    if not known_device:
        conditions.append(or_(User.login_blocked_until.is_(None), User.login_blocked_until <= now))
    forgotten = User.login_blocked_until < now - FORGET_AFTER
    failures = db.session.execute(
        update(User)
        .where(*conditions)
        .values(failed_logins=case((forgotten, 1), else_=User.failed_logins + 1))
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if failures is None:
        return False
    # The UPDATE wrote the count: the session learns it without writing it a second time. The wait
    # it earned is written with the rest of the attempt, while the UPDATE's row lock is still held.
    set_committed_value(user, "failed_logins", failures)
    user.login_blocked_until = rule.blocked_until(failures, now)
    return True


def clear_throttle(user: User) -> None:
    user.failed_logins = 0
    user.login_blocked_until = None


def is_throttled(user: User) -> bool:
    return user.login_blocked_until is not None and user.login_blocked_until > utcnow()


def register_outlet(form) -> User:
    """Create an unverified outlet and its first user; the district bureau verifies it.

    A permit number or username already known is refused with one message that names neither,
    and only after the password was hashed, so neither the answer nor its time tells which.
    """
    user = User(
        username=form.username.data,
        display_name=form.display_name.data.strip(),
        email=form.email.data or None,
        role=Role.OUTLET,
        outlet_manager=True,  # whoever registers the outlet manages its accounts
    )
    set_checked_password(user, form.password.data)
    if permit_number_taken(form.permit_number.data) or username_taken(form.username.data):
        raise AccountError(Message(REGISTRATION_REFUSED))
    outlet = Outlet(
        name=form.outlet_name.data,
        brand=form.brand.data,
        district_id=form.district_id.data,
        address=form.address.data,
        permit_number=form.permit_number.data,
        manager=form.manager.data,
        phone=form.phone.data,
        opening_hours=form.opening_hours.data or None,
        has_packing_bench=form.has_packing_bench.data,
        verified=False,
    )
    db.session.add(outlet)
    db.session.flush()
    user.outlet_id = outlet.id
    db.session.add(user)
    db.session.flush()
    record(
        "outlet_registered",
        actor=user,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
        new=outlet.permit_number,
    )
    tell_bureau_of_registration(outlet, N_("%(outlet)s registered and waits for verification."))
    return user


def tell_bureau_of_registration(outlet: Outlet, template: str) -> None:
    """Notify the outlet's district bureau that a registration waits for it in the queue."""
    notify(
        district_bureau_users(outlet.district_id),
        "registration",
        template,
        path_for("outlets.verification_queue"),
        outlet=outlet.name,
    )


def staff_organisation(role: Role, district_id: int | None, kind: str = "postal") -> Organisation | None:
    """The organisation a new member of staff joins: the postal or the ecology and environment
    bureau (`kind`) of their district, or of the city for the city bureau; None for administrators."""
    if role not in ORGANISATION_ROLES:
        return None
    tier = "city" if role == Role.CITY_BUREAU else "district"
    return organisation_for(Agency(f"{tier}_{kind}"), district_id)


def create_staff_user(
    *, username, display_name, email, role, district_id, password, actor, kind="postal", approver=False
) -> User:
    """Create a member of staff in their organisation; only bureau staff may be approvers."""
    if username_taken(username):
        raise AccountError(Message(N_("This username is taken.")), field="username")
    role = Role(role)
    district_id = district_id if role in (Role.INSPECTOR, Role.DISTRICT_BUREAU) else None
    organisation = staff_organisation(role, district_id, kind)
    if role in ORGANISATION_ROLES and organisation is None:
        raise AccountError(Message(N_("Choose the organisation this person belongs to.")), field="kind")
    if approver and role not in BUREAU_ROLES:
        raise AccountError(Message(N_("Only bureau staff sign approval steps.")), field="approver")
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email or None,
        role=role,
        district_id=district_id,
        organisation_id=organisation.id if organisation is not None else None,
        approver=bool(approver),
    )
    set_checked_password(user, password)
    db.session.add(user)
    db.session.flush()
    where = f", {organisation.name_zh}" if organisation is not None else ""
    signs = ", approver" if user.approver else ""
    record(
        "user_created",
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        new=f"{username} ({role}{where}{signs})",
    )
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise AccountError(Message(N_("The current password is wrong.")), field="current_password")
    set_checked_password(user, new, field="new_password")
    user.rotate_session_token()
    record("password_changed", actor=user, subject_type="user", subject_id=user.id)


def reset_password(user: User, password: str, actor) -> None:
    """Set a password for someone else (`flask users set-password`): the policy applies, the
    account's sign-in wait ends and every session it had is signed out."""
    set_checked_password(user, password)
    clear_throttle(user)
    user.rotate_session_token()
    record("password_set", actor=actor, subject_type="user", subject_id=user.id)


def set_active(user: User, active: bool, actor) -> None:
    """Enable or disable an account; `actor` None is the command line."""
    if actor is not None and user.id == actor.id and not active:
        raise AccountError(Message(N_("You cannot disable your own account.")))
    if user.active != active:
        record(
            "user_enabled" if active else "user_disabled",
            actor=actor,
            subject_type="user",
            subject_id=user.id,
            old=user.active,
            new=active,
        )
        user.active = active
        user.rotate_session_token()


def unlock(user: User, actor) -> None:
    """End an account's sign-in wait and its failure streak now, instead of when the wait ends."""
    if user.failed_logins or user.login_blocked_until is not None:
        record(
            "account_unlocked",
            actor=actor,
            subject_type="user",
            subject_id=user.id,
            old=f"{user.failed_logins} failed sign-ins",
        )
    clear_throttle(user)
