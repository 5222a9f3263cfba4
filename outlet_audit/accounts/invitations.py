"""Invitations: how an outlet that did not register itself (bulk import, a bureau, the administrator)
gets its manager's account, and how a manager brings in staff.

An invitation names the outlet and whether it is for the manager. Its one-time code is made
when the invitation is sent (by e-mail, as a link that carries it; or printed, for the bureau to
hand over) and only its SHA-256 is kept, so sending again makes a new code and the old one stops
working. Whoever holds a working code creates the account bound to that outlet, choosing the
username and password; the invitation is then used up. Codes expire after INVITATION_MAX_AGE_DAYS.

Who invites: the district bureau of the outlet's district and the administrator invite a manager
(while the outlet has none); the outlet's manager invites staff.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from outlet_audit.accounts.codes import code_digest, grouped, normalise_code, random_code
from outlet_audit.accounts.mail import mail_account, mail_is_configured, public_url
from outlet_audit.accounts.models import Invitation, User
from outlet_audit.accounts.operations import AccountError, set_checked_password, username_taken
from outlet_audit.accounts.queries import district_bureau_users, outlet_accounts
from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.core.urls import path_for
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from outlet_audit.text import N_, Message

CODE_LENGTH = 16  # about 79 bits (accounts/codes.py): no guessing within any rate limit

INVITATION_INVALID = N_(
    "This invitation code does not work: it may be mistyped, used already, withdrawn, replaced by a "
    "newer code, or expired. Ask whoever invited you for a new one."
)
INVITATION_SUBJECT = N_("Your invitation to the zero-waste express outlet system")
INVITATION_BODY = N_(
    "%(inviter)s invites you to create your account for %(outlet)s as its %(role)s. Open this link "
    "before %(expires)s and choose your username and password:\n\n%(link)s\n\n"
    "Or enter the invitation code %(code)s on the invitation page. The code works once."
)
MANAGER_ROLE = N_("manager")
STAFF_ROLE = N_("staff member")


@dataclass(frozen=True)
class IssuedCode:
    invitation: Invitation
    code: str  # shown once: mailed, or on the printed letter

    @property
    def grouped(self) -> str:
        return grouped(self.code)


def is_open(invitation: Invitation) -> bool:
    return (
        invitation.accepted_at is None
        and invitation.withdrawn_at is None
        and invitation.expires_at > utcnow()
    )


def pending_invitations(outlet_id: int) -> list[Invitation]:
    """The outlet's invitations neither accepted nor withdrawn: open ones, and expired ones that can
    be sent again."""
    query = select(Invitation).where(
        Invitation.outlet_id == outlet_id,
        Invitation.accepted_at.is_(None),
        Invitation.withdrawn_at.is_(None),
    )
    return list(db.session.scalars(query.order_by(Invitation.id)))


def has_manager(outlet_id: int) -> bool:
    return any(user.outlet_manager for user in outlet_accounts(outlet_id))


def may_invite(actor, outlet: Outlet, *, for_manager: bool) -> bool:
    """The bureau of the outlet's district and the administrator invite managers; the manager, staff."""
    if for_manager:
        return actor.role == Role.ADMIN or (
            actor.role == Role.DISTRICT_BUREAU and actor.district_id == outlet.district_id
        )
    return actor.role == Role.OUTLET and actor.outlet_manager and actor.outlet_id == outlet.id


def _check_may_invite(actor, outlet: Outlet, for_manager: bool) -> None:
    if not may_invite(actor, outlet, for_manager=for_manager):
        raise AccountError(Message(N_("You cannot invite people to this outlet.")))
    if not outlet.verified:
        raise AccountError(Message(N_("The outlet is not verified yet: verify its registration first.")))


def _new_code(invitation: Invitation) -> IssuedCode:
    code = random_code(CODE_LENGTH)
    now = utcnow()
    invitation.code_digest = code_digest(code)
    invitation.issued_at = now
    invitation.expires_at = now + timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"])
    return IssuedCode(invitation, code)


def _audit(action: str, invitation: Invitation, actor, new=None) -> None:
    record(
        action,
        actor=actor,
        subject_type="invitation",
        subject_id=invitation.id,
        outlet_id=invitation.outlet_id,
        field="manager" if invitation.for_manager else "staff",
        new=new,
    )


def create_invitation(outlet: Outlet, *, actor, for_manager: bool, email: str | None = None) -> IssuedCode:
    """A new open invitation with its first code, on the word of someone who may invite."""
    _check_may_invite(actor, outlet, for_manager)
    if for_manager and has_manager(outlet.id):
        raise AccountError(
            Message(N_("The outlet has a manager already; the manager invites its staff, or hands over."))
        )
    if for_manager and any(invitation.for_manager for invitation in pending_invitations(outlet.id)):
        raise AccountError(
            Message(N_("An invitation for the manager is waiting already: send it again or withdraw it."))
        )
    return _create(outlet, actor, for_manager, email)


