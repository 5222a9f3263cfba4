"""The team signs a supervision visit: the first signature locks, scores and finds; the last makes the
check visited and tells the district postal bureau; the application stays approved."""

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.findings import findings_at, findings_of
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.supervision.kinds import CheckStatus
from outlet_audit.supervision.visits import sign_visit, visit_result
from outlet_audit.text import Refused
from outlet_audit.workflow.states import Status
from tests.factories import login
from tests.supervision.visit_helpers import Visit


@pytest.fixture
def visit(ctx):
    return Visit()


def test_nothing_missing_of_the_covered_items_is_needed_to_sign(visit):
    with db.session.begin_nested(), pytest.raises(Refused, match="answer every item"):
        sign_visit(visit.check, visit.inspector, confirmed=True)
    visit.complete()  # the covered items only: the others stay unanswered
    assert sign_visit(visit.check, visit.inspector, confirmed=True) is False


def test_the_first_signs_and_finds_the_last_completes(visit):
    short = sorted(visit.covered)[0]
    visit.complete(short_of={short})
    assert sign_visit(visit.check, visit.inspector, confirmed=True, outlet_representative="店长") is False
    record = visit.record
    assert record.signed_off_by_id == visit.inspector.id and record.outlet_representative == "店长"
    assert [finding.item_code for finding in findings_at(record)] == [short]
    assert visit.check.status == CheckStatus.SCHEDULED  # waits for the second member
    with db.session.begin_nested(), pytest.raises(Refused, match="signed this visit already"):
        sign_visit(visit.check, visit.inspector, confirmed=True)
    with db.session.begin_nested(), pytest.raises(Refused, match="team"):
        sign_visit(visit.check, visit.other_inspector, confirmed=True)
    assert sign_visit(visit.check, visit.second_inspector, confirmed=True) is True
    assert visit.check.status == CheckStatus.VISITED
    assert visit.application.status == Status.APPROVED  # outside the application's state machine
    assert findings_of(visit.application.id) == []  # not the application's rectification
    told = db.session.scalars(select(Notification).where(Notification.kind == "supervision_visited")).all()
    assert visit.bureau.id in {note.user_id for note in told}
    assert visit.ecology.id not in {note.user_id for note in told}
    events = db.session.scalars(
        select(AuditEvent.field)
        .where(AuditEvent.action == "supervision_visit_signed")
        .order_by(AuditEvent.id)
    ).all()
    assert events == ["member", "last"]
    result = visit_result(visit.check, visit.edition)
    assert short in result.outcome.short_items
    assert result.outcome.possible > 0 and result.covered == visit.covered


def test_a_confirmation_is_required(visit):
    visit.complete()
    with pytest.raises(Refused, match="Confirm"):
        sign_visit(visit.check, visit.inspector, confirmed=False)


def test_signing_through_the_pages(client, visit):
    visit.complete()
    url = f"/supervision/checks/visits/{visit.record.id}/sign"
    login(client, visit.inspector)
    page = client.get(url)
    assert page.status_code == 200 and b"sign-off-form" in page.data
    refused = client.post(url, data={"outlet_representative": "x"})
    assert refused.status_code == 422
    done = client.post(url, data={"confirm": "y", "outlet_representative": "店长"})
    assert done.status_code == 302
    login(client, visit.other_inspector)
    assert client.get(url).status_code == 404
    login(client, visit.second_inspector)
    assert client.post(url, data={"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert visit.check.status == CheckStatus.VISITED
    # a signed visit is never changed again
    code = sorted(visit.covered)[0]
    locked = client.post(
        f"/checklist/{visit.record.id}/items/{code}", json={"value": "no", "expected_version": 1}
    )
    assert locked.status_code == 409


def test_a_full_check_covers_every_scored_item(ctx):
    from outlet_audit.supervision.kinds import CampaignChecklist

    visit = Visit(checklist=CampaignChecklist.FULL)
    assert visit.covered == {item.code for item in visit.edition.items()}
    visit.complete()
    visit.sign_all()
    outcome = visit_result(visit.check, visit.edition).outcome
    assert outcome.passed and outcome.percent == 100
