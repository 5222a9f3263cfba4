from outlet_audit.audit.operations import record
from outlet_audit.core.time import utcnow
from outlet_audit.outlets.models import Outlet


def verify_outlet(outlet: Outlet, *, actor) -> None:
    if outlet.verified:
        return
    outlet.verified = True
    outlet.verified_at = utcnow()
    record(
        "outlet_verified",
        actor=actor,
        subject_type="outlet",
        subject_id=outlet.id,
        outlet_id=outlet.id,
        field="verified",
        old=False,
        new=True,
    )
