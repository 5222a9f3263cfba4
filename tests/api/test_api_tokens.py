"""API tokens: made on the token page by the organisation's approvers or the administrator, shown
once, kept as a hash, scoped, revoked or expired at once, rate-limited, and every act audited."""

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.api.models import ApiToken
from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from tests.api.helpers import bearer, make_token
from tests.factories import district, login, make_user


def fengxian_postal():
    return organisation_for(Agency.DISTRICT_POSTAL, district("FX").id)


def shown_token(page: str) -> str:
    return re.search(r"data-token>([^<]+)<", page).group(1)


def create(client, organisation_id, **fields):
    data = {"organisation": organisation_id, "name": "电子证照库", "scopes": ["certificates:read"], **fields}
    return client.post("/api-tokens", data=data)


def test_an_approver_makes_a_token_seen_once_and_kept_as_a_hash(client, ctx):
    approver = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(client, approver)
    page = client.get("/api-tokens").get_data(as_text=True)
    assert 'href="/api-tokens"' in page and 'name="organisation"' in page  # in the menu, with the form
    response = create(client, fengxian_postal().id, scopes=["certificates:read", "outlets:read"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    plain = shown_token(response.get_data(as_text=True))
    token = db.session.scalar(select(ApiToken).where(ApiToken.name == "电子证照库"))
    assert plain.startswith(f"oa_{token.id}_") and len(plain) > 40
    assert token.secret_sha256 == hashlib.sha256(plain.split("_", 2)[2].encode()).hexdigest()
    assert token.scopes == "certificates:read outlets:read" and token.created_by_id == approver.id
    assert plain not in client.get("/api-tokens").get_data(as_text=True)  # never shown again
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token_created"))
    assert audit.actor_id == approver.id and audit.subject_id == token.id
    assert (
        client.get(
            "/api/v1/certificates?status=revoked", headers={"Authorization": f"Bearer {plain}"}
        ).status_code
        == 200
    )
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_the_administrator_makes_tokens_for_any_organisation(client, ctx):
    login(client, make_user(Role.ADMIN))
    city = organisation_for(Agency.CITY_ECOLOGY, None)
    assert create(client, city.id, name="市生态环境局平台").status_code == 200
    assert (
        db.session.scalar(select(ApiToken.organisation_id).where(ApiToken.name == "市生态环境局平台"))
        == city.id
    )


def test_staff_who_do_not_sign_for_the_organisation_only_see_its_tokens(client, ctx):
    issued = make_token("FX")
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False))
    page = client.get("/api-tokens").get_data(as_text=True)
    assert issued.token.name in page and 'name="organisation"' not in page and "/revoke" not in page
    assert create(client, fengxian_postal().id).status_code == 403
    assert client.post(f"/api-tokens/{issued.token.id}/revoke").status_code == 302  # refused, and said
    assert db.session.get(ApiToken, issued.token.id).revoked_at is None


def test_another_organisations_tokens_are_out_of_reach(client, ctx):
    issued = make_token("FX")
    ecology = make_user(Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY)
    login(client, ecology)
    assert issued.token.name not in client.get("/api-tokens").get_data(as_text=True)
    assert client.post(f"/api-tokens/{issued.token.id}/revoke").status_code == 404
    # An approver may not make a token for another organisation by sending its id.
    assert create(client, fengxian_postal().id).status_code == 422
    assert create(client, ecology.organisation_id, name="生态环境监管").status_code == 200  # its own
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="QP"))
    assert client.post(f"/api-tokens/{issued.token.id}/revoke").status_code == 404
    assert db.session.get(ApiToken, issued.token.id).revoked_at is None


def test_a_form_with_mistakes_comes_back_with_what_was_typed(client, ctx):
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    response = create(client, fengxian_postal().id, name="监管平台", scopes=[], expires_on="2020-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="监管平台"' in page
    past = create(client, fengxian_postal().id, expires_on="2020-01-01")
    assert past.status_code == 422 and db.session.scalar(select(ApiToken)) is None


def test_revocation_is_audited_and_takes_effect_at_once(client, ctx):
    issued = make_token("FX")
    assert client.get("/api/v1/certificates", headers=bearer(issued)).status_code == 200
    approver = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    login(client, approver)
    assert client.post(f"/api-tokens/{issued.token.id}/revoke").status_code == 302
    other = client.application.test_client()
    refused = other.get("/api/v1/certificates", headers=bearer(issued))
    assert refused.status_code == 401 and 'error="invalid_token"' in refused.headers["WWW-Authenticate"]
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token_revoked"))
    assert audit.actor_id == approver.id and audit.subject_id == issued.token.id
    assert client.post(f"/api-tokens/{issued.token.id}/revoke").status_code == 302  # again: refused, said


def test_an_expired_token_opens_nothing(client, ctx):
    issued = make_token("FX", expires_at=utcnow() + timedelta(days=1))
    assert client.get("/api/v1/certificates", headers=bearer(issued)).status_code == 200
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == issued.token.id)
        .values(created_at=utcnow() - timedelta(days=2), expires_at=utcnow() - timedelta(seconds=1))
    )
    response = client.get("/api/v1/certificates", headers=bearer(issued))
    assert response.status_code == 401 and response.get_json()["status"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer oa_1_wrong",
        "Bearer oa_99999999999_x",
        "Bearer oa_x_y",
    ],
)
def test_a_wrong_token_is_401_never_anonymous(client, ctx, header):
    response = client.get("/api/v1/certificates", headers={"Authorization": header})
    assert response.status_code == 401 and response.get_json()["status"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="outlet-audit"')


def test_a_tokens_secret_must_match(client, ctx):
    issued = make_token("FX")
    forged = issued.plain[:-2] + ("AA" if not issued.plain.endswith("AA") else "BB")
    assert (
        client.get("/api/v1/certificates", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    )


def test_rate_limits_per_token_and_per_address(client, ctx, monkeypatch):
    monkeypatch.setitem(client.application.config, "RATELIMIT_API", "3 per minute")
    monkeypatch.setitem(client.application.config, "RATELIMIT_API_ANONYMOUS", "2 per minute")
    first, second = make_token("FX"), make_token("FX", name="第二个")
    codes = [client.get("/api/v1/campaigns", headers=bearer(first)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/campaigns", headers=bearer(first))
    assert refused.get_json()["status"] == "too_many_requests" and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/api/v1/campaigns", headers=bearer(second)).status_code == 200  # its own budget
    anonymous = [client.get("/api/v1/campaigns").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]
    wrong = client.get("/api/v1/campaigns", headers={"Authorization": "Bearer oa_1_guess"})
    assert wrong.status_code == 429  # guesses spend the address's budget


def test_a_rate_limit_storage_fault_lets_the_request_through_when_configured(client, ctx, monkeypatch):
    """As Flask-Limiter does with RATELIMIT_SWALLOW_ERRORS (production): Redis down is not an outage."""
    from outlet_audit.extensions import limiter

    def broken(*_args):
        raise RuntimeError("the storage is down")

    monkeypatch.setattr(limiter.limiter, "hit", broken)
    monkeypatch.setitem(client.application.config, "RATELIMIT_SWALLOW_ERRORS", True)
    assert client.get("/api/v1/campaigns").status_code == 200
    monkeypatch.setitem(client.application.config, "RATELIMIT_SWALLOW_ERRORS", False)
    with pytest.raises(RuntimeError):  # testing propagates it; production answers 500 as JSON
        client.get("/api/v1/campaigns")
