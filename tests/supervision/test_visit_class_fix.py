"""After the certificate, an approved application holds supervision visits and yearly self-checks
besides its inspection records: every page of that application and its outlet keeps reading only
its own checklists, for every role, and never shows a visit's findings as its rectification."""

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import select

from outlet_audit.checklist.findings import findings_at, findings_of, notices_of, open_notice
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import assessment_of, inspection_records
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.supervision.models import YearlySelfCheck
from outlet_audit.supervision.visits import order_rectification
from outlet_audit.workflow.invariants import broken_invariants
from tests.factories import login
from tests.supervision.visit_helpers import Visit

ARGUMENTS = {"application_id", "outlet_id", "certificate_id"}
LIST_BLUEPRINTS = {"workflow", "dashboards", "certificates", "outlets", "checks"}


@pytest.fixture
def after_certificate(app, ctx):
    visit = Visit()
    visit.short = sorted(visit.covered)[0]
    visit.complete(short_of={visit.short})
    visit.sign_all()
    notice = order_rectification(
        visit.check,
        visit.bureau,
        codes={visit.short},
        due_on=today_in_shanghai() + timedelta(days=5),
        instructions="改",
    )
    yearly_record = Assessment(application_id=visit.application.id, kind=AssessmentKind.YEARLY, sequence=1)
    db.session.add(yearly_record)
    db.session.flush()
    db.session.add(
        YearlySelfCheck(
            certificate_id=visit.certificate.id,
            outlet_id=visit.outlet.id,
            district_id=visit.outlet.district_id,
            year=today_in_shanghai().year,
            due_on=today_in_shanghai() + timedelta(days=30),
            assessment_id=yearly_record.id,
        )
    )
    db.session.flush()
    visit.notice, visit.yearly_record = notice, yearly_record
    return visit


def test_the_application_queries_read_its_inspections_only(after_certificate):
    visit = after_certificate
    application_id = visit.application.id
    assert [finding.item_code for finding in findings_at(visit.record)] == [visit.short]
    assert findings_of(application_id) == []
    assert visit.notice not in notices_of(application_id)
    assert open_notice(application_id) is None
    assert assessment_of(visit.application, AssessmentKind.INSPECTION).kind == AssessmentKind.INSPECTION
    assert all(record.kind == AssessmentKind.INSPECTION for record in inspection_records(application_id))
    # the factories' evidence rows carry no upload audit row: that rule is not this test's
    assert broken_invariants(db.session, waived={"evidence, audited"}) == {}


def _pages(app, visit):
    values = {
        "application_id": visit.application.id,
        "outlet_id": visit.outlet.id,
        "certificate_id": visit.certificate.id,
    }
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:  # the exports (POST) have their own tests
            continue
        arguments = set(rule.arguments)
        if arguments and arguments <= ARGUMENTS:
            yield rule.endpoint, url_for(rule.endpoint, **{name: values[name] for name in arguments})
        elif not arguments and rule.endpoint.partition(".")[0] in LIST_BLUEPRINTS:
            yield rule.endpoint, url_for(rule.endpoint)


@pytest.mark.parametrize(
    "who", ["outlet_user", "inspector", "second_inspector", "other_inspector", "bureau", "ecology", "city"]
)
def test_every_page_of_the_application_and_outlet_opens(app, client, after_certificate, who):
    visit = after_certificate
    login(client, getattr(visit, who))
    opened = set()
    for endpoint, url in _pages(app, visit):
        response = client.get(url)
        if response.status_code == 200:
            opened.add(endpoint)
        assert response.status_code < 500, (endpoint, url, response.status_code)
        if endpoint == "workflow.application_detail" and response.status_code == 200:
            page = response.get_data(as_text=True)
            assert visit.notice.number not in page, "the visit's notice shown as the application's"
            for finding in findings_at(visit.record):
                assert f'id="finding-{finding.id}"' not in page
    expected = {"workflow.application_detail", "checklist.result"}
    if who in ("bureau", "city"):
        assert expected | {"outlets.detail", "checks.index"} <= opened, opened
    if who == "outlet_user":
        assert expected | {"outlets.profile", "checks.outlet_checks"} <= opened, opened


def test_the_yearly_self_check_is_the_outlets_to_fill_in(client, after_certificate):
    visit = after_certificate
    url = f"/checklist/{visit.yearly_record.id}"
    login(client, visit.outlet_user)
    page = client.get(url).get_data(as_text=True)
    assert 'data-editable="true"' in page
    yearly = set(visit.edition.supervision.yearly.item_codes)
    assert all(f'id="item-{code}"' in page for code in yearly)
    other = next(item.code for item in visit.edition.items() if item.code not in yearly)
    assert f'id="item-{other}"' not in page
    refused = client.post(f"{url}/items/{other}", json={"value": "yes", "expected_version": 0})
    assert refused.status_code == 422
    code = sorted(yearly)[0]
    assert client.post(f"{url}/items/{code}", json={"value": "yes", "expected_version": 0}).status_code == 200
    login(client, visit.bureau)
    assert b'data-editable="false"' in client.get(url).data
    for inspector in (visit.inspector, *visit.application.inspectors):
        login(client, inspector)
        assert client.get(url).status_code == 404
    yearly_row = db.session.scalar(select(YearlySelfCheck))
    yearly_row.status, yearly_row.submitted_at = "submitted", yearly_row.created_at
    db.session.flush()
    login(client, visit.outlet_user)
    assert client.post(f"{url}/items/{code}", json={"value": "no", "expected_version": 1}).status_code == 409
