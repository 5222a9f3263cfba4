"""Saving one answer as it changes (the page's JavaScript): JSON in, new version, progress and score out;
conflicts between two inspectors; saves replayed late and out of order after a dropped connection."""

import re
from collections import Counter
from decimal import Decimal

import pytest

from outlet_audit.checklist.service import AnswerConflict, answer_rows, save_answer, scoring_answers
from outlet_audit.roles import Role
from outlet_audit.scoring import Answer, score
from tests.checklist_helpers import Inspection, attach, csrf_from, pudong_edition
from tests.conftest import counted_statements, make_test_app
from tests.factories import login, make_user


def save(client, inspection, code, value, version, **extra):
    response = client.post(
        inspection.save_url(code), json={"value": value, "expected_version": version, **extra}
    )
    return response.status_code, response.get_json()


def stored(inspection):
    return scoring_answers(inspection.edition, answer_rows(inspection.assessment))


@pytest.fixture
def inspection(ctx):
    return Inspection()


def test_a_save_returns_the_new_version_progress_and_the_engines_score(client, inspection, db_session):
    login(client, inspection.inspector)

    status, body = save(client, inspection, "1.1", "yes", 0, note="面单打印机 2 台")

    assert status == 200 and body["status"] == "saved"
    assert body["item"] == body["item"] | {
        "code": "1.1",
        "value": "yes",
        "not_applicable": False,
        "note": "面单打印机 2 台",
        "version": 1,
        "updated_by": "李检查",
        "evidence_required": True,
        "evidence_missing": True,
    }
    expected = score(inspection.edition, {"1.1": Answer(True)})
    assert body["score"]["final"] == str(expected.final) == "8.0"
    assert body["score"]["sections"]["1"] == {"earned": "8", "possible": "36"}
    assert body["progress"] == {"answered": 1, "total": len(inspection.edition.items())}
    assert body["sections"]["1"] == {"answered": 1, "total": 5}
    assert body["missing_count"] == len(inspection.edition.items())  # 14 unanswered + 1.1's photo
    assert stored(inspection) == {"1.1": Answer(True)}
    db_session.refresh(inspection.assessment)
    assert inspection.assessment.final == Decimal("8.0")  # the cached figures follow each save


@pytest.mark.parametrize(
    ("code", "value", "engine_value", "shown"),
    [
        ("A1", "G2", "G2", "全部为瘦身胶带，部分可降解"),
        ("A2", "25", Decimal(25), "25 个"),
        ("B1", "37.5", Decimal("37.5"), "37.5 %"),
        ("B2", "no", False, "否"),
        ("X1", "silver", "silver", "银牌"),
    ],
)
def test_every_answer_type_of_the_second_edition_saves(client, ctx, code, value, engine_value, shown):
    inspection = Inspection(edition=pudong_edition())
    login(client, inspection.inspector)
    status, body = save(client, inspection, code, value, 0)
    assert status == 200, body
    assert body["item"]["display"] == shown
    assert stored(inspection)[code] == Answer(engine_value)
    assert body["score"]["final"] == str(score(inspection.edition, {code: Answer(engine_value)}).final)


def test_the_score_after_many_saves_equals_the_engine_on_the_stored_answers(client, ctx):
    inspection = Inspection(edition=pudong_edition())
    login(client, inspection.inspector)
    answers = {
        "A1": "G1",
        "A2": "60",
        "B1": "na",
        "B2": "no",
        "C1": "yes",
        "C2": "no",
        "X1": "gold",
        "X2": "250",
    }
    body = None
    for code, value in answers.items():
        if value == "na":
            _, body = save(client, inspection, code, None, 0, not_applicable=True)
        else:
            _, body = save(client, inspection, code, value, 0)
    expected = score(inspection.edition, stored(inspection))
    assert body["score"]["final"] == str(expected.final) and body["score"]["level"] == expected.level
    assert body["score"]["total"] == str(expected.total) and body["score"]["bonus"] == str(expected.bonus)
    assert stored(inspection)["B1"] == Answer(None, True)


def test_not_applicable_where_not_allowed_is_refused(client, inspection):
    login(client, inspection.inspector)
    status, body = save(client, inspection, "1.3", None, 0, not_applicable=True)
    # the sub-form has no N/A field for a veto item, so this is an empty answer, saved as unanswered
    assert status == 200 and body["item"]["not_applicable"] is False and body["item"]["value"] == ""


