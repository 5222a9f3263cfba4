"""The checklist page: generated from the pinned edition, scored by the engine, saved without JavaScript,
and shown only to the people whose scope and stage allow it."""

import re
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.forms import field_name
from outlet_audit.checklist.service import answer_rows, get_or_create_assessment, scoring_answers
from outlet_audit.roles import Role
from outlet_audit.scoring import Answer, score
from tests.checklist_helpers import Inspection, attach, best_value, form_text, full_form, pudong_edition
from tests.conftest import counted_statements
from tests.factories import advance, login, make_application, make_outlet, make_user


def answer_version(assessment, code: str) -> int:
    """The item's answer version; 0 when it has none."""
    return next((row.version for row in answer_rows(assessment) if row.item_code == code), 0)


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def shown(page, attribute):
    return re.search(rf"<[^>]*{attribute}[^>]*>([^<]*)<", page)[1].strip()


@pytest.mark.parametrize("edition_name", ["shanghai-2025", "pudong-pilot-2026"])
def test_the_page_is_generated_from_the_pinned_edition(client, ctx, edition_name):
    inspection = Inspection(edition=pudong_edition() if edition_name == "pudong-pilot-2026" else None)
    edition = inspection.edition
    assert edition.id == edition_name
    login(client, inspection.inspector)

    page = page_of(client, inspection.edit_url)

    for item in (*edition.items(), *edition.bonus_items()):
        assert f'data-item-code="{item.code}"' in page
        assert item.title.zh in page and item.guidance.zh in page
        assert (f'name="{field_name(item.code)}-not_applicable"' in page) is item.not_applicable_allowed
        assert f'name="{field_name(item.code)}-version"' in page
        for option in item.answer.options:
            assert f'value="{option.code}"' in page and option.label.zh in page
    for section in edition.sections:
        assert f'id="section-{section.code}"' in page
    assert 'accept="image/*" capture="environment"' in page  # the camera opens straight away
    assert 'id="save-banner"' in page and 'data-save-state="saved"' in page and 'data-editable="true"' in page


def test_pudong_answer_types_render_as_their_inputs(client, ctx):
    inspection = Inspection(edition=pudong_edition())
    login(client, inspection.inspector)
    page = page_of(client, inspection.edit_url)
    assert re.search(r'<input[^>]*id="item_A2-value"[^>]*inputmode="numeric"[^>]*type="number"', page)
    assert re.search(r'<input[^>]*id="item_B1-value"[^>]*inputmode="decimal"[^>]*type="number"', page)
    assert re.search(
        r'<input class="btn-check" id="item_B2-value-0" name="item_B2-value" type="radio" value="yes"', page
    )
    assert "≥ 50 个 → 10" in page  # the count's thresholds, with the unit from the criteria


@pytest.mark.parametrize("edition_name", ["shanghai-2025", "pudong-pilot-2026"])
def test_the_score_shown_is_the_engines_score_on_the_same_answers(client, ctx, edition_name):
    inspection = Inspection(edition=pudong_edition() if edition_name == "pudong-pilot-2026" else None)
    edition = inspection.edition
    given = {}
    for i, item in enumerate(edition.items()):
        if i % 3 == 2:
            continue  # leave some unanswered
        value = (
            best_value(item)
            if i % 2 == 0
            else (False if item.answer.type == "yes_no" and item.answer.earns_on else best_value(item))
        )
        inspection.save(item.code, value)
        given[item.code] = Answer(value)
    expected = score(edition, given)
    login(client, inspection.inspector)

    page = page_of(client, inspection.edit_url)

    assert shown(page, "data-score-final") == str(expected.final)
    answered = sum(1 for s in expected.items if s.answered)
    assert shown(page, "data-progress-answered") == str(answered)
    assert shown(page, "data-progress-total") == str(len(edition.items()))
    for section in expected.sections:
        assert re.search(
            rf'data-section-score="{re.escape(section.code)}">[^<]*{section.earned}[^<]*{section.possible}',
            page,
        )


