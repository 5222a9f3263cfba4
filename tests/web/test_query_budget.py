"""Query budget: a page's SQL statement count must not grow with the data it shows (no N+1).

Each page is one `BudgetCase`: who asks, and a builder that puts `size` records in that user's
reach and returns the request. The builder is called with SMALL, then with LARGE - SMALL more: the
SMALL records stay, so LARGE are in reach (records are costly to make by the real operations). A
builder that makes a new subject holding its records (`@new_subject`) is given the whole size. The
page is requested once to warm caches, then once more with every statement counted (an SQLAlchemy
`before_cursor_execute` listener); with SMALL and with
LARGE records in scope the count must be the same or lower.

A listed page whose endpoint is missing fails as "not built", unless its name is in
PENDING_PAGES: then it is reported as an expected failure (xfail) until it lands.
"""

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from flask import Blueprint, url_for
from PIL import Image
from sqlalchemy import func, select

from outlet_audit.access import public
from outlet_audit.audit.operations import record
from outlet_audit.certificates.revocation import decide_proposal, propose_revocation
from outlet_audit.checklist.findings import (
    answer_finding,
    attach_finding_file,
    check_finding,
    findings_at,
    findings_to_verify,
)
from outlet_audit.checklist.service import assessment_of, get_or_create_assessment, save_answer
from outlet_audit.core.time import clock_at, today_in_shanghai, utcnow
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.evidence.operations import store_upload
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.campaigns import close_campaign, create_campaign, draw_campaign
from outlet_audit.supervision.complaints import file_complaint
from outlet_audit.supervision.kinds import CheckPurpose, ComplaintCategory
from outlet_audit.supervision.models import SupervisionCheck
from outlet_audit.supervision.operations import open_check
from outlet_audit.supervision.yearly import create_self_check, edition_by_hash
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import answer_checklist, best_value, take, worst_value
from outlet_audit.workflow.states import Action, Level, Status
from tests.conftest import counted_statements, make_test_app
from tests.dashboard_helpers import (
    answer_rectification,
    days_ago,
    inspected_with_findings,
    order_rectification,
    reinspect,
)
from tests.factories import (
    advance,
    cast_for,
    certify,
    evidence_row,
    login,
    make_application,
    make_outlet,
    make_user,
)
from tests.supervision.campaign_world import plan
from tests.supervision.revocation_helpers import deadline_passed, notice

# The lists page by PAGE_SIZE here (20 in production): LARGE spills each onto a second page, and a
# statement run once a record shows as LARGE - SMALL more. Small sizes keep the module quick: its
# records are made by the real operations (a certified outlet is a whole workflow and a signature).
PAGE_SIZE = 6
SMALL, LARGE = 3, PAGE_SIZE + 1
# The user, the events, the people acting and acted on, the applications with their editions, the outlets.
AUDIT_LOG_STATEMENTS = 5
SAVEPOINTS = ("SAVEPOINT", "RELEASE", "ROLLBACK")  # the tests' own, which a page in production never sends
DRAFT_PATH = Path(__file__).resolve().parents[2] / "criteria" / "shanghai-2025.yaml"

# Pages listed below whose endpoints have not landed yet. The lead empties this set; a page
# in it that exists is checked like any other.
PENDING_PAGES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PageRequest:
    endpoint: str
    values: dict
    method: str = "GET"
    json: dict | None = None
    data: dict | None = None  # a multipart form (with files as (stream, name))
    headers: dict | None = None  # e.g. an API token's Authorization


@dataclass(frozen=True)
class BudgetCase:
    name: str
    endpoint: str
    role: Role | None  # None: anonymous
    # (user, size) -> a function giving the next request; called twice per size (warm-up, counted)
    build: Callable
    agency: Agency | None = None  # the user's organisation's, when not the role's postal bureau
    # A fixed budget: exactly this many statements (the tests' savepoints aside) with SMALL and with
    # LARGE records. A page that runs fewer shows nothing; one that runs more must say why here.
    statements: int | None = None


def same_request(endpoint: str, **values):
    return lambda: PageRequest(endpoint, values)


def new_subject(build: Callable) -> Callable:
    """Mark a builder that makes a new subject (an application, a check) holding all `size` records:
    the one measured with LARGE records has no SMALL ones to build on, so it is given all LARGE."""
    build.new_subject = True
    return build


# --- builders: `size` records in the user's scope ---------------------------------------------


def submitted_applications(size: int, district_code: str = "FX", status: str = "submitted") -> list:
    return [make_application(make_outlet(district_code), status=status) for _ in range(size)]


def certified_outlets(size: int, district_code: str = "FX") -> list:
    return [certify(make_outlet(district_code)) for _ in range(size)]


