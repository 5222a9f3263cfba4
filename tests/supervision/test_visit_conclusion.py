"""The district postal bureau concludes a visited check: passed, rectification by a date (answered by
the outlet), rectified, or proposed for revocation; and what is refused."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.kinds import FindingStatus
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.supervision.kinds import CheckStatus
from tests.factories import login
from tests.supervision.visit_helpers import Visit


@pytest.fixture
def visit(ctx):
    return Visit()


@pytest.fixture
def visited(visit):
    visit.short = sorted(visit.covered)[0]
    visit.complete(short_of={visit.short})
    visit.sign_all()
    return visit


def _check(visit):
    db.session.expire_all()  # read what the last request committed
    return visit.check


def _url(visit, act):
    db.session.expire_all()  # read what the last request committed
    return f"/supervision/checks/{visit.check.id}/{act}"


def test_passed_with_a_note(client, visited):
    login(client, visited.bureau)
    assert client.post(_url(visited, "passed"), data={"pass-note": ""}).status_code == 422
    response = client.post(_url(visited, "passed"), data={"pass-note": "整体良好"})
    assert response.status_code == 302
    assert _check(visited).status == CheckStatus.PASSED and _check(visited).conclusion == "整体良好"
    assert (
        db.session.scalar(select(AuditEvent.field).where(AuditEvent.action == "supervision_check_concluded"))
        == "passed"
    )
    assert db.session.scalar(
        select(Notification).where(
            Notification.user_id == visited.outlet_user.id, Notification.kind == "supervision_concluded"
        )
    )
    # once concluded, nothing else
    assert client.post(_url(visited, "revocation"), data={"revocation-reasons": "x"}).status_code == 422


def test_rectification_answered_by_the_outlet_then_accepted(client, visited):
    due = today_in_shanghai() + timedelta(days=10)
    login(client, visited.bureau)
    assert (
        client.post(
            _url(visited, "rectification"), data={"rectification-due_on": due.isoformat()}
        ).status_code
        == 422
    )  # no finding chosen
    response = client.post(
        _url(visited, "rectification"),
        data={"rectification-codes": [visited.short], "rectification-due_on": due.isoformat()},
    )
    assert response.status_code == 302
    check = _check(visited)
    assert check.status == CheckStatus.RECTIFICATION and check.notice.due_on == due
    assert client.post(_url(visited, "rectified"), data={}).status_code == 422  # not answered yet
    login(client, visited.outlet_user)
    page = client.get(_url(visited, "outlet"))
    assert page.status_code == 200 and check.notice.number.encode() in page.data
    pdf = client.get(f"/reports/notices/{check.notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    finding = check.notice.findings[0]
    assert client.post(_url(visited, "send")).status_code == 422  # an item unanswered
    answered = client.post(
        _url(visited, f"findings/{finding.id}/answer"),
        data={f"finding{finding.id}-responsible_person": "店长", f"finding{finding.id}-response": "已更换"},
    )
    assert answered.status_code == 302 and _check(visited).notice.findings[0].status == FindingStatus.ANSWERED
    assert client.post(_url(visited, "send")).status_code == 302
    assert _check(visited).notice.submitted_at is not None
    login(client, visited.bureau)
    assert client.post(_url(visited, "rectified"), data={"rectified-note": "核实"}).status_code == 302
    assert _check(visited).status == CheckStatus.RECTIFIED


def test_revocation_proposed_with_reasons(client, visited):
    login(client, visited.bureau)
    assert client.post(_url(visited, "revocation"), data={"revocation-reasons": " "}).status_code == 422
    assert (
        client.post(_url(visited, "revocation"), data={"revocation-reasons": "否决项不合格"}).status_code
        == 302
    )
    assert _check(visited).status == CheckStatus.REVOCATION


def test_revocation_after_a_rectification_waits_for_its_date(client, visited):
    login(client, visited.bureau)
    due = today_in_shanghai() + timedelta(days=3)
    client.post(
        _url(visited, "rectification"),
        data={"rectification-codes": [visited.short], "rectification-due_on": due.isoformat()},
    )
    assert client.post(_url(visited, "revocation"), data={"revocation-reasons": "未整改"}).status_code == 422
    _check(visited).notice.due_on = today_in_shanghai() - timedelta(days=1)
    db.session.flush()
    assert client.post(_url(visited, "revocation"), data={"revocation-reasons": "未整改"}).status_code == 302


@pytest.mark.parametrize("who", ["ecology", "city", "inspector", "outlet_user"])
def test_only_the_district_postal_bureau_concludes(client, visited, who):
    login(client, getattr(visited, who))
    assert client.post(_url(visited, "passed"), data={"pass-note": "ok"}).status_code in (403, 404)
    assert _check(visited).status == CheckStatus.VISITED


def test_a_scheduled_check_is_not_concluded(client, visit):
    login(client, visit.bureau)
    assert client.post(_url(visit, "passed"), data={"pass-note": "ok"}).status_code == 422
    assert _check(visit).status == CheckStatus.SCHEDULED


def test_the_check_page_shows_the_result_and_the_forms(client, visited, english_ui):
    login(client, visited.bureau)
    page = client.get(f"/supervision/checks/{visited.check.id}").get_data(as_text=True)
    assert 'id="visit-result"' in page and 'id="pass-form"' in page and 'id="rectification-form"' in page
    assert f'data-item-code="{visited.short}"' in page
    login(client, visited.city)
    page = client.get(f"/supervision/checks/{visited.check.id}").get_data(as_text=True)
    assert 'id="visit-result"' in page and 'id="pass-form"' not in page
    login(client, visited.ecology)  # reads the result here; the checklist page is not a joint view
    page = client.get(f"/supervision/checks/{visited.check.id}").get_data(as_text=True)
    assert 'id="visit-result"' in page and 'id="whole-record"' not in page and 'id="pass-form"' not in page
