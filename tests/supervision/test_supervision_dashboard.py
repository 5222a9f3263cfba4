"""The supervision dashboard on a small hand-made world of two districts, checked number by number:
certified outlets, spot-checked (share), pass rate, rectifications open and overdue, complaints by
status, revocations by ground, yearly self-checks due, missing and failed; the page (city: every
district and the total; a district: its own), its CSV and XLSX, and the cells kept as text."""

import csv
import io
from datetime import date, timedelta
from itertools import count

import openpyxl
import pytest
from sqlalchemy import select

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, RectificationNotice
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import DistrictName, all_districts
from outlet_audit.roles import Role
from outlet_audit.supervision import dashboard_views
from outlet_audit.supervision.dashboard import OTHER_GROUND, supervision_figures
from outlet_audit.supervision.models import Campaign, Complaint, RevocationCase, SupervisionCheck
from outlet_audit.supervision.yearly import create_self_check
from tests.conftest import counted_statements
from tests.factories import district, login, make_user, shanghai_moment
from tests.supervision.yearly_helpers import certified_outlet

pytestmark = pytest.mark.usefixtures("english_ui")
_numbers = count(1)


class World:
    """Rows written as the other parts of #17 leave them, dated inside or outside the year."""

    def __init__(self):
        self.today = today_in_shanghai()
        self.year = self.today.year
        self.this_year = shanghai_moment(date(self.year, 1, 2))
        self.last_year = shanghai_moment(date(self.year - 1, 6, 1))
        self.issued = self.today - timedelta(days=400)  # certified before the year began
        self.bureaus = {code: make_user(Role.DISTRICT_BUREAU, district_code=code) for code in ("FX", "HP")}
        self.campaigns = {code: self.campaign(code) for code in ("FX", "HP")}

    def certificate(self, code):
        return certified_outlet(code, issued_on=self.issued)

    def campaign(self, code):
        bureau = make_user(Role.DISTRICT_BUREAU, district_code=code)
        campaign = Campaign(
            number=f"CC-{next(_numbers)}",
            organisation_id=bureau.organisation_id,
            title="抽查",
            district_ids=[],
            levels=["district"],
            brands=[],
            share_percent=20,
            window_from=self.today,
            window_until=self.today,
            edition_id="shanghai-2025",
            recusal_months=12,
            quota_per_inspector=5,
            created_by_id=bureau.id,
        )
        db.session.add(campaign)
        db.session.flush()
        return campaign

    def check(self, certificate, purpose, status, *, created=None, concluded=True, notice_due=None):
        code = "FX" if certificate.district_id == district("FX").id else "HP"
        created = created or self.this_year
        check = SupervisionCheck(
            number=f"JD-{next(_numbers)}", purpose=purpose, certificate_id=certificate.id,
            campaign_id=self.campaigns[code].id if purpose == "spot_check" else None,
            application_id=certificate.application_id, outlet_id=certificate.outlet_id,
            district_id=certificate.district_id, due_by=self.today, status=status, created_at=created,
            created_by_id=self.bureaus[code].id, reason=None if purpose == "spot_check" else "yearly",
            concluded_at=created + timedelta(days=1) if concluded else None,
        )  # fmt: skip
        if notice_due is not None:
            check.notice = self.notice(certificate, notice_due, self.bureaus[code])
        db.session.add(check)
        db.session.flush()
        return check

    def notice(self, certificate, due_on, bureau):
        visit = db.session.scalar(
            select(Assessment).where(
                Assessment.application_id == certificate.application_id,
                Assessment.kind == AssessmentKind.INSPECTION,
            )
        )
        notice = RectificationNotice(
            number=f"ZG-{next(_numbers)}", application_id=certificate.application_id, assessment_id=visit.id,
            issuing_bureau="奉贤区邮政管理局", due_on=due_on, issued_by_id=bureau.id,
        )  # fmt: skip
        db.session.add(notice)
        return notice

    def complaint(self, certificate, status, created=None):
        triaged = status != "received"
        complaint = Complaint(
            reference=f"TS-{next(_numbers)}", outlet_id=certificate.outlet_id, certificate_id=certificate.id,
            district_id=certificate.district_id, category="materials", description="宽胶带", status=status,
            triaged_at=self.this_year if triaged else None, created_at=created or self.this_year,
            triage_reason="不属实" if status == "dismissed" else None,
        )  # fmt: skip
        db.session.add(complaint)

    def revoke(self, certificate, ground=None, when=None):
        when = when or self.this_year
        certificate.state, certificate.revoked_at, certificate.revoked_reason = "revoked", when, "撤销"
        if ground is not None:
            code = "FX" if certificate.district_id == district("FX").id else "HP"
            db.session.add(
                RevocationCase(
                    number=f"CX-{next(_numbers)}",
                    certificate_id=certificate.id,
                    ground=ground,
                    organisation_id=certificate.issuer_organisation_id,
                    grounds="抽查不合格",
                    status="revoked",
                    response_due=self.today,
                    notified_at=when,
                    decided_at=when,
                    decision_reason="逾期未整改",
                    created_by_id=self.bureaus[code].id,
                )
            )
        db.session.flush()

    def yearly(self, certificate, status, due_on):
        self_check = create_self_check(certificate, self.year, due_on)
        if status != "open":
            self_check.status, self_check.submitted_at = status, self.this_year
            if status in ("accepted", "failed"):
                self_check.reviewed_at = self.this_year
                self_check.review_note = "照片不清" if status == "failed" else None
        db.session.flush()