def inspection_with_evidence(inspector, size: int, *, status: str, files: bool, authors=()):
    """An application in `status` whose inspection has every item answered (bonus items too) by
    `authors` in turn (default the inspector), and `size` photos spread over the items."""
    authors = list(authors) or [inspector]
    application = make_application(make_outlet("FX"), status="inspection_scheduled", inspectors=[inspector])
    inspection = get_or_create_assessment(application, "inspection")
    edition = pinned_edition(application.edition)
    items = [*edition.items(), *edition.bonus_items()]
    for n in range(size):
        code = items[n % len(items)].code
        uploader = authors[-1 - n % len(authors)]
        if files:
            store_upload(
                _jpeg(n),
                f"photo-{n}.jpg",
                outlet_id=application.outlet_id,
                actor=uploader,
                application_id=application.id,
                assessment_id=inspection.id,
                item_code=code,
            )
        else:
            evidence_row(inspection, application, edition.item(code), uploader)
    for n, item in enumerate(items):
        answer_checklist(
            application,
            "inspection",
            authors[n % len(authors)],
            {item.code: best_value(item)},
            complete=False,
        )
    advance(application, status)  # the sign-off gives the items still without a file one each
    return application, inspection


def _jpeg(n: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (64, 48), (n * 5 % 255, 120, 80)).save(buffer, format="JPEG")
    return buffer.getvalue()


def login_page(_user, size):
    for _ in range(size):
        make_user(Role.INSPECTOR)
    return same_request("accounts.login")


def admin_users(_user, size):
    for _ in range(size):
        make_user(Role.OUTLET)
    return same_request("admin.users")


def audit_log(_user, size):
    """`size` acts of as many people: on an account, on an outlet, and about a draft application
    (its reference and edition are read), so the page reads people, outlets and applications."""
    for _ in range(size):
        person = make_user(Role.INSPECTOR)
        record("password_changed", actor=person, subject_type="user", subject_id=person.id)
        outlet = make_outlet("FX")
        record(
            "outlet_verified", actor=person, subject_type="outlet", subject_id=outlet.id, outlet_id=outlet.id
        )
        application = make_application(outlet)
        record(
            "draft_saved",
            actor=person,
            subject_type="application",
            subject_id=application.id,
            application_id=application.id,
            outlet_id=outlet.id,
            field="self:1.1",
            new="yes",
        )
    db.session.flush()
    return same_request("audit_log.index")


def my_exports(user, size):
    from outlet_audit.jobs.models import ExportFile

    for n in range(size):
        ready = n % 2 == 0
        db.session.add(
            ExportFile(
                user_id=user.id,
                kind="applications",
                fmt="csv",
                filters={},
                download_name=f"申请-{n}.csv",
                status="ready" if ready else "pending",
                rows=6000 if ready else None,
                expires_at=utcnow() + timedelta(hours=1) if ready else None,
            )
        )
    db.session.flush()
    return same_request("jobs.my_exports")


def failed_jobs(_user, size):
    """The failed jobs are in Redis (or the app's memory), never in the database."""
    for _ in range(size):
        make_user(Role.OUTLET)
    return same_request("jobs.failed")


def verification_queue(_user, size):
    for _ in range(size):
        make_outlet("FX", verified=False)
    return same_request("outlets.verification_queue")


def application_queue(_user, size):
    submitted_applications(size)
    return same_request("workflow.queue")


@new_subject
def application_detail(user, size):
    application = make_application(make_outlet("FX"), status="inspected")
    for n in range(size):
        record(
            "transition",
            actor=user,
            subject_type="application",
            subject_id=application.id,
            application_id=application.id,
            outlet_id=application.outlet_id,
            field="accept",
            old="submitted",
            new="accepted",
            reason=f"step {n}",
        )
    return same_request("workflow.application_detail", application_id=application.id)


@new_subject
def checklist_page(user, size):
    # Answers and files by up to `size` people: the page names each one, in one query for all.
    people = [user, *(make_user(Role.INSPECTOR, district_code="FX") for _ in range(size - 1))]
    application, inspection = inspection_with_evidence(
        user, size, status="inspection_scheduled", files=False, authors=people
    )
    outlet_self_assessment(application, size)
    return same_request("checklist.edit", assessment_id=inspection.id)


def outlet_self_assessment(application, size: int) -> None:
    """`size` more files and notes in the outlet's self-assessment, which the inspection page shows
    under every item (all its answers in one query, all its files in another)."""
    outlet_user = make_user(Role.OUTLET, outlet=application.outlet)
    self_assessment = get_or_create_assessment(application, "self")
    edition = pinned_edition(application.edition)
    items = [*edition.items(), *edition.bonus_items()]
    for n in range(size):
        evidence_row(self_assessment, application, items[n % len(items)], outlet_user)
    notes = {item.code: f"自评说明 {n}" for n, item in enumerate(items[:size])}
    answer_checklist(
        application,
        "self",
        outlet_user,
        {code: best_value(edition.item(code)) for code in notes},
        notes=notes,
    )


@new_subject
def reinspection_page(user, size):
    """A re-inspection verifying `size` findings (as many as there are scored items), pre-filled with the
    first visit's answers and files, beside the outlet's self-assessment."""
    application, first = inspection_with_evidence(user, size, status="inspection_scheduled", files=False)
    edition = pinned_edition(application.edition)
    codes = frozenset(item.code for item in edition.items()[:size])
    answer_checklist(
        application, "inspection", user, {code: worst_value(edition.item(code)) for code in codes}
    )
    cast = cast_for(application.outlet, application.inspectors)
    take(application, Action.SIGN_OFF, cast, attach=evidence_row)
    take(application, Action.REQUEST_RECTIFICATION, cast, rectification_item_codes=codes)
    for finding in findings_at(first):
        answer_finding(finding, responsible_person="王建国", response="已整改。", actor=cast.outlet_user)
    apply_transition(application, Action.SUBMIT_RECTIFICATION, cast.outlet_user, make_payload())
    outlet_self_assessment(application, size)
    second = assessment_of(application, "inspection")
    assert second.sequence == 2 and len(findings_to_verify(second)) == len(codes)
    return same_request("checklist.edit", assessment_id=second.id)


