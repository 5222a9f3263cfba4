"""The public directory's list and filters, over one set of certificates its tests share (made once:
each test reads it in a savepoint that is rolled back, see tests/conftest.py `module_rows`).

The other directory tests, which add certificates of their own, are in test_public_pages.py.
"""

from datetime import timedelta

import pytest

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.core.time import today_in_shanghai
from tests.certificate_helpers import make_certified
from tests.factories import certify, make_outlet

CURRENT = {"奉贤南桥顺丰营业部", "奉贤西渡中通快递网点", "青浦徐泾圆通网点"}
ALL_NAMES = CURRENT | {"奉贤过期网点", "奉贤撤销网点"}


def shared_rows() -> dict:
    """A valid certificate, a district one replaced by a city one, one of Qingpu, an expired one and a
    revoked one."""
    make_certified(name="奉贤南桥顺丰营业部", brand="顺丰")
    city_outlet = make_outlet("FX", name="奉贤西渡中通快递网点", brand="中通")
    first = make_certified(city_outlet)
    certify(city_outlet, "city", cast=first.cast)
    make_certified(name="青浦徐泾圆通网点", district_code="QP", brand="圆通")
    make_certified(name="奉贤过期网点", issued_on=today_in_shanghai() - timedelta(days=3 * 365))
    revoked = make_certified(name="奉贤撤销网点")
    revoke_certificate(revoked.certificate, revoked.bureau, "不合格")
    return {"superseded_id": first.certificate.id, "superseded_number": first.certificate.number}


@pytest.fixture
def directory(module_rows):
    return module_rows[1]


def listed(client, **filters) -> set[str]:
    response = client.get("/directory", query_string=filters)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {name for name in ALL_NAMES if name in page}


def test_directory_lists_only_currently_valid_certificates(client, directory, db_session):
    assert listed(client) == CURRENT
    page = client.get("/directory").get_data(as_text=True)
    assert directory["superseded_number"] not in page  # the district certificate the city one replaced
    assert db_session.get(Certificate, directory["superseded_id"]).state == "superseded"
    assert page.count("data-certificate=") == 3


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"district": "QP"}, {"青浦徐泾圆通网点"}),
        ({"district": "FX"}, {"奉贤南桥顺丰营业部", "奉贤西渡中通快递网点"}),
        ({"level": "city"}, {"奉贤西渡中通快递网点"}),
        ({"level": "district"}, {"奉贤南桥顺丰营业部", "青浦徐泾圆通网点"}),
        ({"brand": "圆通"}, {"青浦徐泾圆通网点"}),
        ({"q": "南桥"}, {"奉贤南桥顺丰营业部"}),
        ({"q": "过期"}, set()),  # searching never reaches an expired certificate
        ({"q": "%"}, set()),  # a LIKE wildcard is searched for literally
        ({"district": "FX", "level": "district", "brand": "顺丰", "q": "顺丰"}, {"奉贤南桥顺丰营业部"}),
        ({"district": "ZZ"}, CURRENT),  # an unknown value filters nothing
    ],
)
def test_directory_filters(client, directory, filters, expected):
    assert listed(client, **filters) == expected
