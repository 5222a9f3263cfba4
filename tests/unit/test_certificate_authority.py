"""The issuer's authority (certificates.authority): who may revoke a certificate, propose its
revocation, decide a proposal or renew it, by role, agency, district and signing right."""

from dataclasses import replace

import pytest

from outlet_audit.certificates.authority import (
    ActorFacts,
    CertificateAct,
    CertificateFacts,
    permitted_acts,
    refusal,
)
from outlet_audit.roles import Agency, Role

FX, QP = 1, 2
OUTLET, OTHER_OUTLET = 10, 11
R, P, D, N = (
    CertificateAct.REVOKE,
    CertificateAct.PROPOSE_REVOCATION,
    CertificateAct.DECIDE_PROPOSAL,
    CertificateAct.RENEW,
)


def issued(issuer: Agency, **changes) -> CertificateFacts:
    facts = CertificateFacts(
        issuer=issuer,
        issuer_name={"zh": "发证机关", "en": "The issuer"},
        district_id=FX,
        outlet_id=OUTLET,
        active=True,
        valid=True,
        proposal_open=False,
    )
    return replace(facts, **changes)


def staff(role: Role, agency: Agency | None, district: int | None = FX, approver: bool = True) -> ActorFacts:
    return ActorFacts(role=role, agency=agency, district_id=district, outlet_id=None, approver=approver)


def outlet_account(outlet_id: int) -> ActorFacts:
    return ActorFacts(role=Role.OUTLET, agency=None, district_id=None, outlet_id=outlet_id, approver=False)


PEOPLE = {
    "district postal approver": staff(Role.DISTRICT_BUREAU, Agency.DISTRICT_POSTAL),
    "district postal reviewer": staff(Role.DISTRICT_BUREAU, Agency.DISTRICT_POSTAL, approver=False),
    "district ecology approver": staff(Role.DISTRICT_BUREAU, Agency.DISTRICT_ECOLOGY),
    "other district postal approver": staff(Role.DISTRICT_BUREAU, Agency.DISTRICT_POSTAL, QP),
    "city postal approver": staff(Role.CITY_BUREAU, Agency.CITY_POSTAL, None),
    "city postal reviewer": staff(Role.CITY_BUREAU, Agency.CITY_POSTAL, None, approver=False),
    "city ecology approver": staff(Role.CITY_BUREAU, Agency.CITY_ECOLOGY, None),
    "postal inspector": staff(Role.INSPECTOR, Agency.DISTRICT_POSTAL, approver=False),
    "ecology inspector": staff(Role.INSPECTOR, Agency.DISTRICT_ECOLOGY, approver=False),
    "the outlet": outlet_account(OUTLET),
    "another outlet": outlet_account(OTHER_OUTLET),
    "administrator": ActorFacts(Role.ADMIN, None, None, None, False),
}

# (who, acts on a district-level certificate, on a city-level one, on a city-level one with a
# proposal open). District level: the district postal bureau issues; city level: the city's.
EXPECTED = [
    ("district postal approver", {R}, {P}, set()),
    ("district postal reviewer", set(), {P}, set()),  # proposing is the bureau's, not a signature
    ("district ecology approver", set(), set(), set()),
    ("other district postal approver", set(), set(), set()),
    ("city postal approver", set(), {R}, {R, D}),
    ("city postal reviewer", set(), set(), set()),
    ("city ecology approver", set(), set(), set()),
    ("postal inspector", set(), set(), set()),
    ("ecology inspector", set(), set(), set()),
    ("the outlet", {N}, {N}, {N}),
    ("another outlet", set(), set(), set()),
    ("administrator", set(), set(), set()),
]


@pytest.mark.parametrize(
    "who, district_level, city_level, proposal_open", EXPECTED, ids=[e[0] for e in EXPECTED]
)
def test_each_person_may_perform_exactly_these_acts(who, district_level, city_level, proposal_open):
    actor = PEOPLE[who]
    assert permitted_acts(issued(Agency.DISTRICT_POSTAL), actor) == district_level
    assert permitted_acts(issued(Agency.CITY_POSTAL), actor) == city_level
    assert permitted_acts(issued(Agency.CITY_POSTAL, proposal_open=True), actor) == proposal_open


