"""A varied data set for dashboard and export tests, and readers for what the pages show.

`build_world()` makes outlets in three districts and four brands, applications in many
statuses and months, certificates in every state and level, and signed-off inspections
whose answers pass or fail known items. It returns the objects so that each test counts
the expected figures itself, in Python, without the dashboard's SQL.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser

from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.service import get_or_create_assessment, save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.factories import district, make_application, make_outlet, make_user

DISTRICTS = ("FX", "QP", "PD")
BRANDS = ("顺丰", "京东", "中通", "中国邮政")
HOSTILE_NAME = '=HYPERLINK("http://evil.example","点我")'

# Inspection answer sets, with what each answer means for the pass-rate table written out by
# hand from criteria/shanghai-2025.yaml (so the test does not ask the scoring code).
# code -> (value, full marks?) ; a dict value is N/A.
ANSWER_SETS = (
    {"1.1": (True, True), "2.1": (Decimal("96.5"), True), "3.1": ("A", True), "5.2": (Decimal(2), True),
     "1.4": ({"not_applicable": True}, None), "B1": (True, None)},
    {"1.1": (False, False), "2.1": (Decimal(85), False), "3.1": ("B", False), "5.2": (Decimal(1), False),
     "1.4": (True, True), "B1": (False, None)},
    {"1.1": (True, True), "2.1": ({"not_applicable": True}, None), "3.1": ("C", False),
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
    inspections: list = field(default_factory=list)  # (assessment, answer set) signed off
    district_ids: dict = field(default_factory=dict)


def to_utc(local: datetime) -> datetime:
    return (local - timedelta(hours=8)).replace(tzinfo=None)


def days_ago(days: int, hour: int = 10) -> datetime:
    """Naive UTC of `hour` o'clock Shanghai time, `days` days before today."""
    return to_utc(datetime.combine(today_in_shanghai() - timedelta(days=days), time(hour)))


def build_world() -> World:
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
                )
                outlet.created_at = days_ago(15 * (n % 7) + 1, hour=(n * 5) % 24)
                world.outlets.append(outlet)
    db.session.flush()

    statuses = ("draft", "submitted", "accepted", "inspection_scheduled", "inspected",
                "rectification_requested", "rejected", "withdrawn", "returned")  # fmt: skip
    for n, outlet in enumerate(o for o in world.outlets if o.verified):
        status = statuses[n % len(statuses)]
        submitted = None if status == "draft" else days_ago(31 * (n % 5) + 2, hour=(n * 7) % 24)
        level = "city" if n % 3 == 0 else "district"
        application = make_application(
            outlet, status=status, target_level=level, submitted_at=submitted, edition=edition
        )
        world.applications.append(application)

    # Certificates in every state, on approved applications of their own.
    certified_outlets = [o for o in world.outlets if o.verified][::2]
    plans = [
        # (days until expiry, stored state, level, issued days ago)
        (200, "active", "district", 40),
        (91, "active", "city", 70),
        (90, "active", "district", 100),
        (30, "active", "city", 130),
        (0, "active", "district", 160),
        (-1, "active", "district", 400),
        (300, "revoked", "city", 10),
        (120, "superseded", "district", 250),
    ]
    for n, outlet in enumerate(certified_outlets):
        until, state, level, issued_ago = plans[n % len(plans)]
        application = make_application(
            outlet,
            status="approved",
            target_level=level,
            submitted_at=days_ago(issued_ago + 20),
            edition=edition,
        )
        world.applications.append(application)
        certificate = Certificate(
            number=f"WFKD-2025-{outlet.district.code}-{'S' if level == 'city' else 'Q'}-{n + 1:04d}",
            application_id=application.id,
            outlet_id=outlet.id,
            district_id=outlet.district_id,
            level=level,
            score=Decimal("92.5"),
            edition_id="shanghai-2025",
            edition_hash="0" * 64,
            issuing_bureau="测试局",
            issued_on=today - timedelta(days=issued_ago),
            valid_until=today + timedelta(days=until),
            state=state,
            revoked_at=days_ago(1) if state == "revoked" else None,
            revoked_reason="抽查不合格" if state == "revoked" else None,
        )
        db.session.add(certificate)
        world.certificates.append(certificate)
    db.session.flush()

    # Signed-off inspections on inspected / rectification / approved applications.
    inspected = [
        a for a in world.applications if a.status in ("inspected", "rectification_requested", "approved")
    ]
    for n, application in enumerate(inspected):
        answers = ANSWER_SETS[n % len(ANSWER_SETS)]
        inspection = answer(application, "inspection", answers, world.inspector)
        inspection.signed_off_at = days_ago(3 * n + 1)
        inspection.signed_off_by_id = world.inspector.id
        inspection.final = Decimal("80.0") + n
        inspection.total = inspection.final
        inspection.level_reached = "district"
        world.inspections.append((inspection, answers))
    # Never counted: an inspection not yet signed off, and a self-assessment.
    if inspected:
        answer(inspected[0], "self", ANSWER_SETS[1], world.inspector)
    pending = next(a for a in world.applications if a.status == "inspection_scheduled")
    answer(pending, "inspection", ANSWER_SETS[1], world.inspector)
    db.session.flush()
    return world


def answer(application, kind, answers, actor):
    edition = pinned_edition(application.edition)
    assessment = get_or_create_assessment(application, kind)
    for code, (raw, _full) in answers.items():
        not_applicable = isinstance(raw, dict)
        save_answer(
            assessment, edition, code, value=None if not_applicable else raw, not_applicable=not_applicable,
            note=None, expected_version=0, actor=actor,
        )  # fmt: skip
    return assessment


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
