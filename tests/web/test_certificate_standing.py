"""Pages follow the certificate's state: which certificate is current, why an old one is not, and no
request shown after it stopped applying."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.checklist.models import RectificationNotice
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.workflow.states import Action, Status
from tests.certificate_helpers import make_certified
from tests.factories import (
    advance,
    cast_for,
    certify,
    first_day_of_criteria,
    login,
    make_application,
    make_outlet,
    shanghai_moment,
)

REASON = "复查发现仍使用不可降解胶带"


def zh_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def section(page: str, marker: str) -> str:
    """The element that carries `marker` (an attribute), up to its closing tag of the same name."""
    found = re.search(rf"<(\w+)[^>]*\s{re.escape(marker)}(?=[\s>=])[^>]*>", page)
    assert found, marker
    tag = found.group(1)
    return page[found.start() : page.index(f"</{tag}>", found.end())]


@pytest.fixture
def superseded(ctx):
    """A district certificate replaced by a city certificate."""
    certified = make_certified()
    city = certify(certified.outlet, "city", cast=certified.cast)
    db.session.refresh(certified.certificate)
    return certified, city


# -- the application page ------------------------------------------------------------------


def test_the_application_page_says_its_certificate_was_superseded_and_which_is_current(client, superseded):
    certified, city = superseded
    login(client, certified.outlet_user)
    page = client.get(f"/applications/{certified.application.id}").get_data(as_text=True)
    notice = section(page, 'data-certificate-standing="superseded"')
    assert certified.certificate.number in notice
    assert f"已于{zh_date(city.issued_on)}被证书" in notice and city.number in notice
    current = section(page, "data-current-certificate")
    assert city.number in current and zh_date(city.valid_until) in current
    # The application of the certificate in force says nothing of the kind.
    city_page = client.get(f"/applications/{city.application_id}").get_data(as_text=True)
    assert "data-certificate-standing" not in city_page
    assert city.number in city_page and zh_date(city.valid_until) in city_page


def test_the_application_page_says_its_certificate_was_revoked_and_why(client, ctx):
    certified = make_certified()
    revoke_certificate(certified.certificate, certified.bureau, REASON)
    for reader in (certified.outlet_user, certified.bureau, certified.inspector):
        login(client, reader)
        page = client.get(f"/applications/{certified.application.id}").get_data(as_text=True)
        notice = section(page, 'data-certificate-standing="revoked"')
        assert f"已于{zh_date(today_in_shanghai())}撤销" in notice and REASON in notice, reader.role
        assert "该网点目前没有有效证书" in section(page, "data-current-certificate")


def test_the_application_page_says_its_certificate_expired(client, ctx):
    certified = make_certified(issued_on=today_in_shanghai() - timedelta(days=3 * 365))
    login(client, certified.outlet_user)
    page = client.get(f"/applications/{certified.application.id}").get_data(as_text=True)
    notice = section(page, 'data-certificate-standing="expired"')
    assert f"有效期至{zh_date(certified.certificate.valid_until)}，现已过期" in notice


# -- the outlet's pages --------------------------------------------------------------------


def test_the_outlet_page_lists_every_certificate_with_its_standing(client, superseded):
    certified, city = superseded
    login(client, certified.bureau)
    page = client.get(f"/outlets/{certified.outlet.id}").get_data(as_text=True)
    listed = section(page, "data-certificates")
    old = section(listed, f'data-certificate="{certified.certificate.number}"')
    assert 'data-state="superseded"' in old and "data-current" not in old
    assert f"已于{zh_date(city.issued_on)}被证书" in old and city.number in old
    new = section(listed, f'data-certificate="{city.number}"')
    assert "data-current" in new and 'data-state="valid"' in new and "现行证书" in new


def test_the_outlets_own_page_shows_a_revoked_certificate_as_not_current(client, ctx):
    certified = make_certified()
    revoke_certificate(certified.certificate, certified.bureau, REASON)
    login(client, certified.outlet_user)
    page = client.get("/applications/").get_data(as_text=True)
    held = section(page, f'data-certificate="{certified.certificate.number}"')
    assert 'data-state="revoked"' in held and REASON in held and "data-current" not in held
    assert "以上证书均已失效" in page
    assert f"renew={certified.certificate.id}" not in page  # a revoked certificate is not renewed


# -- a request shown only while it is one ----------------------------------------------------


def test_a_rectification_deadline_is_shown_only_while_rectification_is_awaited(client, ctx):
    outlet = make_outlet("FX")
    cast = cast_for(outlet)
    start = max(today_in_shanghai() - timedelta(days=40), first_day_of_criteria())
    deadline = start + timedelta(days=14)  # long past by now
    request = {"rectification_item_codes": frozenset({"3.1"}), "rectification_deadline": deadline}
    with clock_at(shanghai_moment(start)):
        application = make_application(
            outlet,
            status=Status.RECTIFICATION_REQUESTED,
            inputs={Action.REQUEST_RECTIFICATION: request},
            cast=cast,
        )
    login(client, cast.outlet_user)
    asked = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f"已逾期：应于 {zh_date(deadline)} 前完成整改" in asked  # past and not answered: overdue
    advance(application, Status.APPROVED, cast=cast)
    notice = db.session.scalar(
        select(RectificationNotice).where(RectificationNotice.application_id == application.id)
    )
    assert application.status == Status.APPROVED and notice.due_on == deadline
    decided = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "前完成整改" not in decided and zh_date(deadline) not in decided
    assert "3.1" in section(decided, 'id="rectification"')  # what was asked stays on the record
