"""The one shape of a request that changes something: operation → one commit, or roll back and say why.

Views load the record (404 outside the scope: `access`), validate the form, then run the
operation inside `attempt()`:

    with attempt() as outcome:
        new_status = apply_transition(application, action, current_user, payload)
    if not outcome.done:
        return render_page(form, status_code=422)  # the form comes back with what was typed
    flash(...)
    return redirect(...)

On success `attempt` commits once. A `Refused` (any feature's "no", with its message) or a
stale version (someone else saved first) rolls back, flashes the reason and leaves
`outcome.done` false; any other exception rolls back and propagates to the error handlers.
Operations flush, never commit: this is the only place a request's work is committed
(indico's `RH.process` does the same). JSON endpoints pass `flash_refusal=False` and answer
with `outcome.message` themselves.

Two more ends of a request live here, so no view commits or rolls back by hand:
`commit_if_possible` keeps a write the page can do without (a cache), and
`forget_unfinished_work` clears a failed request's session before an error page is drawn.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, flash
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from outlet_audit.core.i18n import translate_message
from outlet_audit.extensions import db
from outlet_audit.text import Message, Refused


@dataclass
class Outcome:
    done: bool = False
    refusal: Refused | None = None
    stale: bool = False

    @property
    def message(self) -> str:
        """The reason shown to the user, in the request's language ("" when done)."""
        if self.refusal is not None:
            return translate_message(self.refusal.message)
        if self.stale:
            return stale_message()
        return ""


def stale_message() -> str:
    return _(
        "Someone else changed this record a moment ago. Here it is as it is now; "
        "please check it and try again."
    )


@contextmanager
def attempt(*, flash_refusal: bool = True, keep_refused_work: bool = False) -> Iterator[Outcome]:
    """Run the block as one unit of work: commit it, or roll it back on a refusal or a stale version.

    `keep_refused_work`: a refusal whose record is the point (a failed sign-in counts against the
    account and earns its wait) commits what the operation flushed before refusing.
    """
    outcome = Outcome()
    try:
        yield outcome
        db.session.commit()
    except Refused as refusal:
        db.session.commit() if keep_refused_work else db.session.rollback()
        outcome.refusal = refusal
    except StaleDataError:
        db.session.rollback()
        outcome.stale = True
    except BaseException:
        db.session.rollback()
        raise
    else:
        outcome.done = True
        return
    if flash_refusal:
        flash(outcome.message, "danger" if outcome.refusal is not None else "warning")


def flush_or_refuse(message: Message) -> None:
    """Write now; a row that another request made a moment ago (a unique key taken) is refused
    with `message` instead of a 500."""
    try:
        db.session.flush()
    except IntegrityError as error:
        raise Refused(message) from error


def commit_if_possible(what: str) -> bool:
    """Commit a write the page can do without (the dashboard's stored figures), apart from any act.

    When the database cannot take it now (e.g. SQLite's one writer busy past the timeout) the
    write is rolled back and logged, and the request goes on with what it computed.
    """
    try:
        db.session.commit()
    except OperationalError:
        db.session.rollback()
        current_app.logger.warning("%s was not stored", what, exc_info=True)
        return False
    return True


def forget_unfinished_work() -> None:
    """Roll back what a failed request left in the session, so an error page can read the database."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        current_app.logger.exception("Rolling back after an error failed")
