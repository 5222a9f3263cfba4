"""The lists each role works from: filters, search, pagination and scope of the bureaus' queue,
the approvals awaiting each organisation and the inspectors' visits."""

import re
from datetime import datetime, timedelta

import pytest

from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.seeding import take
from outlet_audit.workflow.states import Action
from tests.factories import cast_for, certify, district, login, make_application, make_outlet, make_user
from tests.workflow_helpers import make_crew


@pytest.fixture
def crew(ctx):
    return make_crew()


def listed(page: str) -> set[str]:
    """Outlet names linked from the queue's table."""
    return set(re.findall(r'<td><a href="/applications/\d+">([^<]+)</a>', page))


def app_for(
    name,
    *,
    district="FX",
    status="submitted",
    submitted_at=None,
    brand="顺丰",
    permit=None,
    scheduled_for=None,
    **fields,
):
    """An application of a new outlet, made (and submitted) at `submitted_at` (naive UTC)."""
    outlet_fields = {"name": name, "brand": brand}
    if permit:
        outlet_fields["permit_number"] = permit
    outlet = make_outlet(district, **outlet_fields)
    if scheduled_for:
        fields["inputs"] = {Action.SCHEDULE_INSPECTION: {"scheduled_on": scheduled_for}}
    with clock_at(submitted_at or datetime(2025, 5, 10, 2)):
        if fields.get("target_level") == "city":
            certify(outlet)  # only a district certificate holder applies for city level
        return make_application(outlet, status=status, **fields)


def test_the_district_bureau_sees_only_its_district_and_never_drafts(client, crew):
    app_for("奉贤甲")
    app_for("奉贤草稿", status="draft")
    app_for("青浦乙", district="QP")
    login(client, crew.bureau)
    assert listed(client.get("/applications/queue").get_data(as_text=True)) == {"奉贤甲"}
    # Asking for another district's rows through the URL changes nothing.
    other = client.get("/applications/queue?district_id=999&status=all").get_data(as_text=True)
    assert listed(other) == {"奉贤甲"}


def test_the_city_bureau_sees_every_district_and_can_narrow_to_one(client, crew):
    app_for("奉贤甲")
    app_for("青浦乙", district="QP")
    login(client, crew.city)
    page = client.get("/applications/queue").get_data(as_text=True)
    assert listed(page) == {"奉贤甲", "青浦乙"}
    narrowed = client.get(f"/applications/queue?district_id={district('QP').id}").get_data(as_text=True)
    assert listed(narrowed) == {"青浦乙"}


def test_status_filter_defaults_to_work_in_progress(client, crew):
    app_for("待受理", status="submitted")
    app_for("已认定", status="approved")
    app_for("已撤回", status="withdrawn")
    login(client, crew.bureau)
    assert listed(client.get("/applications/queue").get_data(as_text=True)) == {"待受理"}
    assert listed(client.get("/applications/queue?status=approved").get_data(as_text=True)) == {"已认定"}
    assert listed(client.get("/applications/queue?status=all").get_data(as_text=True)) == {
        "待受理",
        "已认定",
        "已撤回",
    }
    # An unknown status is shown as an error and not applied.
    page = client.get("/applications/queue?status=lost").get_data(as_text=True)
    assert listed(page) == {"待受理"} and "Not a valid choice" in page


def test_brand_and_level_filters(client, crew):
    app_for("顺丰区级", brand="顺丰")
    app_for("中通区级", brand="中通")
    app_for("顺丰市级", brand="顺丰", target_level="city")
    login(client, crew.bureau)
    brand = client.get("/applications/queue?brand=顺丰").get_data(as_text=True)
    assert listed(brand) == {"顺丰区级", "顺丰市级"}
    both = client.get("/applications/queue?brand=顺丰&target_level=city").get_data(as_text=True)
    assert listed(both) == {"顺丰市级"}


def test_submitted_between_follows_shanghais_calendar_day(client, crew):
    # 2025-05-09 23:30 Shanghai is 15:30 UTC; 2025-05-10 00:30 Shanghai is 16:30 UTC on the 9th.
    app_for("九号深夜", submitted_at=datetime(2025, 5, 9, 15, 30))
    app_for("十号凌晨", submitted_at=datetime(2025, 5, 9, 16, 30))
    app_for("十一号", submitted_at=datetime(2025, 5, 11, 4))
    login(client, crew.bureau)
    day = client.get("/applications/queue?submitted_from=2025-05-10&submitted_to=2025-05-10").get_data(
        as_text=True
    )
    assert listed(day) == {"十号凌晨"}
    since = client.get("/applications/queue?submitted_from=2025-05-10").get_data(as_text=True)
    assert listed(since) == {"十号凌晨", "十一号"}
    bad = client.get("/applications/queue?submitted_from=10/05/2025").get_data(as_text=True)
    assert listed(bad) == {"九号深夜", "十号凌晨", "十一号"} and "Not a valid date value" in bad


