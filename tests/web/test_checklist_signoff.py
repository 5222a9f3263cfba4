"""Signing the inspection off, the lock that follows, the bureau reopening it, and the result page."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.models import Answer, Assessment
from outlet_audit.checklist.service import (
    answer_rows_by_code,
    get_or_create_assessment,
    missing_for_sign_off,
    save_answer,
)
from outlet_audit.evidence.models import Evidence
from outlet_audit.roles import Role
from tests.checklist_helpers import (
    Inspection,
    attach,
    complete,
    full_form,
    photo,
    pudong_edition,
    signature_png_data_url,
)
from tests.factories import login, make_user

pytestmark = pytest.mark.usefixtures("english_ui")  # the tests read English messages


def sign_off_url(inspection):
    return f"/checklist/{inspection.assessment.id}/sign-off"


def signed_off(client, inspection, **data):
    """The team signs: the inspector signs off with `data` (that response is returned), then the
    second inspector of the team signs the locked record too, which completes the inspection."""
    login(client, inspection.inspector)
    response = client.post(sign_off_url(inspection), data={"confirm": "y", **data})
    if response.status_code == 302:
        login(client, inspection.second_inspector)
        assert client.post(sign_off_url(inspection), data={"confirm": "y"}).status_code == 302
        login(client, inspection.inspector)
    return response


def test_before_sign_off_the_page_lists_exactly_what_is_missing(client, ctx):
    inspection = Inspection()
    inspection.save("1.1", True)  # answered, photo missing
    inspection.save("3.3", False)  # answered "no": no photo needed
    inspection.save("1.4", None, not_applicable=True)  # N/A: nothing needed
    attach(inspection, "1.2")  # a photo, but no answer yet
    login(client, inspection.inspector)

    page = client.get(sign_off_url(inspection)).get_data(as_text=True)

    listed = re.findall(r'<li><a href="[^"]*#item-([^"]+)">([^<]+)</a></li>', page)
    expected = [
        str(m) for m in missing_for_sign_off(inspection.assessment, inspection.edition, inspection.outlet.id)
    ]
    assert [text for _, text in listed] == expected
    assert ("1.1", "1.1: evidence required") in listed and ("1.2", "1.2: no answer") in listed
    assert not any(code in ("3.3", "1.4") for code, _ in listed)
    assert re.search(r'<button type="submit"[^>]*disabled', page)


def test_sign_off_with_something_missing_is_refused_and_changes_nothing(client, ctx, db_session):
    inspection = Inspection()
    complete(inspection)
    db_session.delete(
        db_session.scalars(
            select(Evidence).where(
                Evidence.assessment_id == inspection.assessment.id, Evidence.item_code == "4.3"
            )
        ).first()
    )
    db_session.flush()

    response = signed_off(client, inspection)

    assert response.status_code == 422
    assert "4.3: evidence required" in response.get_data(as_text=True)
    assert inspection.application.status == "inspection_scheduled"
    assert inspection.assessment.signed_off_at is None


def test_sign_off_needs_the_confirmation(client, ctx):
    inspection = Inspection()
    complete(inspection)
    login(client, inspection.inspector)
    response = client.post(sign_off_url(inspection), data={})
    assert response.status_code == 422
    assert "confirm that these answers and this evidence are what you found on site" in response.get_data(
        as_text=True
    )
    assert inspection.assessment.signed_off_at is None


@pytest.mark.parametrize("edition_name", ["shanghai-2025", "pudong-pilot-2026"])
def test_sign_off_scores_locks_and_keeps_both_signatures(client, ctx, db_session, edition_name):
    inspection = Inspection(edition=pudong_edition() if edition_name == "pudong-pilot-2026" else None)
    complete(inspection)

    response = signed_off(
        client,
        inspection,
        inspector_signature=signature_png_data_url(),
        outlet_signature=signature_png_data_url(),
    )

    assert response.status_code == 302 and response.headers["Location"].endswith(inspection.result_url)
    db_session.refresh(inspection.assessment)
    db_session.refresh(inspection.application)
    assert inspection.application.status == "inspected"
    assert inspection.assessment.signed_off_by_id == inspection.inspector.id
    assert inspection.assessment.final == Decimal("100.0")
    assert inspection.assessment.level_reached == ("district" if edition_name == "shanghai-2025" else "city")
    signatures = db_session.scalars(select(Evidence).where(Evidence.purpose == "signature")).all()
    assert sorted(s.item_code for s in signatures) == ["inspector", "outlet"]
    assert all(s.assessment_id == inspection.assessment.id and s.kind == "photo" for s in signatures)
    events = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "transition", AuditEvent.field == "sign_off")
        .order_by(AuditEvent.id)
    ).all()
    assert [(event.actor_id, event.new_value) for event in events] == [
        (inspection.inspector.id, "inspection_scheduled"),  # the first signature locks it
        (inspection.second_inspector.id, "inspected"),  # the last completes it
    ]


def test_a_bad_signature_refuses_the_sign_off_with_a_message(client, ctx):
    inspection = Inspection()
    complete(inspection)
    response = signed_off(client, inspection, inspector_signature="data:image/png;base64,AAAA")
    assert response.status_code == 422 and "could not be read" in response.get_data(as_text=True)
    assert inspection.application.status == "inspection_scheduled"


def test_after_sign_off_the_checklist_is_locked(client, ctx, db_session):
    inspection = Inspection()
    complete(inspection)
    mine = attach(inspection, "6.1")
    assert signed_off(client, inspection).status_code == 302

    page = client.get(inspection.edit_url).get_data(as_text=True)
    assert "signed off and locked" in page and 'capture="environment"' not in page
    save = client.post(inspection.save_url("1.1"), json={"value": "no", "expected_version": 1})
    assert save.status_code == 409 and save.get_json()["status"] == "locked"
    upload = client.post(
        inspection.upload_url,
        data={"item_code": "1.1", "file": (__import__("io").BytesIO(photo()), "p.jpg")},
        headers={"Accept": "application/json"},
    )
    assert upload.status_code == 409
    delete = client.post(f"/evidence/{mine.id}/delete", headers={"Accept": "application/json"})
    assert delete.status_code == 409 and db_session.get(Evidence, mine.id) is not None
    form_post = client.post(
        inspection.edit_url, data=full_form(inspection.edition, {"1.1": "no"}, versions={"1.1": 1})
    )
    assert form_post.status_code == 302
    assert inspection.version("1.1") == 1
    assert client.get(sign_off_url(inspection)).status_code == 302  # nothing left to sign


def test_only_the_district_bureau_reopens_and_the_audit_trail_keeps_why(client, app, ctx, db_session):
    inspection = Inspection()
    complete(inspection)
    assert signed_off(client, inspection).status_code == 302
    for outsider, expected in [
        (inspection.inspector, 403),
        (make_user(Role.CITY_BUREAU), 403),
        (make_user(Role.DISTRICT_BUREAU, district_code="QP"), 404),
    ]:
        login(client, outsider)
        assert (
            client.post(
                f"/checklist/applications/{inspection.application.id}/reopen", data={"reason": "x"}
            ).status_code
            == expected
        )
    login(client, inspection.bureau)
    page = client.get(inspection.result_url).get_data(as_text=True)
    assert f'action="/checklist/applications/{inspection.application.id}/reopen"' in page

    refused = client.post(f"/checklist/applications/{inspection.application.id}/reopen", data={"reason": " "})
    assert refused.status_code == 422 and "give the reasons" in refused.get_data(as_text=True)
    db_session.refresh(inspection.application)
    assert inspection.application.status == "inspected"

    client.post(
        f"/checklist/applications/{inspection.application.id}/reopen",
        data={"reason": "4.2 照片看不清，请复核"},
    )

    db_session.expire_all()
    signed = db_session.get(Assessment, inspection.assessment.id)
    assert inspection.application.status == "inspection_scheduled"
    assert signed.signed_off_at is not None and signed.superseded_at is None  # kept exactly as signed
    correction = db_session.scalar(select(Assessment).where(Assessment.amends_id == signed.id))
    assert correction.signed_off_at is None and correction.amendment_reason == "4.2 照片看不清，请复核"
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.field == "reopen_inspection"))
    assert event.actor_id == inspection.bureau.id and event.reason == "4.2 照片看不清，请复核"
    login(client, inspection.inspector)
    assert (
        client.post(inspection.save_url("4.2"), json={"value": "B", "expected_version": 1}).status_code == 409
    )
    again = client.post(f"/checklist/{correction.id}/items/4.2", json={"value": "B", "expected_version": 1})
    assert again.status_code == 200
    signed_value = db_session.scalar(
        select(Answer.value).where(Answer.assessment_id == signed.id, Answer.item_code == "4.2")
    )
    assert signed_value != '"B"'  # the correction is a new record; the signed answer stays


# --- the result page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "before", "after"),
    [
        ("bureau", 200, 200),
        ("city", 200, 200),
        ("inspector", 200, 200),
        ("outlet", 403, 200),
        ("other_district_bureau", 404, 404),
        ("other_outlet", 404, 404),
        ("unassigned_inspector", 404, 404),
    ],
)
def test_who_sees_the_result_before_and_after_sign_off(client, app, ctx, who, before, after):
    inspection = Inspection()
    complete(inspection)
    users = {
        "bureau": inspection.bureau,
        "city": make_user(Role.CITY_BUREAU),
        "inspector": inspection.inspector,
        "outlet": inspection.outlet_user,
        "other_district_bureau": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
        "other_outlet": make_user(Role.OUTLET),
        "unassigned_inspector": make_user(Role.INSPECTOR, district_code="FX"),
    }
    viewer = app.test_client()
    login(viewer, users[who])
    assert viewer.get(inspection.result_url).status_code == before
    assert signed_off(client, inspection).status_code == 302
    assert viewer.get(inspection.result_url).status_code == after


def test_outlet_sees_inspection_evidence_only_after_sign_off(client, app, ctx):
    inspection = Inspection()
    complete(inspection)
    evidence = attach(inspection, "6.1")
    viewer = app.test_client()
    login(viewer, inspection.outlet_user)
    assert viewer.get(f"/evidence/{evidence.id}/thumbnail").status_code == 404
    assert signed_off(client, inspection).status_code == 302
    assert viewer.get(f"/evidence/{evidence.id}/thumbnail").status_code == 200


def test_the_result_shows_score_sections_veto_level_reasons_and_the_self_assessment_beside_it(client, ctx):
    inspection = Inspection()
    complete(inspection, overrides={"1.3": False, "2.1": Decimal("91"), "4.2": "B"})  # 1.3 is a veto item
    own = get_or_create_assessment(inspection.application, "self")  # submitted with full marks
    for code, value in {"1.3": True, "2.1": Decimal("91"), "4.2": "A", "1.1": True}.items():
        save_answer(
            own,
            inspection.edition,
            code,
            value=value,
            not_applicable=False,
            note=None,
            expected_version=answer_rows_by_code(own)[code].version,
            actor=inspection.outlet_user,
        )
    assert signed_off(client, inspection).status_code == 302
    login(client, inspection.bureau)

    page = client.get(inspection.result_url).get_data(as_text=True)

    # 100 - 8 (veto 1.3) - 5 (2.1: 10 of 15) - 3 (4.2: B) = 84
    assert re.search(r'id="result-final">84.0<', page)
    assert re.search(r'id="result-level"[^>]*>No level reached<', page)
    assert "1.3 No non-degradable plastic tape" in re.search(r'id="veto-failures".*?</div>', page, re.S)[0]
    reasons = re.search(r'id="level-reasons".*?</div>', page, re.S)[0]
    assert "veto failed: 1.3" in reasons and "no valid district certificate" in reasons
    assert "score 84.0 &lt; 90" in reasons
    subtotals = re.search(r'id="section-subtotals".*?</table>', page, re.S)[0]
    assert re.search(r"1 Reduction at source</td><td[^>]*>28 / 36<", subtotals)
    differing = re.findall(r'<tr class="table-warning differs" data-item-code="([^"]+)"', page)
    assert set(differing) >= {"1.3", "4.2"} and "2.1" not in differing and "1.1" not in differing
    assert "1.2" not in differing  # both answered it alike
    assert f"Signed off by {inspection.inspector.display_name}" in page


def test_the_result_of_an_open_inspection_is_scored_now(client, ctx):
    inspection = Inspection()
    inspection.save("1.1", True)
    login(client, inspection.bureau)
    page = client.get(inspection.result_url).get_data(as_text=True)
    assert 'id="not-signed-off"' in page and re.search(r'id="result-final">8.0<', page)
    assert "The outlet made no self-assessment." not in page  # it was submitted with the application
    assert "reopen" not in page  # nothing to reopen yet


def test_the_result_flags_a_photo_already_used_for_another_outlet(client, ctx):
    inspection = Inspection()
    borrowed = photo(taken="2025:03:01 09:00:00")
    other = Inspection()
    attach(other, "1.1", borrowed)
    attach(inspection, "1.1", borrowed)
    login(client, inspection.bureau)
    page = client.get(inspection.result_url).get_data(as_text=True)
    card = re.search(r'<figure class="evidence-card evidence-reused".*?</figure>', page, re.S)[0]
    assert other.outlet.name in card and "2025-03-01 09:00" in card
    login(client, inspection.inspector)  # the flag is for the bureau
    assert "evidence-reused" not in client.get(inspection.result_url).get_data(as_text=True)


def test_there_is_no_sign_off_for_the_self_assessment(client, ctx):
    inspection = Inspection()
    own = get_or_create_assessment(inspection.application, "self")
    login(client, inspection.inspector)
    assert client.get(f"/checklist/{own.id}/sign-off").status_code == 404