def test_the_page_reads_nothing_twice(client, ctx):
    """Assessment, application, answers and files are read once; everyone named, in one query."""
    inspection = Inspection()
    for n, item in enumerate(inspection.edition.items()):
        author = (inspection.inspector, inspection.second_inspector, inspection.outlet_user)[n % 3]
        inspection.save(item.code, best_value(item), actor=author)
        attach(inspection, item.code, actor=(inspection.inspector, inspection.second_inspector)[n % 2])
    login(client, inspection.inspector)
    page_of(client, inspection.edit_url)  # warm the caches of the edition and its rendered parts

    with counted_statements() as statements:
        page = page_of(client, inspection.edit_url)

    repeated = [sql for sql, n in Counter(statements).items() if n > 1]
    assert repeated == [], repeated
    assert "王检查" in page and inspection.outlet_user.display_name in page


def test_plain_form_post_saves_every_changed_item_and_redirects(client, ctx, db_session):
    inspection = Inspection()
    edition = inspection.edition
    login(client, inspection.inspector)
    answers = {item.code: form_text(item, best_value(item)) for item in edition.items()}
    answers["1.4"] = "N/A"

    response = client.post(
        inspection.edit_url, data=full_form(edition, answers, notes={"2.1": "抽查 120 件"})
    )

    assert response.status_code == 302 and response.headers["Location"].endswith(inspection.edit_url)
    stored = scoring_answers(edition, answer_rows(inspection.assessment))
    assert stored["1.1"] == Answer(True) and stored["1.4"] == Answer(None, True)
    assert stored["2.1"] == Answer(Decimal(95)) and stored["5.2"] == Answer(Decimal(2))
    assert {row.item_code: row.note for row in answer_rows(inspection.assessment)}["2.1"] == "抽查 120 件"
    saved = db_session.scalars(
        select(AuditEvent.field).where(
            AuditEvent.action == "answer_saved", AuditEvent.field.startswith("inspection:")
        )
    ).all()
    assert len(saved) == len(edition.items())


