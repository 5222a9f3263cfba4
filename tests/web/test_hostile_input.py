"""Hostile input, tried: markup typed into every free-text field stays inert in every page, export
and PDF that shows it; bad files through every upload endpoint; injection strings in every search.

The first part walks one application from registration to revocation through the HTTP forms
(module-scoped, rolled back at the end), putting a payload in each free-text field on the way:
`<b id="xss-TAG">…</b><script>xss(TAG)</script>`. A page passes when no element carries one of
those ids, no script holds `xss(`, no element has an on* handler, and the payload of each field
the page shows comes back from the parser as text: shown literally, inert.
"""

import csv
import io
import re
import zipfile
from datetime import timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import openpyxl
import pytest
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer
from outlet_audit.checklist.service import assessment_of
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import affirm_declarations
from tests.certificate_helpers import pdf_text
from tests.checklist_helpers import SVG_WITH_SCRIPT, pdf, photo
from tests.conftest import connection_bound_session
from tests.factories import PASSWORD, district, login, make_application, make_outlet, make_user
from tests.web.test_outlet_profile import profile_data
from tests.workflow_helpers import (
    answer_all,
    attach,
    finding_answer_request,
    finding_check_request,
    make_crew,
    ordered_findings,
)

MULTIPART = "multipart/form-data"


def payload(tag: str) -> str:
    """At most 47 characters: it must fit the shortest free-text field (the manager, 50)."""
    return f'<b id="xss-{tag}">{tag}\'&</b><script>xss({tag})</script>'


FORMULA_NOTE = '=HYPERLINK("http://x.test","click")'
# What display_filename leaves of a hostile name: the path dropped, <>:"|?* made underscores.
# (Quotes are left out: the test client does not escape them in the multipart header, browsers do.)
HOSTILE_FILENAME = "..\\../x'&<b id=xss-fn>y.jpg"
HOSTILE_FILENAME_SHOWN = "x'&_b id=xss-fn_y.jpg"
HOSTILE_LETTER = "../../etc/<script>xss(lf)</script>.pdf"
HOSTILE_LETTER_SHOWN = "script_.pdf"  # everything up to the last slash is a path, dropped


