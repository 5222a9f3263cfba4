"""One way to the score of an assessment: kept at sign-off and never scored again, else scored now."""

from decimal import Decimal

import pytest

from outlet_audit.checklist.service import (
    answer_rows,
    assessment_score,
    score_assessment,
    score_is_stored,
    scoring_answers,
    value_from_json,
    value_to_json,
)
from outlet_audit.core.time import utcnow
from outlet_audit.extensions import db
from tests.checklist_helpers import Inspection


def sign_off(inspection: Inspection) -> None:
    score_assessment(inspection.assessment, inspection.edition, inspection.outlet.id)
    inspection.assessment.signed_off_at = utcnow()
    inspection.assessment.signed_off_by_id = inspection.inspector.id
    db.session.flush()


def test_a_signed_off_score_is_the_one_kept_even_if_the_answers_change_under_it(ctx):
    inspection = Inspection()
    inspection.save("1.1", True)
    sign_off(inspection)
    kept = inspection.assessment.result
    # Only a hand edit could change an answer of a signed-off checklist: the score the bureau
    # decided on still stands.
    answer_rows(inspection.assessment)[0].value = value_to_json(False)
    db.session.flush()

    assert score_is_stored(inspection.assessment)
    result = assessment_score(inspection.assessment, inspection.edition, inspection.outlet.id)
    assert result.to_dict() == kept
    assert result.item("1.1").full_marks


def test_an_open_checklist_is_scored_now_from_its_answers(ctx):
    inspection = Inspection()
    inspection.save("1.1", True)
    sign_off(inspection)
    inspection.assessment.signed_off_at = inspection.assessment.signed_off_by_id = None  # reopened
    answer_rows(inspection.assessment)[0].value = value_to_json(False)
    db.session.flush()

    assert not score_is_stored(inspection.assessment)
    result = assessment_score(inspection.assessment, inspection.edition, inspection.outlet.id)
    assert not result.item("1.1").full_marks
    answers = scoring_answers(inspection.edition, answer_rows(inspection.assessment))
    passed = assessment_score(
        inspection.assessment, inspection.edition, inspection.outlet.id, answers=answers
    )
    assert passed == result


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("1.1", True),
        ("1.1", False),
        ("3.1", "B"),
        ("2.1", Decimal("96.5")),
        ("2.1", Decimal(100)),
        ("5.2", 3),
    ],
)
def test_stored_answers_read_back_as_written(ctx, code, value):
    item = Inspection().edition.item(code)
    read = value_from_json(item, value_to_json(value))
    assert read == value and not isinstance(read, float)


def test_an_unanswered_item_reads_back_as_none(ctx):
    assert value_from_json(Inspection().edition.item("1.1"), None) is None
