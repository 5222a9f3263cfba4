"""After submitting, the outlet gets a receipt (回执) to print: the application's number, the day and
time of submission, the bureau that received it and the processing time limit. The flash and the
application page link to it; a draft has none; readers outside the application's scope get 404."""

import html
import re
from datetime import date, datetime

import pytest

from outlet_audit.core.time import clock_at
from outlet_audit.workflow.states import Status
from tests.factories import advance, login, make_user, shanghai_moment
from tests.workflow_helpers import action_request, application_in, make_crew, ready_to_submit

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def crew(ctx):
    return make_crew()


def test_submitting_flashes_a_link_to_the_receipt(client, crew):
    application = ready_to_submit(crew)
    login(client, crew.outlet_user)
    url, data = action_request(application, "submit")
    page = client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    receipt = f"/applications/{application.id}/receipt"
    assert re.search(rf'which will accept it or return it\. <a class="alert-link" href="{receipt}">', page)
    assert page.count(f'href="{receipt}"') == 2  # the flash, and the application page's header


def test_the_receipt_carries_the_number_the_day_the_bureau_and_the_time_limit(client, crew):
    # Submitted on Monday 7 December 2026, 10:00 in Shanghai: 20 working days later is 4 January 2027.
    with clock_at(shanghai_moment(date(2026, 12, 7), 10)):
        application = application_in(crew, Status.SUBMITTED)
    login(client, crew.outlet_user)
    response = client.get(f"/applications/{application.id}/receipt")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert application.reference in page and crew.outlet.name in page and crew.outlet.permit_number in page
    assert "7 December 2026" in page
    assert f'<th scope="row">Received by</th><td>{crew.bureau.organisation.name_en}</td>' in page
    assert (
        "20 working days from submission, not counting the days taken to rectify: by 4 January 2027." in page
    )
    assert "data-print" in page


def test_the_time_limit_on_the_receipt_follows_the_configuration(client, crew, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCESSING_DAYS_KIND", "calendar")
    monkeypatch.setitem(app.config, "PROCESSING_DAYS", 30)
    with clock_at(datetime(2026, 12, 7, 2)):
        application = application_in(crew, Status.SUBMITTED)
    login(client, crew.outlet_user)
    page = html.unescape(client.get(f"/applications/{application.id}/receipt").get_data(as_text=True))
    assert "30 days from submission, not counting the days taken to rectify: by 6 January 2027." in page


def test_the_receipt_is_in_chinese_for_a_chinese_reader(client, crew):
    application = application_in(crew, Status.SUBMITTED)
    reader = make_user(crew.outlet_user.role, outlet=crew.outlet, locale="zh_CN")
    login(client, reader)
    page = html.unescape(client.get(f"/applications/{application.id}/receipt").get_data(as_text=True))
    assert "申报回执" in page and "申报编号" in page and "个工作日（整改时间不计入）" in page


def test_a_draft_has_no_receipt_and_other_outlets_see_none(client, crew):
    draft = ready_to_submit(crew)
    login(client, crew.outlet_user)
    assert client.get(f"/applications/{draft.id}/receipt").status_code == 404
    assert "/receipt" not in client.get(f"/applications/{draft.id}").get_data(as_text=True)
    submitted = advance(draft, Status.SUBMITTED)
    login(client, crew.other_outlet_user)
    assert client.get(f"/applications/{submitted.id}/receipt").status_code == 404
    login(client, crew.other_bureau)
    assert client.get(f"/applications/{submitted.id}/receipt").status_code == 404
    login(client, crew.bureau)  # the receiving bureau reads it too
    assert client.get(f"/applications/{submitted.id}/receipt").status_code == 200


def test_a_returned_application_says_its_receipt_is_for_the_earlier_submission(client, crew):
    application = application_in(crew, Status.RETURNED)
    login(client, crew.outlet_user)
    page = html.unescape(client.get(f"/applications/{application.id}/receipt").get_data(as_text=True))
    assert "Submit it again to receive a new receipt." in page