@pytest.mark.parametrize(
    ("code", "value"), [("2.1", "101"), ("2.1", "abc"), ("5.2", "-3"), ("3.1", "Z"), ("1.1", "maybe")]
)
def test_an_invalid_value_is_refused_with_422_and_nothing_stored(client, inspection, code, value):
    login(client, inspection.inspector)
    status, body = save(client, inspection, code, value, 0)
    assert status == 422 and body["status"] == "invalid" and body["errors"]["value"]
    assert stored(inspection) == {}


@pytest.mark.parametrize(
    "payload",
    [
        {"value": "yes"},
        {"value": "yes", "expected_version": "1"},
        {"value": "yes", "expected_version": -1},
        ["yes"],
    ],
)
def test_a_save_without_a_usable_version_is_a_bad_request(client, inspection, payload):
    login(client, inspection.inspector)
    response = client.post(inspection.save_url("1.1"), json=payload)
    assert response.status_code == 400 and response.get_json()["status"] == "bad_request"


def test_an_unknown_item_is_404(client, inspection):
    login(client, inspection.inspector)
    status, body = save(client, inspection, "9.9", "yes", 0)
    assert status == 404 and body["status"] == "unknown_item"


def test_two_inspectors_save_the_same_item_from_version_1(client, app, inspection):
    """The second save gets 409 with the first one's value, who saved it and when; nothing is lost."""
    inspection.save("2.1", Decimal(90))  # version 1: both pages start here
    first, second = client, app.test_client()
    login(first, inspection.inspector)
    login(second, inspection.second_inspector)

    status_a, body_a = save(first, inspection, "2.1", "96", 1)
    status_b, body_b = save(second, inspection, "2.1", "88", 1)

    assert status_a == 200 and body_a["item"]["version"] == 2
    assert status_b == 409 and body_b["status"] == "conflict"
    current = body_b["current"]
    assert current["value"] == "96" and current["version"] == 2 and current["display"] == "96 %"
    assert current["updated_by"] == "李检查" and current["updated_at"]
    assert "李检查" in body_b["message"] and "96 %" in body_b["message"]
    assert stored(inspection)["2.1"] == Answer(Decimal(96))

    # "keep mine": the second inspector saves again on top of the version they were shown
    status_c, body_c = save(second, inspection, "2.1", "88", current["version"])
    assert status_c == 200 and body_c["item"]["version"] == 3 and body_c["item"]["updated_by"] == "王检查"
    assert stored(inspection)["2.1"] == Answer(Decimal(88))


def test_two_inspectors_create_the_same_item_at_once(client, app, inspection):
    first, second = client, app.test_client()
    login(first, inspection.inspector)
    login(second, inspection.second_inspector)
    assert save(first, inspection, "3.1", "A", 0)[0] == 200
    status, body = save(second, inspection, "3.1", "C", 0)
    assert status == 409 and body["current"]["value"] == "A" and body["current"]["version"] == 1


def test_queued_saves_replayed_late_and_out_of_order_with_their_original_versions(client, app, inspection):
    """A phone offline in the sorting hall queued answers to four items, each from the version its page
    showed; meanwhile a colleague saved one of them. Replayed in another order, every answer is stored
    except the one someone else changed, which comes back as a conflict with their value."""
    inspection.save("1.2", True)  # version 1, shown on the phone
    inspection.save("3.1", "B")  # version 1, shown on the phone
    colleague = app.test_client()
    login(colleague, inspection.second_inspector)
    assert save(colleague, inspection, "3.1", "A", 1)[0] == 200  # while the phone was offline
    login(client, inspection.inspector)
    queue = [("1.1", "yes", 0), ("1.2", "no", 1), ("3.1", "C", 1), ("2.1", "93", 0)]

    replies = {
        code: save(client, inspection, code, value, version) for code, value, version in reversed(queue)
    }

    assert {code: status for code, (status, _) in replies.items()} == {
        "1.1": 200,
        "1.2": 200,
        "3.1": 409,
        "2.1": 200,
    }
    assert (
        replies["3.1"][1]["current"]["value"] == "A"
        and replies["3.1"][1]["current"]["updated_by"] == "王检查"
    )
    assert stored(inspection) == {
        "1.1": Answer(True),
        "1.2": Answer(False),
        "3.1": Answer("A"),
        "2.1": Answer(Decimal(93)),
    }


