"""Links that carry the query string on (the next page, a sort, the same filters elsewhere) never
hand url_for a parameter it reads as its own: "?endpoint=x" made every list with a second page a
500, and "_anchor", "_scheme" or "_external" steered the links. All of them go through
core.params.link_args; a test fails when a new template or view reads the query string whole."""

import re
from pathlib import Path

import pytest

import outlet_audit
from outlet_audit.audit.operations import record
from outlet_audit.roles import Role
from tests.factories import login, make_application, make_outlet, make_user

RESERVED = {
    "endpoint": "x",
    "_anchor": "planted",
    "_scheme": "javascript",
    "_external": "1",
    "_method": "POST",
}


def assert_links_unsteered(reply) -> None:
    assert reply.status_code in (200, 302), reply.status_code
    text = reply.get_data(as_text=True) + reply.headers.get("Location", "")
    assert "#planted" not in text and "javascript:" not in text


def test_a_list_with_a_second_page(client, db_session):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    for _ in range(51):  # the accounts page shows 50 a page
        make_user(Role.OUTLET)
    reply = client.get("/admin/users", query_string={**RESERVED, "q": ""})
    assert_links_unsteered(reply)
    assert "page=2" in reply.get_data(as_text=True)


def test_the_audit_logs_older_and_newer_links(client, db_session):
    admin = make_user(Role.ADMIN)
    login(client, admin)
    for _ in range(51):
        record("password_changed", actor=admin, subject_type="user", subject_id=admin.id)
    reply = client.get("/admin/audit/", query_string={**RESERVED, "before": "", "after": ""})
    assert_links_unsteered(reply)
    assert "before=" in reply.get_data(as_text=True)


def test_the_city_dashboards_district_links(client, db_session):
    login(client, make_user(Role.CITY_BUREAU))
    make_outlet("FX")
    reply = client.get("/dashboard/", query_string={**RESERVED, "brand": ""})
    assert_links_unsteered(reply)
    assert 'id="table-districts"' in reply.get_data(as_text=True)


def test_the_queues_sort_links(client, db_session):
    bureau = make_user(Role.DISTRICT_BUREAU)
    login(client, bureau)
    make_application(make_outlet("FX"), status="submitted")
    reply = client.get("/applications/queue", query_string={**RESERVED, "status": "all", "sort": "outlet"})
    assert_links_unsteered(reply)


@pytest.mark.parametrize("path", ["/dashboard/exports", "/dashboard/exports/applications.csv"])
def test_the_exports_buttons_and_the_old_address(client, db_session, path):
    login(client, make_user(Role.DISTRICT_BUREAU))
    # "kind" and "fmt" are the export button's own arguments: a parameter by those names is dropped.
    reply = client.get(path, query_string={**RESERVED, "kind": "certificates", "fmt": "pdf"})
    assert_links_unsteered(reply)


def test_an_export_refused_for_its_filters_goes_back_with_them_only(client, db_session):
    login(client, make_user(Role.DISTRICT_BUREAU))
    reply = client.post(
        "/dashboard/exports/applications.csv",
        query_string={**RESERVED, "date_from": "9999-01-01"},
    )
    assert_links_unsteered(reply)
    assert reply.status_code == 302 and "date_from=9999-01-01" in reply.headers["Location"]


def test_no_template_or_view_reads_the_query_string_whole_into_a_link():
    root = Path(outlet_audit.__file__).parent
    whole = re.compile(r"request\.args\.(to_dict|items|values|keys)\(|(\*\*|dict\()request\.args\b")
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in [*root.rglob("*.py"), *root.rglob("*.html")]
        if path.name != "params.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if whole.search(line)
    ]
    assert found == [], "build such links with core.params.link_args: " + ", ".join(found)
