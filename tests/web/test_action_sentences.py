"""After an action the person reads one sentence saying what happened and what follows (not
"Accept: done. The application is now “Accepted”."), in their language; a new action without one
fails here."""

import html

import pytest
from babel.messages.pofile import read_po

from outlet_audit.workflow.actions import ACTIONS, done_sentence
from outlet_audit.workflow.states import Action, Status
from tests.factories import login
from tests.workflow_helpers import action_request, application_in, give_certificate, make_crew

CATALOG = "outlet_audit/translations/zh_Hans_CN/LC_MESSAGES/messages.po"


@pytest.fixture
def crew(ctx):
    return make_crew()


def test_every_action_says_what_happened_in_both_languages():
    with open(CATALOG, "rb") as f:
        catalog = read_po(f)
    for action, spec in ACTIONS.items():
        assert spec.done.endswith("."), action
        for sentence in filter(None, (spec.done, spec.done_detour)):
            message = catalog.get(sentence)
            assert message is not None and message.string, f"{action}: no Chinese for {sentence!r}"
            assert message.string.endswith("。"), sentence


@pytest.mark.parametrize("action", [Action.APPROVE, Action.AGREE])
def test_a_step_that_more_steps_follow_says_the_next_is_asked(action):
    assert done_sentence(action, Status.IN_APPROVAL) == ACTIONS[action].done_detour
    assert done_sentence(action, Status.APPROVED) == ACTIONS[action].done
    assert ACTIONS[action].done_detour != ACTIONS[action].done


@pytest.mark.usefixtures("english_ui")
def test_the_bureau_reads_what_accepting_did(client, crew):
    application = application_in(crew, Status.SUBMITTED)
    login(client, crew.bureau)
    url, data = action_request(application, "accept")
    page = html.unescape(client.post(url, data=data, follow_redirects=True).get_data(as_text=True))
    assert "The application is accepted. Next, schedule the on-site inspection." in page
    assert ": done." not in page


@pytest.mark.usefixtures("english_ui")
def test_each_approval_step_says_where_the_application_went(client, crew):
    give_certificate(crew.outlet)
    application = application_in(crew, Status.INSPECTED, target_level="city")
    for user, action, fields, sentence in (
        (crew.bureau, "approve", {"granted_level": "city", "opinion": "建议认定为市级。"},
         "Your proposal is signed; the next approval step's bureau is asked to sign."),
        (crew.ecology, "agree", {"opinion": "会签同意。"},
         "You agreed; the next approval step's bureau is asked to sign."),
        (crew.city, "agree", {"opinion": "同意认定为市级。"},
         "You agreed and the approval is complete: the certificate is issued."),
    ):  # fmt: skip
        login(client, user)
        url, data = action_request(application, action, **fields)
        page = html.unescape(client.post(url, data=data, follow_redirects=True).get_data(as_text=True))
        assert sentence in page, action


@pytest.mark.usefixtures("english_ui")
@pytest.mark.parametrize(
    ("action", "sentence"),
    [
        ("disagree", "You disagreed: the approval stops, and the outlet and the earlier steps are told why."),
        ("return_step", "The application is returned to the district postal bureau with your opinion."),
    ],
)
def test_a_step_that_stops_the_approval_says_so(client, crew, action, sentence):
    application = application_in(crew, Status.IN_APPROVAL)
    login(client, crew.ecology)
    url, data = action_request(application, action, opinion="台账不完整。")
    page = html.unescape(client.post(url, data=data, follow_redirects=True).get_data(as_text=True))
    assert sentence in page
