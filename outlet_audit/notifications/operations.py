"""Telling people what needs their attention: an in-app list, and e-mail when SMTP is configured.

Mail is composed here, in the reader's language, and sent only after the commit, off the request
path (notifications/mailer.py). A notice to many people at once (more than NOTIFY_INLINE_USERS)
is written by a job after the commit, so the request that caused it does not write them all.
"""

import logging
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext

from outlet_audit.core.i18n import translate_message
from outlet_audit.extensions import db
from outlet_audit.jobs import enqueue
from outlet_audit.notifications.mailer import Outgoing, queue_mail
from outlet_audit.notifications.models import Notification
from outlet_audit.text import Message

log = logging.getLogger(__name__)


def notify(users, kind: str, template: str, link: str | None = None, **params) -> list[Notification]:
    """Add a notification for each user; mail it to those with an address when SMTP is set up.

    `template` is an English message marked with N_ and translated for each reader on display.
    The mail goes out once the transaction commits, and never if it rolls back. For more than
    NOTIFY_INLINE_USERS people the notifications are written by a job after the commit, and
    none are returned.
    """
    users = [user for user in users if user is not None and user.active]
    if len(users) > current_app.config["NOTIFY_INLINE_USERS"]:
        enqueue(  # jobs/fan_out.py
            "notifications.fan_out",
            user_ids=[user.id for user in users],
            kind=kind,
            template=template,
            link=link,
            params=params,
        )
        return []
    return notify_now(users, kind, template, link, params)


def notify_now(users, kind: str, template: str, link: str | None, params: dict) -> list[Notification]:
    """Write the notifications (and queue the mail) in this transaction: `notify` for a few people,
    the `notifications.fan_out` job for many."""
    created = []
    for user in users:
        note = Notification(user_id=user.id, kind=kind, template=template, params=params, link=link)
        db.session.add(note)
        created.append(note)
        if user.email and current_app.config.get("MAIL_SERVER"):
            _send_mail(user, template, params, link)
    db.session.flush()
    return created


def render_notification(note: Notification) -> str:
    return translate_message(Message(note.template, note.params or {}))


def _send_mail(user, template: str, params: dict, link: str | None) -> None:
    """Compose the mail now, while the reader's language and the configuration are at hand; queue it
    to be sent after the commit."""
    config = current_app.config
    with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]):
        body = translate_message(Message(template, params))
        subject = gettext("Zero-waste express outlets") + ": " + body[:60]
    message = EmailMessage()
    try:
        message["From"] = config["MAIL_SENDER"]
        message["To"] = user.email
        # Names typed by users may hold line breaks; a header may not.
        message["Subject"] = " ".join(subject.split())
    except ValueError:  # an address with a line break in it: never mail it, never fail the action
        log.warning("not mailing user %s: the address is not usable in a mail header", user.id)
        return
    message.set_content(body + (f"\n\n{config['PUBLIC_BASE_URL'].rstrip('/')}{link}" if link else ""))
    queue_mail(
        db.session(),
        Outgoing(message, config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"], user.id),
    )
