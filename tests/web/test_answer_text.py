"""What the checklist reads as an answer, through the page's JSON save and the plain form alike: only
numbers written plainly (not full-width digits, not `1_0`), and never a value made of spaces, which
would otherwise clear the item as if it had not been answered."""

from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from outlet_audit.checklist.forms import item_form_class
from outlet_audit.checklist.service import answer_rows, scoring_answers
from outlet_audit.scoring import Answer
from tests.checklist_helpers import Inspection
from tests.factories import login

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def inspection(ctx):
    return Inspection()


def save(client, inspection, code, value, version=0):
    response = client.post(inspection.save_url(code), json={"value": value, "expected_version": version})
    return response.status_code, response.get_json()


@pytest.mark.parametrize(
    ("code", "typed", "message"),
    [
        ("5.2", "１０", "Enter a number."),  # full-width digits: int() takes them
        ("5.2", "1_0", "Enter a number."),  # so does the underscore
        ("2.1", "９６.５", "Enter a number."),  # and Decimal()
        ("2.1", "96_5", "Enter a number."),
        ("2.1", "NaN", "Enter a number."),
        ("5.2", "   ", "Enter a number."),
        ("2.1", "\u3000", "Enter a number."),
        ("1.1", "   ", "Enter an answer, not only spaces."),
        ("3.1", "  ", "Enter an answer, not only spaces."),
    ],
)
def test_a_value_that_is_no_plain_answer_is_refused_and_nothing_is_stored(
    client, inspection, code, typed, message
):
    login(client, inspection.inspector)

    status, body = save(client, inspection, code, typed)

    assert (status, body["status"]) == (422, "invalid")
    assert message in body["message"]
    assert answer_rows(inspection.assessment) == []


def test_spaces_do_not_clear_a_saved_answer(client, inspection):
    login(client, inspection.inspector)
    assert save(client, inspection, "1.1", "yes")[0] == 200

    status, _body = save(client, inspection, "1.1", "  ", version=1)

    assert status == 422
    assert scoring_answers(inspection.edition, answer_rows(inspection.assessment)) == {"1.1": Answer(True)}


@pytest.mark.parametrize(
    ("code", "typed", "value"), [("5.2", " 10 ", Decimal(10)), ("2.1", "96.5", Decimal("96.5"))]
)
def test_plain_numbers_are_still_read(client, inspection, code, typed, value):
    login(client, inspection.inspector)
    status, body = save(client, inspection, code, typed)
    assert status == 200, body
    assert scoring_answers(inspection.edition, answer_rows(inspection.assessment)) == {code: Answer(value)}


def test_an_empty_value_still_means_no_answer(client, inspection):
    login(client, inspection.inspector)
    assert save(client, inspection, "5.2", "")[0] == 200


@pytest.mark.parametrize(
    ("code", "typed"), [("5.2", "１０"), ("2.1", "1_0"), ("1.1", " "), ("3.1", "\u3000")]
)
def test_the_plain_forms_sub_form_refuses_the_same(ctx, inspection, code, typed):
    form = item_form_class(inspection.edition.item(code), "en")(formdata=MultiDict({"value": typed}))
    assert not form.validate() and form.value.errors
