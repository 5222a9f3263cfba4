"""A varied data set for dashboard and export tests, and readers for what the pages show.

`build_world()` makes outlets in three districts and four brands, applications in many
statuses and months, certificates in every state and level, and signed-off inspections
whose answers pass or fail known items, rectification ordered (one notice overdue), answered,
verified at a re-inspection, all by the real operations. It returns the objects so that each
test counts the expected figures itself, in Python, without the dashboard's SQL.

`inspected_with_findings`, `order_rectification`, `answer_rectification` and `reinspect` take an
application through rectification step by step, at the moment the clock says (`clock_at`).

A module's tests share one world: importing `shared_rows` makes it once for the module (see
conftest.module_rows; each test works in a savepoint of the transaction it was written in), and
the `world` fixture (`world_records`, imported too) reads its records in the test's session.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.operations import add_months
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.checklist.findings import (
    ORDERED,
    answer_finding,
    check_finding,
    findings_to_verify,
    open_notice,
)
from outlet_audit.checklist.kinds import AssessmentKind, VerificationMethod
from outlet_audit.checklist.models import Assessment, RectificationNotice
from outlet_audit.checklist.service import assessment_of, holds_valid_district_certificate
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import NOT_APPLICABLE, answer_checklist, best_value, take, worst_value
from outlet_audit.workflow.states import Action, Status
from tests.factories import (
    advance,
    cast_for,
    certify,
    district,
    evidence_row,
    make_application,
    make_outlet,
    make_user,
)

DISTRICTS = ("FX", "QP", "PD")
BRANDS = ("顺丰", "京东", "中通", "中国邮政")
HOSTILE_NAME = '=HYPERLINK("http://evil.example","点我")'

# Inspection answer sets, with what each answer means for the pass-rate table written out by
# hand from criteria/shanghai-2025.yaml (so the test does not ask the scoring code).
# code -> (value, full marks?); full marks None: N/A or a bonus item, not counted.
ANSWER_SETS = (
    {"1.1": (True, True), "2.1": (Decimal("96.5"), True), "3.1": ("A", True), "5.2": (Decimal(2), True),
     "1.4": (NOT_APPLICABLE, None), "B1": (True, None)},
    {"1.1": (False, False), "2.1": (Decimal(85), False), "3.1": ("B", False), "5.2": (Decimal(1), False),
     "1.4": (True, True), "B1": (False, None)},
    {"1.1": (True, True), "2.1": (NOT_APPLICABLE, None), "3.1": ("C", False),
     "5.2": (Decimal(3), True), "1.4": (False, False)},
)  # fmt: skip


@dataclass
class World:
    bureaus: dict = field(default_factory=dict)  # district code -> district bureau user
    city: object = None
    inspector: object = None
    outlets: list = field(default_factory=list)
    applications: list = field(default_factory=list)
    certificates: list = field(default_factory=list)
    inspections: list = field(default_factory=list)  # (assessment, answers) signed off
    district_ids: dict = field(default_factory=dict)

    def each(self, change) -> "World":
        """The same world with `change` applied to every record in it."""
        return World(
            bureaus={code: change(user) for code, user in self.bureaus.items()},
            city=change(self.city),
            inspector=change(self.inspector),
            outlets=[change(outlet) for outlet in self.outlets],
            applications=[change(application) for application in self.applications],
            certificates=[change(certificate) for certificate in self.certificates],
            inspections=[(change(inspection), answers) for inspection, answers in self.inspections],
            district_ids=dict(self.district_ids),
        )


def to_utc(local: datetime) -> datetime:
    return (local - timedelta(hours=8)).replace(tzinfo=None)


def days_ago(days: int, hour: int = 10) -> datetime:
    """Naive UTC of `hour` o'clock Shanghai time, `days` days before today."""
    return to_utc(datetime.combine(today_in_shanghai() - timedelta(days=days), time(hour)))


# Certificates in every state: (days of validity left today, then, level). Each is issued so that it
# runs out that many days from today (the edition fixes how long it is valid), then revoked or replaced.
CERTIFICATE_PLANS = (
    (200, "active", "district"),
    (91, "active", "city"),
    (90, "active", "district"),
    (30, "active", "city"),
    (0, "active", "district"),
    (-1, "active", "district"),
    (300, "revoked", "city"),
    (120, "superseded", "district"),
)
STATUSES = tuple(
    Status(status)
    for status in ("draft", "submitted", "accepted", "inspection_scheduled", "inspected",
                   "rectification_requested", "rejected", "withdrawn", "returned")
)  # fmt: skip


