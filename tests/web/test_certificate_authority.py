"""The issuer's authority on the certificate pages (issue #16, part 4): the organisation that issued
a certificate revokes it; the district postal bureau proposes revocation of a city-level one to the
city bureau, which revokes as proposed or declines; every page shows exactly the acts the user may
perform, and a POST of any other is refused with a message, the typed text kept.

Three Fengxian certificates are made once for the module: a district-level one (issued by the
Fengxian postal bureau), a city-level one and a city-level one with a proposal open (both issued by
the Shanghai Postal Administration).
"""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate, RevocationProposal
from outlet_audit.certificates.revocation import (
    RevocationRefused,
    decide_proposal,
    propose_revocation,
    revoke_certificate,
)
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.notifications.operations import render_notification
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.models import RevocationCase
from tests.certificate_helpers import make_certified
from tests.factories import cast_for, certify, let_time_pass, login, make_outlet, make_user
from tests.supervision.revocation_helpers import deadline_passed

CITY_BUREAU = "上海市邮政管理局"
FENGXIAN_POSTAL = "上海市奉贤区邮政管理局"
PROPOSED_REASONS = "区局复查发现网点使用不可降解胶带，整改逾期未完成。"
TYPED = "市局复核属实。"


OUTLET_NAMES = {"city": "奉贤市级网点", "proposed": "奉贤被提议网点"}


def shared_rows():
    district = make_certified(name="奉贤区级网点")  # its district bureau account is 张伟's
    people = {
        "district postal approver": district.bureau,
        "district postal reviewer": make_user(Role.DISTRICT_BUREAU, district_code="FX", approver=False),
        "district ecology approver": make_user(
            Role.DISTRICT_BUREAU, district_code="FX", agency=Agency.DISTRICT_ECOLOGY
        ),
        "other district postal approver": make_user(Role.DISTRICT_BUREAU, district_code="QP"),
        "city postal approver": make_user(Role.CITY_BUREAU, display_name="李明"),
        "city postal reviewer": make_user(Role.CITY_BUREAU, approver=False),
        "city ecology approver": make_user(Role.CITY_BUREAU, agency=Agency.CITY_ECOLOGY),
        "postal inspector": make_user(Role.INSPECTOR, district_code="FX"),
        "ecology inspector": make_user(Role.INSPECTOR, district_code="FX", agency=Agency.DISTRICT_ECOLOGY),
        "another outlet": make_user(Role.OUTLET, outlet=make_outlet("FX", name="奉贤另一网点")),
    }
    certificates = {"district": district.certificate}
    for name in ("city", "proposed"):
        outlet = make_outlet("FX", name=OUTLET_NAMES[name])
        outlet_user = make_user(Role.OUTLET, outlet=outlet)
        cast = cast_for(
            outlet,
            outlet_user=outlet_user,
            bureau=people["district postal approver"],
            city=people["city postal approver"],
        )
        certificates[name] = certify(outlet, "city", cast=cast)
        if name == "city":
            people["the outlet"] = outlet_user
    propose_revocation(certificates["proposed"], people["district postal approver"], PROPOSED_REASONS)
    return SimpleNamespace(
        people={who: user.id for who, user in people.items()},
        certificates={name: certificate.id for name, certificate in certificates.items()},
        district_outlet_user=district.outlet_user.id,
    )


@pytest.fixture
def world(module_rows, db_session):
    _connection, made = module_rows
    return SimpleNamespace(
        people={who: db.session.get(User, user_id) for who, user_id in made.people.items()},
        certificates={name: db.session.get(Certificate, cid) for name, cid in made.certificates.items()},
        district_outlet_user=db.session.get(User, made.district_outlet_user),
    )


def open_proposal(certificate) -> RevocationProposal | None:
    return db.session.scalar(
        select(RevocationProposal).where(
            RevocationProposal.certificate_id == certificate.id, RevocationProposal.outcome.is_(None)
        )
    )


def proposal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(RevocationProposal))


def shown_acts(page: str) -> set[str]:
    # Serving notice is the issuer's revoke act as much as revoking at once on an immediate ground.
    acts = {"revoke" if act == "serve_notice" else act for act in re.findall(r'data-act="(\w+)"', page)}
    return acts | ({"renew"} if "renew=" in page else set())


def notes(user, kind: str, certificate=None) -> list[Notification]:
    """The user's notifications of a kind (about the certificate, when one is given)."""
    found = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    )
    if certificate is None:
        return list(found)
    return [note for note in found if note.link.startswith(f"/certificates/{certificate.id}")]


