"""Hostile input through every upload endpoint that stores files: a file over the size limit or past
the request cap is refused and nothing is kept; a name that tries to leave the store is reduced to a
plain name and the file stored by its hash.

Its tests share one crew and its three applications (made once: each test works in a savepoint rolled
back after it, see tests/conftest.py `module_rows`). The other hostile input is test_hostile_input.py's.
"""

import hashlib
import io
import re
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.checklist.models import Assessment
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import affirm_declarations
from tests.checklist_helpers import pdf, photo
from tests.factories import login, make_application, make_outlet
from tests.web.test_hostile_input import MULTIPART, rectify_3_1
from tests.workflow_helpers import Crew, answer_all, finding_answer_request, make_crew, ordered_findings


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
        "crew": {field.name: getattr(crew, field.name).id for field in fields(Crew)},
        "applications": {"draft": draft.id, "rectification": rectification.id, "on_site": on_site.id},
    }


@pytest.fixture
def crew(module_rows, ctx):
    ids = module_rows[1]["crew"]
    return Crew(
        **{name: db.session.get(Outlet if name == "outlet" else User, key) for name, key in ids.items()}
    )


@pytest.fixture
def both(module_rows, ctx):
    ids = module_rows[1]["applications"]
    return SimpleNamespace(**{name: db.session.get(Application, key) for name, key in ids.items()})


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
