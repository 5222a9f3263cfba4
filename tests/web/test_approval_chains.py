"""Approval steps are edition data: two editions with different steps, walked end to end through the
pages, ask different people to act in a different order, with no change to the code.

Each edition here is the 2025 file with other steps for district level, read as the loader reads a
file (so each is one an editor could write) and pinned to the application as `make_application`
pins a test edition. At every step the test asks who may act now (`available_actions` of the real
facts) and who sees the application among their approvals awaiting them, then signs it through the
application page as the one person the step names. The certificate is issued by the organisation of
the last (settling) step's agency.
"""

import dataclasses
import html
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.certificates.models import Certificate
from outlet_audit.criteria import load_edition
from outlet_audit.criteria.loader import read_edition_bytes
from outlet_audit.criteria.model import ApprovalStep
from outlet_audit.extensions import db
from outlet_audit.roles import Act, Agency, Outcome, Role
from outlet_audit.workflow.approvals import records_of
from outlet_audit.workflow.operations import actor_for, application_facts, apply_transition, make_payload
from outlet_audit.workflow.states import Action, Status, TransitionRefused, available_actions
from tests.factories import login, make_application, make_outlet, make_user
from tests.workflow_helpers import action_request, make_crew, reload

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI_FILE = ROOT / "criteria" / "shanghai-2025.yaml"
DP, DE, CP, CE = Agency.DISTRICT_POSTAL, Agency.DISTRICT_ECOLOGY, Agency.CITY_POSTAL, Agency.CITY_ECOLOGY
STEP_ACTIONS = {Action.AGREE, Action.DISAGREE, Action.RETURN_STEP}

# District level's steps in each edition: (agency, act), in order.
CHAIN_A = ((DP, Act.DECISION),)  # the district postal bureau decides alone
CHAIN_B = ((DP, Act.OPINION), (DE, Act.COSIGN), (CE, Act.OPINION), (DP, Act.DECISION))
CHAIN_C = ((DP, Act.OPINION), (DE, Act.COSIGN), (CP, Act.DECISION))  # the city postal bureau decides


def edition_with_district_steps(steps) -> object:
    """The 2025 edition with these district-level steps, written into its file and read by the loader."""
    data = yaml.safe_load(SHANGHAI_FILE.read_text(encoding="utf-8"))
    data["levels"]["district"]["approvals"] = [{"agency": str(a), "act": str(act)} for a, act in steps]
    edition, problems = read_edition_bytes(yaml.safe_dump(data, allow_unicode=True).encode(), "variant.yaml")
    assert problems == []
    # the same edition as replacing the level's steps in the shipped one: only the steps differ
    shipped = load_edition(SHANGHAI_FILE)
    district = dataclasses.replace(shipped.level("district"), approvals=edition.level("district").approvals)
    assert edition == dataclasses.replace(shipped, levels=(district, shipped.level("city")))
    return edition


@pytest.fixture
def people(ctx):
    """Everyone who might sign: Fengxian's two bureaus, the two city bureaus, and Qingpu's two bureaus."""
    crew = make_crew()
    return crew, {
        "fx_postal": crew.bureau,
        "fx_ecology": crew.ecology,
        "city_postal": crew.city,
        "city_ecology": make_user(
            Role.CITY_BUREAU, agency=CE, display_name="市生态环境局审核员", locale="en"
        ),
        "qp_postal": crew.other_bureau,
        "qp_ecology": make_user(Role.DISTRICT_BUREAU, district_code="QP", agency=DE, locale="en"),
        "fx_inspector": crew.inspector,
    }


# Who signs each agency's step for a Fengxian outlet.
SIGNER_OF = {DP: "fx_postal", DE: "fx_ecology", CP: "city_postal", CE: "city_ecology"}


def who_may_sign(application, everyone) -> set[str]:
    """The people offered a step now, from the application's real facts."""
    facts = application_facts(application)
    return {
        name
        for name, user in everyone.items()
        if STEP_ACTIONS & set(available_actions(facts, actor_for(user)))
    }


def awaiting_list_of(client, user) -> str:
    login(client, user)
    response = client.get("/applications/approvals")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sign(client, application, user, action, **fields):
    login(client, user)
    url, data = action_request(application, action, **fields)
    response = client.post(url, data=data)
    assert response.status_code == 302, html.unescape(response.get_data(as_text=True))[-2000:]
    return reload(application)


