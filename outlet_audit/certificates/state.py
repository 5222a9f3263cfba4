"""What a certificate is worth today, and which expiry reminder is due. Pure: the caller gives `today`.

A certificate is stored as active, revoked or superseded; expiry is never stored. It follows
from `valid_until`: the certificate is valid through that day and expired from the next.
Every page, list, PDF link and job asks `certificate_state` rather than reading `state`.
"""

import enum
from dataclasses import dataclass
from datetime import date, timedelta

from outlet_audit.text import N_

# Days before expiry at which the outlet and its district bureau are reminded, largest first.
REMINDER_DAYS = (90, 30)
# An outlet may apply to renew from this many days before expiry (the first reminder invites it
# to) until the last valid day; config RENEWAL_WINDOW_DAYS changes it. Earlier, a renewal would
# replace a certificate with most of its term still to run; later, it has expired and the outlet
# applies anew.
RENEWAL_WINDOW_DAYS = REMINDER_DAYS[0]


class StoredCertificateState(enum.StrEnum):
    """What a certificate row holds in `state` (and the database's check allows). Never "expired"."""

    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class CertificateState(enum.StrEnum):
    """The state people see: an active certificate is valid or expired by its date."""

    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


STATE_LABELS = {
    CertificateState.VALID: N_("Valid"),
    CertificateState.EXPIRED: N_("Expired"),
    CertificateState.REVOKED: N_("Revoked"),
    CertificateState.SUPERSEDED: N_("Superseded"),
}

# Bootstrap colours for the state badge.
STATE_COLOURS = {
    CertificateState.VALID: "success",
    CertificateState.EXPIRED: "secondary",
    CertificateState.REVOKED: "danger",
    CertificateState.SUPERSEDED: "warning",
}


def certificate_state(stored_state: str, valid_until: date, today: date) -> CertificateState:
    """The state people see: revoked and superseded as stored, an active one valid or expired by date."""
    if stored_state == StoredCertificateState.REVOKED:
        return CertificateState.REVOKED
    if stored_state == StoredCertificateState.SUPERSEDED:
        return CertificateState.SUPERSEDED
    if stored_state != StoredCertificateState.ACTIVE:
        raise ValueError(f"unknown certificate state {stored_state!r}")
    return CertificateState.VALID if today <= valid_until else CertificateState.EXPIRED


@dataclass(frozen=True)
class Standing:
    """Whether a certificate is in force and, when not, since when and why: what pages and PDF say.

    `on` is the day it stopped counting: revoked on, superseded on (the replacement's issue day),
    or for an expired one its last valid day. `reason` is a revocation's, `replaced_by` the
    number of the certificate that superseded it.
    """

    state: CertificateState
    on: date | None = None
    reason: str = ""
    replaced_by: str = ""

    @property
    def in_force(self) -> bool:
        return self.state is CertificateState.VALID

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def colour(self) -> str:
        return STATE_COLOURS[self.state]


def certificate_standing(
    stored_state: str,
    valid_until: date,
    today: date,
    *,
    revoked_on: date | None = None,
    revoked_reason: str | None = None,
    replaced_by: str | None = None,
    replaced_on: date | None = None,
) -> Standing:
    """The standing of a certificate today, from its row and, when superseded, its replacement's."""
    state = certificate_state(stored_state, valid_until, today)
    if state is CertificateState.REVOKED:
        return Standing(state, revoked_on, reason=revoked_reason or "")
    if state is CertificateState.SUPERSEDED:
        return Standing(state, replaced_on, replaced_by=replaced_by or "")
    if state is CertificateState.EXPIRED:
        return Standing(state, valid_until)
    return Standing(state)


def due_reminder(valid_until: date, today: date, already_sent: frozenset[int]) -> int | None:
    """The reminder (days before expiry) to send today, or None.

    The reminder due is the smallest of REMINDER_DAYS that is at least the days left. Each is sent
    once; a missed earlier one is not sent late once a later one is due, and nothing is sent
    after a smaller reminder went out or once the certificate has expired.
    """
    days_left = (valid_until - today).days
    if days_left < 0:
        return None
    due = min((days for days in REMINDER_DAYS if days_left <= days), default=None)
    if due is None or any(sent <= due for sent in already_sent):
        return None
    return due


@dataclass(frozen=True)
class RenewalWindow:
    """When a certificate valid until `closes` may be renewed: from `opens` to `closes`, both included."""

    opens: date
    closes: date

    def is_open(self, today: date) -> bool:
        return self.opens <= today <= self.closes

    def not_yet(self, today: date) -> bool:
        return today < self.opens


def renewal_window(valid_until: date, window_days: int = RENEWAL_WINDOW_DAYS) -> RenewalWindow:
    return RenewalWindow(valid_until - timedelta(days=window_days), valid_until)