def read(note: Notification, locale: str) -> str:
    with force_locale("zh_CN" if locale == "zh" else locale):
        return render_notification(note)


# -- every role, every certificate ----------------------------------------------------------------

NOTHING = {"district": set(), "city": set(), "proposed": set()}
# What the certificate page offers each person; None: the page is not theirs (403 or 404).
EXPECTED = [
    ("district postal approver", {"district": {"revoke"}, "city": {"propose_revocation"}, "proposed": set()}),
    ("district postal reviewer", {"district": set(), "city": {"propose_revocation"}, "proposed": set()}),
    ("district ecology approver", NOTHING),
    ("other district postal approver", {"district": None, "city": None, "proposed": None}),
    ("city postal approver", {"district": set(), "city": {"revoke"}, "proposed": {"decide_proposal"}}),
    ("city postal reviewer", NOTHING),
    ("city ecology approver", NOTHING),
    ("postal inspector", {"district": None, "city": None, "proposed": None}),
    ("ecology inspector", {"district": None, "city": None, "proposed": None}),
    # a fresh certificate: renewal opens 90 days before it expires (tests/web/test_renewal_window.py)
    ("the outlet", {"district": None, "city": set(), "proposed": None}),
    ("another outlet", {"district": None, "city": None, "proposed": None}),
]


@pytest.mark.parametrize("who, expected", EXPECTED, ids=[who for who, _ in EXPECTED])
def test_each_person_is_shown_exactly_their_acts_and_any_other_post_is_refused(client, world, who, expected):
    user = world.people[who]
    login(client, user)
    for name, certificate in world.certificates.items():
        response = client.get(f"/certificates/{certificate.id}")
        if expected[name] is None:
            assert response.status_code in (403, 404), (name, response.status_code)
            continue
        assert response.status_code == 200
        assert shown_acts(response.get_data(as_text=True)) == expected[name], name

    # With a proposal open the issuer decides it (revoking as proposed is a choice of the decision),
    # but a revocation posted on its own is the issuer's right too.
    allowed = {name: set(acts or ()) for name, acts in expected.items()}
    if "decide_proposal" in allowed["proposed"]:
        allowed["proposed"].add("revoke")
    proposal = open_proposal(world.certificates["proposed"])
    for name, certificate in world.certificates.items():
        before = proposal_count()
        response = client.post(
            f"/certificates/{certificate.id}/propose-revocation", data={"reasons": "提议撤销"}
        )
        if "propose_revocation" in allowed[name]:
            assert response.status_code == 302 and proposal_count() == before + 1
        else:
            assert response.status_code in (403, 404, 422), (name, response.status_code)
            assert proposal_count() == before
        if name == "proposed":
            response = client.post(
                f"/certificates/revocation-proposals/{proposal.id}/decide",
                data={"decision": "declined", "decision_reason": "理由"},
            )
            db.session.refresh(proposal)
            if "decide_proposal" in allowed[name]:
                assert response.status_code == 302 and proposal.outcome == "declined"
            else:
                assert response.status_code in (403, 404, 422), (name, response.status_code)
                assert proposal.outcome is None
        response = client.post(
            f"/certificates/{certificate.id}/revoke", data={"ground": "outlet_closed", "reason": "撤销"}
        )
        db.session.refresh(certificate)
        if "revoke" in allowed[name]:
            assert response.status_code == 302 and certificate.state == "revoked", name
        else:
            assert response.status_code in (403, 404, 422), (name, response.status_code)
            assert certificate.state == "active", name


# -- the reported bug: a city-level certificate -----------------------------------------------------