def test_a_replayed_save_whose_reply_was_lost_is_not_a_conflict(client, inspection):
    """The save reached the server but the reply never reached the phone: sending it again is harmless."""
    login(client, inspection.inspector)
    assert save(client, inspection, "1.1", "yes", 0)[0] == 200
    status, body = save(client, inspection, "1.1", "yes", 0)
    assert status == 200 and body["item"]["version"] == 1
    assert len(answer_rows(inspection.assessment)) == 1


@pytest.mark.parametrize("replayed", [False, True], ids=["new", "replayed"])
def test_a_save_reads_nothing_twice(client, inspection, replayed):
    """Answers, assessment and application are read once and handed on (saved, scored, counted, replied)."""
    login(client, inspection.inspector)
    inspection.save("1.2", True, actor=inspection.second_inspector)
    attach(inspection, "1.2", actor=inspection.second_inspector)
    versions = iter((0, 0, 1) if replayed else (0, 1, 2))
    with counted_statements() as statements:
        for value in ("yes", "yes" if replayed else "no", "no"):
            statements.clear()
            status, body = save(client, inspection, "1.1", value, next(versions))
            assert status == 200, body
            repeated = [sql for sql, n in Counter(statements).items() if n > 1]
            assert repeated == [], repeated
    assert body["item"]["version"] == (2 if replayed else 3) and body["missing_count"] is not None


def test_a_first_answer_that_loses_the_race_hands_on_the_winning_row(inspection):
    """Answers read before another inspector's first save of an item: the conflict brings theirs in."""
    rows = {row.item_code: row for row in answer_rows(inspection.assessment)}  # nothing yet
    inspection.save("1.1", True, actor=inspection.second_inspector)
    with pytest.raises(AnswerConflict) as conflict:
        save_answer(
            inspection.assessment,
            inspection.edition,
            "1.1",
            value=False,
            not_applicable=False,
            note=None,
            expected_version=0,
            actor=inspection.inspector,
            rows=rows,
        )
    assert rows["1.1"] is conflict.value.current
    assert (rows["1.1"].value, rows["1.1"].version) == ("true", 1)


def test_a_later_save_of_the_same_item_builds_on_the_returned_version(client, inspection):
    login(client, inspection.inspector)
    _, body = save(client, inspection, "5.2", "1", 0)
    _, body = save(client, inspection, "5.2", "2", body["item"]["version"])
    assert body["item"]["version"] == 2 and stored(inspection)["5.2"] == Answer(Decimal(2))
    status, _ = save(client, inspection, "5.2", "3", 1)  # a stale tab
    assert status == 409


def test_a_save_after_sign_off_is_refused_as_locked(client, ctx):
    inspection = Inspection(status="inspected")
    signed = stored(inspection)
    login(client, inspection.inspector)
    status, body = save(client, inspection, "1.1", "no", inspection.version("1.1"))
    assert status == 409 and body["status"] == "locked" and body["message"]
    assert stored(inspection) == signed


@pytest.mark.parametrize("role", [Role.DISTRICT_BUREAU, Role.CITY_BUREAU])
def test_bureaus_may_not_save(client, inspection, role):
    login(client, inspection.bureau if role == Role.DISTRICT_BUREAU else make_user(Role.CITY_BUREAU))
    status, body = save(client, inspection, "1.1", "yes", 0)
    assert status == 403 and body["status"] == "forbidden"


@pytest.mark.parametrize("who", ["unassigned", "other_district_bureau", "other_outlet"])
def test_saves_out_of_scope_are_404(client, inspection, who):
    login(
        client,
        {
            "unassigned": make_user(Role.INSPECTOR, district_code="FX"),
            "other_district_bureau": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
            "other_outlet": make_user(Role.OUTLET),
        }[who],
    )
    assert (
        client.post(inspection.save_url("1.1"), json={"value": "yes", "expected_version": 0}).status_code
        == 404
    )


def test_the_save_needs_the_csrf_token_in_a_header(database_url, tmp_path, db_session, ctx):
    inspection = Inspection()
    app = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, inspection.inspector)
    token = csrf_from(client.get(inspection.edit_url).get_data(as_text=True))

    refused = client.post(inspection.save_url("1.1"), json={"value": "yes", "expected_version": 0})
    accepted = client.post(
        inspection.save_url("1.1"),
        json={"value": "yes", "expected_version": 0},
        headers={"X-CSRFToken": token},
    )

    assert refused.status_code == 400 and refused.get_json()["status"] == "csrf"
    assert accepted.status_code == 200 and accepted.get_json()["item"]["version"] == 1
    assert re.search(
        r'<meta name="csrf-token" content="[^"]+">', client.get(inspection.edit_url).get_data(True)
    )