@new_subject
def sign_off_page(user, size):
    """Before signing: `size` items short of full marks (as many as there are), each with a note, and
    `size` files."""
    application, inspection = inspection_with_evidence(user, size, status="inspection_scheduled", files=False)
    edition = pinned_edition(application.edition)
    short = edition.items()[:size]
    answer_checklist(
        application,
        "inspection",
        user,
        {item.code: worst_value(item) for item in short},
        notes={item.code: f"现场发现 {n}" for n, item in enumerate(short)},
    )
    return same_request("checklist.sign_off", assessment_id=inspection.id)


@new_subject
def answer_save(user, size):
    _application, inspection = inspection_with_evidence(
        user, size, status="inspection_scheduled", files=False
    )
    item = next(i for i in active_edition().items() if i.answer.type == "yes_no")
    versions = itertools.count(1)

    def next_save():
        version = next(versions)
        body = {"value": version % 2 == 0, "not_applicable": False, "note": "", "expected_version": version}
        return PageRequest(
            "checklist.save_item", {"assessment_id": inspection.id, "item_code": item.code}, "POST", body
        )

    return next_save


def awaiting_step(outlet, level: Level, *, steps_agreed: int) -> None:
    """An application of `outlet` proposed for `level` by its district postal bureau, with the next
    `steps_agreed` approval steps agreed: it waits for the step after them."""
    if level == Level.CITY:
        certify(outlet)  # city level asks for a valid district-level certificate
    application = make_application(outlet, status=Status.IN_APPROVAL, target_level=level.value)
    cast = cast_for(outlet, application.inspectors)
    for _ in range(steps_agreed):
        take(application, Action.AGREE, cast)
    assert application.status == Status.IN_APPROVAL


# The signed-in user, one page of ids, their count, and the rows of that page (queues.queue_rows).
APPROVALS_STATEMENTS = 4


def approvals_for(agency: Agency, level: Level, steps_agreed: int):
    """`size` applications waiting for the agency's step (FX for a district agency), and as many
    waiting for other agencies' (which the page leaves out)."""

    def build(user, size):
        assert user.agency == agency
        for _ in range(size):
            awaiting_step(make_outlet("FX"), level, steps_agreed=steps_agreed)
        awaiting_step(make_outlet("FX"), Level.DISTRICT, steps_agreed=1 if steps_agreed == 0 else 0)
        waiting = db.session.scalars(
            select(Application.awaiting_agency).where(Application.status == Status.IN_APPROVAL)
        ).all()
        assert waiting.count(agency.value) >= size
        return same_request("workflow.approvals")

    return build


def certificate_pdf(_user, size):
    certificate = certified_outlets(size)[-1]
    return same_request("certificates.certificate_pdf", certificate_id=certificate.id)


@new_subject
def inspection_report(_user, size):
    inspector = make_user(Role.INSPECTOR, district_code="FX")
    application, _inspection = inspection_with_evidence(inspector, size, status="inspected", files=True)
    return same_request("reports.inspection_report", application_id=application.id)


def public_verification(_user, size):
    certificate = certified_outlets(size)[-1]
    return same_request("public.verify_number", number=certificate.number)


def public_directory(_user, size):
    certified_outlets(size, "QP")
    return same_request("public.directory")


def drawn_campaigns(size: int, bureau, *, closed: bool = False) -> None:
    """`size` spot-check campaigns of FX run by `bureau`, each drawn (one outlet, one inspector) and,
    when `closed`, concluded and closed."""
    fx = db.session.scalar(select(District).where(District.code == "FX"))
    certified_outlets(size)
    for _ in range(3):
        make_user(Role.INSPECTOR, district_code="FX")
    for n in range(size):
        campaign = create_campaign(
            plan([fx.id], title=f"抽查 {n}", per_district=1, team_size=1, levels=("district",)), actor=bureau
        )
        draw_campaign(campaign, actor=bureau)
        if closed:
            for check in campaign.checks:
                check.status, check.concluded_at = "passed", utcnow()
            db.session.flush()
            close_campaign(campaign, actor=bureau)
    assert db.session.scalar(select(func.count()).select_from(SupervisionCheck)) >= size


def campaign_list(user, size):
    drawn_campaigns(size, user)
    return same_request("campaigns.index")


def public_campaign_list(_user, size):
    drawn_campaigns(size, make_user(Role.DISTRICT_BUREAU, district_code="FX"), closed=True)
    return same_request("public_campaigns.index")


