"""Languages: Chinese by default, English on request, and a complete Chinese catalog."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from outlet_audit.roles import Role
from tests.factories import login, make_user

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "outlet_audit" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"


def read_catalog():
    with CATALOG.open("rb") as f:
        return read_po(f)


def test_every_string_in_the_code_is_in_the_catalog_and_translated(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "--no-location",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "N_",
            "-o",
            str(template),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    catalog = read_catalog()
    translated = {
        m.id
        for m in catalog
        if m.id and m.string and (all(m.string) if m.pluralizable else True) and not m.fuzzy
    }
    missing = sorted(str(i) for i in extracted - translated)
    assert missing == [], (
        f"{len(missing)} strings lack a Chinese translation (make translations-extract): {missing[:20]}"
    )


def test_chinese_is_the_default_language(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page and "登录" in page


def test_switching_to_english_is_remembered_for_the_account(app, client, db_session):
    user = make_user(Role.INSPECTOR)
    login(client, user)
    client.post("/language", data={"locale": "en", "next": "/account/password"})
    db_session.refresh(user)
    assert user.locale == "en"
    other_device = app.test_client()
    login(other_device, user)
    page = other_device.get("/account/password").get_data(as_text=True)
    assert 'lang="en"' in page and "Change password" in page


def test_code_translates_in_the_requests_language_and_in_a_forced_one(app):
    """gettext() and lazy strings find the request's catalog kept on g (core/i18n.py), and still
    follow force_locale (mail and exports in their reader's language) and its end."""
    from flask_babel import force_locale, gettext, lazy_gettext

    label = lazy_gettext("Sign in")
    with app.test_request_context("/"):
        assert gettext("Sign in") == "登录" and str(label) == "登录"
        with force_locale("en"):
            assert gettext("Sign in") == "Sign in" and str(label) == "Sign in"
        assert gettext("Sign in") == "登录" and str(label) == "登录"
    with app.test_request_context("/"), force_locale("en"):  # forced before anything was translated
        assert gettext("Sign in") == "Sign in"
