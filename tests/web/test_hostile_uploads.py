"""Hostile input through every upload endpoint that stores files: a file lying about its type, carrying
a script or a decompression bomb is refused, as is one over the size limit or past the request cap, and
nothing is kept; a name that tries to leave the store is reduced to a plain name, the file stored by
its hash.

Its tests share one crew and its three applications (made once: each test works in a savepoint rolled
back after it, see tests/conftest.py `module_rows`). The other hostile input is test_hostile_input.py's.
"""

import hashlib
import io
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from outlet_audit.checklist.models import Assessment, Finding
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import affirm_declarations
from outlet_audit.workflow.states import Action
from tests.checklist_helpers import SVG_WITH_SCRIPT, bomb_png, pdf, photo
from tests.factories import login, make_application, make_outlet
from tests.web.test_hostile_input import HTML_AS_PDF, MULTIPART
from tests.workflow_helpers import (
    answer_all,
    crew_keys,
    crew_of,
    finding_answer_request,
    make_crew,
    ordered_findings,
)


def rectify_3_1() -> dict:
    """The bureau's request: item 3.1 to rectify within ten days."""
    request = {
        "rectification_item_codes": frozenset({"3.1"}),
        "rectification_deadline": today_in_shanghai() + timedelta(days=10),
    }
    return {Action.REQUEST_RECTIFICATION: request}


def shared_rows() -> dict:
    """The crew; its draft (declarations affirmed), at the other Fengxian outlet a rectification to
    answer, and an inspection on site with every item answered."""
    crew = make_crew()
    draft = make_application(crew.outlet)
    affirm_declarations(draft, crew.outlet_user)
    other_outlet = db.session.get(Outlet, crew.other_outlet_user.outlet_id)
    rectification = make_application(
        other_outlet, status="rectification_requested", inspectors=[crew.inspector], inputs=rectify_3_1()
    )
    on_site = make_application(make_outlet("FX"), status="inspection_scheduled", inspectors=[crew.inspector])
    answer_all(on_site, "inspection", crew.inspector)
    return {
        "crew": crew_keys(crew),
        "applications": {"draft": draft.id, "rectification": rectification.id, "on_site": on_site.id},
    }


@pytest.fixture
def crew(module_rows, ctx):
    return crew_of(module_rows[1]["crew"])


@pytest.fixture
def both(module_rows, ctx):
    ids = module_rows[1]["applications"]
    return SimpleNamespace(**{name: db.session.get(Application, key) for name, key in ids.items()})


@pytest.fixture
def draft(both):
    return both.draft


@pytest.fixture
def asked_to_rectify(both):
    """Asked to rectify item 3.1, at the other Fengxian outlet (whose staff answer)."""
    return both.rectification


def evidence_count(db_session, application) -> int:
    return db_session.scalar(
        select(func.count()).select_from(Evidence).where(Evidence.application_id == application.id)
    )


BAD_FILES = [
    pytest.param(HTML_AS_PDF, "letter.pdf", "not accepted", id="lying-extension"),
    pytest.param(SVG_WITH_SCRIPT, "letter.svg", "not accepted", id="svg-with-script"),
    pytest.param(SVG_WITH_SCRIPT, "scan.png", "not accepted", id="svg-named-png"),
    pytest.param(bomb_png(), "scan.png", "too many pixels", id="decompression-bomb"),
    pytest.param(
        pdf(b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "letter.pdf", "scripts", id="pdf-js"
    ),
]


@pytest.mark.parametrize(("data", "filename", "reason"), BAD_FILES)
def test_the_commitment_upload_refuses_bad_files(client, crew, draft, db_session, data, filename, reason):
    login(client, crew.outlet_user)
    response = client.post(
        f"/applications/{draft.id}/commitment",
        data={"commitment-letter": (io.BytesIO(data), filename)},
        content_type=MULTIPART,
    )
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert evidence_count(db_session, draft) == 0


@pytest.mark.parametrize(("data", "filename", "reason"), BAD_FILES)
def test_the_rectification_answer_refuses_bad_files(
    client, crew, asked_to_rectify, db_session, data, filename, reason
):
    login(client, crew.other_outlet_user)
    before = evidence_count(db_session, asked_to_rectify)
    finding = ordered_findings(asked_to_rectify.id)["3.1"]
    url, form = finding_answer_request(
        asked_to_rectify.id,
        finding.id,
        "王建国 站长",
        "已整改",
        files=[(io.BytesIO(photo((32, 32))), "fine.jpg"), (io.BytesIO(data), filename)],
    )
    response = client.post(url, data=form, content_type=MULTIPART)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert reason in page and "已整改" in page  # the reason, and the typed answer kept
    db_session.expire_all()
    assert evidence_count(db_session, asked_to_rectify) == before  # not even the good file is kept
    assert db_session.get(Finding, finding.id).status == "ordered"  # nor the answer
    assert db_session.get(Application, asked_to_rectify.id).status == "rectification_requested"


UPLOAD_ENDPOINTS = ["commitment", "rectification", "item evidence", "import"]


def post_upload(client, crew, both, kind, data, filename):
    """Send one file through the endpoint, as the user who may; return the response and application."""
    if kind == "commitment":
        login(client, crew.outlet_user)
        response = client.post(
            f"/applications/{both.draft.id}/commitment",
            data={"commitment-letter": (io.BytesIO(data), filename)},
            content_type=MULTIPART,
        )
        return response, both.draft
    application = both.rectification
    if kind == "rectification":
        login(client, crew.other_outlet_user)
        finding = ordered_findings(application.id)["3.1"]
        url, form = finding_answer_request(
            application.id, finding.id, "王建国 站长", "已整改", files=[(io.BytesIO(data), filename)]
        )
        response = client.post(url, data=form, content_type=MULTIPART)
        return response, application
    if kind == "item evidence":
        application = both.on_site
        login(client, crew.inspector)
        inspection = db.session.scalar(
            select(Assessment).where(
                Assessment.application_id == application.id, Assessment.kind == "inspection"
            )
        )
        response = client.post(
            f"/evidence/assessments/{inspection.id}/upload",
            data={"item_code": "4.3", "file": (io.BytesIO(data), filename)},
            headers={"Accept": "application/json"},
        )
        return response, application
    login(client, crew.bureau)
    response = client.post(
        "/dashboard/import", data={"file": (io.BytesIO(data), filename)}, content_type=MULTIPART
    )
    return response, None


def stored_files(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Evidence).where(Evidence.purpose != "item"))


