"""Writing the audit trail. Operations call `record`; nothing ever updates or deletes a row."""

from outlet_audit.audit.models import AuditEvent
from outlet_audit.extensions import db


def _as_text(value) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def record(
    action: str,
    *,
    actor,
    subject_type: str,
    subject_id: int | None,
    application_id: int | None = None,
    outlet_id: int | None = None,
    field: str | None = None,
    old=None,
    new=None,
    reason: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor_id=getattr(actor, "id", None),
        subject_type=subject_type,
        subject_id=subject_id,
        application_id=application_id,
        outlet_id=outlet_id,
        field=field,
        old_value=_as_text(old),
        new_value=_as_text(new),
        reason=reason,
    )
    db.session.add(event)
    return event