def test_a_district_bureau_cannot_revoke_a_city_certificate_even_by_a_forged_post(client, world, english_ui):
    city = world.certificates["city"]
    login(client, world.people["district postal approver"])
    page = client.get(f"/certificates/{city.id}").get_data(as_text=True)
    assert f'/certificates/{city.id}/revoke"' not in page and "Revoke this certificate" not in page
    assert "Propose revocation to Shanghai Postal Administration" in page
    typed = "伪造的撤销请求：网点已停业。"
    response = client.post(
        f"/certificates/{city.id}/revoke", data={"ground": "outlet_closed", "reason": typed}
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert (
        "Only an approver of Shanghai Postal Administration, which issued this certificate, can revoke it."
        in text
    )
    assert typed in text and "data-unsent" in text  # kept for them to copy, the form not offered
    db.session.refresh(city)
    assert city.state == "active" and city.revoked_by_id is None
    with pytest.raises(RevocationRefused):
        revoke_certificate(city, world.people["district postal approver"], typed)


def test_the_city_bureau_revokes_a_city_certificate_and_the_outlet_is_told_who_and_why(client, world):
    city, approver = world.certificates["city"], world.people["city postal approver"]
    login(client, approver)
    page = client.get(f"/certificates/{city.id}").get_data(as_text=True)
    assert f'action="/certificates/{city.id}/revoke"' in page
    assert f'data-issuer="SH-postal">{CITY_BUREAU}<' in page
    response = client.post(
        f"/certificates/{city.id}/revoke", data={"ground": "outlet_closed", "reason": "抽查发现网点已停业。"}
    )
    assert response.status_code == 302
    db.session.refresh(city)
    assert (city.state, city.revoked_by_id, city.revoked_reason) == (
        "revoked",
        approver.id,
        "抽查发现网点已停业。",
    )
    (note,) = notes(world.people["the outlet"], "certificate_revoked")
    assert read(note, "zh") == f"{CITY_BUREAU}撤销了证书{city.number}。理由：抽查发现网点已停业。"
    assert read(note, "en").startswith(f"Shanghai Postal Administration revoked certificate {city.number}.")
    page = client.get(f"/certificates/{city.id}").get_data(as_text=True)
    assert re.search(r"data-revoked-by>上海市邮政管理局（李明）<", page)
    login(client, world.people["the outlet"])  # the outlet reads which organisation, not who
    page = client.get(f"/certificates/{city.id}").get_data(as_text=True)
    assert "data-revoked-by>上海市邮政管理局<" in page and "李明" not in page


def test_the_city_bureau_cannot_revoke_a_district_certificate(client, world, english_ui):
    district = world.certificates["district"]
    login(client, world.people["city postal approver"])
    response = client.post(
        f"/certificates/{district.id}/revoke", data={"ground": "outlet_closed", "reason": "越权撤销"}
    )
    assert response.status_code == 422
    assert "Only an approver of Fengxian District Postal Administration, Shanghai" in response.get_data(
        as_text=True
    )
    db.session.refresh(district)
    assert district.state == "active"


def test_the_district_bureau_revokes_its_own_district_certificate(client, world):
    district = world.certificates["district"]
    login(client, world.people["district postal approver"])
    assert (
        client.post(
            f"/certificates/{district.id}/revoke", data={"ground": "outlet_closed", "reason": "复查不合格"}
        ).status_code
        == 302
    )
    db.session.refresh(district)
    assert district.state == "revoked"
    (note,) = notes(world.district_outlet_user, "certificate_revoked")
    assert read(note, "zh").startswith(f"{FENGXIAN_POSTAL}撤销了证书{district.number}")


# -- proposals --------------------------------------------------------------------------------------


def test_the_district_bureau_proposes_and_the_city_bureau_is_told(client, world):
    city, proposer = world.certificates["city"], world.people["district postal reviewer"]
    login(client, proposer)
    response = client.post(
        f"/certificates/{city.id}/propose-revocation", data={"reasons": "  网点已停业。  "}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("#proposals")
    proposal = open_proposal(city)
    assert (proposal.reasons, proposal.proposed_by_id) == ("网点已停业。", proposer.id)
    assert proposal.organisation.code == "FX-postal"
    for who in ("city postal approver", "city postal reviewer"):
        (note,) = notes(world.people[who], "revocation_proposed", city)
        assert (
            read(note, "zh")
            == f"{FENGXIAN_POSTAL}提议撤销奉贤市级网点的证书{city.number}。理由：网点已停业。"
        )
        assert note.link == f"/certificates/{city.id}#proposals"
    assert notes(world.people["city ecology approver"], "revocation_proposed", city) == []
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "revocation_proposed", AuditEvent.subject_id == city.id)
    )
    assert (event.actor_id, event.reason) == (proposer.id, "网点已停业。")
    page = client.get(f"/certificates/{city.id}").get_data(as_text=True)
    assert 'data-outcome="open"' in page and "网点已停业。" in page
    assert shown_acts(page) == set()  # one open proposal at a time


def test_a_second_open_proposal_is_refused_and_what_was_typed_is_kept(client, world, english_ui):
    proposed = world.certificates["proposed"]
    login(client, world.people["district postal reviewer"])
    typed = "再次提议：网点仍未整改。"
    response = client.post(f"/certificates/{proposed.id}/propose-revocation", data={"reasons": typed})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "A proposal to revoke this certificate is already open" in text and typed in text
    assert proposal_count() == 1
    with pytest.raises(RevocationRefused):
        propose_revocation(proposed, world.people["district postal approver"], typed)


