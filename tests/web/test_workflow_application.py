"""The outlet's side: opening an application, the draft, the commitment letter, and submitting."""

import html
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.models import Assessment
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.criteria.editions import active_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import affirm_declarations
from tests.factories import login, make_application, make_outlet, shanghai_moment
from tests.workflow_helpers import (
    answer_all,
    attach,
    give_certificate,
    make_crew,
    pdf_bytes,
    ready_to_submit,
    reload,
)


@pytest.fixture
def crew(ctx):
    return make_crew()


def open_draft(client, level="district", query=""):
    return client.post(f"/applications/new{query}", data={"target_level": level})


def test_an_outlet_opens_a_draft_pinned_to_the_active_edition(client, crew, db_session):
    login(client, crew.outlet_user)
    assert "Apply for zero-waste status" in client.get("/applications/").get_data(as_text=True)
    response = open_draft(client)
    assert response.status_code == 302
    application = db_session.scalar(select(Application).where(Application.outlet_id == crew.outlet.id))
    assert response.headers["Location"].endswith(f"/applications/{application.id}")
    assert application.status == "draft" and application.target_level == "district"
    assert application.edition.content_hash == active_edition().content_hash
    assert application.district_id == crew.outlet.district_id
    kinds = db_session.scalars(
        select(Assessment.kind).where(Assessment.application_id == application.id)
    ).all()
    assert kinds == ["self"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Still missing before you can submit" in page


def test_an_outlet_has_at_most_one_open_application(client, crew, db_session):
    existing = make_application(crew.outlet, status="inspection_scheduled")
    login(client, crew.outlet_user)
    response = open_draft(client)
    assert response.headers["Location"].endswith(f"/applications/{existing.id}")
    count = select(func.count()).select_from(Application).where(Application.outlet_id == crew.outlet.id)
    assert db_session.scalar(count) == 1
    assert 'href="/applications/new"' not in client.get("/applications/").get_data(as_text=True)


def test_the_database_refuses_a_second_open_application(crew, db_session):
    make_application(crew.outlet, status="rejected")  # final ones do not count
    submitted = make_application(crew.outlet, status="submitted")
    # A row written past create_application's own check, as a second tab's could have been.
    second = Application(
        outlet_id=crew.outlet.id,
        district_id=submitted.district_id,
        edition_pk=submitted.edition_pk,
        target_level="district",
        status="draft",
    )
    with pytest.raises(sa.exc.IntegrityError), db_session.begin_nested():
        db_session.add(second)


def test_a_new_application_is_allowed_once_the_last_is_final(client, crew, db_session):
    make_application(crew.outlet, status="withdrawn")
    login(client, crew.outlet_user)
    assert open_draft(client).status_code == 302
    assert (
        reload(db_session.scalars(select(Application).order_by(Application.id.desc())).first()).status
        == "draft"
    )


def test_city_level_is_refused_without_a_valid_district_certificate(client, crew, db_session):
    login(client, crew.outlet_user)
    response = open_draft(client, "city")
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert (
        "City level can only be applied for by an outlet that holds a valid district-level certificate"
        in page
    )
    assert db_session.scalar(select(func.count()).select_from(Application)) == 0
    give_certificate(crew.outlet, valid_days=-1)  # expired: still refused
    assert open_draft(client, "city").status_code == 422


def test_city_level_is_allowed_with_a_valid_district_certificate(client, crew, db_session):
    give_certificate(crew.outlet)
    login(client, crew.outlet_user)
    assert open_draft(client, "city").status_code == 302
    assert db_session.scalar(select(Application.target_level).where(Application.status == "draft")) == "city"


def test_renewal_links_the_outlets_own_active_certificate(client, crew, db_session):
    certificate = give_certificate(crew.outlet, valid_days=60)  # inside the renewal window
    login(client, crew.outlet_user)
    form = client.get(f"/applications/new?renew={certificate.id}").get_data(as_text=True)
    assert certificate.number in form
    assert open_draft(client, "district", f"?renew={certificate.id}").status_code == 302
    application = db_session.scalar(select(Application).where(Application.status == "draft"))
    assert application.renewal_of_id == certificate.id


def test_renewal_of_someone_elses_or_a_revoked_certificate_is_not_found(client, crew, db_session):
    foreign = give_certificate(make_outlet("FX"))
    login(client, crew.outlet_user)
    assert client.get(f"/applications/new?renew={foreign.id}").status_code == 404
    assert open_draft(client, "district", f"?renew={foreign.id}").status_code == 404
    assert client.get("/applications/new?renew=999999").status_code == 404
    assert (
        db_session.scalar(select(func.count()).select_from(Application).where(Application.status == "draft"))
        == 0
    )


def test_the_draft_keeps_each_declaration_and_audits_it(client, crew, db_session):
    application = make_application(crew.outlet)
    login(client, crew.outlet_user)
    response = client.post(
        f"/applications/{application.id}/draft",
        data={"draft-target_level": "district", "draft-declaration_E1": "yes", "draft-declaration_E2": "no"},
    )
    assert response.status_code == 302
    assert reload(application).eligibility == {"E1": True, "E2": False}
    fields = db_session.scalars(
        select(AuditEvent.field).where(
            AuditEvent.application_id == application.id, AuditEvent.action == "draft_saved"
        )
    ).all()
    assert sorted(fields) == ["eligibility:E1", "eligibility:E2"]
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert re.search(r"<input checked[^>]*draft-declaration_E1-0", page)
    assert re.search(r"<input checked[^>]*draft-declaration_E2-1", page)


def test_switching_the_draft_to_city_level_is_refused_with_the_input_kept(client, crew):
    application = make_application(crew.outlet)
    login(client, crew.outlet_user)
    response = client.post(
        f"/applications/{application.id}/draft",
        data={"draft-target_level": "city", "draft-declaration_E3": "yes"},
    )
    assert response.status_code == 422
    assert "valid district-level certificate" in html.unescape(response.get_data(as_text=True))
    assert re.search(r"<input checked[^>]*draft-declaration_E3-0", response.get_data(as_text=True))
    assert reload(application).target_level == "district" and reload(application).eligibility == {}


def test_the_commitment_letter_is_filled_in_with_the_outlets_details(client, crew):
    application = make_application(crew.outlet)
    for user in (crew.outlet_user, crew.bureau):
        login(client, user)
        page = client.get(f"/applications/{application.id}/commitment-letter").get_data(as_text=True)
        for detail in (
            crew.outlet.name,
            crew.outlet.permit_number,
            crew.outlet.address,
            crew.outlet.manager,
            application.reference,
            "奉贤区邮政管理局",
            "承诺书",
        ):
            assert detail in page
        assert "data-print" in page and "js/workflow.js" in page


def test_the_signed_letter_is_uploaded_as_commitment_evidence(client, crew, db_session):
    application = make_application(crew.outlet)
    login(client, crew.outlet_user)
    response = client.post(
        f"/applications/{application.id}/commitment",
        data={"commitment-letter": (io.BytesIO(pdf_bytes()), "承诺书.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    evidence = db_session.scalar(select(Evidence).where(Evidence.application_id == application.id))
    assert evidence.purpose == "commitment" and evidence.kind == "document"
    assert "承诺书.pdf" in client.get(f"/applications/{application.id}").get_data(as_text=True)


def test_a_refused_upload_says_why(client, crew, db_session):
    application = make_application(crew.outlet)
    login(client, crew.outlet_user)
    response = client.post(
        f"/applications/{application.id}/commitment",
        data={"commitment-letter": (io.BytesIO(b"MZ\x90\x00 not a document"), "letter.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "This kind of file is not accepted" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_the_letter_cannot_be_replaced_after_submission(client, crew, db_session):
    application = make_application(crew.outlet, status="submitted")
    files = select(func.count()).select_from(Evidence)
    before = db_session.scalar(files)
    login(client, crew.outlet_user)
    response = client.post(
        f"/applications/{application.id}/commitment",
        data={"commitment-letter": (io.BytesIO(pdf_bytes()), "letter.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert db_session.scalar(files) == before


def test_submitting_an_empty_draft_lists_exactly_what_is_missing(client, crew):
    application = make_application(crew.outlet)
    login(client, crew.outlet_user)
    response = client.post(f"/applications/{application.id}/transition", data={"action": "submit"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    edition = active_edition()
    for declaration in edition.eligibility:
        assert f"Declaration {declaration.code} is not affirmed." in page
    assert "The self-assessment has not been started." in page
    assert "The signed commitment letter is not uploaded." in page
    assert reload(application).status == "draft"


def test_submitting_lists_each_self_assessment_gap(client, crew):
    application = make_application(crew.outlet)
    affirm_declarations(application, crew.outlet_user)
    answer_all(application, "self", crew.outlet_user, skip=("1.2", "4.3"))
    login(client, crew.outlet_user)
    response = client.post(f"/applications/{application.id}/transition", data={"action": "submit"})
    page = html.unescape(response.get_data(as_text=True))
    assert "Self-assessment: 1.2, 4.3: no answer" in page
    assert "Self-assessment: 1.1" not in page
    assert "Declaration E1 is not affirmed." not in page
    assert "The signed commitment letter is not uploaded." in page
    assert "2 things are missing" not in page  # the letter too: three
    assert "3 things are missing" in page


def test_the_refusal_names_what_is_missing_in_the_readers_language(client, crew, db_session):
    """The state machine's submission guard lists the gaps; each is translated where it is shown."""
    application = make_application(crew.outlet)
    affirm_declarations(application, crew.outlet_user)
    answer_all(application, "self", crew.outlet_user, skip=("1.2",))
    crew.outlet_user.locale = "zh_CN"
    db_session.flush()
    login(client, crew.outlet_user)
    response = client.post(f"/applications/{application.id}/transition", data={"action": "submit"})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "申请暂不能提交：尚有2项未完成。自评：1.2：未作答。尚未上传签字盖章的承诺书。" in page
    assert reload(application).status == "draft"


def test_a_complete_draft_is_submitted_and_its_self_assessment_scored(client, crew, db_session):
    application = ready_to_submit(crew)
    login(client, crew.outlet_user)
    assert "Everything needed is in place" in client.get(f"/applications/{application.id}").get_data(
        as_text=True
    )
    response = client.post(f"/applications/{application.id}/transition", data={"action": "submit"})
    assert response.status_code == 302
    application = reload(application)
    assert application.status == "submitted" and application.submitted_at is not None
    assessment = db_session.scalar(select(Assessment).where(Assessment.application_id == application.id))
    assert assessment.final == 100 and assessment.level_reached == "district"


def test_a_city_draft_whose_certificate_lapsed_cannot_be_submitted(client, crew):
    give_certificate(crew.outlet, valid_days=-1)  # lapsed yesterday
    with clock_at(shanghai_moment(today_in_shanghai() - timedelta(days=5))):  # while it was valid
        application = ready_to_submit(crew, target_level="city")
    login(client, crew.outlet_user)
    response = client.post(f"/applications/{application.id}/transition", data={"action": "submit"})
    assert response.status_code == 422
    assert "valid district-level certificate" in html.unescape(response.get_data(as_text=True))
    assert reload(application).status == "draft"


def test_the_outlet_withdraws(client, crew):
    application = make_application(crew.outlet, status="submitted")
    attach(application, crew.outlet_user)
    login(client, crew.outlet_user)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'value="withdraw"' in page and "<details" in page  # behind a second click
    client.post(f"/applications/{application.id}/transition", data={"action": "withdraw"})
    assert reload(application).status == "withdrawn"


def test_the_pages_forms_carry_working_csrf_tokens(database_url, tmp_path, db_session):
    """With CSRF on (as in production), each prefixed action form posts with its own token."""
    from tests.conftest import make_test_app

    csrf_app = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    people = make_crew()
    application = make_application(people.outlet, status="submitted")
    login(client, people.bureau)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    token = re.search(r'name="accept-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    url = f"/applications/{application.id}/transition"
    assert client.post(url, data={"action": "accept"}).status_code == 400
    assert reload(application).status == "submitted"
    assert client.post(url, data={"action": "accept", "accept-csrf_token": token}).status_code == 302
    assert reload(application).status == "accepted"