def api_tokens(user, size):
    """`size` tokens of the bureau's organisation, each made by another administrator, half revoked."""
    from outlet_audit.api.tokens import issue_token, revoke_token

    for n in range(size):
        issued = issue_token(
            user.organisation, name=f"平台 {n}", scopes=["certificates:read"], expires_at=None,
            actor=make_user(Role.ADMIN),
        )  # fmt: skip
        if n % 2:
            revoke_token(issued.token, actor=make_user(Role.ADMIN))
    return same_request("api.tokens")


def _webhook_endpoints(user, size: int) -> list:
    """`size` endpoints of the user's organisation (made as its approver does; none queues a job)."""
    from outlet_audit.webhooks.endpoints import EndpointSettings, create_endpoint
    from outlet_audit.webhooks.events import SUBSCRIBABLE

    settings = EndpointSettings("http://127.0.0.1:9/hook", SUBSCRIBABLE, False)
    return [create_endpoint(user.organisation_id, settings, user)[0] for _ in range(size)]


def webhook_list(user, size):
    _webhook_endpoints(user, size)
    return same_request("webhooks.index")


def webhook_page(user, size):
    """One endpoint with `size` deliveries, each tried twice (a 500, then a 200)."""
    import uuid

    from outlet_audit.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEventRecord

    [endpoint] = _webhook_endpoints(user, 1)
    for n in range(size):
        event = WebhookEventRecord(uuid=str(uuid.uuid4()), type="ping", body="{}")
        delivery = WebhookDelivery(uuid=str(uuid.uuid4()), endpoint_id=endpoint.id, event=event)
        delivery.attempts = [
            WebhookAttempt(status_code=500, duration_ms=n, response_excerpt="boom"),
            WebhookAttempt(status_code=200, duration_ms=n, response_excerpt="ok"),
        ]
        delivery.status, delivery.delivered_at = "delivered", utcnow()
        db.session.add(delivery)
    db.session.flush()
    return same_request("webhooks.detail", webhook_endpoint_id=endpoint.id)


def complaints_list(_user, size):
    """`size` complaints about as many outlets of the bureau's district, in every status."""
    statuses = ("received", "dismissed", "received", "visit_opened")
    for n, certificate in enumerate(certified_outlets(size)):
        complaint = file_complaint(
            certificate,
            category=ComplaintCategory.MATERIALS,
            description=f"宽胶带（{n}）",
            contact=None,
            photo=None,
        ).complaint
        complaint.status = statuses[n % len(statuses)]
        if complaint.status != "received":
            complaint.triaged_at, complaint.triage_reason = complaint.created_at, "已核实"
    return same_request("complaints.index")


def complaint_form(_user, size):
    certificate = certified_outlets(size)[-1]
    return same_request("complaints.new", number=certificate.number)


def xlsx_export(_user, size):
    submitted_applications(size)
    return lambda: PageRequest("dashboards.export", {"kind": "applications", "fmt": "xlsx"}, method="POST")