@pytest.mark.parametrize(
    "steps", [CHAIN_A, CHAIN_B, CHAIN_C], ids=["postal-alone", "ecology-and-city-ecology", "city-decides"]
)
def test_the_editions_steps_decide_who_signs_and_in_what_order(client, people, steps):
    crew, everyone = people
    outlet = make_outlet("FX")
    application = make_application(
        outlet,
        status=Status.INSPECTED,
        edition=edition_with_district_steps(steps),
        inspectors=[crew.inspector],
    )
    reference = application.reference

    # The proposal: the district postal bureau's, whatever follows (offered as APPROVE, not as a step).
    assert who_may_sign(application, everyone) == set()
    facts = application_facts(application)
    assert {
        name for name, user in everyone.items() if Action.APPROVE in available_actions(facts, actor_for(user))
    } == {"fx_postal"}
    application = sign(
        client,
        application,
        everyone["fx_postal"],
        "approve",
        granted_level="district",
        opinion="同意认定区级。",
    )

    for position, (agency, _act) in enumerate(steps[1:], start=1):
        signer = SIGNER_OF[agency]
        assert (application.status, application.awaiting_agency) == (Status.IN_APPROVAL, agency.value)
        assert who_may_sign(application, everyone) == {signer}, (position, agency)
        for name, user in everyone.items():
            if user.role != Role.INSPECTOR:  # inspectors have no approvals list
                assert (reference in awaiting_list_of(client, user)) == (name == signer), (name, agency)
        # anyone else is refused by the operation itself, not only by the buttons offered
        stranger = everyone["qp_ecology" if agency == DE else "fx_ecology"]
        with pytest.raises(TransitionRefused):
            apply_transition(application, Action.AGREE, stranger, make_payload(opinion="越权签署。"))
        application = sign(
            client, application, everyone[signer], "agree", opinion=f"第 {position + 1} 步同意。"
        )

    assert (application.status, application.awaiting_agency) == (Status.APPROVED, None)
    records = records_of(application.id)
    assert [(record.position, Agency(record.agency), record.act, record.outcome) for record in records] == [
        (position, agency, str(act), Outcome.AGREE) for position, (agency, act) in enumerate(steps)
    ]
    assert [record.user_id for record in records] == [everyone[SIGNER_OF[agency]].id for agency, _ in steps]
    assert {record.round for record in records} == {1}

    certificate = reload_certificate(application)
    settling = steps[-1][0]
    issuer = organisation_for(settling, outlet.district_id)
    assert certificate.issuer_organisation_id == issuer.id
    assert certificate.issuing_bureau == issuer.name_zh
    assert certificate.issuer.code == ("SH-postal" if settling == CP else "FX-postal")


def reload_certificate(application) -> Certificate:
    return db.session.scalar(select(Certificate).where(Certificate.application_id == application.id))


def test_a_step_that_disagrees_ends_the_round_for_every_chain_and_the_next_round_starts_again(client, people):
    crew, everyone = people
    application = make_application(
        make_outlet("FX"),
        status=Status.INSPECTED,
        edition=edition_with_district_steps(CHAIN_B),
        inspectors=[crew.inspector],
    )
    application = sign(
        client, application, everyone["fx_postal"], "approve", granted_level="district", opinion="同意。"
    )
    application = sign(client, application, everyone["fx_ecology"], "agree", opinion="会签同意。")
    application = sign(
        client, application, everyone["city_ecology"], "disagree", opinion="台账不完整，不同意。"
    )
    assert (application.status, application.awaiting_agency) == (Status.INSPECTED, None)
    assert who_may_sign(application, everyone) == set()
    # the next proposal opens round 2 at its first step: the ecology bureau signs again
    application = sign(
        client,
        application,
        everyone["fx_postal"],
        "approve",
        granted_level="district",
        opinion="已补充台账。",
    )
    assert (application.status, application.awaiting_agency) == (Status.IN_APPROVAL, DE.value)
    assert who_may_sign(application, everyone) == {"fx_ecology"}
    records = records_of(application.id)
    assert [(r.round, r.position, r.outcome) for r in records] == [
        (1, 0, Outcome.AGREE), (1, 1, Outcome.AGREE), (1, 2, Outcome.DISAGREE), (2, 0, Outcome.AGREE)
    ]  # fmt: skip


def test_the_page_lays_out_the_editions_steps_in_order(client, people):
    crew, everyone = people
    application = make_application(
        make_outlet("FX"),
        status=Status.INSPECTED,
        edition=edition_with_district_steps(CHAIN_B),
        inspectors=[crew.inspector],
    )
    application = sign(
        client, application, everyone["fx_postal"], "approve", granted_level="district", opinion="同意。"
    )
    login(client, everyone["fx_postal"])
    page = html.unescape(client.get(f"/applications/{application.id}").get_data(as_text=True))
    steps = [
        "1. District postal bureau · Review opinion",
        "2. District ecology and environment bureau · Co-signature",
        "3. Shanghai ecology and environment bureau · Review opinion",
        "4. District postal bureau · Decision",
    ]
    where = [page.index(step) for step in steps]
    assert where == sorted(where)
    assert (
        page.index("Waits for this step now") > where[1] and page.index("Waits for this step now") < where[2]
    )
    assert page.count("To follow") == 2


def test_the_2025_edition_itself_asks_for_the_ecology_co_signature():
    shipped = load_edition(SHANGHAI_FILE)
    assert shipped.level("district").approvals[1] == ApprovalStep(DE, Act.COSIGN)
    assert edition_with_district_steps(CHAIN_A).level("district").approvals == (
        ApprovalStep(DP, Act.DECISION),
    )
    assert edition_with_district_steps(CHAIN_A).level("district").issuer == DP
    assert edition_with_district_steps(CHAIN_C).level("district").issuer == CP
