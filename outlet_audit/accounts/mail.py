"""Mail about an account itself (a reset link, an invitation): composed in the reader's language
inside the transaction that caused it, sent only after the commit (notifications/mailer.py).

Unlike a notification, such a mail carries a secret link and has no in-app copy, so it goes to
one address and never into the notification list.
"""

import logging
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext

from outlet_audit.extensions import db
from outlet_audit.notifications.mailer import Outgoing, queue_mail
from outlet_audit.text import Message

log = logging.getLogger(__name__)


def mail_is_configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def mail_account(address: str, locale: str | None, subject: Message, body: Message, *, about: str) -> bool:
    """Queue one mail to `address` in `locale`; False (and logged) when it cannot be sent at all.
    `about` names what it is for in the log ("user 12"): addresses are not written to the log."""
    config = current_app.config
    if not mail_is_configured():
        log.warning("MAIL_SERVER is not set: not mailing %s", about)
        return False
    with force_locale(locale or config["BABEL_DEFAULT_LOCALE"]):
        subject_text = (
            gettext("Zero-waste express outlets") + ": " + gettext(subject.template, **subject.params)
        )
        body_text = gettext(body.template, **body.params)
    message = EmailMessage()
    try:
        message["From"] = config["MAIL_SENDER"]
        message["To"] = address
        message["Subject"] = " ".join(subject_text.split())
    except ValueError:  # an address with a line break in it cannot be a header
        log.warning("not mailing %s: the address is not usable in a mail header", about)
        return False
    message.set_content(body_text)
    queue_mail(
        db.session(),
        Outgoing(message, config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"], about),
    )
    return True


def public_url(path: str) -> str:
    """The address of a site path as printed in a mail: PUBLIC_BASE_URL, never the request's host
    (a forged Host header must not put a stranger's site into a reset link)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path
