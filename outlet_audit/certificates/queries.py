"""What the rest of the application asks about certificates, each question answered once, in SQL.

"Holds a valid certificate" is `valid_certificate_clause`: stored as active (neither revoked
nor superseded) and not past `valid_until`, the SQL twin of `state.certificate_state`.
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import and_, case, func, select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import CertificateState, StoredCertificateState
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