class PageReader(HTMLParser):
    """What a browser would make of a page: its elements' attributes, texts and scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>: an event handler")
            if name == "id" and value and value.startswith("xss-"):
                self.problems.append(f"<{tag} id={value}>: user markup became an element")
            if value:
                self.texts.append(value)
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "xss(" in data:
            self.problems.append(f"user text inside a script: {data[:80]!r}")
        self.texts.append(data)


def assert_inert(page: str, shown_tags=(), shown_texts=(), where: str = ""):
    reader = PageReader()
    reader.feed(page)
    reader.close()
    assert reader.problems == [], f"{where}: {reader.problems}"
    everything = "\n".join(reader.texts)
    for tag in shown_tags:
        assert payload(tag) in everything, f"{where}: the {tag!r} field is not shown literally"
    for text in shown_texts:
        assert text in everything, f"{where}: {text!r} is not shown"


# --- the journey ----------------------------------------------------------------------------


class Walk:
    """One module-wide journey; `as_(username)` is a client signed in as that user."""

    def __init__(self, app):
        self.app = app
        self.ids = SimpleNamespace()

    def read(self, fn):
        """Run a query in a session of its own, gone before the next request."""
        with self.app.app_context():
            try:
                return fn()
            finally:
                db.session.remove()

    def as_(self, username: str):
        client = self.app.test_client()
        token = self.read(
            lambda: db.session.scalar(select(User.session_token).where(User.username == username))
        )
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        return client

    def get(self, username, url, status=200):
        response = self.as_(username).get(url, buffered=True)
        assert response.status_code == status, f"GET {url}: {response.status_code}"
        return response

    def post(self, username, url, status=302, **kwargs):
        response = self.as_(username).post(url, buffered=True, **kwargs)
        assert response.status_code == status, (
            f"POST {url}: {response.status_code} {response.get_data(as_text=True)[-1500:]}"
        )
        return response

    def act(self, username, action, **fields):
        data = {"action": action, **{f"{action}-{name}": value for name, value in fields.items()}}
        return self.post(
            username, f"/applications/{self.ids.application}/transition", data=data, content_type=MULTIPART
        )

    def status(self) -> str:
        return self.read(lambda: db.session.get(Application, self.ids.application).status)


def versions_of(assessment_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(Answer.item_code, Answer.version).where(Answer.assessment_id == assessment_id)
    )
    return dict(rows.all())


def newest_inspection(walk: Walk) -> int:
    return walk.read(
        lambda: assessment_of(db.session.get(Application, walk.ids.application), AssessmentKind.INSPECTION).id
    )


def walk_through(walk: Walk) -> None:
    """Registration to revocation, a payload in every free-text field on the way."""
    ids = walk.ids
    with walk.app.test_request_context():
        make_user(Role.DISTRICT_BUREAU, district_code="FX", username="hx-bureau", locale="en")
        make_user(Role.CITY_BUREAU, username="hx-city")
        make_user(
            Role.DISTRICT_BUREAU,
            district_code="FX",
            username="hx-ecology",
            locale="en",
            agency=Agency.DISTRICT_ECOLOGY,
        )
        make_user(Role.ADMIN, username="hx-admin")
        ids.fengxian = district("FX").id
        db.session.commit()

    walk.post(
        "hx-admin",
        "/admin/users/new",
        data={
            "username": "hx-inspector",
            "display_name": payload("iu"),
            "email": "",
            "role": "inspector",
            "district_id": ids.fengxian,
            "password": PASSWORD,
        },
    )
    anonymous = walk.app.test_client()
    registered = anonymous.post(
        "/register",
        data={
            "outlet_name": payload("na"),
            "brand": "顺丰",
            "district_id": ids.fengxian,
            "address": payload("ad"),
            "permit_number": "SH-KD-2024-7701",
            "manager": payload("mg"),
            "phone": "13800000001",
            "opening_hours": payload("oh"),
            "username": "hx-outlet",
            "display_name": payload("dn"),
            "email": "hx.outlet@example.com",  # markup is no address: refused (test_accounts.py)
            "password": PASSWORD,
        },
    )
    assert registered.status_code == 302, registered.get_data(as_text=True)[-2000:]
    ids.outlet = walk.read(
        lambda: db.session.scalar(select(Outlet.id).where(Outlet.permit_number == "SH-KD-2024-7701"))
    )
    walk.pages["verification queue (registration)"] = (
        walk.get("hx-bureau", "/outlets/verification").get_data(as_text=True),
        ("na", "ad", "mg"),
    )
    walk.post("hx-bureau", f"/outlets/{ids.outlet}/verify")

    # Profile: unverified fields change at once, verified ones wait for the bureau, who declines.
    walk.post(
        "hx-outlet",
        "/outlets/profile",
        data={
            "outlet_name": payload("pn"),
            "brand": "顺丰",
            "district_id": ids.fengxian,
            "address": payload("pa"),
            "permit_number": "SH-KD-2024-7701",
            "manager": payload("pm"),
            "phone": "13800000001",
            "opening_hours": payload("ph"),
        },
    )
    walk.pages["verification queue (profile changes)"] = (
        walk.get("hx-bureau", "/outlets/verification").get_data(as_text=True),
        ("na", "pn", "pa", "pm"),
    )
    walk.post("hx-bureau", f"/outlets/{ids.outlet}/changes/reject", data={"reason": payload("rj")})

    # The application: declarations, self-assessment with a note and a file, the letter.
    response = walk.post("hx-outlet", "/applications/new", data={"target_level": "district"})
    ids.application = int(response.headers["Location"].rsplit("/", 1)[1])

    def prepare():
        application = db.session.get(Application, ids.application)
        outlet_user = db.session.scalar(select(User).where(User.username == "hx-outlet"))
        affirm_declarations(application, outlet_user)
        self_assessment = answer_all(application, "self", outlet_user)
        ids.self = self_assessment.id
        ids.edition_items = [item.code for item in pinned_edition(application.edition).items()]
        ids.version_1_1 = versions_of(self_assessment.id)["1.1"]
        db.session.commit()

    walk.read(prepare)
    walk.post(
        "hx-outlet",
        f"/checklist/{ids.self}/items/1.1",
        status=200,
        json={
            "value": "yes",
            "not_applicable": False,
            "note": payload("sn"),
            "expected_version": ids.version_1_1,
        },
    )
    upload = walk.post(
        "hx-outlet",
        f"/evidence/assessments/{ids.self}/upload",
        status=200,
        data={"item_code": "1.1", "file": (io.BytesIO(photo((64, 48), colour="red")), HOSTILE_FILENAME)},
        headers={"Accept": "application/json"},
    )
    walk.pages["evidence card (JSON)"] = (upload.get_json()["evidence"][0]["html"], ())
    ids.self_photo = upload.get_json()["evidence"][0]["id"]
    walk.post(
        "hx-outlet",
        f"/applications/{ids.application}/commitment",
        data={"commitment-letter": (io.BytesIO(pdf()), HOSTILE_LETTER)},
        content_type=MULTIPART,
    )
    walk.act("hx-outlet", "submit")
    walk.act("hx-bureau", "return", reasons=payload("rt"))
    walk.act("hx-outlet", "resubmit")
    walk.act("hx-bureau", "accept")
    inspector_id = walk.read(
        lambda: db.session.scalar(select(User.id).where(User.username == "hx-inspector"))
    )
    walk.act(
        "hx-bureau",
        "schedule_inspection",
        inspector_ids=[str(inspector_id)],
        scheduled_on=(today_in_shanghai() + timedelta(days=3)).isoformat(),
    )

    # The inspection: every item through the service, then notes and a file through the pages.
    def inspect():
        application = db.session.get(Application, ids.application)
        inspector = db.session.get(User, inspector_id)
        inspection = answer_all(application, "inspection", inspector, short_of=("3.1",))
        ids.inspection = inspection.id
        ids.versions = versions_of(inspection.id)
        db.session.commit()

    walk.read(inspect)
    for code, note in (("1.2", payload("in")), ("1.3", FORMULA_NOTE)):
        walk.post(
            "hx-inspector",
            f"/checklist/{ids.inspection}/items/{code}",
            status=200,
            json={
                "value": "yes",
                "not_applicable": False,
                "note": note,
                "expected_version": ids.versions[code],
            },
        )
    walk.post(
        "hx-inspector",
        f"/evidence/assessments/{ids.inspection}/upload",
        status=200,
        data={"item_code": "1.2", "file": (io.BytesIO(photo((64, 48), colour="blue")), HOSTILE_FILENAME)},
        headers={"Accept": "application/json"},
    )
    walk.post("hx-inspector", f"/checklist/{ids.inspection}/sign-off", data={"confirm": "y"})
    assert walk.status() == "inspected"

    walk.post(
        "hx-bureau", f"/checklist/applications/{ids.application}/reopen", data={"reason": payload("ro")}
    )
    ids.correction = newest_inspection(walk)  # the signed record stays; a new one corrects it
    assert ids.correction != ids.inspection
    walk.post("hx-inspector", f"/checklist/{ids.correction}/sign-off", data={"confirm": "y"})
    assert walk.status() == "inspected"
    walk.act(
        "hx-bureau",
        "request_rectification",
        item_codes=["3.1"],
        deadline=(today_in_shanghai() + timedelta(days=20)).isoformat(),
        reasons=payload("rr"),
    )

    # The outlet answers the finding on its own form: a refused answer comes back as typed, then
    # the answer with a file; the answers are sent with no input of their own.
    ids.finding = walk.read(lambda: ordered_findings(ids.application)["3.1"].id)
    url, form = finding_answer_request(ids.application, ids.finding, payload("rp"), "  ")
    refused = walk.post("hx-outlet", url, status=422, data=form, content_type=MULTIPART)
    walk.pages["refused finding answer"] = (refused.get_data(as_text=True), ("na", "rp", "rr"))
    url, form = finding_answer_request(
        ids.application,
        ids.finding,
        payload("rp"),
        payload("ra"),
        files=[(io.BytesIO(photo((64, 48), colour="green")), HOSTILE_FILENAME)],
    )
    walk.post("hx-outlet", url, data=form, content_type=MULTIPART)
    walk.pages["rectification panel (answered)"] = (
        walk.get("hx-outlet", f"/applications/{ids.application}").get_data(as_text=True),
        ("rr", "rp", "ra"),
    )
    walk.act("hx-outlet", "submit_rectification")
    assert walk.status() == "rectification_submitted"

    # The re-inspection: a new record; the inspector verifies the finding with a note, then signs.
    ids.reinspection = newest_inspection(walk)
    assert ids.reinspection not in (ids.inspection, ids.correction)
    url, form = finding_check_request(ids.application, ids.finding, "closed", "on_site", payload("cn"))
    walk.post("hx-inspector", url, data=form)
    walk.pages["rectification panel (verified, before sign-off)"] = (
        walk.get("hx-inspector", f"/applications/{ids.application}").get_data(as_text=True),
        ("rr", "rp", "ra", "cn"),
    )
    walk.post(
        "hx-inspector",
        f"/evidence/assessments/{ids.reinspection}/upload",
        status=200,
        data={"item_code": "3.1", "file": (io.BytesIO(photo((64, 48), colour="purple")), "boxes.jpg")},
        headers={"Accept": "application/json"},
    )
    version = walk.read(
        lambda: db.session.scalar(
            select(Answer.version).where(Answer.assessment_id == ids.reinspection, Answer.item_code == "3.1")
        )
    )
    walk.post(
        "hx-inspector",
        f"/checklist/{ids.reinspection}/items/3.1",
        status=200,
        json={"value": "A", "not_applicable": False, "note": "", "expected_version": version},
    )
    walk.post("hx-inspector", f"/checklist/{ids.reinspection}/sign-off", data={"confirm": "y"})
    # The approval steps of the 2025 edition: proposal, the ecology bureau's co-signature, decision.
    walk.act("hx-bureau", "approve", granted_level="district", opinion=payload("pr"))
    assert walk.status() == "in_approval"
    walk.act("hx-ecology", "agree", opinion=payload("co"))
    walk.act("hx-bureau", "agree", opinion=payload("op"))
    assert walk.status() == "approved"
    ids.certificate, ids.number = walk.read(
        lambda: db.session.execute(
            select(Certificate.id, Certificate.number).where(Certificate.application_id == ids.application)
        ).one()
    )
    walk.pages["public directory (valid)"] = (
        walk.app.test_client().get("/directory").get_data(as_text=True),
        ("na",),
    )
    walk.certificate_pdf = walk.get(
        "hx-outlet", f"/certificates/{ids.certificate}/certificate.pdf"
    ).get_data()
    walk.report_pdf = walk.get("hx-bureau", f"/reports/{ids.application}/inspection-report.pdf").get_data()
    walk.post(
        "hx-bureau",
        f"/certificates/{ids.certificate}/revoke",
        data={"ground": "outlet_closed", "reason": payload("rv")},
    )


@pytest.fixture(scope="class")
def walk(app):
    with connection_bound_session(app):
        journey = Walk(app)
        journey.pages = {}
        walk_through(journey)
        yield journey


# What each page shows of the journey's free text, by who looks at it.
OUTLET_TEXT = ("na", "ad", "mg", "ph")  # opening hours change at once; the rest waited, declined
PAGES = [
    (
        "hx-outlet",
        "/applications/{application}",
        OUTLET_TEXT + ("rt", "rr", "rp", "ra", "cn", "pr", "co", "op", "ro"),
    ),
    (
        "hx-bureau",
        "/applications/{application}",
        OUTLET_TEXT + ("rt", "rr", "rp", "ra", "cn", "pr", "co", "op", "ro", "iu"),
    ),
    ("hx-inspector", "/applications/{application}", ("na", "ad", "rr", "rp", "ra", "cn", "pr", "co", "op")),
    ("hx-city", "/applications/{application}", ("na", "pr", "co", "op")),
    ("hx-ecology", "/applications/{application}", ("na", "pr", "co", "op")),
    ("hx-outlet", "/applications/", ("na",)),
    ("hx-outlet", "/outlets/profile", ("na", "ad", "mg", "ph", "rj")),
    ("hx-outlet", "/notifications/", ()),
    ("hx-bureau", "/notifications/", ()),
    ("hx-outlet", "/certificates/", ()),
    ("hx-outlet", "/certificates/{certificate}", ("na", "ad", "rv")),
    ("hx-bureau", "/certificates/?q=xss", ("na",)),
    ("hx-outlet", "/checklist/{self}", ("na", "sn")),
    ("hx-bureau", "/checklist/{inspection}", ("na", "in")),
    ("hx-outlet", "/checklist/applications/{application}/result", ("na",)),
    ("hx-bureau", "/checklist/applications/{application}/result", ("na",)),
    ("hx-bureau", "/applications/queue?status=all", ("na",)),
    ("hx-city", "/applications/queue?status=all&q=xss", ("na",)),
    ("hx-inspector", "/applications/assignments", ("na", "ad")),
    ("hx-bureau", "/outlets/{outlet}", ("na", "ad", "mg", "oh", "ph", "pn", "rj")),
    ("hx-outlet", "/applications/{application}/commitment-letter", ("na", "ad", "mg")),
    ("hx-bureau", "/dashboard/?", ()),
    ("hx-admin", "/admin/users?q=hx", ("dn", "iu")),
    # the public page names the revocation's ground (the edition's label), not the issuer's reason
    (None, "/verify/{number}", ("na",)),
]


def read_export(walk, kind: str, fmt: str) -> list[list[str]]:
    response = walk.post("hx-city", f"/dashboard/exports/{kind}.{fmt}", status=200)
    if fmt == "csv":
        return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    try:
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in book.active.iter_rows(values_only=True)
        ]
    finally:
        book.close()


class TestOneApplicationFullOfMarkup:
    """Class-scoped: its transaction ends before the module's per-test ones begin (SQLite: one writer)."""

    @pytest.mark.parametrize(("who", "url", "tags"), PAGES, ids=[f"{who}:{url}" for who, url, _ in PAGES])
    def test_free_text_is_shown_literally_and_stays_inert_in_pages(self, walk, who, url, tags):
        url = url.format(**vars(walk.ids))
        client = walk.as_(who) if who else walk.app.test_client()
        response = client.get(url, buffered=True)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert_inert(response.get_data(as_text=True), tags, where=f"{who} {url}")

    def test_pages_seen_along_the_way_were_inert(self, walk):
        for where, (page, tags) in walk.pages.items():
            assert_inert(page, tags, where=where)

    def test_evidence_file_names_are_cleaned_shown_literally_and_offered_under_that_name(self, walk):
        ids = walk.ids
        names = walk.read(
            lambda: sorted(
                db.session.scalars(
                    select(Evidence.filename).where(Evidence.application_id == ids.application)
                )
            )
        )
        assert HOSTILE_FILENAME_SHOWN in names and HOSTILE_LETTER_SHOWN in names, sorted(set(names))
        assert not any("/" in name or "\\" in name or "<" in name or '"' in name for name in names)
        for who, url in (
            ("hx-outlet", f"/checklist/{ids.self}"),
            ("hx-outlet", f"/applications/{ids.application}"),
        ):
            assert_inert(walk.get(who, url).get_data(as_text=True), shown_texts=(HOSTILE_FILENAME_SHOWN,))
        assert_inert(
            walk.get("hx-bureau", f"/applications/{ids.application}").get_data(as_text=True),
            shown_texts=(HOSTILE_LETTER_SHOWN,),
        )
        download = walk.get("hx-outlet", f"/evidence/{ids.self_photo}")
        disposition = download.headers["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition
        assert download.headers["X-Content-Type-Options"] == "nosniff"

    @pytest.mark.parametrize("fmt", ["csv", "xlsx"])
    def test_free_text_comes_out_of_the_exports_literally_and_formulas_neutralised(self, walk, fmt):
        cells = {kind: {cell for row in read_export(walk, kind, fmt) for cell in row} for kind in
                 ("applications", "certificates", "inspections")}  # fmt: skip
        for kind in cells:
            assert payload("na") in cells[kind], kind
        assert payload("ad") in cells["applications"]
        assert payload("rv") in cells["certificates"]
        assert payload("in") in cells["inspections"]
        assert "'" + FORMULA_NOTE in cells["inspections"] and FORMULA_NOTE not in cells["inspections"]

    def test_free_text_is_printed_literally_in_the_pdfs(self, walk):
        squeeze = "".join
        certificate = pdf_text(walk.certificate_pdf)
        report = pdf_text(walk.report_pdf)
        assert squeeze(payload("na").split()) in certificate
        for tag in ("na", "in", "op"):
            assert squeeze(payload(tag).split()) in report, tag


# --- uploads through every endpoint ---------------------------------------------------------

HTML_AS_PDF = b"<html><body><script>alert(1)</script></body></html>"
JPEG_AS_XLSX = photo((32, 32))


@pytest.fixture
def crew(ctx):
    return make_crew()


# Every upload endpoint, refusing what is too big and storing hostile names by hash: test_hostile_uploads.py.


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        pytest.param(JPEG_AS_XLSX, "outlets.xlsx", id="jpeg-named-xlsx"),
        pytest.param(HTML_AS_PDF, "outlets.csv", id="html-named-csv"),
        pytest.param(SVG_WITH_SCRIPT, "outlets.csv", id="svg-named-csv"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 200, "outlets.xlsx", id="broken-zip"),
    ],
)
def test_the_import_refuses_files_that_are_no_spreadsheet(client, crew, db_session, data, filename):
    login(client, crew.bureau)
    outlets_before = db_session.scalar(select(func.count()).select_from(Outlet))
    response = client.post(
        "/dashboard/import", data={"file": (io.BytesIO(data), filename)}, content_type=MULTIPART
    )
    assert response.status_code == 400
    assert_inert(response.get_data(as_text=True), where=filename)
    assert db_session.scalar(select(func.count()).select_from(Outlet)) == outlets_before


