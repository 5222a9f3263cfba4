"""Injection strings typed into every search box: each page answers normally, finds nothing the
string does not name, and stays inert.

Its tests share the records every search box could find (made once: each test works in a savepoint
rolled back after it, see tests/conftest.py `module_rows`). The other hostile input is
test_hostile_input.py's.
"""

import pytest

from tests.factories import login, make_application, make_outlet
from tests.web.test_hostile_input import assert_inert
from tests.workflow_helpers import crew_keys, crew_of, give_certificate, make_crew

INJECTIONS = ["' OR 1=1 --", "%", "_", "\\", "%%", "' OR '1'='1", '" OR ""="', "1; DROP TABLE outlets; --"]
# Each search box: who uses it, its URL, and the names that must never be found by an injection.
SEARCHES = [
    ("bureau", "/applications/queue?status=all&q={q}"),
    ("city", "/applications/queue?status=all&q={q}"),
    ("bureau", "/certificates/?q={q}"),
    ("admin", "/admin/users?q={q}"),
    (None, "/directory?q={q}"),
    (None, "/verify?number={q}"),
]


def shared_rows() -> dict:
    """Records every search box can find: outlets with applications and certificates, staff accounts."""
    crew = make_crew()
    for name in ("甲网点", "乙网点"):
        outlet = make_outlet("FX", name=name)
        give_certificate(outlet)
        make_application(outlet, status="submitted")
    return crew_keys(crew)


@pytest.fixture
def searchable(module_rows, ctx):
    return crew_of(module_rows[1])


@pytest.mark.parametrize("q", INJECTIONS)
@pytest.mark.parametrize(("who", "url"), SEARCHES, ids=[url.split("?")[0] for _, url in SEARCHES])
def test_injection_strings_in_search_boxes_answer_normally_and_find_nothing(client, searchable, who, url, q):
    from urllib.parse import quote

    users = {"bureau": searchable.bureau, "city": searchable.city, "admin": searchable.admin}
    if who:
        login(client, users[who])
    response = client.get(url.format(q=quote(q)))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_inert(page, where=url)
    for found in (
        "甲网点",
        "乙网点",
        searchable.outlet.name,
        searchable.outlet_user.username,
        searchable.inspector.username,
    ):
        assert found not in page.split("<main", 1)[1].split("</main>", 1)[0] or found in q, (url, q, found)
