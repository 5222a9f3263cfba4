"""The outlet never sees an inspection record before it is signed, by any way in; the bureaus'
reuse flags name only the outlets of the districts they oversee.

One rule (`checklist.permissions.inspection_visible_to`) decides what of an inspection record the
outlet sees: nothing while the inspectors are still at work, everything once it is signed. A signed
record stays as signed: reopened, it is corrected by a new record, which the outlet sees only once
that is signed in turn. The sweep below asks every page, file, PDF and JSON answer the outlet's role
may reach, so a new endpoint that shows inspection data is caught without being listed here.
"""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from outlet_audit.access import rule_for_endpoint
from outlet_audit.audit.models import AuditEvent
from outlet_audit.audit.queries import application_timeline, outlet_timeline
from outlet_audit.checklist.attachments import ELSEWHERE, attach_item_evidence, attach_signature, reuse_map
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import assessment_of, get_or_create_assessment, score_assessment
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckPurpose
from outlet_audit.supervision.operations import open_check
from outlet_audit.supervision.revocation_cases import serve_notice
from outlet_audit.supervision.yearly import create_self_check
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.states import Action
from tests.certificate_helpers import pdf_text
from tests.checklist_helpers import Inspection, attach, photo, signature_png_data_url
from tests.factories import advance, cast_for, login, make_outlet, make_user
from tests.workflow_helpers import give_certificate

NOTE = (
    "UNSIGNED-NOTE-7Q3"  # written by the inspector into item 1.2; must reach the outlet only after sign-off
)
FILENAME = "site-UNSIGNED-7Q3.jpg"
CORRECTION_NOTE = "CORRECTION-NOTE-5K2"  # written into 1.2 of the correction, before it is signed
CORRECTION_FILENAME = "site-CORRECTION-5K2.jpg"
JSON = {"Accept": "application/json"}
# Endpoints the sweep must have asked, so it can never pass by asking nothing.
MUST_ASK = {
    "reports.inspection_report",
    "checklist.edit",
    "checklist.result",
    "evidence.file",
    "evidence.thumbnail",
    "notifications.index",
    "outlets.profile",
    "workflow.application_detail",
    "workflow.my_applications",
}
# Served from files on disk (no record, no inspection): nothing to sweep.
STATIC_ENDPOINTS = {"static", "bootstrap.static"}


