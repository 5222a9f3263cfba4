"""Acts that cannot be taken back ask once and say what will happen, with no script: their button
opens a <details> holding the sentence and the final button (submit, accept, withdraw, reject, the
approval steps, the outlet's rectification); signing off says it above its confirmation; revoking a
certificate opens its form the same way. The door stays the same: the form posts where it did."""

import html
import re

import pytest
from babel.messages.pofile import read_po

from outlet_audit.workflow.actions import ACTIONS
from outlet_audit.workflow.states import Action, Status
from tests.certificate_helpers import make_certified
from tests.factories import login
from tests.workflow_helpers import (
    action_request,
    answer_all,
    application_in,
    make_crew,
    ready_to_submit,
    reload,
)

CATALOG = "outlet_audit/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
# Each ends something, or signs something that stays signed.
CANNOT_BE_TAKEN_BACK = {
    Action.SUBMIT,
    Action.RESUBMIT,
    Action.ACCEPT,
    Action.WITHDRAW,
    Action.REJECT,
    Action.SUBMIT_RECTIFICATION,
    Action.APPROVE,
    Action.AGREE,
    Action.DISAGREE,
    Action.RETURN_STEP,
}

pytestmark = pytest.mark.usefixtures("english_ui")


@pytest.fixture
def crew(ctx):
    return make_crew()


def test_each_act_that_cannot_be_taken_back_says_what_will_happen_in_both_languages():
    with open(CATALOG, "rb") as f:
        catalog = read_po(f)
    for action in CANNOT_BE_TAKEN_BACK:
        spec = ACTIONS[action]
        assert spec.consequence.endswith("."), action
        for text in filter(None, (spec.consequence, spec.confirm)):
            message = catalog.get(text)
            assert message is not None and message.string, f"{action}: no Chinese for {text!r}"
        assert catalog.get(spec.consequence).string.endswith("。"), action
        if spec.form.__name__ == "ConfirmForm":  # nothing to fill in: the final button says "Yes, ..."
            assert spec.confirm.startswith("Yes, "), action


def closed_step(page: str, action: str) -> str:
    """The <details> of the action, which must be closed: its body, for the caller to read."""
    found = re.search(rf'<details class="action-form"\s*id="action-{action}">(.*?)</details>', page, re.S)
    assert found, f"{action}: no closed <details> on the page"
    return html.unescape(found.group(1))


def test_submitting_asks_once_and_says_what_follows(client, crew):
    application = ready_to_submit(crew)
    login(client, crew.outlet_user)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    step = closed_step(page, "submit")
    assert "<summary" in step and ">Submit</summary>" in step
    assert "You cannot change it unless it is returned. You get a receipt with its number and date." in step
    final = r'value="submit"\s+aria-describedby="consequence-submit">Yes, submit the application<'
    assert re.search(final, step)
    assert page.count('value="submit"') == 1  # no one-click button besides it
    url, data = action_request(application, "submit")
    assert client.post(url, data=data).status_code == 302  # the same door as before
    assert reload(application).status == Status.SUBMITTED


def test_accepting_asks_once_and_says_what_follows(client, crew):
    application = application_in(crew, Status.SUBMITTED)
    login(client, crew.bureau)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    step = closed_step(page, "accept")
    assert "can no longer be returned to the outlet or refused acceptance" in step
    assert "Yes, accept the application" in step
    assert "This cannot be undone." not in step  # the sentence says it precisely instead


def test_withdrawing_asks_once_and_says_what_follows(client, crew):
    application = application_in(crew, Status.ACCEPTED)
    login(client, crew.outlet_user)
    step = closed_step(client.get(f"/applications/{application.id}").get_data(as_text=True), "withdraw")
    assert "The application ends here and cannot be taken up again." in step
    assert "btn-danger" in step and "Yes, withdraw the application" in step


def test_disagreeing_at_an_approval_step_asks_once_with_the_opinion(client, crew):
    application = application_in(crew, Status.IN_APPROVAL)
    login(client, crew.ecology)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    step = closed_step(page, "disagree")
    assert "The approval stops: the application goes back to the district postal bureau" in step
    assert 'name="disagree-opinion"' in step
    assert ">Disagree</button>" in step  # with input to give, the final button keeps the action's name
    agree = closed_step(page, "agree")
    assert "The application goes back" not in agree
    assert "If yours is the last approval step, the certificate is issued at once." in agree


def test_a_refused_form_comes_back_open(client, crew):
    application = application_in(crew, Status.IN_APPROVAL)
    login(client, crew.ecology)
    url, data = action_request(application, "disagree", opinion=" ")
    page = client.post(url, data=data).get_data(as_text=True)
    assert re.search(r'<details class="action-form"\s*open\s*id="action-disagree">', page)


def test_the_outlets_rectification_button_says_what_it_does(client, crew):
    application = application_in(crew, Status.RECTIFICATION_REQUESTED)
    login(client, crew.outlet_user)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    step = closed_step(page, "submit_rectification")
    assert ">Send the rectification for re-inspection</summary>" in step
    assert "who verify each item at the re-inspection" in step
    assert "send your answers with “Send the rectification for re-inspection”" in html.unescape(page)


def test_signing_off_says_what_it_locks(client, crew):
    application = application_in(crew, Status.INSPECTION_SCHEDULED)
    inspection = answer_all(application, "inspection", crew.inspector)
    login(client, crew.inspector)
    page = html.unescape(client.get(f"/checklist/{inspection.id}/sign-off").get_data(as_text=True))
    assert "Signing off locks the checklist: its answers, notes and photos can no longer be changed" in page
    assert 'aria-describedby="sign-off-consequence"' in page


def test_revoking_a_certificate_asks_once_and_says_what_follows(client, ctx):
    certified = make_certified()
    login(client, certified.bureau)
    url = f"/certificates/{certified.certificate.id}"
    page = html.unescape(client.get(url).get_data(as_text=True))
    form = re.search(r'<details class="confirm-step" id="revoke"\s*>(.*?)</details>', page, re.S)
    assert form, "the revocation form is not behind a closed <details>"
    assert "Revoking cannot be undone." in form.group(1) and f'action="{url}/revoke"' in form.group(1)
    refused = html.unescape(
        client.post(f"{url}/revoke", data={"ground": "outlet_closed", "reason": ""}).get_data(as_text=True)
    )
    assert re.search(r'<details class="confirm-step" id="revoke"\s*open\s*>', refused)  # the error shows