def rectification_under_way(size: int, district_code: str) -> None:
    """Findings of size / 5 first visits, ordered rectified a month ago and overdue now, and of one
    application rectified and verified closed at its re-inspection: every rectification figure
    (the median's too) has rows to read."""
    today = today_in_shanghai()
    with clock_at(days_ago(30)):
        for _ in range(size // SMALL):
            application = inspected_with_findings(make_outlet(district_code), ("1.2", "3.1"))
            order_rectification(application, ["1.2"], due_on=today - timedelta(days=10))
        rectified = inspected_with_findings(make_outlet(district_code), ("1.2",))
        order_rectification(rectified, ["1.2"], due_on=today)
    with clock_at(days_ago(20)):
        answer_rectification(rectified)
    with clock_at(days_ago(15)):
        reinspect(rectified, {"1.2": "closed"})


def revocation_proposals(_user, size):
    """`size` proposals on city-level certificates of two districts, each by a bureau member of its
    own, every other one declined by a city bureau member of its own: both kinds listed."""
    for n in range(size):
        outlet = make_outlet("FX" if n % 2 else "QP")
        certificate = certify(outlet, "city")
        proposer = make_user(Role.DISTRICT_BUREAU, district_code=outlet.district.code)
        proposal = propose_revocation(certificate, proposer, f"复查不合格（{n}）")
        if n % 2:
            decide_proposal(proposal, make_user(Role.CITY_BUREAU), "declined", "已完成整改。")
    return same_request("certificates.revocation_proposals", state="all")


def revocation_cases(_user, size):
    """`size` cases in two districts, each served by its district's bureau; every other one past its
    deadline without a statement (marked on the list)."""
    for n in range(size):
        outlet = make_outlet("FX" if n % 2 else "QP")
        certificate = certify(outlet)
        case = notice(certificate, make_user(Role.DISTRICT_BUREAU, district_code=outlet.district.code))
        if n % 2:
            deadline_passed(case)
    return same_request("revocation.index", state="all")


def city_dashboard(_user, size):
    submitted_applications(size, "PD")
    certified_outlets(size, "MH")
    rectification_under_way(size, "JA")
    return same_request("dashboards.overview")


def district_dashboard(_user, size):
    submitted_applications(size, "FX")
    rectification_under_way(size, "FX")
    return same_request("dashboards.overview")


def draft_impact(_user, size):
    """A draft edition checked against `size` outlets' signed inspections (read in batches)."""
    inspector = make_user(Role.INSPECTOR, district_code="FX")
    for _ in range(size):
        inspection_with_evidence(inspector, 0, status="approved", files=False)
    text = DRAFT_PATH.read_text(encoding="utf-8").replace("id: shanghai-2025", "id: shanghai-2026", 1)

    def next_upload():
        form = {"months": "12", "district": "", "file": (BytesIO(text.encode()), "draft.yaml")}
        return PageRequest("criteria.draft_impact", {}, "POST", data=form)

    return next_upload


def supervision_checks(user, size):
    """`size` checks of the district, scheduled and visited (H-visits)."""
    from tests.supervision.visit_helpers import Visit

    for n in range(size):
        visit = Visit()
        if n % 2:
            visit.complete()
            visit.sign_all()
    return same_request("checks.index")


@new_subject
def supervision_check_page(user, size):
    """A visited check whose short items hold `size` photos between them (H-visits)."""
    from tests.supervision.visit_helpers import Visit

    visit = Visit()
    covered = sorted(visit.covered)
    for n in range(size):
        evidence_row(visit.record, visit.application, visit.edition.item(covered[n % 3]), visit.inspector)
    visit.complete(short_of=set(covered[:3]))
    visit.sign_all()
    return same_request("checks.check_detail", check_id=visit.check.id)


def yearly_self_checks(size: int, district_code: str, *, due_in_days: int) -> list:
    """`size` certified outlets' self-checks of this year, falling due `due_in_days` from today."""
    due = today_in_shanghai() + timedelta(days=due_in_days)
    return [
        create_self_check(certificate, due.year, due)
        for certificate in certified_outlets(size, district_code)
    ]


def supervision_figures_in(size: int, district_code: str) -> None:
    """Certified outlets with a targeted visit each (open), a complaint each and a yearly self-check
    each, missing: every supervision figure has rows to count."""
    bureau = make_user(Role.DISTRICT_BUREAU, district_code=district_code)
    inspector = make_user(Role.INSPECTOR, district_code=district_code)
    for self_check in yearly_self_checks(size, district_code, due_in_days=-1):
        open_check(
            self_check.certificate, CheckPurpose.TARGETED, [inspector], due_by=today_in_shanghai(),
            actor=bureau, reason="missing",
        )  # fmt: skip


def supervision_dashboard_city(_user, size):
    supervision_figures_in(size, "PD")
    supervision_figures_in(size, "MH")
    return same_request("supervision_dashboard.overview")


def supervision_dashboard_district(_user, size):
    supervision_figures_in(size, "FX")
    return same_request("supervision_dashboard.overview")


def yearly_list(_user, size):
    """Self-checks of the district: missing ones and open ones (more than a page of each)."""
    yearly_self_checks(size, "FX", due_in_days=-2)
    yearly_self_checks(size, "FX", due_in_days=20)
    return same_request("yearly.bureau_list", show="all")


@new_subject
def yearly_review(_user, size):
    """A submitted self-check with `size` photos on its items."""
    (self_check,) = yearly_self_checks(1, "FX", due_in_days=20)
    outlet_user = make_user(Role.OUTLET, outlet=self_check.certificate.outlet)
    edition = edition_by_hash(self_check.certificate.edition_hash)
    application = db.session.get(Application, self_check.certificate.application_id)
    codes = edition.supervision.yearly.item_codes
    for n in range(size):
        evidence_row(self_check.assessment, application, edition.item(codes[n % len(codes)]), outlet_user)
    db.session.flush()
    return same_request("yearly.review_page", self_check_id=self_check.id)


# --- #23: the wave's new main pages --------------------------------------------------------------


@new_subject
def application_with_findings(_user, size):
    """An application in rectification: one finding per item short of full marks (as many as there
    are items), each answered by the outlet, `size` rectification photos between them, every other
    finding verified at the re-inspection (workflow/views_findings.py's forms live on this page)."""
    codes = [item.code for item in active_edition().items()[:size]]
    application = inspected_with_findings(make_outlet("FX"), codes)
    notice_ = order_rectification(application, codes, due_on=today_in_shanghai() + timedelta(days=10))
    outlet_user = cast_for(application.outlet, application.inspectors).outlet_user
    findings = list(notice_.findings)
    for n in range(size):
        attach_finding_file(
            findings[n % len(findings)], _jpeg(n), f"整改-{n}.jpg", outlet_id=application.outlet_id,
            actor=outlet_user,
        )  # fmt: skip
    answer_rectification(application)
    record_ = assessment_of(application, "inspection")
    for finding in findings_to_verify(record_)[::2]:
        check_finding(
            record_, finding, outcome="closed", method="desk", note="已整改", actor=application.inspectors[0]
        )
    return same_request("workflow.application_detail", application_id=application.id)


def _conclude_and_close(campaign, bureau) -> None:
    """Every check passed (its visit signed: an unsigned one keeps its outlet out of the next draw)."""
    for check in campaign.checks:
        check.status, check.concluded_at = "passed", utcnow()
        visit = check.assessment
        visit.signed_off_at, visit.signed_off_by_id = check.concluded_at, visit.inspectors[0].id
    db.session.flush()
    close_campaign(campaign, actor=bureau)


def campaign_of_every_outlet(size: int, bureau, *, closed: bool):
    """`size` more certified FX outlets, then one campaign drawing every FX outlet certified so far,
    each visited by a team of one. A check under way keeps its outlet out of a draw: the campaign
    drawn before (for SMALL) is concluded and closed first, so the one for LARGE draws all LARGE
    outlets again without certifying SMALL more. Concluded and closed itself when `closed`."""
    from outlet_audit.certificates.models import Certificate
    from outlet_audit.supervision.models import Campaign

    fx = db.session.scalar(select(District).where(District.code == "FX"))
    for earlier in db.session.scalars(select(Campaign).where(Campaign.status == "drawn")).all():
        _conclude_and_close(earlier, bureau)
    certified_outlets(size)
    outlets = db.session.scalar(select(func.count()).where(Certificate.district_id == fx.id))
    for _ in range(3):
        make_user(Role.INSPECTOR, district_code="FX")
    campaign = create_campaign(
        plan([fx.id], title="抽查", per_district=outlets, team_size=1, quota_per_inspector=outlets,
             levels=("district",)),
        actor=bureau,
    )  # fmt: skip
    draw_campaign(campaign, actor=bureau)
    assert len(campaign.checks) == outlets
    if closed:
        _conclude_and_close(campaign, bureau)
    return campaign


def campaign_page(user, size):
    campaign = campaign_of_every_outlet(size, user, closed=False)
    return same_request("campaigns.detail", campaign_id=campaign.id)


def public_campaign_page(_user, size):
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    campaign = campaign_of_every_outlet(size, bureau, closed=True)
    return same_request("public_campaigns.detail", number=campaign.number)


def my_supervision_visits(user, size):
    """`size` checks the inspector's team of two makes: every other one still to do, the rest done."""
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    for n, certificate in enumerate(certified_outlets(size)):
        check = open_check(
            certificate, CheckPurpose.TARGETED, [user, make_user(Role.INSPECTOR, district_code="FX")],
            due_by=today_in_shanghai() + timedelta(days=n + 1), actor=bureau, reason="抽查",
        )  # fmt: skip
        if n % 2:
            check.status, check.concluded_at = "passed", utcnow()
    db.session.flush()
    return same_request("checks.my_visits")


@new_subject
def supervision_visit_checklist(user, size):
    """The checklist of a supervision visit the inspector makes with another: every covered item
    answered by one of them in turn, and `size` photos by both spread over the items."""
    from outlet_audit.checklist.coverage import covered_items

    second = make_user(Role.INSPECTOR, district_code="FX")
    certificate = certified_outlets(1)[0]
    check = open_check(
        certificate, CheckPurpose.TARGETED, [user, second], due_by=today_in_shanghai() + timedelta(days=7),
        actor=make_user(Role.DISTRICT_BUREAU, district_code="FX"), reason="抽查",
    )  # fmt: skip
    application = db.session.get(Application, certificate.application_id)
    edition = pinned_edition(application.edition)
    covered = sorted(covered_items(check.assessment, edition, check.checklist))
    people = (user, second)
    for n in range(size):
        evidence_row(check.assessment, application, edition.item(covered[n % len(covered)]), people[n % 2])
    for n, code in enumerate(covered):
        save_answer(
            check.assessment, edition, code, value=best_value(edition.item(code)), not_applicable=False,
            note=None, expected_version=0, actor=people[n % 2],
        )  # fmt: skip
    return same_request("checklist.edit", assessment_id=check.assessment_id)


@new_subject
def complaint_page(user, size):
    """A complaint the district bureau sent a team (of the most inspectors a visit has) to check, whose
    timeline holds `size` more events, each by another bureau member."""
    from outlet_audit.supervision.complaints import open_complaint_visit
    from outlet_audit.workflow.states import MAX_TEAM

    certificate = certified_outlets(1)[0]
    complaint = file_complaint(
        certificate,
        category=ComplaintCategory.MATERIALS,
        description="宽胶带",
        contact="13900000000",
        photo=None,
    ).complaint
    team = [make_user(Role.INSPECTOR, district_code="FX") for _ in range(MAX_TEAM)]
    check = open_complaint_visit(
        complaint, user, team, due_by=today_in_shanghai() + timedelta(days=7), reason="核查"
    )
    for n in range(size):
        record(
            "complaint_visit_opened",
            actor=make_user(Role.DISTRICT_BUREAU, district_code="FX"),
            subject_type="complaint",
            subject_id=complaint.id,
            old=complaint.reference,
            new=check.number,
            reason=f"复核 {n}",
        )
    return same_request("complaints.detail", complaint_id=complaint.id)


# The read API's pages hold up to 200 rows (its own page size): all of LARGE on one page.
API_LIMIT = 200


def api_certificates(_user, size):
    certified_outlets(size)
    return same_request("api.certificates", limit=API_LIMIT)


def api_outlets_with_token(user, size):
    """`size` verified outlets of the district, read with a token of the district bureau (which
    reaches every verified outlet of its district, certified or not: no certificates to make)."""
    from outlet_audit.api.tokens import issue_token

    for _ in range(size):
        make_outlet("FX")
    issued = issue_token(
        user.organisation, name="平台", scopes=["outlets:read"], expires_at=None, actor=make_user(Role.ADMIN)
    )
    headers = {"Authorization": f"Bearer {issued.plain}"}
    return lambda: PageRequest("api.outlets", {"limit": API_LIMIT}, headers=headers)


def api_campaigns(_user, size):
    drawn_campaigns(size, make_user(Role.DISTRICT_BUREAU, district_code="FX"), closed=True)
    return same_request("api.campaigns", limit=API_LIMIT)


CASES = [
    BudgetCase("login", "accounts.login", None, login_page),
    BudgetCase("admin users", "admin.users", Role.ADMIN, admin_users),
    BudgetCase("audit log", "audit_log.index", Role.ADMIN, audit_log, statements=AUDIT_LOG_STATEMENTS),
    BudgetCase("my exports", "jobs.my_exports", Role.DISTRICT_BUREAU, my_exports),
    BudgetCase("failed jobs", "jobs.failed", Role.ADMIN, failed_jobs),
    BudgetCase("verification queue", "outlets.verification_queue", Role.DISTRICT_BUREAU, verification_queue),
    BudgetCase("application queue", "workflow.queue", Role.DISTRICT_BUREAU, application_queue),
    BudgetCase("application detail", "workflow.application_detail", Role.DISTRICT_BUREAU, application_detail),
    BudgetCase(
        "approvals (district postal)",
        "workflow.approvals",
        Role.DISTRICT_BUREAU,
        approvals_for(Agency.DISTRICT_POSTAL, Level.DISTRICT, steps_agreed=1),
        statements=APPROVALS_STATEMENTS,
    ),
    BudgetCase(
        "approvals (district ecology)",
        "workflow.approvals",
        Role.DISTRICT_BUREAU,
        approvals_for(Agency.DISTRICT_ECOLOGY, Level.DISTRICT, steps_agreed=0),
        agency=Agency.DISTRICT_ECOLOGY,
        statements=APPROVALS_STATEMENTS,
    ),
    BudgetCase(
        "approvals (city postal)",
        "workflow.approvals",
        Role.CITY_BUREAU,
        approvals_for(Agency.CITY_POSTAL, Level.CITY, steps_agreed=1),
        statements=APPROVALS_STATEMENTS,
    ),
    BudgetCase("checklist page", "checklist.edit", Role.INSPECTOR, checklist_page),
    BudgetCase("re-inspection checklist page", "checklist.edit", Role.INSPECTOR, reinspection_page),
    BudgetCase("sign-off page", "checklist.sign_off", Role.INSPECTOR, sign_off_page),
    BudgetCase("answer save", "checklist.save_item", Role.INSPECTOR, answer_save),
    BudgetCase("certificate PDF", "certificates.certificate_pdf", Role.DISTRICT_BUREAU, certificate_pdf),
    BudgetCase("inspection report PDF", "reports.inspection_report", Role.DISTRICT_BUREAU, inspection_report),
    BudgetCase("public verification", "public.verify_number", None, public_verification),
    BudgetCase("public directory", "public.directory", None, public_directory),
    BudgetCase("XLSX export", "dashboards.export", Role.DISTRICT_BUREAU, xlsx_export),
    BudgetCase("spot-check campaigns", "campaigns.index", Role.DISTRICT_BUREAU, campaign_list),
    BudgetCase("public spot-check results", "public_campaigns.index", None, public_campaign_list),
    BudgetCase("complaints list", "complaints.index", Role.DISTRICT_BUREAU, complaints_list),
    BudgetCase("API tokens", "api.tokens", Role.DISTRICT_BUREAU, api_tokens),  # #21
    BudgetCase("public complaint form", "complaints.new", None, complaint_form),
    BudgetCase(
        "revocation proposals", "certificates.revocation_proposals", Role.CITY_BUREAU, revocation_proposals
    ),
    BudgetCase("revocation cases", "revocation.index", Role.CITY_BUREAU, revocation_cases),
    BudgetCase("city dashboard", "dashboards.overview", Role.CITY_BUREAU, city_dashboard),
    BudgetCase("district dashboard", "dashboards.overview", Role.DISTRICT_BUREAU, district_dashboard),
    BudgetCase("draft edition impact", "criteria.draft_impact", Role.ADMIN, draft_impact),
    BudgetCase("supervision checks", "checks.index", Role.DISTRICT_BUREAU, supervision_checks),
    BudgetCase("supervision check page", "checks.check_detail", Role.DISTRICT_BUREAU, supervision_check_page),
    BudgetCase(
        "supervision dashboard (city)",
        "supervision_dashboard.overview",
        Role.CITY_BUREAU,
        supervision_dashboard_city,
    ),
    BudgetCase(
        "supervision dashboard (district)",
        "supervision_dashboard.overview",
        Role.DISTRICT_BUREAU,
        supervision_dashboard_district,
    ),
    BudgetCase("yearly self-checks", "yearly.bureau_list", Role.DISTRICT_BUREAU, yearly_list),
    BudgetCase("yearly self-check review", "yearly.review_page", Role.DISTRICT_BUREAU, yearly_review),
    BudgetCase("webhook endpoints", "webhooks.index", Role.DISTRICT_BUREAU, webhook_list),
    BudgetCase("webhook endpoint page", "webhooks.detail", Role.DISTRICT_BUREAU, webhook_page),
    # #23: the wave's new main pages
    BudgetCase(
        "application detail with findings",
        "workflow.application_detail",
        Role.DISTRICT_BUREAU,
        application_with_findings,
    ),
    BudgetCase("spot-check campaign page", "campaigns.detail", Role.DISTRICT_BUREAU, campaign_page),
    BudgetCase("public spot-check result", "public_campaigns.detail", None, public_campaign_page),
    BudgetCase("my supervision visits", "checks.my_visits", Role.INSPECTOR, my_supervision_visits),
    BudgetCase("supervision visit checklist", "checklist.edit", Role.INSPECTOR, supervision_visit_checklist),
    BudgetCase("complaint page", "complaints.detail", Role.DISTRICT_BUREAU, complaint_page),
    BudgetCase("API certificates", "api.certificates", None, api_certificates),
    BudgetCase("API outlets (token)", "api.outlets", Role.DISTRICT_BUREAU, api_outlets_with_token),
    BudgetCase("API campaigns", "api.campaigns", None, api_campaigns),
]


@pytest.fixture(autouse=True)
def page_size(app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", PAGE_SIZE)


def send(app, client, page: PageRequest):
    with app.test_request_context():
        url = url_for(page.endpoint, **page.values)
    multipart = {"data": page.data, "content_type": "multipart/form-data"} if page.data else {}
    # Buffered: a streamed body (the exports) runs its queries while it is read, and the test
    # client runs each request in a context of its own, where the stream must be read too.
    return client.open(
        url, method=page.method, json=page.json, headers=page.headers, buffered=True, **multipart
    )


def test_pending_pages_are_listed_cases():
    assert {case.name for case in CASES} >= PENDING_PAGES, PENDING_PAGES - {case.name for case in CASES}


def statements_per_size(app, client, case: BudgetCase) -> dict[int, list[str]]:
    """Sign in as the case's role; for SMALL and LARGE records, the statements of one request."""
    user = None
    if case.role is not None:
        district = "FX" if case.role in (Role.INSPECTOR, Role.DISTRICT_BUREAU) else None
        user = make_user(case.role, district_code=district, agency=case.agency)
        login(client, user)
    counted, built = {}, 0
    for size in (SMALL, LARGE):
        # What was built for SMALL stays in reach: only the rest is made, unless the builder starts anew.
        next_request = case.build(user, size if getattr(case.build, "new_subject", False) else size - built)
        built = size
        warm_up = send(app, client, next_request())
        assert warm_up.status_code == 200, f"{case.name} with {size} records: HTTP {warm_up.status_code}"
        with counted_statements() as statements:
            response = send(app, client, next_request())
        assert response.status_code == 200, f"{case.name} with {size} records: HTTP {response.status_code}"
        counted[size] = statements
    return counted


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_statement_count_does_not_grow_with_the_data(app, client, case):
    if case.endpoint not in app.view_functions:
        if case.name in PENDING_PAGES:
            pytest.xfail(f"{case.endpoint} not built yet (listed in PENDING_PAGES)")
        pytest.fail(f"{case.name}: endpoint {case.endpoint} not built (add it to PENDING_PAGES while it is)")
    counted = statements_per_size(app, client, case)
    grown = Counter(counted[LARGE]) - Counter(counted[SMALL])
    assert len(counted[LARGE]) <= len(counted[SMALL]), (
        f"{case.name}: {len(counted[SMALL])} statements with {SMALL} records, "
        f"{len(counted[LARGE])} with {LARGE}; "
        "repeated more often with more data:\n"
        + "\n".join(f"{n}x {sql[:300]}" for sql, n in grown.most_common(5))
    )
    if case.statements is not None:
        for size, statements in counted.items():
            own = [sql for sql in statements if not sql.lstrip().upper().startswith(SAVEPOINTS)]
            assert len(own) == case.statements, (
                f"{case.name} with {size} records: {len(own)} statements, its budget is {case.statements}:\n"
                + "\n".join(sql[:200] for sql in own)
            )


def test_the_count_sees_a_query_per_row(database_url, tmp_path, db_session):
    """The measurement itself: a page that queries once per outlet is counted as growing."""
    n_plus_one = Blueprint("n_plus_one", __name__)

    @n_plus_one.get("/n-plus-one")
    @public
    def one_query_per_outlet():
        outlets = db.session.scalars(select(Outlet).where(Outlet.verified.is_(False))).all()
        names = [
            db.session.scalar(select(District.name_zh).where(District.id == o.district_id)) for o in outlets
        ]
        return {"names": names}

    app = make_test_app(database_url, tmp_path)
    app.register_blueprint(n_plus_one)

    def unverified_outlets(_user, size):
        for _ in range(size):
            make_outlet("FX", verified=False)
        return same_request("n_plus_one.one_query_per_outlet")

    case = BudgetCase("n+1 probe", "n_plus_one.one_query_per_outlet", None, unverified_outlets)
    counted = statements_per_size(app, app.test_client(), case)
    assert len(counted[LARGE]) - len(counted[SMALL]) >= LARGE - SMALL
