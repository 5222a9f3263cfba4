"""The inspector's supervision visits and the bureau's list of checks, with its filters."""

import pytest

from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckStatus
from tests.factories import login, make_user
from tests.supervision.visit_helpers import Visit


@pytest.fixture
def visit(ctx):
    return Visit()


def test_the_inspectors_list_holds_their_teams_visits(client, visit, english_ui):
    login(client, visit.inspector)
    page = client.get("/supervision/checks/visits").get_data(as_text=True)
    assert f'data-check="{visit.check.id}"' in page
    assert visit.outlet.name in page and visit.outlet.address in page
    assert "Targeted visit" in page and visit.check.due_by.strftime("%Y") in page
    assert f'href="/checklist/{visit.record.id}"' in page
    login(client, visit.other_inspector)
    page = client.get("/supervision/checks/visits").get_data(as_text=True)
    assert f'data-check="{visit.check.id}"' not in page


def test_after_the_first_signature_the_list_asks_the_others_to_sign(client, visit):
    from outlet_audit.supervision.visits import sign_visit

    visit.complete()
    sign_visit(visit.check, visit.inspector, confirmed=True)
    login(client, visit.second_inspector)
    page = client.get("/supervision/checks/visits").get_data(as_text=True)
    assert f'href="/supervision/checks/visits/{visit.record.id}/sign"' in page


def test_the_bureaus_list_filters_by_status_and_purpose(client, visit):
    other = Visit(district_code="HP")
    login(client, visit.bureau)
    page = client.get("/supervision/checks/").get_data(as_text=True)
    assert f'data-check="{visit.check.id}"' in page and f'data-check="{other.check.id}"' not in page
    assert f'data-check="{visit.check.id}"' not in client.get("/supervision/checks/?status=passed").get_data(
        as_text=True
    )
    assert f'data-check="{visit.check.id}"' in client.get(
        "/supervision/checks/?status=scheduled&purpose=targeted"
    ).get_data(as_text=True)
    assert f'data-check="{visit.check.id}"' not in client.get(
        "/supervision/checks/?purpose=complaint"
    ).get_data(as_text=True)
    assert client.get("/supervision/checks/?status=<script>&purpose=nope").status_code == 200
    login(client, visit.city)
    page = client.get("/supervision/checks/").get_data(as_text=True)
    assert f'data-check="{visit.check.id}"' in page and f'data-check="{other.check.id}"' in page


def test_the_outlets_list_shows_signed_checks_only(client, visit):
    login(client, visit.outlet_user)
    assert f'data-check="{visit.check.id}"' not in client.get("/supervision/checks/mine").get_data(
        as_text=True
    )
    visit.complete()
    visit.sign_all()
    assert visit.check.status == CheckStatus.VISITED
    assert f'data-check="{visit.check.id}"' in client.get("/supervision/checks/mine").get_data(as_text=True)
    login(client, make_user(Role.INSPECTOR))
    assert client.get("/supervision/checks/mine").status_code == 403