def build_world() -> World:
    """Every record made by the real operations, at the moments the figures need (`clock_at`)."""
    world = World()
    world.district_ids = {code: district(code).id for code in DISTRICTS}
    world.city = make_user(Role.CITY_BUREAU)
    for code in DISTRICTS:
        world.bureaus[code] = make_user(Role.DISTRICT_BUREAU, district_code=code)
    world.inspector = make_user(Role.INSPECTOR, district_code="FX")
    today = today_in_shanghai()
    edition = active_edition()  # read once: the loader parses the YAML on every call

    # Outlets: every district × brand, some unverified, registered at different times.
    for code in DISTRICTS:
        for brand in BRANDS:
            for copy in range(2):
                n = len(world.outlets)
                outlet = make_outlet(
                    code,
                    verified=(n % 5 != 0),
                    brand=brand,
                    name=HOSTILE_NAME if n == 1 else f"网点 {code}-{brand}-{copy}",
                    created_at=days_ago(15 * (n % 7) + 1, hour=(n * 5) % 24),
                )
                world.outlets.append(outlet)
    verified = [o for o in world.outlets if o.verified]

    # Certificates in every state, first: their outlets apply again below.
    for n, outlet in enumerate(verified[::2]):
        days_left, state, level = CERTIFICATE_PLANS[n % len(CERTIFICATE_PLANS)]
        months = edition.level(level).certificate_validity_months
        certificate = certify(outlet, level, issued_on=add_months(today + timedelta(days=days_left), -months))
        if state == "revoked":
            with clock_at(days_ago(1)):
                # by its issuer: the district postal bureau's approver, or the city bureau's
                issuer = world.city if level == "city" else world.bureaus[outlet.district.code]
                revoke_certificate(certificate, issuer, "抽查不合格")
        elif state == "superseded":
            certify(outlet, level, issued_on=today - timedelta(days=20))

    # Applications in every status but the final approval, submitted in many months.
    answer_sets = {}  # inspection id -> the answer set it was given
    for n, outlet in enumerate(verified):
        status, level = STATUSES[n % len(STATUSES)], "city" if n % 3 == 0 else "district"
        with clock_at(days_ago(31 * (n % 5) + 2, hour=(n * 7) % 24)):
            if level == "city" and not holds_valid_district_certificate(outlet.id):
                certify(outlet)  # only a district certificate holder applies for city level
            if status in (Status.INSPECTED, Status.RECTIFICATION_REQUESTED):
                application = make_application(outlet, status=Status.INSPECTION_SCHEDULED, target_level=level)
                answers = ANSWER_SETS[len(answer_sets) % len(ANSWER_SETS)]
                if status == Status.RECTIFICATION_REQUESTED and not failing(answers):
                    answers = ANSWER_SETS[1]  # rectification is ordered for items that fell short
                answer_sets[answer(application, "inspection", answers).id] = answers
                # Every item short of full marks is ordered rectified (by the usual deadline, 21 days
                # on: the notice of an application made months ago is overdue now).
                ordered = {Action.REQUEST_RECTIFICATION: {"rectification_item_codes": failing(answers)}}
                advance(application, status, inputs=ordered)
            else:
                make_application(outlet, status=status, target_level=level)
    # Never counted: an inspection not yet signed off (nor any self-assessment).
    pending = db.session.scalar(
        select(Application).where(Application.status == Status.INSPECTION_SCHEDULED.value).limit(1)
    )
    answer(pending, "inspection", ANSWER_SETS[1])

    # Rectified: the first visit falls short on four items; two are ordered rectified, one is
    # verified closed at the re-inspection, the other not. Only the first visit counts in the pass
    # rates; the re-inspection's own shortfalls are findings too.
    outlet = make_outlet("PD", brand="顺丰", name="网点 PD-整改", created_at=days_ago(60))
    world.outlets.append(outlet)
    with clock_at(days_ago(40)):
        application = make_application(outlet, status=Status.INSPECTION_SCHEDULED)
        first = answer(application, "inspection", ANSWER_SETS[1])
        advance(application, Status.INSPECTED)
    answer_sets[first.id] = ANSWER_SETS[1]
    with clock_at(days_ago(38)):
        order_rectification(application, ["1.1", "3.1"], due_on=today - timedelta(days=24))
    with clock_at(days_ago(30)):
        answer_rectification(application)
    with clock_at(days_ago(28)):
        second = reinspect(application, {"1.1": "closed", "3.1": "not_closed"})
    answer_sets[second.id] = {**ANSWER_SETS[1], "1.1": (True, True)}

    # Everything made on the way (certificates replaced, applications approved for them) counts.
    world.applications = list(db.session.scalars(select(Application).order_by(Application.id)))
    world.certificates = list(db.session.scalars(select(Certificate).order_by(Certificate.id)))
    full_marks = {item.code: (best_value(item), True) for item in edition.items()}
    signed = select(Assessment).where(Assessment.kind == "inspection", Assessment.signed_off_at.is_not(None))
    for inspection in db.session.scalars(signed.order_by(Assessment.id)):
        world.inspections.append((inspection, {**full_marks, **answer_sets.get(inspection.id, {})}))
    return world


def failing(answers) -> frozenset[str]:
    """The items of an answer set short of full marks: the findings its sign-off writes."""
    return frozenset(code for code, (_value, full) in answers.items() if full is False and code[0] != "B")


