"""Tokens for the API tests: made by the real operation (`issue_token`), as the token page makes them."""

from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.api.scopes import TokenScope
from outlet_audit.api.tokens import issue_token
from outlet_audit.roles import Agency, Role
from tests.factories import district, make_user

READ_ALL = (TokenScope.CERTIFICATES_READ, TokenScope.OUTLETS_READ, TokenScope.CAMPAIGNS_READ)


def make_token(
    district_code: str | None = "FX", scopes=READ_ALL, *, agency=None, expires_at=None, name="证照共享平台"
):
    """A token of the district's postal bureau (None: the city's), made by an administrator; its text."""
    agency = agency or (Agency.DISTRICT_POSTAL if district_code else Agency.CITY_POSTAL)
    organisation = organisation_for(agency, district(district_code).id if district_code else None)
    issued = issue_token(
        organisation, name=name, scopes=scopes, expires_at=expires_at, actor=make_user(Role.ADMIN)
    )
    return issued


def bearer(issued) -> dict:
    return {"Authorization": f"Bearer {issued.plain}"}


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["number"] for item in response.get_json()["items"]]


def walk(client, url: str, headers=None, *, between=None) -> list[dict]:
    """Every item of a list, page by page; `between(page_number)` runs after each page."""
    items, cursor, page = [], None, 0
    while True:
        separator = "&" if "?" in url else "?"
        response = client.get(url + (f"{separator}after={cursor}" if cursor else ""), headers=headers or {})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        items += body["items"]
        cursor, page = body["next"], page + 1
        if between:
            between(page)
        if cursor is None:
            return items
