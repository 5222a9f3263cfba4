"""Figures that stay honest after rectification: item failures counted at first visits, and the
rectification figures (findings per item, share closed on time, median days to close, overdue
notices), each checked against numbers worked out by hand for a small set made by the operations.

The set, T being today in Shanghai (every step at 10:00 on its day):

    app district brand first visit            ordered, due       answered re-inspection
    A   FX       顺丰  T-40: 1.2, 3.1 short     T-38: both, T-24   T-30     T-28: 1.2 closed, 3.1 not
    B   FX       顺丰  T-50: 1.2, 2.1           T-45: 1.2, T-35    T-40     T-30: 1.2 closed (late)
    C   FX       顺丰  T-20: 1.2                T-19: 1.2, T-5     never: overdue
    D   FX       顺丰  T-10: 3.1                T-9: 3.1, T+10     not yet, not due
    E   FX       顺丰  T-60: 1.2, 3.1           T-58: 3.1, T-44    T-50     T-45: 3.1 closed
    F   FX       顺丰  T-15: 1.2, 3.1; corrected at T-14 (3.1 at full marks) and signed
    G   QP       京东  T-25: 1.2                T-24: 1.2, T-10    never: overdue
    H   QP       顺丰  T-70: 1.2                T-68: 1.2, T-40    T-55     T-48: 1.2 closed

Days to close (notice to closing): A 1.2 10, B 1.2 15, E 3.1 13, H 1.2 20. A re-inspection starts
from the answers of the visit before, so an item not put right is short there too: its own
finding (A 3.1, B 2.1, E 1.2). F's first record is superseded by its signed correction: only the
correction's findings (1.2) count.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from outlet_audit.checklist.models import Assessment
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.criteria.editions import active_edition
from outlet_audit.dashboards import snapshots
from outlet_audit.dashboards.queries import Filters
from outlet_audit.dashboards.rectification import rectification_figures
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import best_value
from tests.dashboard_helpers import (
    answer_rectification,
    correct_signed_visit,
    days_ago,
    inspected_with_findings,
    number,
    order_rectification,
    read_table,
    reinspect,
    tile,
)
from tests.factories import district, make_outlet, make_user
from tests.web.test_dashboard import dashboard
from tests.web.test_exports_download import download, reference


def journey(name, district_code="FX", brand="顺丰", *, found, short_of, ordered=(), ordered_on=None,
            due=None, answered=None, reinspected=None, outcomes=None):  # fmt: skip
    """One application taken as far as its line of the table above says (days before today)."""
    today = today_in_shanghai()
    outlet = make_outlet(district_code, brand=brand, name=f"网点 {name}")
    with clock_at(days_ago(found)):
        application = inspected_with_findings(outlet, short_of)
    if ordered:
        with clock_at(days_ago(ordered_on)):
            order_rectification(application, ordered, due_on=today - timedelta(days=due))
    if answered is not None:
        with clock_at(days_ago(answered)):
            answer_rectification(application)
    if reinspected is not None:
        with clock_at(days_ago(reinspected)):
            reinspect(application, outcomes)
    return application


def shared_rows():
    """The set of the table above, made once for the module; its records as ids."""
    users = {
        "FX": make_user(Role.DISTRICT_BUREAU, district_code="FX"),
        "QP": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
        "city": make_user(Role.CITY_BUREAU),
    }
    apps = {
        "A": journey("A", found=40, short_of=("1.2", "3.1"), ordered=("1.2", "3.1"), ordered_on=38, due=24,
                     answered=30, reinspected=28, outcomes={"1.2": "closed", "3.1": "not_closed"}),
        "B": journey("B", found=50, short_of=("1.2", "2.1"), ordered=("1.2",), ordered_on=45, due=35,
                     answered=40, reinspected=30, outcomes={"1.2": "closed"}),
        "C": journey("C", found=20, short_of=("1.2",), ordered=("1.2",), ordered_on=19, due=5),
        "D": journey("D", found=10, short_of=("3.1",), ordered=("3.1",), ordered_on=9, due=-10),
        "E": journey("E", found=60, short_of=("1.2", "3.1"), ordered=("3.1",), ordered_on=58, due=44,
                     answered=50, reinspected=45, outcomes={"3.1": "closed"}),
        "F": journey("F", found=15, short_of=("1.2", "3.1")),
        "G": journey("G", "QP", "京东", found=25, short_of=("1.2",), ordered=("1.2",), ordered_on=24, due=10),
        "H": journey("H", "QP", found=70, short_of=("1.2",), ordered=("1.2",), ordered_on=68, due=40,
                     answered=55, reinspected=48, outcomes={"1.2": "closed"}),
    }  # fmt: skip
    with clock_at(days_ago(14)):
        f = apps["F"]
        correct_signed_visit(f, {"3.1": best_value(active_edition().item("3.1"))})
    return {
        "users": {name: user.id for name, user in users.items()},
        "apps": {name: application.id for name, application in apps.items()},
    }


@pytest.fixture
def rows(module_rows, ctx):
    """The module's users and applications, read in this test's session."""
    from outlet_audit.accounts.models import User

    built = module_rows[1]
    return (
        {name: db.session.get(User, user_id) for name, user_id in built["users"].items()},
        {name: db.session.get(Application, app_id) for name, app_id in built["apps"].items()},
    )


def findings_table(html):
    return {
        code: [number(cell) for cell in cells[1:]]
        for code, cells in read_table(html, "table-findings").items()
    }


def test_the_set_is_as_the_table_says(rows):
    _users, apps = rows
    statuses = {name: application.status for name, application in apps.items()}
    assert statuses == {
        "A": "inspected", "B": "inspected", "C": "rectification_requested", "D": "rectification_requested",
        "E": "inspected", "F": "inspected", "G": "rectification_requested", "H": "inspected",
    }  # fmt: skip
    f_records = db.session.scalars(
        db.select(Assessment).where(Assessment.application_id == apps["F"].id).order_by(Assessment.sequence)
    ).all()
    inspections = [r for r in f_records if r.kind == "inspection"]
    assert [(r.visit_type, r.amends_id is not None, r.superseded_at is not None) for r in inspections] == [
        ("initial", False, True),
        ("initial", True, False),
    ]


def test_the_district_dashboard_shows_the_rectification_figures_worked_out_by_hand(client, rows):
    users, _apps = rows
    html = dashboard(client, users["FX"])

    #                     found, ordered, not required, verified closed
    assert findings_table(html) == {"1.2": [6, 3, 1, 2], "3.1": [4, 3, 0, 1], "2.1": [2, 0, 1, 0]}
    assert number(tile(html, "tile-findings")) == 12
    # Settled: A 1.2 and 3.1, B 1.2, C 1.2 (past due), E 3.1; on time: A 1.2 (T-28 <= T-24), E 3.1.
    assert tile(html, "tile-on-time") == "40.0%"
    assert tile(html, "tile-median-days") == "13"  # A 10, E 13, B 15 days
    assert number(tile(html, "tile-overdue")) == 1  # C; D is not due yet


def test_the_city_dashboard_counts_every_district(client, rows):
    users, _apps = rows
    html = dashboard(client, users["city"])

    assert findings_table(html) == {"1.2": [8, 5, 1, 3], "3.1": [4, 3, 0, 1], "2.1": [2, 0, 1, 0]}
    assert tile(html, "tile-on-time") == "42.9%"  # 3 of 7: H 1.2 (T-48 <= T-40) joins
    assert tile(html, "tile-median-days") == "14"  # 10, 13, 15, 20: the middle two averaged
    assert number(tile(html, "tile-overdue")) == 2  # C and G


def test_filters_narrow_the_rectification_figures(client, rows):
    users, _apps = rows
    html = dashboard(client, users["city"], brand="京东")

    assert findings_table(html) == {"1.2": [1, 1, 0, 0]}
    assert (tile(html, "tile-on-time"), tile(html, "tile-median-days")) == ("0.0%", "—")  # G: past due
    assert number(tile(html, "tile-overdue")) == 1
    qp = dashboard(client, users["city"], district=district("QP").id)
    assert findings_table(qp) == {"1.2": [2, 2, 0, 1]}
    assert tile(qp, "tile-median-days") == "20"


def test_an_even_number_of_closed_findings_gives_the_mean_of_the_middle_two(rows):
    figures = rectification_figures(Filters(today_in_shanghai()), {"1.2": None, "2.1": None, "3.1": None})
    assert (figures.closed, figures.median_days) == (4, Decimal("14.0"))
    fx = rectification_figures(
        Filters(today_in_shanghai(), district_id=district("FX").id), {"1.2": None, "2.1": None, "3.1": None}
    )
    assert (fx.settled, fx.closed_on_time, fx.closed, fx.median_days) == (5, 2, 3, Decimal("13.0"))


def test_a_failure_at_the_first_visit_stays_counted_after_rectification(client, rows):
    """A fails 1.2 and 3.1 at its first visit; 1.2 is put right and the re-inspection gives it full
    marks. F's first record is replaced by its signed correction (3.1 at full marks there)."""
    users, _apps = rows
    items = read_table(dashboard(client, users["FX"]), "table-items")

    # First visits in force: A, B, C, D, E and F's correction.
    # 1.2 short at A, B, C, E, F; 3.1 short at A, D, E (F's correction has it at full marks);
    # 2.1 short at B.
    assert [number(cell) for cell in items["1.2"][1:3]] == [6, 1]
    assert [number(cell) for cell in items["3.1"][1:3]] == [6, 3]
    assert [number(cell) for cell in items["2.1"][1:3]] == [6, 5]


