"""“申请续期” only inside the renewal window: from RENEWAL_WINDOW_DAYS (90, the first expiry reminder)
before a certificate expires until its last valid day. The button is offered there only, and the
new application refuses a renewal outside it with a message saying when it opens, whichever way
it is asked for."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.certificates.state import REMINDER_DAYS, RENEWAL_WINDOW_DAYS, renewal_window
from outlet_audit.config import BaseConfig
from outlet_audit.core.i18n import readable_date
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.workflow.drafting import ApplicationRefused, create_application
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import Level
from tests.factories import login
from tests.workflow_helpers import give_certificate, make_crew

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def crew(ctx):
    return make_crew()


def drafts() -> int:
    return db.session.scalar(select(func.count()).where(Application.status == "draft"))


def test_the_window_opens_with_the_first_expiry_reminder():
    assert RENEWAL_WINDOW_DAYS == REMINDER_DAYS[0] == BaseConfig.RENEWAL_WINDOW_DAYS == 90
    day = today_in_shanghai()
    window = renewal_window(day + timedelta(days=90))
    assert window.is_open(day) and not window.is_open(day - timedelta(days=1))
    assert window.not_yet(day - timedelta(days=1))
    assert window.is_open(day + timedelta(days=90)) and not window.is_open(day + timedelta(days=91))


@pytest.mark.parametrize(("valid_days", "offered"), [(300, False), (91, False), (90, True), (0, True)])
def test_the_button_is_offered_only_inside_the_window(client, crew, valid_days, offered):
    certificate = give_certificate(crew.outlet, valid_days=valid_days)
    login(client, crew.outlet_user)
    for page in ("/applications/", f"/certificates/{certificate.id}"):
        text = html.unescape(client.get(page).get_data(as_text=True))
        assert (f"renew={certificate.id}" in text) is offered, page
        opens = certificate.valid_until - timedelta(days=90)
        assert (f"Renewal can be applied for from {readable_date(opens, 'long')}" in text) is not offered


def test_outside_the_window_the_new_application_says_when_it_opens(client, crew):
    certificate = give_certificate(crew.outlet, valid_days=200)
    login(client, crew.outlet_user)
    response = client.get(f"/applications/new?renew={certificate.id}")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    opens = readable_date(certificate.valid_until - timedelta(days=90))
    assert f"Certificate {certificate.number} can be renewed from {opens}, 90 days before it expires" in page
    assert 'name="target_level"' not in page  # nothing to send
    posted = client.post(f"/applications/new?renew={certificate.id}", data={"target_level": "district"})
    assert posted.status_code == 422
    assert drafts() == 0


def test_an_expired_certificate_is_not_renewed_but_applied_for_anew(client, crew):
    certificate = give_certificate(crew.outlet, valid_days=-1)
    login(client, crew.outlet_user)
    page = html.unescape(client.get(f"/applications/new?renew={certificate.id}").get_data(as_text=True))
    assert "can no longer be renewed. Apply for a new certificate instead." in page
    refused = client.post(f"/applications/new?renew={certificate.id}", data={"target_level": "district"})
    assert refused.status_code == 422 and drafts() == 0
    assert client.post("/applications/new", data={"target_level": "district"}).status_code == 302  # anew


def test_the_operation_itself_refuses_outside_the_window(crew, app, monkeypatch):
    """Whatever calls it (a page, seeding, a script), create_application keeps the window."""
    early = give_certificate(crew.outlet, valid_days=120)
    with pytest.raises(ApplicationRefused):
        create_application(crew.outlet, Level.DISTRICT, actor=crew.outlet_user, renewal_of=early)
    monkeypatch.setitem(app.config, "RENEWAL_WINDOW_DAYS", 150)  # configurable
    application = create_application(crew.outlet, Level.DISTRICT, actor=crew.outlet_user, renewal_of=early)
    assert application.renewal_of_id == early.id
