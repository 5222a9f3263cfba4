"""Work that waits for the commit: kept with the transaction that asked for it, handed on when the
session commits, dropped when that transaction (or the savepoint it was asked in) rolls back.

Mail used to keep its own copy of this (notifications/mailer.py); every job goes through it now.
"""

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

_SESSION_KEY = "outlet_audit.after_commit"  # in Session.info: [(transaction, callback), ...]


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call `callback` once `session` commits; never if the transaction it was queued in rolls back."""
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(_SESSION_KEY, []).append((transaction, callback))


@event.listens_for(Session, "after_commit")
def _run_committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: its work waits for the real commit
        return
    for _transaction, callback in session.info.pop(_SESSION_KEY, ()):
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    queued = session.info.get(_SESSION_KEY)
    if queued:
        queued[:] = [(t, callback) for t, callback in queued if not _within(t, previous)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    """A session closed without committing hands on nothing (after_commit took what was committed)."""
    if transaction.parent is None:
        session.info.pop(_SESSION_KEY, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