def test_the_overdue_link_opens_the_applications_waiting_for_rectification(client, rows):
    users, apps = rows
    html = dashboard(client, users["FX"])
    link = html.split('id="overdue-link"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert link.startswith("/applications/queue?") and "status=rectification_requested" in link

    queue = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "网点 C" in queue and "网点 D" in queue and "网点 A" not in queue


def test_snapshots_keep_the_rectification_figures(client, rows, app, monkeypatch):
    users, _apps = rows
    monkeypatch.setitem(app.config, "DASHBOARD_SNAPSHOT_SECONDS", 300)
    computed = dashboard(client, users["FX"])
    served = dashboard(client, users["FX"])  # from the stored snapshot
    for tile_id in ("tile-findings", "tile-on-time", "tile-median-days", "tile-overdue"):
        assert tile(served, tile_id) == tile(computed, tile_id)
    assert findings_table(served) == findings_table(computed)
    f = Filters(today_in_shanghai())
    figures = snapshots.compute_figures(f, active_edition())
    assert snapshots.figures_from_json(snapshots.figures_to_json(figures)) == figures


def test_exports_say_which_record_gives_the_score(client, rows):
    users, apps = rows
    header, lines = download(client, users["FX"], "applications", "csv")
    column = {name: index for index, name in enumerate(header)}
    by_reference = {line[0]: line for line in lines}
    assert len(by_reference) == len(lines)  # one row per application, whatever its records
    a = by_reference[reference(apps["A"])]
    second = db.session.scalar(
        db.select(Assessment).where(Assessment.application_id == apps["A"].id, Assessment.sequence == 2,
                                    Assessment.kind == "inspection")
    )  # fmt: skip
    assert (a[column["得分所依检查记录"]], a[column["检查类型"]]) == ("2", "整改复查")
    assert Decimal(a[column["检查最终得分"]]) == second.final
    c = by_reference[reference(apps["C"])]
    assert (c[column["得分所依检查记录"]], c[column["检查类型"]]) == ("1", "首次现场检查")
    f = by_reference[reference(apps["F"])]
    assert (f[column["得分所依检查记录"]], f[column["检查类型"]]) == ("2", "首次现场检查（更正）")

    header, lines = download(client, users["FX"], "inspections", "xlsx")
    column = {name: index for index, name in enumerate(header)}
    records = {
        (line[0], line[column["检查记录"]]): (
            line[column["检查类型"]], line[column["是否当前得分"]], line[column["已被更正替代"]]
        )
        for line in lines
    }  # fmt: skip
    assert records[(reference(apps["A"]), 1)] == ("首次现场检查", "否", "否")
    assert records[(reference(apps["A"]), 2)] == ("整改复查", "是", "否")
    assert records[(reference(apps["F"]), 1)] == ("首次现场检查", "否", "是")
    assert records[(reference(apps["F"]), 2)] == ("首次现场检查（更正）", "是", "否")
    a_first = {
        line[column["项目编号"]]: line[column["是否满分"]]
        for line in lines
        if (line[0], line[column["检查记录"]]) == (reference(apps["A"]), 1)
    }
    assert (a_first["1.2"], a_first["3.1"]) == ("否", "否")  # the first visit's answers, as signed
