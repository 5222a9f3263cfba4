"""The public pages: verification by number in every state, and the directory of certified outlets."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from tests.certificate_helpers import make_certified
from tests.conftest import counted_statements
from tests.factories import certify, login, make_user

HOSTILE = "<b>&\"'<script>alert(1)</script>"
UNKNOWN_NUMBER = "WFKD-2025-FX-Q-9999"


def ago(days: int):
    return today_in_shanghai() - timedelta(days=days)


def state_of(page: str) -> str | None:
    found = re.search(r'data-state="([a-z]+)"', page)
    return found.group(1) if found else None


@pytest.fixture
def private(ctx):
    """An outlet whose private details must never reach a public page."""
    return dict(manager="王秘密", phone="13912345678", permit_number="SH-KD-PRIVATE-7788")


def assert_nothing_private(page: str, certified, private) -> None:
    for secret in (*private.values(), certified.bureau.display_name, certified.inspector.display_name):
        assert secret not in page, secret
    # The address is the shop's public front: shown, so a citizen can match the certificate to it.
    assert f"data-outlet-address>{certified.outlet.address}<" in page


# -- verification -------------------------------------------------------------------------


def test_a_valid_certificate(client, private):
    certified = make_certified(name="奉贤南桥顺丰营业部", **private)
    certificate = certified.certificate
    response = client.get(f"/verify/{certificate.number}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and state_of(page) == "valid"
    assert certificate.score == Decimal("103.0")
    for shown in (
        "奉贤南桥顺丰营业部",
        "顺丰",
        "奉贤",
        "上海市奉贤区邮政管理局",
        '<dd class="col-sm-8">103</dd>',
    ):
        assert shown in page, shown
    assert certificate.issued_on.strftime("%Y") in page
    assert "data-standing" not in page  # nothing to warn of
    assert_nothing_private(page, certified, private)


def test_the_edition_is_named_by_its_title_and_hash(client, ctx):
    """The certificate names the criteria by title only; here anyone can check the exact text's hash."""
    certificate = make_certified().certificate
    page = client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert f'data-edition="{certificate.edition_id}">上海市无废快递网点评估标准（2025 年版）<' in page
    assert f'<code class="text-break" data-edition-hash>{certificate.edition_hash}</code>' in page
    client.post("/language", data={"locale": "en"})
    english = client.get(f"/verify/{certificate.number}").get_data(as_text=True)
    assert ">Shanghai zero-waste express outlet criteria (2025 edition)<" in english


def standing_of(page: str) -> str:
    """The prominent notice of a certificate no longer in force."""
    start = page.index("data-standing")
    return page[start : page.index("</div>", start)]


def test_an_expired_certificate(client, private):
    certified = make_certified(issued_on=ago(3 * 365), **private)
    page = client.get(f"/verify/{certified.certificate.number}").get_data(as_text=True)
    assert state_of(page) == "expired"
    valid_until = certified.certificate.valid_until
    notice = standing_of(page)
    assert "已过期" in notice
    assert f"有效期至{valid_until.year}年{valid_until.month}月{valid_until.day}日，现已过期" in notice
    assert_nothing_private(page, certified, private)


def test_a_revoked_certificate_shows_the_reason_and_date(client, private):
    certified = make_certified(**private)
    revoke_certificate(certified.certificate, certified.bureau, "复查发现使用不可降解胶带")
    page = client.get(f"/verify/{certified.certificate.number}").get_data(as_text=True)
    assert state_of(page) == "revoked"
    revoked_on = today_in_shanghai()
    notice = standing_of(page)
    assert "已撤销" in notice and "复查发现使用不可降解胶带" in notice
    assert f"已于{revoked_on.year}年{revoked_on.month}月{revoked_on.day}日撤销" in notice
    assert_nothing_private(page, certified, private)


def test_a_superseded_certificate_names_its_replacement(client, private):
    certified = make_certified(**private)
    city = certify(certified.outlet, "city", cast=certified.cast)
    page = client.get(f"/verify/{certified.certificate.number}").get_data(as_text=True)
    assert state_of(page) == "superseded"
    notice = standing_of(page)
    on = city.issued_on
    assert "已被替代" in notice and f"已于{on.year}年{on.month}月{on.day}日被证书" in notice
    assert f'href="/verify/{city.number}"' in notice
    assert_nothing_private(page, certified, private)
    assert state_of(client.get(f"/verify/{city.number}").get_data(as_text=True)) == "valid"


@pytest.mark.parametrize("number", [UNKNOWN_NUMBER, "not-a-number", "WFKD-2025-ZZ-Q-0001"])
def test_an_unknown_number(client, ctx, number):
    response = client.get(f"/verify/{number}")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert state_of(page) == "unknown"