def inspected_with_findings(outlet, short_of, *, target_level="district"):
    """An application of `outlet` whose first inspection is signed with the items `short_of` at
    their worst answer and every other at full marks: one finding each."""
    application = make_application(outlet, status=Status.INSPECTION_SCHEDULED, target_level=target_level)
    edition = pinned_edition(application.edition)
    worst = {code: worst_value(edition.item(code)) for code in short_of}
    answer_checklist(
        application, AssessmentKind.INSPECTION, application.inspectors[0], worst, attach=evidence_row
    )
    return advance(application, Status.INSPECTED)


def order_rectification(application, codes, *, due_on) -> RectificationNotice:
    """The district bureau orders these findings of the signed visit rectified by `due_on`."""
    cast = cast_for(application.outlet, application.inspectors)
    take(application, Action.REQUEST_RECTIFICATION, cast, rectification_item_codes=frozenset(codes),
         rectification_deadline=due_on)  # fmt: skip
    return open_notice(application.id)


def answer_rectification(application) -> None:
    """The outlet answers every ordered finding and sends the answers: the re-inspection opens."""
    outlet_user = cast_for(application.outlet, application.inspectors).outlet_user
    for finding in open_notice(application.id).findings:
        if finding.status in ORDERED:
            answer_finding(
                finding, responsible_person="王建国 站长", response="已按要求整改。", actor=outlet_user
            )
    apply_transition(application, Action.SUBMIT_RECTIFICATION, outlet_user, make_payload())


def reinspect(application, outcomes: dict[str, str]) -> Assessment:
    """At the open re-inspection, verify each finding by desk review as `outcomes` says (a closed
    one's item now earns full marks), and sign it off."""
    record = assessment_of(application, AssessmentKind.INSPECTION)
    inspector, edition = application.inspectors[0], pinned_edition(application.edition)
    for finding in findings_to_verify(record):
        outcome = outcomes[finding.item_code]
        check_finding(
            record, finding, outcome=outcome, method=VerificationMethod.DESK, note="", actor=inspector
        )
    fixed = {
        code: best_value(edition.item(code)) for code, outcome in outcomes.items() if outcome == "closed"
    }
    answer_checklist(application, AssessmentKind.INSPECTION, inspector, fixed, attach=evidence_row)
    take(
        application,
        Action.SIGN_OFF,
        cast_for(application.outlet, application.inspectors),
        attach=evidence_row,
    )
    return record


def correct_signed_visit(application, changes: dict) -> Assessment:
    """The bureau allows a correction of the signed record; the inspector changes these answers
    (code -> engine value) in the new record and signs it, which supersedes the one it corrects."""
    cast = cast_for(application.outlet, application.inspectors)
    take(application, Action.REOPEN_INSPECTION, cast)
    correction = answer_checklist(
        application, AssessmentKind.INSPECTION, application.inspectors[0], changes, attach=evidence_row
    )
    take(application, Action.SIGN_OFF, cast, attach=evidence_row)
    return correction


def answer(application, kind, answers):
    """Save an answer set (code -> (value, full marks?)) as the assigned inspector; the other items
    get full marks (with evidence where needed), as the checklist is completed."""
    values = {code: value for code, (value, _full) in answers.items()}
    return answer_checklist(application, kind, application.inspectors[0], values, attach=evidence_row)


def shared_rows() -> World:
    """The world of a test module, made once (see conftest.module_rows): its records as keys."""
    return build_world().each(lambda record: (type(record), record.id))


@pytest.fixture(name="world")
def world_records(module_rows, ctx):
    """The module's world, its records read in this test's session (what a test changes rolls back)."""
    return module_rows[1].each(lambda key: db.session.get(*key))


def bucket_of(certificate, today):
    """The certificate's state today, written out from the brief (not from the app's code)."""
    if certificate.state != "active":
        return certificate.state
    if certificate.valid_until < today:
        return "expired"
    return "expiring" if certificate.valid_until <= today + timedelta(days=90) else "valid"


def shanghai_month(moment: datetime) -> str:
    return f"{moment + timedelta(hours=8):%Y-%m}"


class TableReader(HTMLParser):
    """Read a table by id: each body row's data-* key and the text of its cells."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.depth = table_id, False, 0
        self.rows: dict[str, list[str]] = {}
        self._key, self._cells, self._text, self._in_cell, self._section = None, [], "", False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        if not self.inside:
            return
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "tr":
            data = [value for name, value in attrs.items() if name.startswith("data-")]
            self._key = data[0] if data else f"{self._section}:{len(self.rows)}"
            self._cells = []
        elif tag in ("td", "th"):
            self._in_cell, self._text = True, ""

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag in ("td", "th") and self._in_cell:
            self._cells.append(" ".join(self._text.split()))
            self._in_cell = False
        elif tag == "tr" and self._section != "thead":
            self.rows[self._key] = self._cells
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self._in_cell:
            self._text += data


def read_table(html: str, table_id: str) -> dict[str, list[str]]:
    reader = TableReader(table_id)
    reader.feed(html)
    assert reader.rows, f"table {table_id} not found or empty"
    return reader.rows


def number(text: str) -> int:
    return int(text.replace(",", ""))


def tile(html: str, tile_id: str) -> str:
    marker = f'id="{tile_id}">'
    start = html.index(marker) + len(marker)
    return html[start : html.index("<", start)]
