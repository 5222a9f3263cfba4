"""/api/v1/certificates: the public's view is the public pages' (same facts, same records), a token's
its organisation's district in every state; out of reach is 404; pages are stable and cost the same."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.supervision.revocation_cases import revoke_immediately
from tests.api.helpers import bearer, make_token, numbers, walk
from tests.certificate_helpers import make_certified
from tests.conftest import counted_statements
from tests.factories import certify, make_outlet


def shared_rows():
    """In Fengxian: valid, revoked before cases (a reason written for the public), revoked in a case
    (its ground), expired, and a district certificate superseded by a city one; in Qingpu: valid."""
    valid = make_certified(name="奉贤南桥顺丰营业部")
    revoked = make_certified(name="奉贤撤销网点")
    revoke_certificate(revoked.certificate, revoked.bureau, "网点不再符合条件。")
    closed = make_certified(name="奉贤停业网点")
    revoke_immediately(
        closed.certificate, closed.bureau, ground="outlet_closed", reasons="内部记录：房东收回。"
    )
    expired = make_certified(name="奉贤过期网点", issued_on=today_in_shanghai() - timedelta(days=3 * 365))
    superseded = make_certified(name="奉贤升级网点")
    city = certify(superseded.outlet, "city", cast=superseded.cast)
    qingpu = make_certified(name="青浦徐泾网点", district_code="QP")
    return {
        "valid": valid.certificate.number,
        "revoked": revoked.certificate.number,
        "closed": closed.certificate.number,
        "expired": expired.certificate.number,
        "superseded": superseded.certificate.number,
        "city": city.number,
        "qingpu": qingpu.certificate.number,
    }


@pytest.fixture
def rows(module_rows):
    return module_rows[1]


def directory_numbers(client) -> set[str]:
    return set(re.findall(r'data-certificate="([^"]+)"', client.get("/directory").get_data(as_text=True)))


def test_anonymous_list_is_the_directory(client, ctx, rows):
    listed = numbers(client.get("/api/v1/certificates"))
    assert set(listed) == directory_numbers(client) == {rows["valid"], rows["city"], rows["qingpu"]}
    assert numbers(client.get("/api/v1/certificates?district=QP")) == [rows["qingpu"]]
    assert numbers(client.get("/api/v1/certificates?level=city")) == [rows["city"]]
    item = client.get("/api/v1/certificates").get_json()["items"][0]
    assert not {"created_at", "revoked_at", "updated_at"} & set(item)  # times the public pages do not show


def test_anonymous_may_not_list_certificates_out_of_force(client, ctx, rows):
    response = client.get("/api/v1/certificates?status=revoked")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["status"] == "unauthorized"


@pytest.mark.parametrize("key", ["valid", "revoked", "closed", "expired", "superseded", "qingpu"])
def test_one_certificate_says_what_its_verification_page_says(client, ctx, rows, key):
    number = rows[key]
    page = client.get(f"/verify/{number}").get_data(as_text=True)
    response = client.get(f"/api/v1/certificates/{number}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    item = response.get_json()
    assert re.search(r'data-state="([a-z]+)"', page).group(1) == item["status"]
    assert f"data-outlet-address>{item['outlet']['address']}<" in page
    assert f'<code class="text-break" data-edition-hash>{item["edition"]["hash"]}</code>' in page
    for shown in (
        item["outlet"]["name"],
        item["outlet"]["brand"],
        item["district"]["name_zh"],
        item["issuing_bureau"],
    ):
        assert f">{shown}<" in page, shown
    assert f">{item['score']:g}<" in page
    certificate = db.session.scalar(select(Certificate).where(Certificate.number == number))
    assert (item["issued_on"], item["valid_until"]) == (
        certificate.issued_on.isoformat(),
        certificate.valid_until.isoformat(),
    )
    if item["status"] == "revoked":
        assert item["revocation"]["reason"]["zh"] in page
        assert "内部记录" not in str(item)  # the file's reason stays internal, as on the page
    if key == "closed":
        assert item["revocation"]["reason"] == {
            "zh": "网点已停业或注销",
            "en": "Outlet closed or deregistered",
        }
        revoked_by = re.search(r"data-revoked-by>([^<]+)<", page).group(1)
        assert item["revocation"]["decided_by"]["zh"] in revoked_by
    if key == "superseded":
        assert item["superseded"]["by"] == rows["city"] and rows["city"] in page
    assert not {"created_at", "revoked_at", "updated_at"} & set(item)


def test_a_token_reads_its_district_in_every_state(client, ctx, rows):
    token = make_token("FX", ["certificates:read"])
    listed = numbers(client.get("/api/v1/certificates", headers=bearer(token)))
    fengxian = {rows[key] for key in ("valid", "revoked", "closed", "expired", "superseded", "city")}
    assert set(listed) == fengxian  # and not Qingpu's
    revoked = numbers(client.get("/api/v1/certificates?status=revoked", headers=bearer(token)))
    assert set(revoked) == {rows["revoked"], rows["closed"]}
    assert numbers(client.get("/api/v1/certificates?status=expired", headers=bearer(token))) == [
        rows["expired"]
    ]
    item = client.get(f"/api/v1/certificates/{rows['revoked']}", headers=bearer(token)).get_json()
    assert item["revoked_at"].endswith("+00:00") and item["updated_at"] == item["revoked_at"]
    assert (
        client.get(f"/api/v1/certificates/{rows['superseded']}", headers=bearer(token)).get_json()[
            "superseded"
        ]["by"]
        == rows["city"]
    )


def test_another_districts_certificates_are_out_of_a_tokens_reach(client, ctx, rows):
    token = make_token("FX")
    response = client.get(f"/api/v1/certificates/{rows['qingpu']}", headers=bearer(token))
    assert response.status_code == 404 and response.get_json()["status"] == "not_found"
    assert numbers(client.get("/api/v1/certificates?district=QP", headers=bearer(token))) == []
    city = make_token(None)
    assert client.get(f"/api/v1/certificates/{rows['qingpu']}", headers=bearer(city)).status_code == 200
    assert set(rows.values()) == set(numbers(client.get("/api/v1/certificates", headers=bearer(city))))


def test_updated_since(client, ctx, rows):
    token = make_token("FX")

    def changed_since(moment: str) -> list[str]:
        return numbers(
            client.get("/api/v1/certificates", query_string={"updated_since": moment}, headers=bearer(token))
        )

    revoked = client.get(f"/api/v1/certificates/{rows['revoked']}", headers=bearer(token)).get_json()
    since = datetime.fromisoformat(revoked["revoked_at"])
    assert rows["revoked"] in changed_since(revoked["revoked_at"])
    shanghai = since.astimezone(timezone(timedelta(hours=8))).isoformat()
    assert changed_since(shanghai) == changed_since(revoked["revoked_at"])  # the same moment, in +08:00
    everything = client.get("/api/v1/certificates", headers=bearer(token)).get_json()["items"]
    latest = max(datetime.fromisoformat(item["updated_at"]) for item in everything)
    assert changed_since((latest + timedelta(seconds=1)).isoformat()) == []
    earlier = [i["number"] for i in everything if datetime.fromisoformat(i["updated_at"]) >= since]
    assert sorted(changed_since(revoked["revoked_at"])) == sorted(earlier)


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=x",
        "after=bm9wZQ",
        "after=" + "x" * 80,
        "district=ZZ",
        "level=national",
        "updated_since=soon",
        "updated_since=9999-12-31T23:59:59-01:00",
        "updated_since=0001-01-01T00:00:00+01:00",
    ],
)
def test_a_parameter_that_cannot_be_read_is_400_json(client, ctx, query):
    response = client.get(f"/api/v1/certificates?{query}")
    assert response.status_code == 400 and response.get_json()["status"] == "bad_request"


def test_another_resources_cursor_is_refused(client, ctx, rows):
    from outlet_audit.api.paging import cursor_for

    assert client.get(f"/api/v1/certificates?after={cursor_for('outlets', 1)}").status_code == 400


def test_pages_neither_repeat_nor_skip_while_certificates_are_issued(client, ctx, rows):
    token = make_token("FX")
    added = []

    def issue_one(page: int) -> None:
        if page <= 2:
            added.append(certify(make_outlet("FX")).number)

    seen = [
        item["number"]
        for item in walk(client, "/api/v1/certificates?limit=2", bearer(token), between=issue_one)
    ]
    assert len(seen) == len(set(seen))  # nothing twice
    fengxian = {rows[key] for key in ("valid", "revoked", "closed", "expired", "superseded", "city")}
    assert set(seen) == fengxian | set(added)  # nothing skipped, the new ones at the end
    assert seen[-len(added) :] == added


def statements_for(client, url, headers) -> int:
    with counted_statements(savepoints=False) as statements:
        assert client.get(url, headers=headers).status_code == 200
    return len(statements)


def test_a_page_costs_the_same_whatever_the_data_or_the_page(client, ctx, rows):
    token = make_token("FX")
    headers = bearer(token)
    client.get("/api/v1/certificates", headers=headers)  # its last use written (once a minute)
    second_page = client.get("/api/v1/certificates?limit=3", headers=headers).get_json()["next"]
    few = [
        statements_for(client, "/api/v1/certificates?limit=3", headers),
        statements_for(client, f"/api/v1/certificates?limit=3&after={second_page}", headers),
        statements_for(client, "/api/v1/certificates?limit=3", {}),
    ]
    for _ in range(4):
        revoked = make_certified(district_code="FX")
        revoke_certificate(revoked.certificate, revoked.bureau, "不再符合条件。")
    many = [
        statements_for(client, "/api/v1/certificates?limit=200", headers),
        statements_for(client, f"/api/v1/certificates?limit=3&after={second_page}", headers),
        statements_for(client, "/api/v1/certificates?limit=200", {}),
    ]
    # The token's row, the page, and the grounds of the revoked on it when there are; the public: the page.
    assert few == many and max(few) <= 3 and few[2] == 1, (few, many)
