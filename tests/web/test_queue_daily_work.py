"""The bureau's queue in daily work: the processing time limit (办理时限) with due-soon and overdue
warnings, sorting by any column, the last filters kept per user, and filters that fold away on a phone."""

import html
import re
from datetime import timedelta

import pytest

from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.workflow.deadlines import Pause, ProcessingRules, Urgency, processing_deadline, urgency
from tests.dashboard_helpers import answer_rectification, inspected_with_findings, order_rectification
from tests.factories import login, make_outlet, make_user, shanghai_moment
from tests.web.test_workflow_queue import app_for
from tests.workflow_helpers import make_crew

pytestmark = pytest.mark.usefixtures("english_ui")
RULES = ProcessingRules()  # the configured default: 20 working days, due soon from 5 left


@pytest.fixture
def crew(ctx):
    return make_crew()


def rows_of(page: str) -> list[str]:
    """The table's rows, in order, as their HTML."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


def names(page: str) -> list[str]:
    return [re.search(r'<td><a href="/applications/\d+">([^<]+)</a>', row).group(1) for row in rows_of(page)]


def row_of(page: str, name: str) -> str:
    return next(row for row in rows_of(page) if f">{name}</a>" in row)


def submitted_days_ago(days: int) -> object:
    return shanghai_moment(today_in_shanghai() - timedelta(days=days), 10)


def day_due_soon():
    """A submission day whose time limit ends within the next few working days."""
    today = today_in_shanghai()
    day = today
    while urgency(processing_deadline(day, RULES), today, RULES) is not Urgency.DUE_SOON:
        day -= timedelta(days=1)
    return day


def test_each_row_shows_its_time_limit_and_warns_when_due_soon_or_overdue(client, crew):
    app_for("超期网点", submitted_at=submitted_days_ago(40))
    app_for("将到期网点", submitted_at=shanghai_moment(day_due_soon(), 10))
    app_for("正常网点", submitted_at=submitted_days_ago(0))
    app_for("退回网点", status="returned", submitted_at=submitted_days_ago(40))
    login(client, crew.bureau)
    page = html.unescape(client.get("/applications/queue?status=all").get_data(as_text=True))
    assert 'data-urgency="overdue"' in row_of(page, "超期网点") and "Overdue" in row_of(page, "超期网点")
    assert 'data-urgency="due_soon"' in row_of(page, "将到期网点") and "Due soon" in row_of(
        page, "将到期网点"
    )
    on_time = processing_deadline(today_in_shanghai(), RULES)
    assert 'data-urgency="on_time"' in row_of(page, "正常网点")
    assert f"due {on_time.day} {on_time:%b} {on_time.year}" in row_of(page, "正常网点")
    assert "data-urgency" not in row_of(page, "退回网点")  # with the outlet: the limit starts anew
    assert "20 working days from submission; the days the outlet takes to rectify are not counted." in page
    # one table on every screen (a phone shows its rows as cards): each row drawn once
    assert page.count('data-urgency="overdue"') == 1 and page.count('data-urgency="due_soon"') == 1
    assert 'data-label="Submitted · time limit"' in row_of(page, "超期网点")


def test_the_outlets_rectification_stops_the_clock(client, crew):
    today = today_in_shanghai()
    with clock_at(submitted_days_ago(60)):
        waiting = inspected_with_findings(make_outlet("FX", name="整改中网点"), ("1.2",))
        answered = inspected_with_findings(make_outlet("FX", name="整改完网点"), ("1.2",))
    with clock_at(submitted_days_ago(50)):
        order_rectification(waiting, ["1.2"], due_on=today + timedelta(days=5))
        order_rectification(answered, ["1.2"], due_on=today + timedelta(days=5))
    with clock_at(submitted_days_ago(2)):
        answer_rectification(answered)
    login(client, crew.bureau)
    page = html.unescape(client.get("/applications/queue").get_data(as_text=True))
    assert "time limit paused while the outlet rectifies" in row_of(page, "整改中网点")
    expected = processing_deadline(
        today - timedelta(days=60),
        RULES,
        [Pause(today - timedelta(days=50), today - timedelta(days=2))],
    )
    assert expected >= today  # 48 days waiting for the outlet are not held against the bureau
    row = row_of(page, "整改完网点")
    assert 'data-urgency="overdue"' not in row
    assert f"{expected.day} {expected:%b} {expected.year}" in row


def test_the_time_limit_is_configurable(client, crew, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCESSING_DAYS", 60)
    app_for("六十日内", submitted_at=submitted_days_ago(40))
    login(client, crew.bureau)
    page = html.unescape(client.get("/applications/queue").get_data(as_text=True))
    assert 'data-urgency="on_time"' in row_of(page, "六十日内")
    assert "60 working days from submission" in page


# -- sorting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["甲网点", "乙网点", "丙网点"]),  # in progress: longest waiting first
        ("submitted", ["甲网点", "乙网点", "丙网点"]),
        ("-submitted", ["丙网点", "乙网点", "甲网点"]),
        ("outlet", sorted(["甲网点", "乙网点", "丙网点"])),
        ("-outlet", sorted(["甲网点", "乙网点", "丙网点"], reverse=True)),
        ("status", ["甲网点", "丙网点", "乙网点"]),  # submitted, accepted, inspected
        ("-status", ["乙网点", "丙网点", "甲网点"]),
        ("level", ["乙网点", "丙网点", "甲网点"]),  # district first (ties by id), then city
        ("-level", ["甲网点", "丙网点", "乙网点"]),
        ("score", ["乙网点", "甲网点", "丙网点"]),  # the one scored first, the unscored last by id
        ("-score", ["乙网点", "丙网点", "甲网点"]),
    ],
)
def test_the_queue_sorts_by_any_column(client, crew, sort, expected):
    app_for("乙网点", status="inspected", submitted_at=submitted_days_ago(3))
    app_for("甲网点", status="submitted", submitted_at=submitted_days_ago(5), target_level="city")
    app_for("丙网点", status="accepted", submitted_at=submitted_days_ago(1))
    login(client, crew.bureau)
    page = client.get(f"/applications/queue?sort={sort}").get_data(as_text=True)
    assert names(page) == expected


def test_sorting_by_inspection_date_puts_the_unscheduled_last_both_ways(client, crew):
    today = today_in_shanghai()
    app_for("早检查", status="inspection_scheduled", scheduled_for=today + timedelta(days=2))
    app_for("晚检查", status="inspection_scheduled", scheduled_for=today + timedelta(days=9))
    app_for("未安排", status="accepted")
    login(client, crew.bureau)
    assert names(client.get("/applications/queue?sort=inspection").get_data(as_text=True)) == [
        "早检查",
        "晚检查",
        "未安排",
    ]
    assert names(client.get("/applications/queue?sort=-inspection").get_data(as_text=True)) == [
        "晚检查",
        "早检查",
        "未安排",
    ]


def test_the_city_sorts_by_district_and_a_district_bureau_may_not(client, crew):
    app_for("青浦网点", district="QP")
    app_for("黄浦网点", district="HP")
    login(client, crew.city)
    assert names(client.get("/applications/queue?sort=district").get_data(as_text=True)) == [
        "黄浦网点",
        "青浦网点",
    ]  # the districts' official order: 黄浦 comes first
    login(client, crew.bureau)
    page = html.unescape(client.get("/applications/queue?sort=district").get_data(as_text=True))
    assert "Sort by: Not a valid choice" in page


def test_a_tie_keeps_one_order_from_page_to_page(client, crew):
    moment = submitted_days_ago(4)
    for n in range(25):
        app_for(f"同时{n:02d}", submitted_at=moment)
    login(client, crew.bureau)
    first = names(client.get("/applications/queue?sort=-submitted").get_data(as_text=True))
    second = names(client.get("/applications/queue?sort=-submitted&page=2").get_data(as_text=True))
    assert len(first) == 20 and len(second) == 5 and not set(first) & set(second)
    assert first + second == [f"同时{n:02d}" for n in reversed(range(25))]  # newest id first


def test_an_unknown_sort_is_refused_on_its_field_and_the_usual_order_kept(client, crew):
    app_for("甲", submitted_at=submitted_days_ago(2))
    app_for("乙", submitted_at=submitted_days_ago(1))
    login(client, crew.bureau)
    page = html.unescape(client.get("/applications/queue?sort=id;drop").get_data(as_text=True))
    assert names(page) == ["甲", "乙"] and "Sort by: Not a valid choice" in page


def test_the_headers_sort_and_say_which_way(client, crew):
    app_for("甲")
    login(client, crew.bureau)
    page = html.unescape(client.get("/applications/queue?brand=顺丰&sort=outlet").get_data(as_text=True))
    header = re.search(r'<th scope="col" aria-sort="ascending">\s*<a class="sort-link" href="([^"]+)">', page)
    assert header and "sort=-outlet" in header.group(1) and "brand=" in header.group(1)
    assert re.search(r'href="[^"]*sort=status[^"]*">Status<', page)
    assert "page=" not in header.group(1)  # a new order starts on page 1


# -- the last filters are kept -----------------------------------------------------------------------


def test_coming_back_to_the_queue_restores_the_last_filters_until_reset(client, crew):
    app_for("顺丰甲", brand="顺丰")
    app_for("中通乙", brand="中通")
    login(client, crew.bureau)
    client.get("/applications/queue?brand=中通&sort=-outlet&page=1")
    back = client.get("/applications/queue")
    assert back.status_code == 302
    assert "brand=" in back.location and "sort=-outlet" in back.location and "page" not in back.location
    page = client.get(back.location).get_data(as_text=True)
    assert names(page) == ["中通乙"] and "1 filter on" in page
    reset = client.get("/applications/queue?reset=1")
    assert reset.status_code == 302 and reset.location.endswith("/applications/queue")
    fresh = client.get("/applications/queue")
    assert fresh.status_code == 200 and set(names(fresh.get_data(as_text=True))) == {"顺丰甲", "中通乙"}


def test_the_kept_filters_are_the_users_own_and_valid(client, crew):
    app_for("顺丰甲")
    login(client, crew.bureau)
    client.get("/applications/queue?brand=中通&submitted_from=31/12/2025")
    colleague = make_user(crew.bureau.role, district_code="FX", locale="en")
    with client.session_transaction() as session:
        kept = dict(session["queue_filters"])
    assert kept["args"] == {"brand": "中通"}  # the bad date is not kept
    login(client, colleague)
    with client.session_transaction() as session:  # a sign-in starts a fresh session; even if not...
        session["queue_filters"] = kept
    assert client.get("/applications/queue").status_code == 200  # ...another user's are not applied


# -- on a phone the filters fold away ---------------------------------------------------------------


def test_the_filters_fold_into_a_closed_details_that_opens_on_errors(client, crew):
    login(client, crew.bureau)
    page = client.get("/applications/queue").get_data(as_text=True)
    assert re.search(r'<details class="queue-filter-fold mb-3" id="queue-filters" data-open-wide\s*>', page)
    assert "js/workflow.js" in page  # which opens them from tablet width up
    wrong = client.get("/applications/queue?submitted_from=yesterday").get_data(as_text=True)
    assert re.search(r'id="queue-filters" data-open-wide\s+open>', wrong)