def test_search_by_outlet_name_or_permit_number(client, crew):
    app_for("南桥顺丰营业部", permit="SH-KD-2021-0158")
    app_for("西渡中通网点", permit="SH-KD-2020-3321")
    app_for("百分百_网点", permit="SH-KD-2019-7777")
    login(client, crew.bureau)
    assert listed(client.get("/applications/queue?q=南桥").get_data(as_text=True)) == {"南桥顺丰营业部"}
    assert listed(client.get("/applications/queue?q=kd-2020").get_data(as_text=True)) == {"西渡中通网点"}
    # Wildcards are searched for as text, not as patterns.
    assert listed(client.get("/applications/queue?q=%25").get_data(as_text=True)) == set()
    assert listed(client.get("/applications/queue?q=_").get_data(as_text=True)) == {"百分百_网点"}


def test_pagination_keeps_the_filters(client, crew):
    for n in range(23):
        app_for(f"网点{n:02d}", submitted_at=datetime(2025, 5, 1) + timedelta(hours=n))
    app_for("中通不显示", brand="中通")
    login(client, crew.bureau)
    first = client.get("/applications/queue?brand=顺丰").get_data(as_text=True)
    assert len(listed(first)) == 20
    assert "网点00" in listed(first)  # the oldest waits longest: first
    assert "23 in all, page 1 of 2" in first
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert "brand=" in next_link
    second = client.get(next_link).get_data(as_text=True)
    assert listed(second) == {"网点20", "网点21", "网点22"}


def awaiting(name, agency: Agency, **fields):
    """An application in approval whose next step is `agency`'s (the 2025 edition's steps)."""
    application = app_for(name, status="in_approval", **fields)
    while application.awaiting_agency != agency.value:
        take(application, Action.AGREE, cast_for(application.outlet))
    return application


def test_the_approvals_list_shows_each_organisation_what_awaits_its_step(client, crew):
    awaiting("待奉贤会签", Agency.DISTRICT_ECOLOGY)
    awaiting("待青浦会签", Agency.DISTRICT_ECOLOGY, district="QP")
    awaiting(
        "待奉贤决定", Agency.DISTRICT_POSTAL
    )  # district level: the postal bureau decides after the co-sign
    awaiting("待市局决定", Agency.CITY_POSTAL, target_level="city")
    app_for("已受理", status="accepted")
    qingpu_ecology = make_user(Role.DISTRICT_BUREAU, district_code="QP", agency=Agency.DISTRICT_ECOLOGY)
    city_ecology = make_user(Role.CITY_BUREAU, agency=Agency.CITY_ECOLOGY)
    for user, expected in (
        (crew.ecology, {"待奉贤会签"}),
        (qingpu_ecology, {"待青浦会签"}),
        (crew.bureau, {"待奉贤决定"}),
        (crew.city, {"待市局决定"}),
        (crew.other_bureau, set()),
        (city_ecology, set()),
    ):
        login(client, user)
        page = client.get("/applications/approvals").get_data(as_text=True)
        assert listed(page) == expected, user.display_name


@pytest.mark.parametrize("who", ["inspector", "outlet_user", "admin"])
def test_only_bureaus_have_an_approvals_list(client, crew, who):
    login(client, getattr(crew, who))
    assert client.get("/applications/approvals").status_code == 403


def test_inspectors_see_their_visits_soonest_first(client, crew):
    today = today_in_shanghai()
    later = app_for(
        "后访网点",
        status="inspection_scheduled",
        inspectors=[crew.inspector],
        scheduled_for=today + timedelta(days=9),
    )
    sooner = app_for(
        "先访网点",
        status="rectification_submitted",
        inspectors=[crew.inspector, crew.second_inspector],
        scheduled_for=today + timedelta(days=2),
    )
    app_for(
        "已完成网点", status="approved", inspectors=[crew.inspector], scheduled_for=today - timedelta(days=30)
    )
    app_for(
        "别人的网点",
        status="inspection_scheduled",
        inspectors=[crew.second_inspector],
        scheduled_for=today + timedelta(days=1),
    )
    login(client, crew.inspector)
    page = client.get("/applications/assignments").get_data(as_text=True)
    to_do, done = page.split('<h2 class="h5 mt-4">')
    assert to_do.index("先访网点") < to_do.index("后访网点")
    assert "已完成网点" in done and "已完成网点" not in to_do
    assert "别人的网点" not in page
    assert sooner.outlet.address in to_do and later.outlet.address in to_do
    assert "沈评估" in to_do  # the partner on the shared visit