def xlsx_bomb(rows: int, padding: int = 0) -> bytes:
    """A workbook: a header, `rows` empty rows and `padding` spaces. Small zipped, huge unzipped."""
    from outlet_audit.outlets.outlet_import import template_csv

    header = next(csv.reader(io.StringIO(template_csv().lstrip("\ufeff"))))
    cells = "".join(f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in header)
    sheet = io.BytesIO()
    sheet.write(
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    sheet.write(f"<row>{cells}</row>".encode())
    sheet.write(b"<row><c/></row>" * rows)
    sheet.write(b" " * padding)
    sheet.write(b"</sheetData></worksheet>")
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{spreadsheet}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{spreadsheet}.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{office}"><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0"?>' + xml)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("rows", "padding", "reason"),
    [
        pytest.param(120_000, 0, "rows; split it", id="120000-empty-rows"),
        pytest.param(10, 40 * 1024 * 1024, "too large once unpacked", id="forty-megabytes-of-spaces"),
    ],
)
def test_the_import_refuses_a_zip_bomb_without_unpacking_it(client, crew, db_session, rows, padding, reason):
    bomb = xlsx_bomb(rows, padding)
    assert len(bomb) < 100_000
    login(client, crew.bureau)
    response = client.post(
        "/dashboard/import", data={"file": (io.BytesIO(bomb), "outlets.xlsx")}, content_type=MULTIPART
    )
    assert response.status_code == 400 and reason in response.get_data(as_text=True)


