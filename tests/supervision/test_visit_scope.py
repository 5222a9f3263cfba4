"""Who reaches a supervision visit's checklist and check page, and what each may do there."""

import pytest

from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import CheckStatus
from tests.factories import login, make_user
from tests.supervision.visit_helpers import Visit


@pytest.fixture
def visit(ctx):
    return Visit()


def _edit(visit):
    return f"/checklist/{visit.record.id}"


def _save(visit, code):
    return f"/checklist/{visit.record.id}/items/{code}"


def test_the_team_edits_and_a_non_team_inspector_gets_404(client, visit):
    login(client, visit.inspector)
    page = client.get(_edit(visit))
    assert page.status_code == 200
    assert b'data-editable="true"' in page.data
    login(client, visit.other_inspector)
    assert client.get(_edit(visit)).status_code == 404
    assert client.get(f"/supervision/checks/{visit.check.id}").status_code == 404
    # the application's own inspectors are not the visit's team
    for inspector in visit.application.inspectors:
        login(client, inspector)
        assert client.get(_edit(visit)).status_code == 404


def test_only_covered_items_are_shown_and_saved(client, visit):
    login(client, visit.inspector)
    page = client.get(_edit(visit)).get_data(as_text=True)
    covered = sorted(visit.covered)
    uncovered = visit.uncovered_code()
    assert f'id="item-{covered[0]}"' in page
    assert f'id="item-{uncovered}"' not in page
    refused = client.post(_save(visit, uncovered), json={"value": "yes", "expected_version": 0})
    assert refused.status_code == 422 and refused.json["status"] == "refused"
    saved = client.post(_save(visit, covered[0]), json={"value": "yes", "expected_version": 0})
    assert saved.status_code == 200, saved.json
    # progress counts the covered items only
    assert saved.json["progress"]["total"] == len(visit.covered)


def test_an_uncovered_item_takes_no_file(client, visit):
    from tests.checklist_helpers import photo

    login(client, visit.inspector)
    response = client.post(
        f"/evidence/assessments/{visit.record.id}/upload",
        data={"item_code": visit.uncovered_code(), "file": (__import__("io").BytesIO(photo()), "p.jpg")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422


def test_bureaus_read_other_districts_get_404(client, visit):
    for user in (visit.bureau, visit.city):
        login(client, user)
        page = client.get(_edit(visit))
        assert page.status_code == 200 and b'data-editable="false"' in page.data
        assert client.get(f"/supervision/checks/{visit.check.id}").status_code == 200
        assert (
            client.post(
                _save(visit, sorted(visit.covered)[0]), json={"value": "yes", "expected_version": 0}
            ).status_code
            == 403
        )
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="HP"))
    assert client.get(_edit(visit)).status_code == 404
    assert client.get(f"/supervision/checks/{visit.check.id}").status_code == 404


def test_the_ecology_bureau_reads_the_check_page_only(client, visit):
    login(client, visit.ecology)
    assert client.get(f"/supervision/checks/{visit.check.id}").status_code == 200
    assert client.get(_edit(visit)).status_code == 403  # the checklist page is not a joint view
    assert (
        client.post(f"/supervision/checks/{visit.check.id}/passed", data={"pass-note": "ok"}).status_code
        == 403
    )


def test_the_outlet_sees_nothing_until_the_whole_team_signed(client, visit):
    visit.complete()
    login(client, visit.outlet_user)
    assert client.get(_edit(visit)).status_code == 403
    assert client.get(f"/supervision/checks/{visit.check.id}/outlet").status_code == 404
    from outlet_audit.supervision.visits import sign_visit

    sign_visit(visit.check, visit.inspector, confirmed=True)
    assert client.get(_edit(visit)).status_code == 403  # signed by one of two: still hidden
    photo_id = db.session.scalar(
        db.text("SELECT id FROM evidence WHERE assessment_id = :a LIMIT 1"), {"a": visit.record.id}
    )
    assert client.get(f"/evidence/{photo_id}").status_code == 404
    sign_visit(visit.check, visit.second_inspector, confirmed=True)
    assert visit.check.status == CheckStatus.VISITED
    assert client.get(_edit(visit)).status_code == 200
    assert client.get(f"/supervision/checks/{visit.check.id}/outlet").status_code == 200
    assert client.get(f"/evidence/{photo_id}").status_code == 200
    login(client, make_user(Role.OUTLET))
    assert client.get(f"/supervision/checks/{visit.check.id}/outlet").status_code == 404


def test_editing_stops_once_signed_or_no_longer_scheduled(client, visit):
    code = sorted(visit.covered)[0]
    login(client, visit.inspector)
    visit.check.status = CheckStatus.CANCELLED
    db.session.flush()
    locked = client.post(_save(visit, code), json={"value": "yes", "expected_version": 0})
    assert locked.status_code == 409 and locked.json["status"] == "locked"