class World:
    """An outlet whose inspection is under way: answers with a note, a site photo, a drawn signature.

    The outlet also holds a certificate from an earlier application, and has started its
    self-assessment, so every endpoint its role can reach has a record to open.
    """

    def __init__(self):
        outlet = make_outlet("FX")
        self.certificate = give_certificate(outlet)
        self.inspection = inspection = Inspection(outlet=outlet, status="draft")
        self.application = inspection.application
        self.outlet_user = inspection.outlet_user
        self.city = make_user(Role.CITY_BUREAU)
        self.self_assessment = get_or_create_assessment(self.application, "self")
        self.self_photo = attach_item_evidence(
            self.self_assessment, self.application, inspection.edition, "1.1", photo((64, 48), colour="red"),
            "self.jpg", self.outlet_user,
        )  # fmt: skip
        # Submitted (the rest of the self-assessment answered in full), accepted, and scheduled.
        people = cast_for(
            outlet, [inspection.inspector, inspection.second_inspector], bureau=inspection.bureau
        )
        advance(self.application, "inspection_scheduled", cast=people)
        inspection.save("1.1", True)
        inspection.save("1.2", False, note=NOTE)
        self.site_photo = attach(inspection, "1.2", photo((64, 48), colour="orange"), filename=FILENAME)
        self.signature = attach_signature(
            inspection.assessment,
            self.application,
            "inspector",
            signature_png_data_url(),
            inspection.inspector,
        )
        score_assessment(inspection.assessment, inspection.edition, inspection.outlet.id)
        db.session.flush()
        assert self.site_photo.filename == FILENAME and inspection.assessment.final is not None
        # A supervision check of its certificate, its visit under way (H-visits' pages).
        self.check = open_check(
            self.certificate,
            CheckPurpose.TARGETED,
            [inspection.inspector],
            due_by=today_in_shanghai(),
            actor=inspection.bureau,
            reason="sweep",
        )
        due = today_in_shanghai() + timedelta(days=30)
        self.self_check = create_self_check(self.certificate, due.year, due)
        self.revocation_case = serve_notice(
            self.certificate,
            inspection.bureau,
            ground="false_materials",
            grounds="提供虚假材料。",
            evidence="申报材料与现场不符。",
            response_due=today_in_shanghai() + timedelta(days=30),
        )
        self.secrets = (NOTE, FILENAME)  # what the outlet must not see yet
        self.hidden_evidence_ids = self.inspection_evidence_ids

    def sign_off(self):
        self.inspection.sign_off()

    def reopen(self):
        """The bureau reopens the signed record: a correction starts, and the inspector changes 1.2 in
        it and adds a photo. From now on the correction's note and files are the secrets."""
        signed = self.inspection.assessment
        apply_transition(
            self.application, Action.REOPEN_INSPECTION, self.inspection.bureau,
            make_payload(reasons="Item 1.2 needs a second look."),
        )  # fmt: skip
        db.session.flush()
        self.inspection.assessment = assessment_of(self.application, AssessmentKind.INSPECTION)
        assert self.inspection.assessment.amends_id == signed.id and signed.signed_off_at is not None
        self.inspection.save("1.2", True, note=CORRECTION_NOTE)
        photo_ = attach(self.inspection, "1.2", photo((64, 48), colour="pink"), filename=CORRECTION_FILENAME)
        carried = db.session.scalars(
            sa.select(Evidence.id).where(Evidence.assessment_id == self.inspection.assessment.id)
        ).all()
        assert photo_.id in carried
        self.secrets = (CORRECTION_NOTE, CORRECTION_FILENAME)
        self.hidden_evidence_ids = tuple(carried)

    @property
    def inspection_evidence_ids(self) -> tuple[int, ...]:
        return (self.site_photo.id, self.signature.id)

    def argument_values(self) -> dict[str, list]:
        """Every record the outlet may name in a URL, by argument."""
        return {
            "application_id": [self.application.id, self.certificate.application_id],
            "assessment_id": [self.self_assessment.id, self.inspection.assessment.id],
            "evidence_id": [self.self_photo.id, *self.inspection_evidence_ids],
            "notice_id": [],  # none: a notice is issued on a signed record only
            "certificate_id": [self.certificate.id],
            "check_id": [self.check.id],  # a supervision visit under way: hidden like an inspection
            "self_check_id": [self.self_check.id],  # its yearly self-check, the outlet's own
            # a notice of revocation served on its certificate: the case cites no unsigned visit
            "revocation_case_id": [self.revocation_case.id],
            "number": [self.certificate.number],
            "outlet_id": [self.inspection.outlet.id],  # the read API's outlet: public fields only
            "export": [],  # none: a large export is a bureau's
            "item_code": ["1.2"],
            "token": ["not-a-token"],  # a password reset link's
            "code": ["AAAABBBBCCCCDDDD"],  # an invitation link's
        }

    def secrets_in(self, body: str, url: str) -> list[str]:
        """What of the inspection a response shows: the note, the file name, links to its evidence.

        The requested address itself may come back (the language form returns to it): not a leak.
        """
        body = body.replace(url, "")
        found = [secret for secret in self.secrets if secret in body]
        found += [
            f"/evidence/{evidence_id}"
            for evidence_id in self.hidden_evidence_ids
            if re.search(rf"/evidence/{evidence_id}(?!\d)", body)
        ]
        return found


@pytest.fixture
def world(ctx, english_ui):
    return World()


def _body(response) -> str:
    if response.mimetype == "application/pdf":
        return pdf_text(response.get_data())
    if response.mimetype.startswith("image/"):
        return "<image>"
    return response.get_data(as_text=True)


def outlet_requests(app, world: World):
    """Every GET the outlet's role may make, with each record it could name, as HTML and as JSON;
    and the POSTs that answer with inspection data to someone allowed to make them."""
    values = world.argument_values()
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.endpoint):
        access = rule_for_endpoint(app, rule.endpoint)
        if rule.endpoint in STATIC_ENDPOINTS or "GET" not in rule.methods:
            continue
        if access is None or not (access.public or Role.OUTLET in access.scopes):
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.endpoint}: the sweep has no value for {missing}; add one to World"
        combinations = [{}]
        for argument in sorted(rule.arguments):
            combinations = [{**c, argument: value} for c in combinations for value in values[argument]]
        for arguments in combinations:
            url = rule.build(arguments)[1]
            yield rule.endpoint, "GET", url, {}
            yield rule.endpoint, "GET", url, {"headers": JSON}
    inspection = world.inspection
    answer = {"value": "yes", "not_applicable": False, "note": "", "expected_version": 1}
    yield "checklist.save_item", "POST", inspection.save_url("1.2"), {"json": answer}
    yield "evidence.upload", "POST", inspection.upload_url, {"data": {"item_code": "1.2"}, "headers": JSON}
    for evidence_id in world.inspection_evidence_ids:
        yield "evidence.delete", "POST", f"/evidence/{evidence_id}/delete", {"headers": JSON}
    transition = f"/applications/{world.application.id}/transition"
    yield (
        "workflow.transition",
        "POST",
        transition,
        {"data": {"action": "submit"}},
    )  # refused by the state machine: the page again


