"""Who reaches the complaints' pages: the public files and follows; the district postal bureau of the
outlet's district triages; the city bureau reads every district's; the ecology bureaus read as in the
joint review; the outlet, inspectors, administrators and other districts do not get in.

Outcomes as in tests/web/test_authorization_matrix.py: "ok" (2xx, or a redirect other than to the
sign-in page; for a POST any answer but 403, 404 and the sign-in redirect: let in, the input may
still be refused), "login", "403", "404".
"""

from urllib.parse import urlsplit

import pytest

from outlet_audit.roles import Agency, Role
from tests.checklist_helpers import photo
from tests.factories import login, make_user
from tests.supervision.complaint_helpers import certified, make_complaint

CALLERS = (
    "anonymous",
    "outlet",
    "inspector",
    "admin",
    "district postal",
    "other district postal",
    "district ecology",
    "city postal",
    "city ecology",
)
READ = {"district postal": "ok", "other district postal": "404", "district ecology": "ok"}
READ |= {"city postal": "ok", "city ecology": "ok"}
ACT = {"district postal": "ok", "other district postal": "404"}
LIST = {"district postal": "ok", "other district postal": "ok", "district ecology": "ok"}
LIST |= {"city postal": "ok", "city ecology": "ok"}
EXPORT = {"district postal": "ok", "other district postal": "ok", "city postal": "ok"}

# (method, path with {id}, who gets what; everyone else 403, the anonymous visitor "login")
ROUTES = [
    ("GET", "/complaints/", LIST),
    ("GET", "/complaints/export.csv", EXPORT),
    ("GET", "/complaints/{id}", READ),
    ("GET", "/complaints/{id}/photo", READ),
    ("POST", "/complaints/{id}/dismiss", ACT),
    ("POST", "/complaints/{id}/visit", ACT),
    ("POST", "/complaints/{id}/outcome", ACT),
]


def make_caller(name: str, outlet):
    return {
        "outlet": lambda: make_user(Role.OUTLET, outlet=outlet),
        "inspector": lambda: make_user(Role.INSPECTOR, district_code="FX"),
        "admin": lambda: make_user(Role.ADMIN),
        "district postal": lambda: make_user(Role.DISTRICT_BUREAU, district_code="FX"),
        "other district postal": lambda: make_user(Role.DISTRICT_BUREAU, district_code="QP"),
        "district ecology": lambda: make_user(
            Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY
        ),
        "city postal": lambda: make_user(Role.CITY_BUREAU),
        "city ecology": lambda: make_user(Role.CITY_BUREAU, agency=Agency.CITY_ECOLOGY),
    }[name]()


def outcome(response, method: str) -> str:
    code = response.status_code
    if code in (301, 302, 303):
        location = urlsplit(response.headers["Location"])
        return "login" if location.path == "/login" else "ok"
    if code in (403, 404):
        return str(code)
    if code < 300 or (method == "POST" and code < 500):
        return "ok"
    return f"HTTP {code}"


@pytest.fixture
def complaint(ctx):
    certificate = certified("FX")
    made, _ = make_complaint(certificate, contact="someone@example.com", photo=(photo((64, 48)), "p.jpg"))
    return made


@pytest.mark.parametrize("caller", CALLERS)
def test_who_reaches_the_bureaus_complaint_pages(app, complaint, caller):
    client = app.test_client()
    if caller != "anonymous":
        login(client, make_caller(caller, complaint.outlet))
    wrong = []
    for method, path, expect in ROUTES:
        url = path.format(id=complaint.id)
        got = outcome(client.open(url, method=method, buffered=True), method)
        want = "login" if caller == "anonymous" else expect.get(caller, "403")
        if got != want:
            wrong.append(f"{method} {url}: {got}, expected {want}")
    assert wrong == []


@pytest.mark.parametrize("caller", CALLERS)
def test_the_public_pages_are_everyones(app, complaint, caller):
    client = app.test_client()
    if caller != "anonymous":
        login(client, make_caller(caller, complaint.outlet))
    number = complaint_certificate_number(complaint)
    for url in (f"/complaints/new/{number}", "/complaints/follow"):
        assert client.get(url).status_code == 200, url
    assert client.get("/complaints/received").status_code == 302  # nothing to show: to the follow page


def complaint_certificate_number(complaint) -> str:
    from outlet_audit.certificates.models import Certificate
    from outlet_audit.extensions import db

    return db.session.get(Certificate, complaint.certificate_id).number


def test_the_city_and_ecology_bureaus_read_but_are_offered_no_decision(app, complaint):
    for caller in ("city postal", "district ecology", "city ecology"):
        client = app.test_client()
        login(client, make_caller(caller, complaint.outlet))
        page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
        assert complaint.description in page and "/dismiss" not in page and "/visit" not in page
        # The contact is the postal bureau's, to call the complainant back; not the ecology bureaus'.
        assert ("someone@example.com" in page) == (caller == "city postal")
    client = app.test_client()
    login(client, make_caller("district postal", complaint.outlet))
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert "/dismiss" in page and "/visit" in page and "someone@example.com" in page


def test_the_menu_shows_complaints_to_the_bureaus(app, complaint):
    for caller, shown in (("district postal", True), ("city ecology", True), ("outlet", False)):
        client = app.test_client()
        login(client, make_caller(caller, complaint.outlet))
        page = client.get("/notifications/")
        assert page.status_code == 200
        assert ('href="/complaints/"' in page.get_data(as_text=True)) == shown, caller
