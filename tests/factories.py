"""Small builders for test data. Each returns a flushed object with sensible defaults."""

import itertools

from sqlalchemy import select

from outlet_audit.accounts.models import User
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import Role

PASSWORD = "correct-horse-9"
_sequence = itertools.count(1)


def district(code: str = "FX") -> District:
    return db.session.scalar(select(District).where(District.code == code))


def make_outlet(district_code: str = "FX", verified: bool = True, **fields) -> Outlet:
    n = next(_sequence)
    values = {
        "name": f"测试网点 {n}",
        "brand": "顺丰",
        "address": f"测试路 {n} 号",
        "permit_number": f"SH-KD-TEST-{n:05d}",
        "manager": "王测试",
        "phone": "13800000000",
        "verified": verified,
    }
    values.update(fields)
    outlet = Outlet(district_id=district(district_code).id, **values)
    db.session.add(outlet)
    db.session.flush()
    return outlet


def make_user(
    role: Role = Role.OUTLET,
    *,
    district_code: str | None = None,
    outlet: Outlet | None = None,
    password: str = PASSWORD,
    **fields,
) -> User:
    n = next(_sequence)
    if role in (Role.INSPECTOR, Role.DISTRICT_BUREAU) and district_code is None:
        district_code = "FX"
    if role == Role.OUTLET and outlet is None:
        outlet = make_outlet(district_code or "FX")
    user = User(
        username=fields.pop("username", f"{role.value}-{n}"),
        display_name=fields.pop("display_name", f"{role.value} {n}"),
        role=role,
        district_id=district(district_code).id if role in (Role.INSPECTOR, Role.DISTRICT_BUREAU) else None,
        outlet_id=outlet.id if role == Role.OUTLET else None,
        **fields,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def login(client, user: User) -> None:
    """Sign the test client in as `user` without going through the login form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def make_application(
    outlet: Outlet | None = None,
    *,
    status: str = "draft",
    target_level: str = "district",
    inspectors=(),
    edition=None,
    **fields,
):
    """An application pinned to the active criteria edition (or `edition`), in any status.

    The status is written directly: this builds a starting point for a test, not a journey
    (journeys go through workflow.operations.apply_transition).
    """
    from outlet_audit.criteria.editions import active_edition, store_edition
    from outlet_audit.workflow.models import Application

    outlet = outlet or make_outlet()
    stored = store_edition(edition or active_edition())
    application = Application(
        outlet_id=outlet.id,
        district_id=outlet.district_id,
        edition_pk=stored.id,
        target_level=target_level,
        status=status,
        **fields,
    )
    application.inspectors = list(inspectors)
    if status == "approved" and "granted_level" not in fields:
        application.granted_level = target_level
    db.session.add(application)
    db.session.flush()
    return application


def make_evidence(outlet: Outlet, user: User, stored_sha256: str, **fields) -> Evidence:
    """An evidence row naming `stored_sha256` in the store (the bytes are the test's to put there)."""
    values = {
        "kind": "photo",
        "mime_type": "image/jpeg",
        "filename": "photo.jpg",
        "size_bytes": 100,
        "original_sha256": "0" * 64,
    }
    values.update(fields)
    evidence = Evidence(outlet_id=outlet.id, uploaded_by_id=user.id, stored_sha256=stored_sha256, **values)
    db.session.add(evidence)
    db.session.flush()
    return evidence