def sweep(app, client, world: World) -> tuple[set[str], list[str]]:
    asked, leaks = set(), []
    for endpoint, method, url, kwargs in outlet_requests(app, world):
        response = client.open(url, method=method, **kwargs)
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        asked.add(endpoint)
        if found := world.secrets_in(_body(response), url):
            leaks.append(f"{method} {url} ({kwargs.get('headers', {}).get('Accept', 'html')}): {found}")
    return asked, leaks


def test_no_endpoint_shows_the_outlet_an_inspection_not_signed_off(app, client, world):
    login(client, world.outlet_user)
    asked, leaks = sweep(app, client, world)
    assert asked >= MUST_ASK, f"the sweep missed {MUST_ASK - asked}"
    assert leaks == [], "the outlet saw its inspection before sign-off:\n" + "\n".join(leaks)


def test_after_sign_off_the_outlet_sees_it_everywhere_and_a_correction_only_once_signed(app, client, world):
    world.sign_off()
    login(client, world.outlet_user)
    page = client.get(f"/applications/{world.application.id}").get_data(as_text=True)
    assert NOTE in page and "answered inspection item 1.2" in page
    assert NOTE in pdf_text(client.get(f"/reports/{world.application.id}/inspection-report.pdf").get_data())
    for evidence_id in world.inspection_evidence_ids:
        assert client.get(f"/evidence/{evidence_id}").status_code == 200
    assert client.get(f"/evidence/{world.site_photo.id}/thumbnail").status_code == 200
    assert FILENAME in client.get("/outlets/profile").get_data(as_text=True)
    assert client.get(f"/checklist/applications/{world.application.id}/result").status_code == 200

    world.reopen()  # corrected in a new record: hidden until it is signed; the signed one stays
    asked, leaks = sweep(app, client, world)
    assert asked >= MUST_ASK and leaks == [], "\n".join(leaks)
    page = client.get(f"/applications/{world.application.id}").get_data(as_text=True)
    assert "Item 1.2 needs a second look." in page  # the bureau's reason is for the outlet to read
    assert NOTE in pdf_text(client.get(f"/reports/{world.application.id}/inspection-report.pdf").get_data())
    assert NOTE in client.get(f"/checklist/applications/{world.application.id}/result").get_data(as_text=True)

    world.inspection.sign_off()
    report = pdf_text(client.get(f"/reports/{world.application.id}/inspection-report.pdf").get_data())
    assert NOTE in report and CORRECTION_NOTE in report and "Item1.2needsasecondlook." in report


def test_the_report_and_the_inspection_files_are_missing_for_the_outlet_until_sign_off(client, world):
    login(client, world.outlet_user)
    assert client.get(f"/reports/{world.application.id}/inspection-report.pdf").status_code == 404
    for evidence_id in world.inspection_evidence_ids:
        assert client.get(f"/evidence/{evidence_id}").status_code == 404
        assert client.get(f"/evidence/{evidence_id}/thumbnail").status_code == 404
    assert client.get(f"/evidence/{world.self_photo.id}").status_code == 200  # its own photo: always


def test_the_application_page_keeps_the_running_score_from_the_outlet(client, world):
    login(client, world.outlet_user)
    page = client.get(f"/applications/{world.application.id}").get_data(as_text=True)
    tiles = re.findall(r'class="score-figure[^"]*">([^<]*)<', page)
    assert tiles == [str(world.self_assessment.final), "—"], tiles  # the inspection withheld
    assert "shown once the inspection is signed off" in page
    assert f"/checklist/applications/{world.application.id}/result" not in page
    world.sign_off()
    page = client.get(f"/applications/{world.application.id}").get_data(as_text=True)
    assert re.findall(r'class="score-figure[^"]*">([^<]*)<', page)[1] == str(
        world.inspection.assessment.final
    )
    assert f"/checklist/applications/{world.application.id}/result" in page


@pytest.mark.parametrize("who", ["inspector", "bureau", "city"])
def test_everyone_else_in_scope_sees_the_inspection_history_while_it_is_under_way(client, world, who):
    user = {"inspector": world.inspection.inspector, "bureau": world.inspection.bureau, "city": world.city}[
        who
    ]
    login(client, user)
    page = client.get(f"/applications/{world.application.id}").get_data(as_text=True)
    assert NOTE in page and FILENAME in page
    if who != "inspector":  # inspectors have no report downloads at all
        assert client.get(f"/reports/{world.application.id}/inspection-report.pdf").status_code == 200