def test_imported_free_text_stays_inert_in_the_review_and_in_the_pages_after(client, crew, db_session):
    """The bulk import is the other way free text arrives: a spreadsheet's cells."""
    from outlet_audit.outlets.outlet_import import TEMPLATE_HEADER

    cells = [
        payload("in"),
        "顺丰",
        "奉贤",
        payload("ia"),
        "FX-IMPORT-7001",
        payload("im"),
        "13812345678",
        payload("ih"),
    ]
    text = io.StringIO()
    csv.writer(text).writerows([TEMPLATE_HEADER, cells])
    login(client, crew.bureau)
    review = client.post(
        "/dashboard/import",
        data={"file": (io.BytesIO(text.getvalue().encode("utf-8-sig")), "网点<script>xss(fn)</script>.csv")},
        content_type=MULTIPART,
    )
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert_inert(page, ("in",), where="import review")  # the review lists name, brand, district, permit
    token = re.search(r'name="token" type="hidden" value="([^"]*)"', page)[1]
    sha256 = re.search(r'name="sha256" type="hidden" value="([^"]*)"', page)[1]
    done = client.post(
        "/dashboard/import/confirm", data={"sha256": sha256, "token": token, "mode": "all_or_nothing"}
    )
    assert done.status_code == 302
    outlet = db_session.scalar(select(Outlet).where(Outlet.permit_number == "FX-IMPORT-7001"))
    assert outlet.name == payload("in")
    assert_inert(
        client.get(f"/outlets/{outlet.id}").get_data(as_text=True), ("in", "ia", "im", "ih"), where="outlet"
    )