def test_a_proposal_with_no_reasons_keeps_the_form(client, world, english_ui):
    city = world.certificates["city"]
    login(client, world.people["district postal approver"])
    response = client.post(f"/certificates/{city.id}/propose-revocation", data={"reasons": "   "})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Give the reasons for the proposal." in text and 'data-act="propose_revocation"' in text


def test_the_city_bureau_accepts_a_proposal_by_serving_notice_then_revokes(client, world):
    """Accepting serves notice (the outlet may state its case); the case's decision settles the proposal."""
    proposed, approver = world.certificates["proposed"], world.people["city postal approver"]
    proposal = open_proposal(proposed)
    login(client, approver)
    page = client.get(f"/certificates/{proposed.id}").get_data(as_text=True)
    assert PROPOSED_REASONS in page and f"/revocation-proposals/{proposal.id}/decide" in page
    response = client.post(
        f"/certificates/revocation-proposals/{proposal.id}/decide",
        data={
            "decision": "revoked",
            "decision_reason": TYPED,
            "ground": "spot_check_failed",
            "evidence": "区局复查记录。",
            "response_due": (today_in_shanghai() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    client.get(response.location)
    case = db.session.scalar(select(RevocationCase).where(RevocationCase.certificate_id == proposed.id))
    db.session.refresh(proposed)
    db.session.refresh(proposal)
    assert proposed.state == "active" and proposal.outcome is None and case.status == "notified"
    assert case.grounds == f"{PROPOSED_REASONS}\n\n{TYPED}"
    for who in ("district postal approver", "district postal reviewer"):
        assert len(notes(world.people[who], "revocation_noticed")) == 1
    page = client.get(f"/certificates/{proposed.id}").get_data(as_text=True)
    assert f'data-open-case="{case.number}"' in page and shown_acts(page) == set()  # decided on the case page
    deadline_passed(case)
    response = client.post(
        f"/revocation-cases/{case.id}/decide", data={"decision": "revoked", "reasons": "逾期未陈述申辩。"}
    )
    assert response.status_code == 302
    db.session.refresh(proposed)
    db.session.refresh(proposal)
    assert proposed.state == "revoked" and proposed.revoked_reason == "逾期未陈述申辩。"
    assert (proposal.outcome, proposal.decided_by_id) == ("revoked", approver.id)
    for who in ("district postal approver", "district postal reviewer"):
        (note,) = notes(world.people[who], "revocation_proposal_decided")
        assert read(note, "zh") == (
            f"{CITY_BUREAU}的李明已按贵局提议撤销奉贤被提议网点的证书{proposed.number}。理由：逾期未陈述申辩。"
        )
    assert notes(world.people["district ecology approver"], "revocation_proposal_decided") == []
    actions = [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == proposed.id).order_by(AuditEvent.id)
        )
        if e.subject_type == "certificate"
    ]
    assert actions[-4:] == [
        "revocation_noticed",
        "revocation_decided",
        "revocation_proposal_decided",
        "certificate_revoked",
    ]


def test_a_declined_proposal_reaches_the_district_bureau_with_its_reason(client, world, english_ui):
    proposed = world.certificates["proposed"]
    proposal = open_proposal(proposed)
    login(client, world.people["city postal approver"])
    response = client.post(
        f"/certificates/revocation-proposals/{proposal.id}/decide",
        data={"decision": "declined", "decision_reason": "经核查，网点已完成整改。"},
    )
    assert response.status_code == 302
    db.session.refresh(proposed)
    assert proposed.state == "active"
    (note,) = notes(world.people["district postal approver"], "revocation_proposal_decided")
    assert read(note, "en") == (
        f"李明 of Shanghai Postal Administration declined your bureau's proposal to revoke certificate "
        f"{proposed.number} of 奉贤被提议网点. Reasons: 经核查，网点已完成整改。"
    )
    assert "不同意" in read(note, "zh") and "经核查，网点已完成整改。" in read(note, "zh")
    login(client, world.people["district postal approver"])
    page = client.get(f"/certificates/{proposed.id}").get_data(as_text=True)
    assert 'data-outcome="declined"' in page and "经核查，网点已完成整改。" in page
    assert shown_acts(page) == {"propose_revocation"}  # declined: the district may propose again


def test_a_revocation_while_a_proposal_is_open_settles_it(client, world):
    proposed = world.certificates["proposed"]
    proposal = open_proposal(proposed)
    revoke_certificate(proposed, world.people["city postal approver"], "直接撤销。")
    db.session.refresh(proposal)
    assert (proposal.outcome, proposal.decision_reason) == ("revoked", "直接撤销。")
    assert notes(world.people["district postal approver"], "revocation_proposal_decided")


def test_a_decision_without_a_choice_keeps_what_was_typed(client, world, english_ui):
    proposed = world.certificates["proposed"]
    proposal = open_proposal(proposed)
    login(client, world.people["city postal approver"])
    response = client.post(
        f"/certificates/revocation-proposals/{proposal.id}/decide", data={"decision_reason": TYPED}
    )
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Choose whether to revoke the certificate or decline the proposal." in text and TYPED in text
    db.session.refresh(proposal)
    assert proposal.outcome is None


def test_a_proposal_is_decided_once(client, world, english_ui):
    proposed, approver = world.certificates["proposed"], world.people["city postal approver"]
    proposal = open_proposal(proposed)
    decide_proposal(proposal, approver, "declined", "已整改。")
    login(client, approver)
    response = client.post(
        f"/certificates/revocation-proposals/{proposal.id}/decide",
        data={"decision": "revoked", "decision_reason": TYPED},
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "This proposal has been decided already." in text and TYPED in text
    db.session.refresh(proposed)
    assert proposed.state == "active"


def test_a_proposal_on_a_superseded_certificate_can_only_be_declined(client, world, english_ui):
    proposed, approver = world.certificates["proposed"], world.people["city postal approver"]
    proposal = open_proposal(proposed)
    let_time_pass(proposed, today_in_shanghai() - timedelta(days=680))  # into its renewal window
    renewal = certify(proposed.outlet, "city", renewal_of=proposed)
    db.session.refresh(proposed)
    assert proposed.superseded_by_id == renewal.id
    with pytest.raises(RevocationRefused):
        decide_proposal(proposal, approver, "revoked", TYPED)
    decide_proposal(proposal, approver, "declined", "证书已被新证书替代。")
    assert proposal.outcome == "declined"


# -- the list of proposals -------------------------------------------------------------------------


def test_the_city_bureau_finds_open_proposals_from_its_menu(client, world):
    proposed = world.certificates["proposed"]
    login(client, world.people["city postal approver"])
    page = client.get("/certificates/").get_data(as_text=True)
    assert 'href="/certificates/revocation-proposals"' in page
    page = client.get("/certificates/revocation-proposals").get_data(as_text=True)
    assert proposed.number in page and 'data-outcome="open"' in page and "data-open-count>1<" in page
    decide_proposal(open_proposal(proposed), world.people["city postal approver"], "declined", "已整改。")
    assert proposed.number not in client.get("/certificates/revocation-proposals").get_data(as_text=True)
    page = client.get("/certificates/revocation-proposals?state=decided").get_data(as_text=True)
    assert proposed.number in page and 'data-outcome="declined"' in page


def test_the_proposals_list_keeps_to_the_scope(client, world):
    number = world.certificates["proposed"].number
    login(client, world.people["district postal approver"])
    assert number in client.get("/certificates/revocation-proposals").get_data(as_text=True)
    login(client, world.people["other district postal approver"])
    assert number not in client.get("/certificates/revocation-proposals").get_data(as_text=True)
    for who in ("the outlet", "postal inspector"):
        login(client, world.people[who])
        assert client.get("/certificates/revocation-proposals").status_code == 403


def test_outlets_do_not_see_the_bureaus_proposals(client, world):
    proposed = world.certificates["proposed"]
    outlet_user = db.session.scalar(select(User).where(User.outlet_id == proposed.outlet_id))
    login(client, outlet_user)
    page = client.get(f"/certificates/{proposed.id}").get_data(as_text=True)
    assert PROPOSED_REASONS not in page and "data-proposals" not in page


def test_two_proposals_at_the_same_moment_leave_one_open_and_refuse_the_other(world, monkeypatch):
    """The second proposer read "none open" before the first one's row was written: the unique
    index keeps one open proposal, and the second is refused with a message, not a server error."""
    city = world.certificates["city"]
    propose_revocation(city, world.people["district postal approver"], "第一份提议。")
    monkeypatch.setattr("outlet_audit.certificates.revocation.open_proposal", lambda _certificate_id: None)
    with pytest.raises(RevocationRefused) as refused:
        propose_revocation(city, world.people["district postal reviewer"], "同时提交的第二份提议。")
    assert "already open" in refused.value.message.template