@pytest.fixture
def world(ctx):
    w = World()
    fx = [w.certificate("FX") for _ in range(6)]  # fx[3] and fx[4] revoked this year
    hp = [w.certificate("HP") for _ in range(3)]  # hp[2] revoked this year
    # Spot checks created this year: fx[0] passed, fx[1] rectification overdue, fx[4] proposed for
    # revocation; a targeted visit of fx[0] passed; fx[2]'s spot check of last year still rectifying.
    w.check(fx[0], "spot_check", "passed")
    w.check(fx[0], "targeted", "passed")
    w.check(fx[1], "spot_check", "rectification", notice_due=w.today - timedelta(days=1))
    w.check(fx[4], "spot_check", "revocation")
    w.check(fx[2], "spot_check", "rectification", created=w.last_year, notice_due=w.today + timedelta(days=9))
    w.check(fx[5], "spot_check", "scheduled", concluded=False)  # drawn, not visited yet
    w.check(fx[3], "spot_check", "cancelled", concluded=False)  # its certificate revoked first: not checked
    w.check(hp[0], "spot_check", "passed")
    for status in ("received", "received", "dismissed"):
        w.complaint(fx[0], status)
    w.complaint(fx[1], "received", created=w.last_year)
    w.complaint(hp[0], "substantiated")
    w.revoke(fx[3])  # directly, without a case
    w.revoke(fx[4], "spot_check_failed")
    w.revoke(hp[2], "false_materials")
    w.revoke(hp[1], "false_materials", when=w.last_year)  # last year's: not counted, not certified
    past, ahead = w.today - timedelta(days=2), w.today + timedelta(days=30)
    w.yearly(fx[0], "open", past)  # missing
    w.yearly(fx[1], "accepted", past)
    w.yearly(fx[5], "failed", ahead)
    w.yearly(fx[2], "open", ahead)  # open, not yet due
    w.yearly(fx[3], "open", past)  # its certificate is revoked: due, but not missing
    return w


EXPECTED = {
    # name: (FX, HP, total)
    "certified": (4, 1, 5),
    "spot_checked": (4, 1, 5),
    "spot_checked_percent": (100.0, 100.0, 100.0),
    "concluded": (4, 1, 5),
    "passed": (2, 1, 3),
    "pass_percent": (50.0, 100.0, 60.0),
    "rectifications_open": (2, 0, 2),
    "rectifications_overdue": (1, 0, 1),
    "yearly_due": (5, 0, 5),
    "yearly_missing": (1, 0, 1),
    "yearly_failed": (1, 0, 1),
}


def test_the_figures_number_by_number(world):
    fx, hp = district("FX").id, district("HP").id
    figures = supervision_figures(world.year, world.today, [fx, hp])
    rows = (*figures.districts, figures.total)
    assert [row.district_id for row in rows] == [fx, hp, None]
    for name, wanted in EXPECTED.items():
        assert tuple(getattr(row, name) for row in rows) == wanted, name
    assert [dict(row.complaints) for row in rows] == [
        {"received": 2, "dismissed": 1},
        {"substantiated": 1},
        {"received": 2, "dismissed": 1, "substantiated": 1},
    ]
    assert [dict(row.revocations) for row in rows] == [
        {OTHER_GROUND: 1, "spot_check_failed": 1},
        {"false_materials": 1},
        {OTHER_GROUND: 1, "spot_check_failed": 1, "false_materials": 1},
    ]
    assert figures.grounds() == ["false_materials", "spot_check_failed", OTHER_GROUND]


