"""What the rest of the application asks about certificates, each question answered once, in SQL.

"Holds a valid certificate" is `valid_certificate_clause`: stored as active (neither revoked
nor superseded) and not past `valid_until`, the SQL twin of `state.certificate_state`.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import (
    CertificateState,
    Standing,
    StoredCertificateState,
    certificate_standing,
)
from outlet_audit.core.time import shanghai_date
from outlet_audit.criteria.model import Text
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db


def valid_certificate_clause(today, certificates=Certificate):
    """The condition "in force on `today`" (a date or a bind parameter) for a WHERE.

    `certificates` is the mapped class (the default) or an alias of its table, as the public
    pages query it.
    """
    columns = getattr(certificates, "c", certificates)
    return and_(columns.state == StoredCertificateState.ACTIVE, columns.valid_until >= today)


def state_condition(state: CertificateState, today: date):
    """The SQL twin of `certificate_state`: certificates that show `state` today."""
    if state is CertificateState.VALID:
        return valid_certificate_clause(today)
    if state is CertificateState.EXPIRED:
        return and_(Certificate.state == StoredCertificateState.ACTIVE, Certificate.valid_until < today)
    return Certificate.state == state.value


def valid_certificate_holders(outlet_ids: Iterable[int], today: date) -> set[int]:
    """Those of the outlets that hold a certificate in force on `today`, in one statement.

    Every certificate is of district or city level, and a city one includes the district one,
    so this is also "holds a valid district certificate" as the city level's rule asks it.
    """
    return set(
        db.session.scalars(
            select(Certificate.outlet_id)
            .where(Certificate.outlet_id.in_(outlet_ids), valid_certificate_clause(today))
            .distinct()
        )
    )


def holds_valid_certificate(outlet_id: int, today: date) -> bool:
    return outlet_id in valid_certificate_holders([outlet_id], today)


def certificate_counts_by_state(where, today: date) -> dict[CertificateState, int]:
    """How many certificates matching `where` show each state today, in one query."""
    expired = func.sum(case((Certificate.valid_until < today, 1), else_=0))
    rows = db.session.execute(
        select(Certificate.state, func.count(), expired).where(where).group_by(Certificate.state)
    )
    counts = dict.fromkeys(CertificateState, 0)
    for stored, count, expired_count in rows:
        if stored == StoredCertificateState.ACTIVE:
            counts[CertificateState.VALID] += count - (expired_count or 0)
            counts[CertificateState.EXPIRED] += expired_count or 0
        else:
            counts[CertificateState(stored)] += count
    return counts


def escape_like(text: str) -> str:
    """Make typed text match literally in LIKE (with escape="\\"): % and _ are no wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- standing: which certificate counts, and why an old one does not -------------------------------


@dataclass(frozen=True)
class HeldCertificate:
    certificate: Certificate
    standing: Standing


@dataclass(frozen=True)
class OutletCertificates:
    """An outlet's certificates, newest first, each with its standing today."""

    held: tuple[HeldCertificate, ...]

    def __iter__(self) -> Iterator[HeldCertificate]:
        return iter(self.held)

    def __bool__(self) -> bool:
        return bool(self.held)

    @property
    def current(self) -> HeldCertificate | None:
        """The certificate in force (a city one before a district one), or None."""
        in_force = [held for held in self.held if held.standing.in_force]
        return next((held for held in in_force if held.certificate.level == "city"), None) or next(
            iter(in_force), None
        )

    def of_application(self, application_id: int) -> HeldCertificate | None:
        return next((h for h in self.held if h.certificate.application_id == application_id), None)


def standings(certificates: Sequence[Certificate], today: date) -> dict[int, Standing]:
    """The standing of each certificate by id; replacements not among them are read in one query."""
    replacements = {c.id: (c.number, c.issued_on) for c in certificates}
    missing = {c.superseded_by_id for c in certificates} - set(replacements) - {None}
    if missing:
        columns = (Certificate.id, Certificate.number, Certificate.issued_on)
        rows = db.session.execute(select(*columns).where(Certificate.id.in_(missing)))
        replacements.update({row.id: (row.number, row.issued_on) for row in rows})
    return {
        certificate.id: _standing(certificate, today, replacements.get(certificate.superseded_by_id))
        for certificate in certificates
    }


def standing_of(certificate: Certificate, today: date) -> Standing:
    return standings([certificate], today)[certificate.id]


def _standing(certificate: Certificate, today: date, replacement: tuple[str, date] | None) -> Standing:
    replaced_by, replaced_on = replacement or (None, None)
    return certificate_standing(
        certificate.state,
        certificate.valid_until,
        today,
        revoked_on=shanghai_date(certificate.revoked_at) if certificate.revoked_at else None,
        revoked_reason=certificate.revoked_reason,
        replaced_by=replaced_by,
        replaced_on=replaced_on,
    )


def outlet_certificates(outlet_id: int, today: date) -> OutletCertificates:
    """Every certificate the outlet was issued, newest first, with its standing; one query."""
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.outlet_id == outlet_id)
        .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
    ).all()
    by_id = standings(certificates, today)
    return OutletCertificates(tuple(HeldCertificate(c, by_id[c.id]) for c in certificates))


# -- the edition a certificate was assessed against ------------------------------------------------


def edition_title_columns(editions=StoredEdition):
    """The title of a stored edition, read from its snapshot in SQL: no parsed edition needed.

    `editions` is the mapped class (the default) or its table, as the public pages query it.
    """
    snapshot = getattr(editions, "c", editions).snapshot
    return (
        snapshot[("title", "zh")].as_string().label("edition_title_zh"),
        snapshot[("title", "en")].as_string().label("edition_title_en"),
    )


def edition_title(content_hash: str) -> Text | None:
    """The human title of the edition with this content hash, or None when none is stored."""
    row = db.session.execute(
        select(*edition_title_columns()).where(StoredEdition.content_hash == content_hash)
    ).first()
    return Text(row.edition_title_zh, row.edition_title_en or "") if row and row.edition_title_zh else None
