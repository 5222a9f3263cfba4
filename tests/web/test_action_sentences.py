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


def test_a_city_level_approval_says_it_went_to_the_city_bureau():
    assert (
        done_sentence(Action.APPROVE, Status.AWAITING_CITY_CONFIRMATION)
        == ACTIONS[Action.APPROVE].done_detour
    )
    assert done_sentence(Action.APPROVE, Status.APPROVED) == ACTIONS[Action.APPROVE].done


@pytest.mark.usefixtures("english_ui")
def test_the_bureau_reads_what_accepting_did(client, crew):
    application = application_in(crew, Status.SUBMITTED)
    login(client, crew.bureau)
    url, data = action_request(application, "accept")
    page = html.unescape(client.post(url, data=data, follow_redirects=True).get_data(as_text=True))
    assert "The application is accepted. Next, schedule the on-site inspection." in page
    assert ": done." not in page


@pytest.mark.usefixtures("english_ui")
def test_the_city_level_approval_says_where_it_went(client, crew):
    give_certificate(crew.outlet)
    application = application_in(crew, Status.INSPECTED, target_level="city")
    login(client, crew.bureau)
    url, data = action_request(application, "approve", granted_level="city", opinion="建议认定为市级。")
    page = html.unescape(client.post(url, data=data, follow_redirects=True).get_data(as_text=True))
    assert "The application is approved and passed to the city bureau to confirm city level." in page