def test_an_edition_whose_city_level_is_issued_by_the_city_ecology_bureau_moves_the_authority_there():
    certificate = issued(Agency.CITY_ECOLOGY)
    assert permitted_acts(certificate, PEOPLE["city ecology approver"]) == {R}
    assert permitted_acts(certificate, PEOPLE["city postal approver"]) == set()
    assert permitted_acts(certificate, PEOPLE["district postal approver"]) == {P}


def test_the_district_ecology_bureau_revokes_what_it_issues_in_its_own_district_only():
    certificate = issued(Agency.DISTRICT_ECOLOGY)
    assert permitted_acts(certificate, PEOPLE["district ecology approver"]) == {R}
    other = staff(Role.DISTRICT_BUREAU, Agency.DISTRICT_ECOLOGY, QP)
    assert permitted_acts(certificate, other) == set()


@pytest.mark.parametrize("changes", [{"active": False, "valid": False}], ids=["revoked or superseded"])
def test_nothing_is_revoked_or_proposed_once_the_certificate_is_no_longer_active(changes):
    assert (
        permitted_acts(issued(Agency.DISTRICT_POSTAL, **changes), PEOPLE["district postal approver"]) == set()
    )
    assert permitted_acts(issued(Agency.CITY_POSTAL, **changes), PEOPLE["district postal approver"]) == set()
    assert permitted_acts(issued(Agency.CITY_POSTAL, **changes), PEOPLE["city postal approver"]) == set()
    assert permitted_acts(issued(Agency.CITY_POSTAL, **changes), PEOPLE["the outlet"]) == set()


def test_an_expired_certificate_can_still_be_revoked_but_not_renewed():
    expired = issued(Agency.DISTRICT_POSTAL, valid=False)
    assert permitted_acts(expired, PEOPLE["district postal approver"]) == {R}
    assert permitted_acts(expired, PEOPLE["the outlet"]) == set()


def test_a_proposal_still_open_on_a_superseded_certificate_can_only_be_declined():
    superseded = issued(Agency.CITY_POSTAL, active=False, valid=False, proposal_open=True)
    assert permitted_acts(superseded, PEOPLE["city postal approver"]) == {D}


@pytest.mark.parametrize(
    "act, who, issuer, changes, words",
    [
        (R, "district postal approver", Agency.CITY_POSTAL, {}, "Only an approver of %(issuer)s"),
        (R, "city postal reviewer", Agency.CITY_POSTAL, {}, "Only an approver of %(issuer)s"),
        (R, "city postal approver", Agency.CITY_POSTAL, {"active": False}, "Only an active certificate"),
        (P, "district ecology approver", Agency.CITY_POSTAL, {}, "Only the postal bureau"),
        (P, "other district postal approver", Agency.CITY_POSTAL, {}, "Only the postal bureau"),
        (P, "district postal approver", Agency.DISTRICT_POSTAL, {}, "revokes it itself"),
        (P, "district postal approver", Agency.CITY_POSTAL, {"proposal_open": True}, "already open"),
        (D, "district postal approver", Agency.CITY_POSTAL, {"proposal_open": True}, "decide on a proposal"),
        (D, "city postal approver", Agency.CITY_POSTAL, {}, "decided already"),
        (N, "another outlet", Agency.CITY_POSTAL, {}, "outlet's own accounts"),
        (N, "district postal approver", Agency.DISTRICT_POSTAL, {}, "outlet's own accounts"),
        (N, "the outlet", Agency.DISTRICT_POSTAL, {"valid": False}, "Only a valid certificate"),
    ],
)
def test_each_refusal_says_why(act, who, issuer, changes, words):
    message = refusal(act, issued(issuer, **changes), PEOPLE[who])
    assert message is not None and words in message.template
    if "%(issuer)s" in message.template:
        assert message.params["issuer"] == {"zh": "发证机关", "en": "The issuer"}