def test_the_timelines_leave_the_inspection_out_in_the_query_itself(world):
    """The outlet's timelines never load an inspection event: left out in SQL, not after reading."""
    outlet_id = world.inspection.outlet.id
    loaded: list[str] = []  # the field of every audit row read from the database

    def on_load(event, _context):
        loaded.append(event.field or "")

    db.session.flush()
    db.session.expunge_all()  # read every row from the database, not from the session
    sa.event.listen(AuditEvent, "load", on_load)
    try:
        entries = application_timeline(
            world.application.id, viewer=world.outlet_user, inspection=world.inspection.assessment
        )
        entries += outlet_timeline(outlet_id, viewer=world.outlet_user)
        assert loaded and not [field for field in loaded if field.startswith("inspection:")]
        loaded.clear()
        bureau = outlet_timeline(outlet_id, viewer=world.inspection.bureau)
        # the photo and the signature (answers name no outlet): the bureau reads them
        assert len([field for field in loaded if field.startswith("inspection:")]) >= 2
    finally:
        sa.event.remove(AuditEvent, "load", on_load)
    texts = " ".join(f"{e.what} {e.new} " + " ".join(f"{d.what} {d.new}" for d in e.details) for e in entries)
    assert NOTE not in texts and FILENAME not in texts
    told = [f"{e.what} {e.new}" for e in entries] + [f"{d.what} {d.new}" for e in entries for d in e.details]
    assert not [
        text for text in told if "Inspection" in text and "scheduled the on-site inspection" not in text
    ]
    assert "answered self-assessment item 1.1" in texts and "self.jpg" in texts  # the rest is still told
    assert FILENAME in " ".join(str(step.new) for e in bureau for step in (e, *e.details))


# --- evidence reuse across districts ----------------------------------------------------------


@pytest.fixture
def reused(ctx, english_ui):
    """One photo used by an FX outlet (the one inspected), another FX outlet and a QP outlet."""
    borrowed = photo(colour="purple")
    here, neighbour, foreign = Inspection(), Inspection(), Inspection(district_code="QP")
    attach(neighbour, "4.1", borrowed)
    attach(foreign, "4.1", borrowed)
    evidence = attach(here, "4.1", borrowed)
    return here, neighbour, foreign, evidence


def _reuse_note(page: str) -> str:
    match = re.search(r'<div class="evidence-reuse".*?</div>\s*</figcaption>', page, re.S)
    assert match, "no reuse note on the page"
    return match[0]


@pytest.mark.parametrize("page", ["edit", "result"])
def test_a_district_bureau_learns_only_that_another_district_used_the_photo(client, reused, page):
    here, neighbour, foreign, _ = reused
    login(client, here.bureau)
    note = _reuse_note(
        client.get(here.edit_url if page == "edit" else here.result_url).get_data(as_text=True)
    )
    assert foreign.outlet.name not in note and foreign.application.reference not in note
    assert "Same file also used in another district's application." in note
    assert neighbour.outlet.name in note and neighbour.application.reference in note  # its own district
    assert "Qingpu" not in note and "青浦" not in note


@pytest.mark.parametrize("page", ["edit", "result"])
def test_the_city_bureau_sees_every_outlet_that_used_the_photo(client, reused, page):
    here, neighbour, foreign, _ = reused
    login(client, make_user(Role.CITY_BUREAU))
    note = _reuse_note(
        client.get(here.edit_url if page == "edit" else here.result_url).get_data(as_text=True)
    )
    for other in (neighbour, foreign):
        assert other.outlet.name in note and other.application.reference in note
    assert "another district's application" not in note


def test_the_reuse_rule_lives_in_reuse_map(reused):
    here, neighbour, foreign, evidence = reused
    city = make_user(Role.CITY_BUREAU)
    by_city = reuse_map([evidence], city)[evidence.id]
    assert {r.outlet_name for r in by_city} == {neighbour.outlet.name, foreign.outlet.name}
    by_district = reuse_map([evidence], here.bureau)[evidence.id]
    assert [r.outlet_name for r in by_district] == [neighbour.outlet.name, None] and by_district[
        -1
    ] == ELSEWHERE
    by_qp = reuse_map([evidence], foreign.bureau)[evidence.id]  # as Qingpu would see it: its own outlet named
    assert [r.outlet_name for r in by_qp] == [foreign.outlet.name, None]
    for user in (here.inspector, here.outlet_user):
        assert reuse_map([evidence], user) == {}  # the flag is for the bureaus' review
    # A use in another district is reported once, however many outlets there used the photo.
    attach(Inspection(district_code="PD"), "4.1", photo(colour="purple"))
    assert reuse_map([evidence], here.bureau)[evidence.id].count(ELSEWHERE) == 1


def test_reuse_names_nobody_to_a_bureau_user_without_a_district(reused):
    here, neighbour, foreign, evidence = reused
    # The database refuses such an account; the rule must not read "no district" as "every" all the same.
    stray = SimpleNamespace(role=Role.DISTRICT_BUREAU, district_id=None)
    assert reuse_map([evidence], stray)[evidence.id] == [ELSEWHERE]
