"""The certificate as other systems read it: one query and one builder for the read API's
certificate resource (`api.queries`) and the webhooks' certificate events (`webhooks.payloads`),
so a receiver parses one shape from both and the two cannot drift apart.

Values are Python dates and aware datetimes (UTC); the API dumps them through its marshmallow
schema, the webhooks through `json_value`: both write ISO 8601.
"""

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import ReturnTypeFromArgs

from outlet_audit.accounts.organisations import Organisation
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import CertificateState, certificate_state
from outlet_audit.core.time import shanghai_date
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.reference import all_districts


class greatest(ReturnTypeFromArgs):  # noqa: N801 - named as SQL names it
    """The largest of its arguments (none of them NULL here)."""

    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


CERTIFICATES = Certificate.__table__
_replacement = CERTIFICATES.alias("replacement")
_outlets = Outlet.__table__
_issuers = Organisation.__table__

# The certificate's last change: its issue, its revocation, or the issue of its replacement.
UPDATED_AT = greatest(
    CERTIFICATES.c.created_at,
    func.coalesce(CERTIFICATES.c.revoked_at, CERTIFICATES.c.created_at),
    func.coalesce(_replacement.c.created_at, CERTIFICATES.c.created_at),
)

# One row per certificate with everything the resource shows: outlet, issuer and replacement joined.
CERTIFICATE_QUERY = select(
    CERTIFICATES.c.id,
    CERTIFICATES.c.number,
    CERTIFICATES.c.level,
    CERTIFICATES.c.score,
    CERTIFICATES.c.issued_on,
    CERTIFICATES.c.valid_until,
    CERTIFICATES.c.issuing_bureau,
    CERTIFICATES.c.state,
    CERTIFICATES.c.revoked_at,
    CERTIFICATES.c.revoked_reason,
    CERTIFICATES.c.created_at,
    CERTIFICATES.c.district_id,
    CERTIFICATES.c.edition_id,
    CERTIFICATES.c.edition_hash,
    _outlets.c.id.label("outlet_id"),
    _outlets.c.name.label("outlet_name"),
    _outlets.c.address.label("outlet_address"),
    _outlets.c.brand,
    _issuers.c.code.label("issuer_code"),
    _issuers.c.name_zh.label("issuer_name_zh"),
    _issuers.c.name_en.label("issuer_name_en"),
    _replacement.c.number.label("replaced_by"),
    _replacement.c.issued_on.label("replaced_on"),
    UPDATED_AT.label("updated_at"),
).select_from(
    CERTIFICATES.join(_outlets, _outlets.c.id == CERTIFICATES.c.outlet_id)
    .join(_issuers, _issuers.c.id == CERTIFICATES.c.issuer_organisation_id)
    .outerjoin(_replacement, _replacement.c.id == CERTIFICATES.c.superseded_by_id)
)


def district_json(district_id: int) -> dict:
    district = next(d for d in all_districts() if d.id == district_id)
    return {"code": district.code, "name_zh": district.official_name_zh, "name_en": district.name_en}


def utc(moment: datetime | None) -> datetime | None:
    """A stored (naive UTC) moment made aware, so it is written with its offset."""
    return moment.replace(tzinfo=UTC) if moment is not None else None


def certificate_resource(row, today: date, revocations: dict[int, dict], *, full: bool) -> dict:
    """One row of CERTIFICATE_QUERY as the resource: its standing on `today`; `revocations` gives
    the revoked ones' {"reason": {zh, en}, "by": {zh, en} | None} where the caller knows better
    than the recorded reason; `full` adds the record's moments (what a token reads beyond the public)."""
    state = certificate_state(row.state, row.valid_until, today)
    revocation = None
    if state is CertificateState.REVOKED:
        case = revocations.get(row.id)
        reason = case["reason"] if case else {"zh": row.revoked_reason, "en": row.revoked_reason}
        revocation = {
            "on": shanghai_date(row.revoked_at),
            "reason": reason,
            "decided_by": case["by"] if case else None,
        }
    item = {
        "number": row.number,
        "level": row.level,
        "status": state.value,
        "score": float(row.score),
        "issued_on": row.issued_on,
        "valid_until": row.valid_until,
        "issuing_bureau": row.issuing_bureau,
        "issuer": {"code": row.issuer_code, "name_zh": row.issuer_name_zh, "name_en": row.issuer_name_en},
        "outlet": {
            "id": row.outlet_id,
            "name": row.outlet_name,
            "address": row.outlet_address,
            "brand": row.brand,
        },
        "district": district_json(row.district_id),
        "edition": {"id": row.edition_id, "hash": row.edition_hash},
        "revocation": revocation,
        "superseded": (
            {"by": row.replaced_by, "on": row.replaced_on} if state is CertificateState.SUPERSEDED else None
        ),
    }
    if full:
        item.update(
            created_at=utc(row.created_at), revoked_at=utc(row.revoked_at), updated_at=utc(row.updated_at)
        )
    return item


def json_value(value):
    """`json.dumps(default=...)` for the resource's dates and moments: ISO 8601, as the API writes them."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
