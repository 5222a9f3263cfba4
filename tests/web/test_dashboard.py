"""Bureau dashboard: each figure equals a count made here in Python, for each scope and filter."""

from collections import Counter
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import active_edition
from outlet_audit.criteria.model import Edition
from outlet_audit.roles import Role
from tests.checklist_helpers import pudong_edition
from tests.dashboard_helpers import (  # shared_rows: the module's world; world_records: its fixture
    answer,
    bucket_of,
    number,
    read_table,
    shanghai_month,
    shared_rows,  # noqa: F401
    tile,
    world_records,  # noqa: F401
)
from tests.factories import advance, login, make_application, make_outlet, make_user


def dashboard(client, user, **args):
    login(client, user)
    response = client.get("/dashboard/", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def in_scope(world, district_code=None, brand=None):
    district_id = world.district_ids.get(district_code)

    def keep(district, outlet):
        return (district_id is None or district == district_id) and (brand is None or outlet.brand == brand)

    return keep


def expected(world, district_code=None, brand=None, level=None, since=None):
    """Every figure of the page, counted over the Python objects."""
    keep = in_scope(world, district_code, brand)
    today = today_in_shanghai()
    outlets = [o for o in world.outlets if keep(o.district_id, o)]
    if since is not None:
        outlets = [o for o in outlets if o.created_at + timedelta(hours=8) >= since]
    applications = [
        a
        for a in world.applications
        if keep(a.district_id, a.outlet) and (level is None or a.target_level == level)
        and (since is None or (a.submitted_at and a.submitted_at + timedelta(hours=8) >= since))
    ]  # fmt: skip
    certificates = [
        c
        for c in world.certificates
        if keep(c.district_id, c.outlet) and (level is None or c.level == level)
        and (since is None or c.issued_on >= since.date())
    ]  # fmt: skip
    in_force = {
        c.outlet_id
        for c in world.certificates
        if c.state == "active" and c.valid_until >= today and (level is None or c.level == level)
    }
    verified = [o for o in world.outlets if keep(o.district_id, o) and o.verified]
    return {
        "registered": len(outlets),
        "verified": sum(o.verified for o in outlets),
        "statuses": Counter(a.status for a in applications),
        "buckets": Counter((c.level, bucket_of(c, today)) for c in certificates),
        "brands": {
            brand: (len(group), sum(o.id in in_force for o in group))
            for brand in {o.brand for o in verified}
            for group in [[o for o in verified if o.brand == brand]]
        },
        "submitted_by_month": Counter(shanghai_month(a.submitted_at) for a in applications if a.submitted_at),
        "issued_by_month": Counter(f"{c.issued_on:%Y-%m}" for c in certificates),
    }


def assert_page_shows(html, want):
    assert number(tile(html, "tile-registered")) == want["registered"]
    assert number(tile(html, "tile-verified")) == want["verified"]
    statuses = read_table(html, "table-statuses")
    for status, cells in statuses.items():
        if not status.startswith("tfoot"):
            assert number(cells[1]) == want["statuses"].get(status, 0), status
    assert number(tile(html, "tile-applications")) == sum(want["statuses"].values())
    certificates = read_table(html, "table-certificates")
    for bucket in ("valid", "expiring", "expired", "revoked", "superseded"):
        district, city, total = (number(cell) for cell in certificates[bucket][1:])
        assert (district, city) == (
            want["buckets"][("district", bucket)],
            want["buckets"][("city", bucket)],
        ), bucket
        assert total == district + city
    brands = read_table(html, "table-brands")
    shown = {
        brand: (number(c[1]), number(c[2])) for brand, c in brands.items() if not brand.startswith("tfoot")
    }
    assert shown == want["brands"]


@pytest.mark.parametrize("code", ["FX", "QP"])
def test_district_bureau_sees_its_own_district(client, world, code):
    html = dashboard(client, world.bureaus[code])

    want = expected(world, district_code=code)
    assert want["registered"] > 0 and sum(want["buckets"].values()) > 0
    assert_page_shows(html, want)
    assert 'id="table-districts"' not in html  # no breakdown for one district


def test_district_bureau_cannot_widen_its_scope_through_the_url(client, world):
    html = dashboard(client, world.bureaus["FX"], district=world.district_ids["QP"])

    assert_page_shows(html, expected(world, district_code="FX"))
    assert 'name="district"' not in html


def test_city_bureau_sees_shanghai_with_a_breakdown_by_district(client, world):
    html = dashboard(client, world.city)

    want = expected(world)
    assert_page_shows(html, want)
    rows = read_table(html, "table-districts")
    assert len(rows) == 16
    for code in ("FX", "QP", "PD"):
        mine = expected(world, district_code=code)
        cells = [number(cell) for cell in rows[code][1:6]]
        certified = sum(c for _, c in mine["brands"].values())
        assert cells == [
            mine["registered"],
            mine["verified"],
            sum(mine["statuses"].values()),
            sum(mine["buckets"].values()),
            certified,
        ], code
    assert [number(cell) for cell in rows["HP"][1:6]] == [0, 0, 0, 0, 0]


def test_city_bureau_can_pick_one_district(client, world):
    html = dashboard(client, world.city, district=world.district_ids["PD"])

    assert_page_shows(html, expected(world, district_code="PD"))
    assert 'id="table-districts"' not in html


@pytest.mark.parametrize("brand", ["京东", "中国邮政"])
def test_brand_filter(client, world, brand):
    html = dashboard(client, world.city, brand=brand)

    want = expected(world, brand=brand)
    assert want["registered"] < len(world.outlets)
    assert_page_shows(html, want)
    assert list(want["brands"]) == [brand]


@pytest.mark.parametrize("level", ["district", "city"])
def test_level_filter(client, world, level):
    html = dashboard(client, world.bureaus["FX"], level=level)

    want = expected(world, district_code="FX", level=level)
    assert_page_shows(html, want)
    certificates = read_table(html, "table-certificates")
    other = "city" if level == "district" else "district"
    column = 1 if other == "district" else 2
    assert all(number(cells[column]) == 0 for cells in certificates.values())


def test_date_range_filters_every_dated_figure(client, world):
    since = today_in_shanghai() - timedelta(days=70)
    html = dashboard(client, world.city, date_from=since.isoformat(), date_to=today_in_shanghai().isoformat())

    want = expected(world, since=datetime.combine(since, time()))
    everything = expected(world)
    assert want["registered"] < everything["registered"]
    assert sum(want["statuses"].values()) < sum(everything["statuses"].values())
    assert want["statuses"]["draft"] == 0  # drafts have no submission date
    assert sum(want["buckets"].values()) < sum(everything["buckets"].values())
    assert_page_shows(html, want)


def test_monthly_trend_counts_submissions_and_issues_by_shanghai_month(client, world):
    html = dashboard(client, world.bureaus["FX"])

    want = expected(world, district_code="FX")
    rows = read_table(html, "table-trend")
    assert len(rows) == 12
    assert list(rows)[-1] == f"{today_in_shanghai():%Y-%m}"
    for month, cells in rows.items():
        assert number(cells[1]) == want["submitted_by_month"].get(month, 0), month
        assert number(cells[2]) == want["issued_by_month"].get(month, 0), month
    shown_issued = sum(number(cells[2]) for cells in rows.values())
    assert shown_issued == sum(n for m, n in want["issued_by_month"].items() if m in rows)
    assert shown_issued > 0


def expected_pass_rates(world, district_code=None):
    keep = in_scope(world, district_code)
    answered, passed, not_applicable = Counter(), Counter(), Counter()
    for inspection, answers in world.inspections:
        if inspection.visit_type != "initial" or inspection.superseded_at is not None:
            continue  # what outlets get wrong: first visits as they stand, never a re-inspection
        application = next(a for a in world.applications if a.id == inspection.application_id)
        if not keep(application.district_id, application.outlet):
            continue
        for code, (_value, full) in answers.items():
            if code.startswith("B"):
                continue  # bonus items are not requirements
            if full is None:
                not_applicable[code] += 1
            else:
                answered[code] += 1
                passed[code] += full
    return answered, passed, not_applicable


@pytest.mark.parametrize("code", [None, "FX"])
def test_item_pass_rates_count_signed_first_inspections_only(client, world, code):
    user = world.city if code is None else world.bureaus[code]
    html = dashboard(client, user)

    answered, passed, not_applicable = expected_pass_rates(world, code)
    assert sum(answered.values()) > 0
    rows = read_table(html, "table-items")
    assert "B1" not in rows and "X9" not in rows
    assert rows["1.1"][0].startswith("1.1 全面使用电子运单")
    for item, cells in rows.items():
        assert [number(cells[1]), number(cells[2]), number(cells[3])] == [
            answered[item],
            passed[item],
            not_applicable[item],
        ], item
        if answered[item]:
            rate = round(100 * passed[item] / answered[item], 1)
            assert cells[4] == f"{rate}%"
        else:
            assert cells[4] == "—"


def test_charts_are_inline_svg_with_their_titles_and_no_inline_styles(client, world):
    html = dashboard(client, world.city)

    assert html.count("<svg") >= 6
    assert "&lt;svg" not in html  # wrapped in Markup, not escaped
    assert "style=" not in html
    assert "<script>" not in html


def test_invalid_filters_are_reported_and_left_out(client, world):
    html = dashboard(client, world.city, date_from="2025-06-01", date_to="2025-01-01", brand="UPS")

    assert "is-invalid" in html
    assert_page_shows(html, expected(world))


@pytest.mark.parametrize("role", [Role.OUTLET, Role.INSPECTOR, Role.ADMIN])
@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/exports", "/dashboard/import"])
def test_other_roles_are_refused(client, ctx, role, path):
    login(client, make_user(role))
    assert client.get(path).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_bureaus_have_the_menu_entries(client, ctx):
    html = dashboard(client, make_user(Role.DISTRICT_BUREAU))
    for path in ("/dashboard/", "/dashboard/exports", "/dashboard/import"):
        assert f'href="{path}"' in html


def signed_off_inspection(edition, answers):
    application = make_application(make_outlet("FX"), status="inspection_scheduled", edition=edition)
    inspection = answer(application, "inspection", answers)
    advance(application, "inspected")
    return inspection


# City-wide with several editions pinned, the query joins each answer's application for its edition
# (with one edition only, it need not: the other tests).
@pytest.mark.parametrize("code", ["FX", None])
def test_pass_rates_keep_to_the_active_editions_items_with_titles_from_the_pinned_snapshot(
    client, world, code
):
    snapshot = active_edition().to_snapshot()
    snapshot["sections"][0]["items"][0]["title"]["zh"] = "旧版：电子运单"
    older_wording = Edition.from_snapshot(snapshot, source="test")
    signed_off_inspection(older_wording, {"1.1": (False, False)})
    # Another edition entirely: its items (A1, and B1 which is a bonus item in the active one) stay out.
    signed_off_inspection(pudong_edition(), {"A1": ("G1", True), "B1": (Decimal(90), True)})

    html = dashboard(client, world.bureaus[code] if code else world.city)

    answered, passed, _na = expected_pass_rates(world, code)
    rows = read_table(html, "table-items")
    assert rows["1.1"][0] == "1.1 旧版：电子运单"
    assert [number(rows["1.1"][1]), number(rows["1.1"][2])] == [answered["1.1"] + 1, passed["1.1"]]
    assert "A1" not in rows and "B1" not in rows
    assert [number(rows["1.2"][1])] == [answered["1.2"] + 1]  # the older wording's, full marks
