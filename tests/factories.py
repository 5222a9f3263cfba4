"""Builders for test data. Each returns a flushed object with sensible defaults.

Rows without a lifecycle (outlets, users, evidence rows) are made directly; applications and
everything that follows from them (checklists, sign-offs, certificates) are made by the real
operations, through `outlet_audit.workflow.seeding` as the demo data is.
"""

import functools
import itertools
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select

from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import Organisation, home_organisation, organisation_for
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import BUREAU_ROLES, ORGANISATION_ROLES, Agency, Role
from outlet_audit.workflow.seeding import Cast
from outlet_audit.workflow.states import Level, Status

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
    district_id = district(district_code).id if role in (Role.INSPECTOR, Role.DISTRICT_BUREAU) else None
    # Staff join their district's postal bureau (or the city's) unless `agency` places them elsewhere;
    # bureau staff may sign approval steps unless `approver=False`.
    agency = fields.pop("agency", None)
    if role in ORGANISATION_ROLES and "organisation_id" not in fields:
        organisation = (
            organisation_for(Agency(agency), district_id) if agency else home_organisation(role, district_id)
        )
        fields["organisation_id"] = organisation.id
    fields.setdefault("approver", role in BUREAU_ROLES)
    user = User(
        username=fields.pop("username", f"{role.value}-{n}"),
        display_name=fields.pop("display_name", f"{role.value} {n}"),
        role=role,
        district_id=district_id,
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


def _of(agency: Agency):
    """Accounts of an organisation of `agency`."""
    return User.organisation_id.in_(select(Organisation.id).where(Organisation.agency == agency.value))


def cast_for(outlet: Outlet, inspectors=(), **people) -> Cast:
    """The people who act on the outlet's applications: its staff, its district bureau and the city
    bureau (existing accounts first, made when there are none), and the inspectors a scheduling
    assigns (`inspectors`, else the district's first inspector). `people` names some of them."""

    def first(*conditions):
        return db.session.scalar(select(User).where(User.active.is_(True), *conditions).order_by(User.id))

    code = outlet.district.code
    found = {
        "outlet_user": lambda: (
            first(User.role == Role.OUTLET, User.outlet_id == outlet.id)
            or make_user(Role.OUTLET, outlet=outlet)
        ),
        "bureau": lambda: (
            first(
                User.role == Role.DISTRICT_BUREAU,
                User.district_id == outlet.district_id,
                _of(Agency.DISTRICT_POSTAL),
            )
            or make_user(Role.DISTRICT_BUREAU, district_code=code)
        ),
        "inspectors": lambda: (
            tuple(inspectors)
            or (
                first(
                    User.role == Role.INSPECTOR,
                    User.district_id == outlet.district_id,
                    _of(Agency.DISTRICT_POSTAL),
                )
                or make_user(Role.INSPECTOR, district_code=code),
            )
        ),
        "city": lambda: first(User.role == Role.CITY_BUREAU) or make_user(Role.CITY_BUREAU),
        "ecology": lambda: (
            first(
                User.role == Role.DISTRICT_BUREAU,
                User.district_id == outlet.district_id,
                _of(Agency.DISTRICT_ECOLOGY),
            )
            or make_user(Role.DISTRICT_BUREAU, district_code=code, agency=Agency.DISTRICT_ECOLOGY)
        ),
        "ecology_inspector": lambda: (
            first(
                User.role == Role.INSPECTOR,
                User.district_id == outlet.district_id,
                _of(Agency.DISTRICT_ECOLOGY),
            )
            or make_user(Role.INSPECTOR, district_code=code, agency=Agency.DISTRICT_ECOLOGY)
        ),
    }
    return Cast(**{name: people[name] if name in people else find() for name, find in found.items()})


def make_application(
    outlet: Outlet | None = None,
    *,
    status: str | Status = Status.DRAFT,
    target_level: str = "district",
    inspectors=(),
    edition=None,
    renewal_of=None,
    inputs=None,
    cast: Cast | None = None,
    attach=None,
):
    """An application brought to `status` by the real operations (seeding.advance_to), as people do.

    The outlet's staff opens it; each action on the way is taken by the person whose role it is
    (`cast`, default `cast_for(outlet, inspectors)`) with its usual input, or `inputs[action]`
    (e.g. `{Action.RETURN: {"reasons": ...}}`). Inside `clock_at(moment)` it all happens then.
    Item evidence is added by `attach` (default `evidence_row`; `seeding.upload_evidence` uploads).

    `edition` pins a test edition the criteria folder does not hold (so no admin can choose it):
    the only field written here, before anything is answered against it.
    """
    from outlet_audit.criteria.editions import store_edition
    from outlet_audit.workflow.seeding import advance_to, open_draft

    outlet = outlet or make_outlet()
    cast = cast or cast_for(outlet, inspectors)
    application = open_draft(
        outlet, cast.outlet_user, Level(target_level), renewal_of=renewal_of, affirm=False
    )
    if edition is not None:
        application.edition_pk = store_edition(edition).id
        db.session.flush()
    return advance_to(application, Status(status), cast, inputs, attach=attach or evidence_row)


def advance(application, status: str | Status, inputs=None, cast: Cast | None = None):
    """Take an application on to `status` by the real transitions, as make_application does."""
    from outlet_audit.workflow.seeding import advance_to

    cast = cast or cast_for(application.outlet, application.inspectors)
    return advance_to(application, Status(status), cast, inputs, attach=evidence_row)


def shanghai_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    """Naive UTC (the database's convention) of a wall-clock time in Shanghai."""
    return datetime.combine(day, time(hour, minute)) - timedelta(hours=8)


def first_day_of_criteria() -> date:
    """The first day the active edition was in effect: no application could be made before it."""
    from outlet_audit.criteria.editions import active_edition

    return active_edition().effective_from


def certify(outlet: Outlet, level: str = "district", *, issued_on: date | None = None, cast=None, **fields):
    """The certificate of a newly approved application of `outlet`, issued on `issued_on` (default today).

    The application is made and approved on that day (`fields` as make_application's). City level
    is applied for only by an outlet holding a valid district certificate: one is issued first
    when the outlet has none. See `let_time_pass` for a day before the criteria were in effect.
    """
    from outlet_audit.certificates.models import Certificate
    from outlet_audit.checklist.service import holds_valid_district_certificate

    day = issued_on or today_in_shanghai()
    possible = max(day, first_day_of_criteria())
    with clock_at(shanghai_moment(possible)):
        if level == "city" and not holds_valid_district_certificate(outlet.id):
            certify(outlet, "district", cast=cast)
        application = make_application(
            outlet, status=Status.APPROVED, target_level=level, cast=cast, **fields
        )
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == application.id))
    if possible > day:
        let_time_pass(certificate, day)
    return certificate