OFF_SITE = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",  # browsers read a backslash as a slash: //evil.example
    "/\\/evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",  # browsers drop tabs and line breaks inside a URL
    "/\n/evil.example/",
    " //evil.example/",
    "javascript:alert(1)",
]


def stays_on_site(location: str) -> bool:
    """Where a browser would go: a path on this site, read as browsers read it."""
    read = location.replace("\\", "/").replace("\t", "").replace("\n", "").replace("\r", "").strip()
    parts = urlsplit(read)
    return not parts.scheme and not parts.netloc and read.startswith("/") and not read.startswith("//")


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_and_language_switch_never_send_the_browser_off_site(client, db_session, target):
    user = make_user(Role.INSPECTOR)
    signed_in = client.post(
        "/login?" + urlencode({"next": target}), data={"username": user.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302 and stays_on_site(signed_in.headers["Location"]), signed_in.headers
    switched = client.post("/language", data={"locale": "en", "next": target})
    assert switched.status_code == 302 and stays_on_site(switched.headers["Location"]), switched.headers


def test_a_local_next_is_still_followed(client, db_session):
    user = make_user(Role.INSPECTOR)
    response = client.post(
        "/login?next=/applications/assignments", data={"username": user.username, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/applications/assignments"


def test_text_holding_nul_is_refused_with_400_not_a_server_error(client, crew, db_session):
    """PostgreSQL cannot store or even compare text holding NUL: such input is refused at the door."""
    login(client, crew.outlet_user)
    profile = client.post("/outlets/profile", data={"outlet_name": "网点\x00", "address": "路"})
    assert profile.status_code == 400
    assert db_session.get(Outlet, crew.outlet.id).name != "网点\x00"
    login(client, crew.bureau)
    assert client.get("/applications/queue?q=%00").status_code == 400
    assert client.get("/directory?q=a%00b").status_code == 400
    application = make_application(crew.outlet, status="inspection_scheduled", inspectors=[crew.inspector])
    from outlet_audit.checklist.service import get_or_create_assessment

    inspection = get_or_create_assessment(application, "inspection")
    login(client, crew.inspector)
    saved = client.post(
        f"/checklist/{inspection.id}/items/1.1",
        json={"value": "yes", "not_applicable": False, "note": "a\u0000b", "expected_version": 0},
    )
    assert saved.status_code == 400
    assert (
        db_session.scalar(
            select(func.count()).select_from(Answer).where(Answer.assessment_id == inspection.id)
        )
        == 0
    )


# --- mail headers ---------------------------------------------------------------------------


class FakeSMTP:
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.mark.parametrize(
    ("outlet_name", "bureau_email"),
    [
        pytest.param("换行\n网点", "bureau@example.test", id="newline-in-outlet-name"),
        pytest.param("普通网点", "bureau@example.test\r\nBcc: victim@example.test", id="crlf-in-address"),
    ],
)
def test_line_breaks_in_names_or_addresses_never_break_an_action_that_sends_mail(
    app, client, db_session, monkeypatch, outlet_name, bureau_email
):
    from outlet_audit.notifications import mailer

    monkeypatch.setitem(app.config, "MAIL_SERVER", "mail.example.test")
    monkeypatch.setattr(mailer.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    with app.test_request_context():
        crew = make_crew()
        crew.bureau.email = bureau_email
        crew.outlet.name = outlet_name
        application = make_application(crew.outlet)
        affirm_declarations(application, crew.outlet_user)
        answer_all(application, "self", crew.outlet_user)
        attach(application, crew.outlet_user)
        db_session.flush()
    login(client, crew.outlet_user)
    response = client.post(f"/applications/{application.id}/transition", data={"action": "submit"})
    assert response.status_code == 302, response.status_code
    db_session.expire_all()
    assert db_session.get(Application, application.id).status == "submitted"
    assert mailer.worker.wait_until_sent(10)  # mail leaves after the commit, from a background thread
    for message in FakeSMTP.sent:
        assert "\n" not in message["Subject"] and "Bcc" not in str(message["To"] or "")


# --- search boxes -----------------------------------------------------------------------------

# Injection strings in every search box: test_hostile_searches.py (over records its tests share).


# --- text no one can see or store ----------------------------------------------------------------


def test_outlet_names_and_addresses_lose_bidirectional_overrides_and_zero_width_characters(
    client, db_session
):
    """As file names already did: a name must read as what it is, in every list and certificate."""
    outlet = make_outlet("FX", verified=False)
    login(client, make_user(Role.OUTLET, outlet=outlet))
    response = client.post(
        "/outlets/profile",
        data=profile_data(
            outlet,
            outlet_name="\u202e顺丰\u200b南桥\u2066营业部\u2069\ufeff",
            address=" 奉贤区\u200d测试路\u202a 1 号\u202c ",
            manager="王\u200f测试",
            opening_hours="08:00\u2060-20:00",
        ),
    )
    assert response.status_code == 302
    db_session.expire_all()
    stored = db_session.get(Outlet, outlet.id)
    assert (stored.name, stored.address, stored.manager, stored.opening_hours) == (
        "顺丰南桥营业部",
        "奉贤区测试路 1 号",
        "王测试",
        "08:00-20:00",
    )


@pytest.fixture
def on_site(crew, db_session):
    from outlet_audit.checklist.service import get_or_create_assessment

    application = make_application(crew.outlet, status="inspection_scheduled", inspectors=[crew.inspector])
    return get_or_create_assessment(application, "inspection")


def test_a_lone_surrogate_in_a_checklist_note_is_dropped_not_a_server_error(
    client, crew, on_site, db_session
):
    """JSON can spell a character no encoding holds ("\\ud800"); the note keeps the rest."""
    login(client, crew.inspector)
    response = client.post(
        f"/checklist/{on_site.id}/items/1.1",
        data='{"value": "yes", "not_applicable": false, "expected_version": 0, '
        '"note": "\\ud800胶带\\u202e已换\\udfff"}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["item"]["note"] == "胶带已换"
    assert db_session.scalar(select(Answer.note).where(Answer.assessment_id == on_site.id)) == "胶带已换"


@pytest.mark.parametrize("depth", [33, 1000, 100_000])
def test_json_nested_too_deep_is_a_400_json_error(client, crew, on_site, db_session, depth):
    login(client, crew.inspector)
    response = client.post(
        f"/checklist/{on_site.id}/items/1.1", data="[" * depth + "]" * depth, content_type="application/json"
    )
    assert response.status_code == 400 and response.get_json()["status"] == "bad_request"
    assert (
        db_session.scalar(select(func.count()).select_from(Answer).where(Answer.assessment_id == on_site.id))
        == 0
    )


# --- numbers and dates in query strings -----------------------------------------------------------

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("bureau", f"/applications/queue?page={HUGE}"),
        ("bureau", "/applications/queue?status=all&page=-3"),
        ("city", f"/applications/approvals?page={HUGE}"),
        ("bureau", f"/applications/approvals?page={HUGE}"),
        ("bureau", f"/certificates/?page={HUGE}"),
        ("bureau", f"/notifications/?page={HUGE}"),
        ("bureau", f"/outlets/verification?page={HUGE}"),
        ("admin", f"/admin/users?page={HUGE}"),
        (None, f"/directory?page={HUGE}"),
        (None, "/directory?page=1e3"),
    ],
)
def test_a_page_number_past_any_integer_column_shows_the_first_page(client, crew, db_session, who, url):
    if who:
        login(client, getattr(crew, who))
    response = client.get(url)
    assert response.status_code == 200, url
    assert_inert(response.get_data(as_text=True), where=url)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("bureau", "/applications/queue?status=all&submitted_to=9999-12-31"),
        ("bureau", "/applications/queue?status=all&submitted_from=0001-01-01"),
        ("bureau", "/dashboard/?date_to=9999-12-31"),
        ("city", "/dashboard/?date_from=0001-01-01"),
        ("bureau", "/dashboard/exports?date_from=0001-01-01&date_to=9999-12-31"),
    ],
)
def test_a_filter_date_outside_the_centuries_is_an_error_on_its_field(client, crew, db_session, who, url):
    login(client, getattr(crew, who))
    response = client.get(url)
    assert response.status_code == 200
    assert "Enter a date between 2000-01-01 and 2100-12-31." in response.get_data(as_text=True)


def test_an_export_with_a_far_date_goes_back_to_the_filters(client, crew, db_session):
    login(client, crew.bureau)
    response = client.post("/dashboard/exports/applications.csv?date_to=9999-12-31")
    assert response.status_code == 302 and "/dashboard/exports?" in response.headers["Location"]


@pytest.mark.parametrize("renew", [HUGE, "-1", "0", "1e3", "abc"])
def test_a_renewal_naming_no_certificate_is_404(client, crew, db_session, renew):
    login(client, crew.outlet_user)
    assert client.get(f"/applications/new?renew={renew}").status_code == 404


def test_a_notification_page_number_is_bounded_on_the_way_back(client, crew, db_session):
    from outlet_audit.notifications.models import Notification

    note = Notification(user_id=crew.outlet_user.id, kind="test", template="Test notification", link="/")
    db_session.add(note)
    db_session.flush()
    login(client, crew.outlet_user)
    response = client.post("/notifications/read", data={"notification": str(note.id), "page": HUGE})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications/"
    assert client.post("/notifications/read", data={"notification": HUGE}).status_code == 404