@pytest.mark.parametrize("kind", UPLOAD_ENDPOINTS)
def test_every_upload_endpoint_refuses_a_file_over_the_size_limit(
    app, client, crew, both, db_session, monkeypatch, kind
):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 3000)
    big = photo((900, 700))
    assert len(big) > 3000
    before = db_session.scalar(select(func.count()).select_from(Evidence))
    response, _application = post_upload(client, crew, both, kind, big, "big.jpg")
    assert response.status_code in (400, 422), response.status_code
    text = response.get_data(as_text=True)
    assert "at most" in text or "larger than" in text, text[-800:]
    assert db_session.scalar(select(func.count()).select_from(Evidence)) == before


@pytest.mark.parametrize("kind", UPLOAD_ENDPOINTS)
def test_every_upload_endpoint_answers_413_past_the_request_cap(
    app, client, crew, both, db_session, monkeypatch, kind
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    before = db_session.scalar(select(func.count()).select_from(Evidence))
    response, _application = post_upload(client, crew, both, kind, b"x" * 5000, "a.pdf")
    assert response.status_code == 413
    assert db_session.scalar(select(func.count()).select_from(Evidence)) == before


TRAVERSALS = [
    "../../../../tmp/evil.pdf",
    "..\\..\\..\\evil.pdf",
    "/etc/passwd.pdf",
    "C:\\Windows\\evil.pdf",
    "....//evil.pdf",
]


@pytest.mark.parametrize("kind", ["commitment", "rectification", "item evidence"])
@pytest.mark.parametrize("filename", TRAVERSALS)
def test_path_traversal_names_are_reduced_to_a_plain_name_and_stored_by_hash(
    app, client, crew, both, db_session, kind, filename
):
    response, application = post_upload(client, crew, both, kind, pdf(), filename)
    assert response.status_code in (200, 302), response.get_data(as_text=True)[-800:]
    purpose = {"commitment": "commitment", "rectification": "rectification", "item evidence": "item"}[kind]
    [stored] = db_session.scalars(
        select(Evidence).where(
            Evidence.application_id == application.id,
            Evidence.purpose == purpose,
            Evidence.original_sha256 == hashlib.sha256(pdf()).hexdigest(),
        )
    ).all()
    assert stored.filename.endswith(("evil.pdf", "passwd.pdf")), stored.filename
    assert not any(part in stored.filename for part in ("/", "\\", "..", ":")), stored.filename
    root = Path(app.config["EVIDENCE_DIR"])
    names = {path.name for path in root.rglob("*") if path.is_file()}
    assert all(re.fullmatch(r"[0-9a-f]{64}", name) for name in names), names
    assert not Path("/tmp/evil.pdf").exists()  # noqa: S108 - the traversal's target
    login(client, crew.bureau)
    served = client.get(f"/evidence/{stored.id}")
    assert served.status_code == 200 and stored.filename in served.headers["Content-Disposition"]
    assert (
        "/" not in served.headers["Content-Disposition"] and "\\" not in served.headers["Content-Disposition"]
    )