def test_plain_form_with_a_bad_value_keeps_what_was_typed_and_shows_the_error_there(client, ctx):
    inspection = Inspection()
    edition = inspection.edition
    login(client, inspection.inspector)
    answers = {"1.1": "yes", "2.1": "101", "5.2": "2.5", "3.1": "A"}

    response = client.post(
        inspection.edit_url, data=full_form(edition, answers, notes={"5.2": "签到表 2 份"})
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="item_2_1-value"[^>]*value="101"', page)  # typed values kept
    assert re.search(r'id="item_5_2-value"[^>]*value="2.5"', page)
    assert "签到表 2 份" in page
    error_2_1 = re.search(r'id="item_2_1-value-error"[^>]*>([^<]*)<', page)[1]
    assert "100" in error_2_1  # the message sits next to the field
    assert re.search(r'id="item_5_2-value-error"', page)
    assert re.search(r'data-item-code="2.1"[^>]*data-save-state="error"', page)
    # the valid answers were saved, the invalid ones were not
    stored = scoring_answers(edition, answer_rows(inspection.assessment))
    assert stored["1.1"] == Answer(True) and stored["3.1"] == Answer("A")
    assert "2.1" not in stored and "5.2" not in stored
    # and the re-rendered page starts from the new versions, so saving again is no conflict
    assert re.search(r'name="item_1_1-version" value="1"', page)


@pytest.mark.usefixtures("english_ui")
def test_plain_form_conflict_keeps_my_answer_and_tells_whose_answer_is_stored(client, ctx):
    inspection = Inspection()
    edition = inspection.edition
    inspection.save("1.1", True, actor=inspection.second_inspector)  # version 1 by 王检查
    login(client, inspection.inspector)
    page_versions = {"1.1": 0}  # my page was opened before 王检查 saved

    response = client.post(
        inspection.edit_url, data=full_form(edition, {"1.1": "no"}, versions=page_versions)
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "王检查" in page and "Yes" in re.search(r'id="item_1_1-value-error"[^>]*>([^<]*)<', page)[1]
    assert re.search(r'<input[^>]* checked class="btn-check" id="item_1_1-value-1"[^>]*value="no"', page)
    assert re.search(r'name="item_1_1-version" value="1"', page)  # saving again now overwrites theirs
    assert scoring_answers(edition, answer_rows(inspection.assessment))["1.1"] == Answer(True)

    client.post(inspection.edit_url, data=full_form(edition, {"1.1": "no"}, versions={"1.1": 1}))
    assert scoring_answers(edition, answer_rows(inspection.assessment))["1.1"] == Answer(False)


def test_unchanged_items_are_not_saved_again(client, ctx):
    inspection = Inspection()
    edition = inspection.edition
    inspection.save("1.1", True, actor=inspection.second_inspector)
    inspection.save("1.1", True, actor=inspection.second_inspector, version=1)  # now at version 2
    login(client, inspection.inspector)

    response = client.post(inspection.edit_url, data=full_form(edition, {"1.1": "yes", "1.2": "yes"}))

    assert response.status_code == 302  # no conflict on 1.1: nothing changed there
    assert inspection.version("1.1") == 2 and inspection.version("1.2") == 1


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("inspector", 200),
        ("second_inspector", 200),
        ("bureau", 200),
        ("city", 200),
        ("unassigned_inspector", 404),
        ("other_district_bureau", 404),
        ("other_outlet", 404),
        ("own_outlet", 403),  # the outlet sees the inspection only on the result page, after sign-off
        ("admin", 403),
    ],
)
def test_who_may_open_the_inspection_checklist(client, ctx, who, expected):
    inspection = Inspection()
    users = {
        "inspector": inspection.inspector,
        "second_inspector": inspection.second_inspector,
        "bureau": inspection.bureau,
        "city": make_user(Role.CITY_BUREAU),
        "unassigned_inspector": make_user(Role.INSPECTOR, district_code="FX"),
        "other_district_bureau": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
        "other_outlet": make_user(Role.OUTLET),
        "own_outlet": inspection.outlet_user,
        "admin": make_user(Role.ADMIN),
    }
    login(client, users[who])
    assert client.get(inspection.edit_url).status_code == expected


def test_a_missing_assessment_is_404_like_one_out_of_scope(client, ctx):
    login(client, make_user(Role.CITY_BUREAU))
    assert client.get("/checklist/999999").status_code == 404


def test_bureau_reads_but_cannot_change(client, ctx):
    inspection = Inspection()
    login(client, inspection.bureau)
    page = page_of(client, inspection.edit_url)
    assert re.search(r'<fieldset class="item-answer" disabled', page)
    assert "capture=" not in page and 'data-editable="false"' in page
    response = client.post(inspection.edit_url, data=full_form(inspection.edition, {"1.1": "no"}))
    assert response.status_code == 302
    assert answer_rows(inspection.assessment) == []


@pytest.mark.usefixtures("english_ui")
@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("withdrawn", "can be changed only while the inspection is scheduled"),  # withdrawn before the visit
        ("inspected", "signed off and locked"),
        ("rectification_requested", "signed off and locked"),
        ("approved", "signed off and locked"),
    ],
)
def test_the_inspector_cannot_change_the_checklist_at_other_stages(client, ctx, status, reason):
    inspection = Inspection()
    advance(inspection.application, status)
    version = inspection.version("1.1")
    login(client, inspection.inspector)
    page = page_of(client, inspection.edit_url)
    assert reason in page
    response = client.post(
        inspection.edit_url,
        data=full_form(inspection.edition, {"1.1": "no"}, versions={"1.1": version}),
        follow_redirects=True,
    )
    assert reason in response.get_data(as_text=True)
    assert inspection.version("1.1") == version