def test_last_year_has_its_own_figures(world):
    fx, hp = district("FX").id, district("HP").id
    figures = supervision_figures(world.year - 1, world.today, [fx, hp])
    total = figures.total
    assert (total.spot_checked, total.concluded, dict(total.complaints)) == (1, 1, {"received": 1})
    assert dict(total.revocations) == {"false_materials": 1}
    assert total.yearly_due == 0
    # Certificates in force on the year's last day: all nine but the one revoked then (hp[1]).
    assert total.certified == 8


def test_the_figures_take_a_fixed_number_of_queries(world):
    ids = [d.id for d in all_districts()]
    with counted_statements(savepoints=False) as few:
        supervision_figures(world.year, world.today, ids[:2])
    with counted_statements(savepoints=False) as many:
        supervision_figures(world.year, world.today, ids)
    assert len(few) == len(many) <= 8


def figure(page: str, district_key, name: str) -> str:
    row = page.split(f'data-district="{district_key}"', 1)[1].split("</tr>", 1)[0]
    return row.split(f'data-figure="{name}">', 1)[1].split("<", 1)[0].strip()


def test_the_city_sees_every_district_and_the_total(client, world):
    login(client, make_user(Role.CITY_BUREAU))
    page = client.get("/supervision/dashboard/").text
    for district_id in (d.id for d in all_districts()):
        assert f'data-district="{district_id}"' in page
    assert figure(page, "total", "certified") == "5"
    assert figure(page, "total", "rectifications_overdue") == "1"
    assert figure(page, "total", "revoked_other") == "1"
    assert figure(page, "total", "complaints_received") == "2"
    assert figure(page, district("FX").id, "yearly_missing") == "1"
    assert "Failed spot check" in page  # the ground as the edition names it


def test_a_district_sees_its_own(client, world):
    login(client, world.bureaus["HP"])
    page = client.get("/supervision/dashboard/").text
    assert f'data-district="{district("HP").id}"' in page
    assert f'data-district="{district("FX").id}"' not in page and 'data-district="total"' not in page
    assert figure(page, district("HP").id, "pass_rate").startswith("100.0%")


def test_the_year_is_chosen(client, world):
    login(client, make_user(Role.CITY_BUREAU))
    page = client.get(f"/supervision/dashboard/?year={world.year - 1}").text
    assert figure(page, "total", "complaints_received") == "1"
    for wrong in ("1999", "abc", str(world.year + 1)):
        assert client.get(f"/supervision/dashboard/?year={wrong}").status_code == 200


def download(client, fmt, **args):
    response = client.get(f"/supervision/dashboard/export.{fmt}", query_string=args, buffered=True)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    if fmt == "csv":
        text = response.get_data().decode("utf-8")
        assert text.startswith("\ufeff")
        return list(csv.reader(io.StringIO(text[1:])))
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = [["" if v is None else str(v) for v in row] for row in book.active.iter_rows(values_only=True)]
    book.close()
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_has_the_pages_figures(client, world, fmt):
    login(client, world.bureaus["FX"])
    header, *rows = download(client, fmt)
    assert len(rows) == 1  # a district: its own row, no total
    row = dict(zip(header, rows[0], strict=True))
    assert (row["年度"], row["区"], row["持证网点"], row["本年抽查网点"]) == (
        str(world.year),
        "奉贤",
        "4",
        "4",
    )
    assert (row["合格"], row["已作结论的检查"], float(row["合格率（%）"])) == ("2", "4", 50.0)
    assert (row["整改中"], row["整改逾期"]) == ("2", "1")
    revoked = [name for name in header if name.startswith("撤销：")]
    assert revoked == ["撤销：抽查不合格", "撤销：未经撤销程序直接撤销"]
    assert [row[name] for name in revoked] == ["1", "1"]
    assert (row["年度自查应交"], row["年度自查缺交"], row["年度自查不合格"]) == ("5", "1", "1")


def test_the_city_export_ends_with_the_total(client, world):
    login(client, make_user(Role.CITY_BUREAU))
    header, *rows = download(client, "csv")
    assert len(rows) == len(all_districts()) + 1 and rows[-1][1] == "全市合计"
    assert rows[-1][header.index("持证网点")] == "5"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cells_that_look_like_formulas_stay_text(client, world, monkeypatch, fmt):
    fx = district("FX")
    hostile = DistrictName(fx.id, fx.code, '=HYPERLINK("http://evil","x")', "=cmd")
    monkeypatch.setattr(dashboard_views, "all_districts", lambda: (hostile,))
    login(client, world.bureaus["FX"])
    _header, row = download(client, fmt)
    assert row[1] == '\'=HYPERLINK("http://evil","x")'