def let_time_pass(certificate, issued_on: date) -> None:
    """Move an issued certificate back to `issued_on`, as if issued then.

    The one thing seeding cannot do by running the operations at a past moment (`clock_at`): no
    edition of the criteria folder was in effect that long ago, so no application could be made,
    yet tests need certificates that expired by the passing of time. Its number and validity are
    given again by the rules issue_certificate follows (the number names the year of issue; the
    next number of a year follows from that year's numbers), so it is one it could have issued.
    """
    from outlet_audit.certificates.numbering import certificate_number
    from outlet_audit.certificates.operations import _next_sequence, add_months  # the issuing rules
    from outlet_audit.criteria.editions import pinned_edition
    from outlet_audit.workflow.models import Application

    year, district = issued_on.year, db.session.get(District, certificate.district_id)
    sequence = _next_sequence(year, certificate.district_id, certificate.level)  # before it joins that year
    edition = pinned_edition(db.session.get(Application, certificate.application_id).edition)
    certificate.issued_on = issued_on
    certificate.valid_until = add_months(
        issued_on, edition.level(certificate.level).certificate_validity_months
    )
    certificate.number = certificate_number(year, district.code, certificate.level, sequence)
    db.session.flush()
    # Its signed document prints the number and dates: it is made again, as issued on that day.
    from outlet_audit.certificates.models import CertificateDocument
    from outlet_audit.certificates.signing.documents import store_signed_document

    kept = delete(CertificateDocument).where(CertificateDocument.certificate_id == certificate.id)
    db.session.execute(kept)
    store_signed_document(certificate, actor=None)


def evidence_row(assessment, application, item, actor) -> Evidence:
    """An item's evidence as a row pointing at a small stored photo (or PDF) that many rows share.

    What the workflow counts and the pages show, without an upload's cost (uploads are tested
    through the pages; `seeding.upload_evidence` makes real ones). Its original hash is its own,
    so no photo is taken for a reused one. Not flushed: the next query flushes it with the answers.
    """
    document = item.evidence.kind == "document"
    stored, thumbnail_sha256 = _stored_sample("document" if document else "photo")
    evidence = Evidence(
        outlet_id=application.outlet_id,
        application_id=application.id,
        assessment_id=assessment.id,
        item_code=item.code,
        purpose="item",
        kind=stored.kind.value,
        mime_type=stored.mime_type,
        filename=f"{item.code}.pdf" if document else f"{item.code}.jpg",
        size_bytes=stored.size_bytes,
        original_sha256=f"{next(_sequence):064x}",
        stored_sha256=stored.stored_sha256,
        thumbnail_sha256=thumbnail_sha256,
        width=stored.width,
        height=stored.height,
        uploaded_by_id=actor.id,
    )
    db.session.add(evidence)
    return evidence


@functools.cache
def _processed_sample(kind: str):
    from outlet_audit.evidence.files import inspect_upload
    from outlet_audit.workflow.seeding import document, photo

    data = document("evidence") if kind == "document" else photo("evidence")
    return inspect_upload(data, f"sample.{'pdf' if kind == 'document' else 'jpg'}", max_bytes=10**7)


def _stored_sample(kind: str):
    """The sample file, put in this app's evidence store (each test app has its own folder);
    returns it as processed and the key of its thumbnail."""
    from outlet_audit.evidence.operations import evidence_store

    upload, store = _processed_sample(kind), evidence_store()
    store.put(upload.stored_bytes)
    return upload, store.put(upload.thumbnail_bytes) if upload.thumbnail_bytes else None


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