def _create(outlet: Outlet, actor, for_manager: bool, email: str | None) -> IssuedCode:
    invitation = Invitation(
        outlet_id=outlet.id,
        for_manager=for_manager,
        email=email or None,
        created_by_id=actor.id,
        code_digest="",
    )
    issued = _new_code(invitation)
    db.session.add(invitation)
    db.session.flush()
    _audit("invitation_created", invitation, actor, new=email)
    return issued


def invite_imported_outlets(outlets, *, actor) -> list[Invitation]:
    """Each outlet a bulk import created gets an open invitation for its manager, shown on its page.

    The importing bureau vouched for the outlets (they are verified), and new outlets have no
    manager yet. The import file has no e-mail addresses, so no code leaves now: the bureau prints
    the letters (a fresh code each) or mails one, from the outlet's page or the open invitations.
    """
    return [_create(outlet, actor, True, None).invitation for outlet in outlets]


def deliver(issued: IssuedCode, *, actor, email: str | None) -> str:
    """Hand the code over: mailed when there is an address, else to print. Returns the delivery."""
    invitation = issued.invitation
    if email:
        if not mail_is_configured():
            raise AccountError(Message(N_("This server sends no e-mail (MAIL_SERVER is not set).")))
        invitation.email = email
        role = MANAGER_ROLE if invitation.for_manager else STAFF_ROLE
        mail_account(
            email,
            None,
            Message(INVITATION_SUBJECT),
            Message(
                INVITATION_BODY,
                {
                    "inviter": actor.display_name,
                    "outlet": invitation.outlet.name,
                    "role": role,
                    "expires": invitation.expires_at.strftime("%Y-%m-%d"),
                    "link": public_url(path_for("invitations.open_link", code=issued.code)),
                    "code": issued.grouped,
                },
            ),
            about=f"invitation {invitation.id}",
        )
        invitation.delivery = "email"
        _audit("invitation_sent", invitation, actor, new=email)
    else:
        invitation.delivery = "print"
        _audit("invitation_printed", invitation, actor)
    db.session.flush()
    return invitation.delivery


def _check_may_change(invitation: Invitation, actor) -> None:
    """Sending again or withdrawing: by who may invite, while the invitation is not used or withdrawn
    (an expired one may be sent again: it gets a new code and a new term)."""
    if not may_invite(actor, invitation.outlet, for_manager=invitation.for_manager):
        raise AccountError(Message(N_("You cannot invite people to this outlet.")))
    if invitation.accepted_at is not None or invitation.withdrawn_at is not None:
        raise AccountError(Message(N_("This invitation was used or withdrawn already.")))


def send_again(invitation: Invitation, *, actor, email: str | None) -> IssuedCode:
    """A new code for an open (or expired) invitation: every earlier code stops working."""
    _check_may_change(invitation, actor)
    issued = _new_code(invitation)
    deliver(issued, actor=actor, email=email)
    return issued


def withdraw_invitation(invitation: Invitation, *, actor) -> None:
    _check_may_change(invitation, actor)
    invitation.withdrawn_at = utcnow()
    _audit("invitation_withdrawn", invitation, actor)
    db.session.flush()


def invitation_for_code(typed: str) -> Invitation | None:
    """The open invitation a typed or linked code belongs to; None for anything else."""
    code = normalise_code(typed)
    if len(code) != CODE_LENGTH:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.code_digest == code_digest(code)))
    return invitation if invitation is not None and is_open(invitation) else None


def accept_invitation(
    typed: str, *, username: str, display_name: str, email: str | None, password: str
) -> User:
    """Create the account the invitation offers, bound to its outlet; the invitation is used up."""
    invitation = invitation_for_code(typed)
    if invitation is None:
        raise AccountError(Message(INVITATION_INVALID))
    if invitation.for_manager and has_manager(invitation.outlet_id):
        raise AccountError(Message(N_("The outlet has a manager already; ask the manager to invite you.")))
    user = User(
        username=username,
        display_name=display_name.strip(),
        email=email or None,
        role=Role.OUTLET,
        outlet_id=invitation.outlet_id,
        outlet_manager=invitation.for_manager,
    )
    set_checked_password(user, password)
    if username_taken(username):
        raise AccountError(Message(N_("This username is taken.")), field="username")
    db.session.add(user)
    db.session.flush()
    invitation.accepted_at, invitation.accepted_by_id = utcnow(), user.id
    _audit("invitation_accepted", invitation, user, new=username)
    outlet = invitation.outlet
    told = district_bureau_users(outlet.district_id) if invitation.for_manager else []
    told += [
        account for account in outlet_accounts(outlet.id) if account.outlet_manager and account.id != user.id
    ]
    notify(
        told,
        "invitation_accepted",
        N_("%(name)s accepted the invitation and created the account %(username)s for %(outlet)s."),
        path_for("outlets.detail", outlet_id=outlet.id)
        if invitation.for_manager
        else path_for("people.index"),
        name=user.display_name,
        username=user.username,
        outlet=outlet.name,
    )
    db.session.flush()
    return user