def test_a_typed_number_is_escaped(client, ctx):
    response = client.get("/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_number_in_lower_case_or_with_spaces_is_sent_to_its_canonical_page(client, ctx):
    certified = make_certified()
    number = certified.certificate.number
    response = client.get(f"/verify/{number.lower()}")
    assert response.status_code == 301 and response.headers["Location"] == f"/verify/{number}"


def test_the_form_sends_a_number_to_its_page(client, ctx):
    certified = make_certified()
    number = certified.certificate.number
    response = client.get("/verify", query_string={"number": f"  {number.lower()} "})
    assert response.status_code == 302 and response.headers["Location"] == f"/verify/{number}"
    page = client.get("/verify", query_string={"number": "12345"})
    assert page.status_code == 200 and "is-invalid" in page.get_data(as_text=True)
    assert 'value="12345"' in page.get_data(as_text=True)
    assert client.get("/verify").status_code == 200


def test_hostile_outlet_names_are_escaped(client, ctx):
    certified = make_certified(name=HOSTILE)
    verify = client.get(f"/verify/{certified.certificate.number}").get_data(as_text=True)
    directory = client.get("/directory").get_data(as_text=True)
    for page in (verify, directory):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;b&gt;&amp;&#34;&#39;&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_public_pages_need_no_sign_in_and_work_signed_in(client, ctx):
    certified = make_certified()
    for url in ("/verify", f"/verify/{certified.certificate.number}", "/directory"):
        assert client.get(url).status_code == 200, url
    login(client, make_user(Role.INSPECTOR))
    for url in ("/verify", f"/verify/{certified.certificate.number}", "/directory"):
        assert client.get(url).status_code == 200, url


def test_public_pages_carry_no_inline_script_or_style(client, ctx):
    certified = make_certified()
    for url in ("/", "/verify", f"/verify/{certified.certificate.number}", "/directory"):
        page = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), url
        assert " style=" not in page and not re.search(r"\son[a-z]+=", page), url


def test_the_landing_page_links_the_public_pages(client, ctx):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/verify"' in page and 'href="/directory"' in page


# -- directory ----------------------------------------------------------------------------


# The list and its filters, over certificates made once: test_public_directory_filters.py.


def test_directory_shows_public_details_only(client, ctx, private):
    certified = make_certified(**private)
    page = client.get("/directory").get_data(as_text=True)
    assert "103.0" not in page
    client.post("/language", data={"locale": "en"})
    assert "Score 103 · valid until" in client.get("/directory").get_data(as_text=True)
    assert certified.outlet.name in page and certified.certificate.number in page
    assert f'href="/verify/{certified.certificate.number}"' in page
    assert_nothing_private(page, certified, private)


def test_directory_is_paginated(client, ctx, db_session):
    for index in range(26):
        make_certified(name=f"分页网点{index:02d}")
    first = client.get("/directory").get_data(as_text=True)
    second = client.get("/directory?page=2").get_data(as_text=True)
    on_first = {index for index in range(26) if f"分页网点{index:02d}" in first}
    on_second = {index for index in range(26) if f"分页网点{index:02d}" in second}
    assert len(on_first) == 24 and on_first | on_second == set(range(26)) and not on_first & on_second
    assert 'rel="next" href="/directory?page=2"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="/directory?page=1"' in second and 'rel="next"' not in second
    filtered = client.get("/directory?district=FX&page=2").get_data(as_text=True)
    assert "district=FX" in filtered and "page=1" in filtered  # the filters stay on the page links
    for page in ("99", "0", "-3", "x"):
        assert client.get(f"/directory?page={page}").status_code == 200


def directory_statements(client) -> list[str]:
    # The data was made at past moments, reading the edition in use of those days: a first page
    # reads (and keeps) today's, as a worker does once a minute.
    client.get("/directory")
    with counted_statements(savepoints=False) as statements:
        client.get("/directory")
    return statements


def test_public_pages_need_a_fixed_number_of_queries(client, ctx):
    certified = make_certified()
    few = directory_statements(client)
    for index in range(12):
        make_certified(name=f"网点{index}", district_code="QP" if index % 2 else "FX")
    many = directory_statements(client)
    assert len(many) == len(few) == 1, many
    with counted_statements(savepoints=False) as verify:
        client.get(f"/verify/{certified.certificate.number}")
    assert len(verify) == 1, verify


@pytest.fixture
def results_cache(app, monkeypatch):
    """The directory's short-lived results cache, on (it is off under test) and empty."""
    from outlet_audit.certificates import public_views

    monkeypatch.setitem(app.config, "PUBLIC_DIRECTORY_CACHE_SECONDS", 30)
    public_views._results_cache.clear()
    clock = {"now": 1000.0}
    monkeypatch.setattr(public_views.time, "monotonic", lambda: clock["now"])
    yield clock
    public_views._results_cache.clear()


def test_directory_results_are_shared_for_a_few_seconds_only(client, ctx, results_cache):
    certified = make_certified(name="奉贤缓存网点")
    assert "奉贤缓存网点" in client.get("/directory").get_data(as_text=True)
    revoke_certificate(certified.certificate, certified.bureau, "复查不合格")
    db.session.flush()
    assert "奉贤缓存网点" in client.get("/directory").get_data(as_text=True)  # within the 30 seconds
    another_page = client.get("/directory?page=1&district=FX").get_data(as_text=True)
    assert "奉贤缓存网点" not in another_page
    page = client.get(f"/verify/{certified.certificate.number}").get_data(as_text=True)
    assert state_of(page) == "revoked"  # verification is never cached
    results_cache["now"] += 31
    assert "奉贤缓存网点" not in client.get("/directory").get_data(as_text=True)


def test_directory_cache_keeps_languages_apart(client, ctx, results_cache):
    make_certified(name="奉贤语言网点", district_code="FX")
    chinese = client.get("/directory").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    english = client.get("/directory").get_data(as_text=True)
    assert "奉贤" in chinese and ">Fengxian<" in english and ">Fengxian<" not in chinese