def test_no_inspector_reaches_the_checklist_before_one_is_assigned(client, ctx):
    application = make_application(make_outlet("FX"), status="accepted")
    assessment = get_or_create_assessment(application, "inspection")
    login(client, make_user(Role.INSPECTOR, district_code="FX"))
    assert client.get(f"/checklist/{assessment.id}").status_code == 404


def test_the_inspector_edits_again_while_a_rectification_is_verified(client, ctx):
    inspection = Inspection(status="rectification_submitted")
    edition = inspection.edition
    # The re-inspection is pre-filled from the first visit, where 1.1 fell short (the finding ordered
    # rectified); the page posts it all back with 1.1 now put right.
    answers = {item.code: form_text(item, best_value(item)) for item in edition.items()}
    versions = {item.code: inspection.version(item.code) for item in edition.items()}
    assert inspection.assessment.visit_type == "reinspection" and versions["1.1"] == 1
    login(client, inspection.inspector)
    response = client.post(inspection.edit_url, data=full_form(edition, {**answers, "1.1": "yes"}, versions))
    assert response.status_code == 302 and inspection.version("1.1") == versions["1.1"] + 1


# --- the outlet's self-assessment -----------------------------------------------------------------


@pytest.mark.usefixtures("english_ui")
@pytest.mark.parametrize(("status", "editable"), [("draft", True), ("returned", True), ("submitted", False)])
def test_the_outlet_fills_in_its_self_assessment_while_draft_or_returned(client, ctx, status, editable):
    outlet_user = make_user(Role.OUTLET)
    application = make_application(outlet_user.outlet, status=status)
    login(client, outlet_user)

    response = client.get(f"/checklist/applications/{application.id}/self-assessment")
    assert response.status_code == 302
    url = response.headers["Location"]
    page = page_of(client, url)
    assert ("Self-assessment" in page) and (("capture=" in page) is editable)
    assert "Sign off" not in page  # the self-assessment is submitted with the application instead

    assessment = get_or_create_assessment(application, "self")
    from outlet_audit.criteria.editions import pinned_edition

    version = answer_version(assessment, "1.1")  # answered before a submission, none in a new draft
    form = full_form(pinned_edition(application.edition), {"1.1": "no"}, versions={"1.1": version})
    client.post(url, data=form)
    assert (answer_version(assessment, "1.1") == version + 1) is editable


def test_other_people_only_read_the_self_assessment(client, ctx):
    outlet_user = make_user(Role.OUTLET)
    inspector = make_user(Role.INSPECTOR, district_code="FX")
    application = make_application(outlet_user.outlet, status="inspection_scheduled", inspectors=[inspector])
    assessment = get_or_create_assessment(application, "self")
    before = answer_version(assessment, "1.1")
    for reader, expected in [
        (inspector, 200),
        (make_user(Role.DISTRICT_BUREAU, district_code="FX"), 200),
        (make_user(Role.INSPECTOR, district_code="FX"), 404),
        (make_user(Role.OUTLET, outlet=make_outlet("FX")), 404),
    ]:
        login(client, reader)
        assert client.get(f"/checklist/{assessment.id}").status_code == expected
        if expected == 200:
            response = client.post(
                f"/checklist/{assessment.id}/items/1.1", json={"value": "yes", "expected_version": 0}
            )
            assert response.status_code == 403 and response.get_json()["status"] == "forbidden"
    assert answer_version(assessment, "1.1") == before


def test_the_self_assessment_shortcut_does_not_create_it_for_the_bureau(client, ctx):
    application = make_application(make_outlet("FX"))
    login(client, make_user(Role.DISTRICT_BUREAU, district_code="FX"))
    assert client.get(f"/checklist/applications/{application.id}/self-assessment").status_code == 404
