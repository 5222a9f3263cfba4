"""`flask criteria remind`: tell the administrators, before it happens and once, that the edition new
applications use is about to end with nothing chosen to follow, and that it has lapsed.

Which notices went out is read from the audit trail, so each is sent once however often the daily
job runs. When no chosen edition is in effect at all, the bureaus are told as well: outlets will
ask them why they cannot apply.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.audit.operations import record
from outlet_audit.core.urls import path_for
from outlet_audit.criteria.editions import available_editions, recorded_choices
from outlet_audit.criteria.schedule import edition_in_use, end_notice
from outlet_audit.extensions import db
from outlet_audit.notifications.operations import notify
from outlet_audit.roles import BUREAU_ROLES, Role
from outlet_audit.text import N_

NOTICE_AUDIT_ACTION = "criteria_notice_sent"
DEFAULT_NOTICE_DAYS = 30


@dataclass(frozen=True)
class SentNotice:
    kind: str  # "ending": ends within the notice period; "lapsed": the chosen edition is not in effect
    key: str  # what the audit trail keeps, so the same notice is never sent twice
    text: str  # the notice in English, for the command's output
    recipients: int


def send_edition_notices(today: date, days: int = DEFAULT_NOTICE_DAYS) -> list[SentNotice]:
    choices, editions = recorded_choices(), available_editions()
    sent: list[SentNotice] = []
    state = edition_in_use(choices, editions, today)
    if state.fallback:
        lapsed = state.latest.edition_id
        if state.edition is not None:
            template = N_(
                "The criteria edition chosen for new applications, %(edition)s, is not in effect any more;"
                " they now use %(fallback)s, chosen earlier. Choose the edition they should use."
            )
            params = {"edition": lapsed, "fallback": state.edition.id}
        else:
            template = N_(
                "No chosen criteria edition is in effect, so new applications are refused: %(edition)s,"
                " chosen for them, is not in effect any more. An administrator must choose an edition."
            )
            params = {"edition": lapsed}
        key = f"{lapsed} (choice {state.latest.id})"
        sent.extend(_send_once("lapsed", key, template, params, bureaus_too=state.edition is None))
    notice = end_notice(choices, editions, today, days)
    if notice is not None:
        params = {
            "edition": notice.edition.id,
            "date": notice.ends_on.isoformat(),
            "next": notice.next_day.isoformat(),
        }
        if notice.then is not None:
            template = N_(
                "The criteria edition %(edition)s ends on %(date)s. From %(next)s new applications will use"
                " %(fallback)s, chosen earlier, unless you choose or schedule another edition."
            )
            params["fallback"] = notice.then.id
        else:
            template = N_(
                "The criteria edition %(edition)s ends on %(date)s. From %(next)s no chosen edition is in"
                " effect and new applications will be refused: choose or schedule the edition they use."
            )
        key = f"{notice.edition.id} until {notice.ends_on.isoformat()}"
        sent.extend(_send_once("ending", key, template, params, bureaus_too=False))
    db.session.flush()
    return sent


def _send_once(kind: str, key: str, template: str, params: dict, *, bureaus_too: bool) -> list[SentNotice]:
    already = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == NOTICE_AUDIT_ACTION, AuditEvent.field == kind, AuditEvent.new_value == key
        )
    )
    if already is not None:
        return []
    roles = {Role.ADMIN, *BUREAU_ROLES} if bureaus_too else {Role.ADMIN}
    users = db.session.scalars(
        select(User).where(User.role.in_(roles), User.active.is_(True)).order_by(User.id)
    ).all()
    notified = notify(users, "criteria_edition", template, path_for("criteria.editions"), **params)
    record(
        NOTICE_AUDIT_ACTION, actor=None, subject_type="criteria_edition", subject_id=None, field=kind, new=key
    )
    return [SentNotice(kind, key, template % params, len(notified))]
