"""Joint inspection teams (issue #16): a city-level visit needs an inspector of each agency the
edition names, and every member of the team signs the visit's record.

Through the pages: the bureau schedules the team; the postal inspector signs off the open record
(it is locked, the application stays scheduled, the bureau is not told yet, the outlet sees
nothing); the ecology inspector reads what was signed and signs it too, which completes it. The
result page and the report show each member's organisation, time and drawn signature.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.models import Finding
from outlet_audit.checklist.team import team_of
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.seeding import verify_findings
from outlet_audit.workflow.states import Action, Status
from tests.certificate_helpers import pdf_text
from tests.checklist_helpers import signature_png_data_url
from tests.factories import advance, evidence_row, login, make_user
from tests.team_helpers import (
    ECOLOGY_NAME,
    ECOLOGY_ORGANISATION,
    POSTAL_NAME,
    POSTAL_ORGANISATION,
    Team,
)

pytestmark = pytest.mark.usefixtures("english_ui")  # the tests read English messages


@pytest.fixture
def team(ctx):
    team = Team()
    team.fill_in()
    return team


@pytest.fixture
def signed_by_postal(client, team):
    response = team.sign(
        client,
        team.postal,
        outlet_representative="王店长",
        inspector_signature=signature_png_data_url(),
        outlet_signature=signature_png_data_url(),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(team.result_url)
    team.reload()
    return team


def notified(team: "Team", user, kind: str) -> list[Notification]:
    """The user's notifications of `kind` about the team's application (not the earlier one's)."""
    rows = db.session.scalars(
        select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
    )
    return [note for note in rows if (note.params or {}).get("ref") == team.application.reference]


def signature_events(team: "Team") -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "inspection_signed", AuditEvent.application_id == team.application.id)
            .order_by(AuditEvent.id)
        )
    )


# --- scheduling the team -------------------------------------------------------------------------


def schedule(client, application, inspector_ids):
    return client.post(
        f"/applications/{application.id}/transition",
        data={
            "action": "schedule_inspection",
            "schedule_inspection-inspector_ids": [str(user_id) for user_id in inspector_ids],
            "schedule_inspection-scheduled_on": (today_in_shanghai() + timedelta(days=3)).isoformat(),
        },
    )


def test_a_city_level_visit_is_scheduled_only_with_an_ecology_inspector_on_its_team(client, ctx):
    team = Team(status=Status.ACCEPTED)
    login(client, team.bureau)
    page = client.get(f"/applications/{team.application.id}").get_data(as_text=True)
    assert f"{ECOLOGY_NAME} ({ECOLOGY_ORGANISATION})" in page  # the form says who belongs where
    assert f"{POSTAL_NAME} ({POSTAL_ORGANISATION})" in page

    refused = schedule(client, team.application, [team.postal.id])
    assert refused.status_code == 422
    assert (
        "this level needs a joint team: choose at least one inspector of the District ecology and "
        "environment bureau" in refused.get_data(as_text=True)
    )
    team.reload()
    assert team.application.status == "accepted" and team.application.inspectors == []

    accepted = schedule(client, team.application, [team.postal.id, team.ecology.id])
    assert accepted.status_code == 302
    team.reload()
    assert team.application.status == "inspection_scheduled"
    assert [user.id for user in team.record.inspectors] == sorted([team.postal.id, team.ecology.id])
    assert team.signed_at() == {team.postal.id: None, team.ecology.id: None}


# --- the first signature -------------------------------------------------------------------------


def test_the_first_signature_locks_the_record_and_the_visit_waits_for_the_team(signed_by_postal):
    team = signed_by_postal
    record = team.record
    assert team.application.status == "inspection_scheduled"
    assert record.signed_off_by_id == team.postal.id and record.final is not None
    assert record.outlet_representative == "王店长"
    signed = team.signed_at()
    assert signed[team.postal.id] == record.signed_off_at and signed[team.ecology.id] is None
    # What the first signature settles is written: the findings of the items short of full marks.
    assert [
        f.item_code for f in db.session.scalars(select(Finding).where(Finding.assessment_id == record.id))
    ] == ["1.2"]
    # The ecology inspector is asked to sign; the bureau hears of nothing until the team has signed.
    assert notified(team, team.ecology, "countersign_requested")[0].link == team.sign_off_url
    assert notified(team, team.bureau, "inspection_signed_off") == []
    (event,) = signature_events(team)
    assert (event.actor_id, event.subject_id, event.field) == (
        team.postal.id,
        record.id,
        "inspection:district_postal",
    )


def test_nobody_changes_a_record_its_team_is_signing(client, signed_by_postal):
    team = signed_by_postal
    for inspector, still_to_sign in ((team.postal, False), (team.ecology, True)):
        login(client, inspector)
        page = client.get(f"/checklist/{team.record.id}").get_data(as_text=True)
        assert "It is complete once every inspector of the team has signed it." in page
        assert 'capture="environment"' not in page
        assert ('id="countersign-link"' in page) is still_to_sign
        save = client.post(
            f"/checklist/{team.record.id}/items/1.1", json={"value": "no", "expected_version": 1}
        )
        assert save.status_code == 409


def test_the_signer_reads_whom_the_visit_waits_for_and_cannot_sign_twice(client, signed_by_postal):
    team = signed_by_postal
    login(client, team.postal)
    page = client.get(team.sign_off_url).get_data(as_text=True)
    assert 'id="you-signed"' in page and "You signed this inspection on" in page
    assert re.search(rf'id="waiting-for">[^<]*{ECOLOGY_NAME}', page)
    assert 'id="countersign-form"' not in page and 'id="sign-off-form"' not in page

    again = team.sign(client, team.postal)
    assert again.status_code == 422
    assert "you have signed this inspection already" in again.get_data(as_text=True)
    assert len(signature_events(team)) == 1


def test_the_other_member_reads_what_was_signed_and_signs_it_too(client, signed_by_postal):
    team = signed_by_postal
    login(client, team.ecology)
    page = client.get(team.sign_off_url).get_data(as_text=True)
    assert 'id="signed-by"' in page and POSTAL_NAME in page
    assert 'id="countersign-form"' in page and "outlet_representative" not in page
    assert POSTAL_ORGANISATION in page and ECOLOGY_ORGANISATION in page and "Joint inspection team" in page
    assert 'data-item-code="1.2"' in page  # the shortfall it signed, read-only
    assert f'href="/checklist/{team.record.id}#item-1.2"' not in page

    unconfirmed = client.post(team.sign_off_url, data={})
    assert unconfirmed.status_code == 422
    assert "confirm that these answers" in unconfirmed.get_data(as_text=True)

    done = team.sign(client, team.ecology, inspector_signature=signature_png_data_url(), outlet_signature="x")
    assert done.status_code == 302
    team.reload()
    assert team.application.status == "inspected"
    signed = team.signed_at()
    assert signed[team.ecology.id] is not None and signed[team.ecology.id] >= signed[team.postal.id]
    assert team.record.signed_off_by_id == team.postal.id  # the record itself stays as first signed
    assert notified(team, team.bureau, "inspection_signed_off")
    assert [(e.actor_id, e.field) for e in signature_events(team)] == [
        (team.postal.id, "inspection:district_postal"),
        (team.ecology.id, "inspection:district_ecology"),
    ]
    transitions = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "transition",
            AuditEvent.field == "sign_off",
            AuditEvent.application_id == team.application.id,
        )
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.old_value, e.new_value) for e in transitions] == [
        ("inspection_scheduled", "inspection_scheduled"),
        ("inspection_scheduled", "inspected"),
    ]


@pytest.mark.parametrize(
    ("who", "page", "posted"),
    [
        ("postal", 200, 422),  # signed: reads whom it waits for; a second signature is refused
        ("ecology", 200, 302),  # still to sign: signs, which completes the inspection
        ("other_inspector", 404, 404),  # of the district, not of this visit
        ("bureau", 403, 403),
        ("outlet", 403, 403),
    ],
)
def test_who_opens_the_sign_off_page_of_a_record_being_signed(client, signed_by_postal, who, page, posted):
    team = signed_by_postal
    user = {
        "postal": team.postal,
        "ecology": team.ecology,
        "other_inspector": make_user(Role.INSPECTOR, district_code="FX", agency=Agency.DISTRICT_ECOLOGY),
        "bureau": team.bureau,
        "outlet": team.outlet_user,
    }[who]
    login(client, user)
    assert client.get(team.sign_off_url).status_code == page
    assert client.post(team.sign_off_url, data={"confirm": "y"}).status_code == posted
    team.reload()
    assert team.application.status == ("inspected" if posted == 302 else "inspection_scheduled")


def test_the_outlet_sees_the_record_only_once_the_whole_team_signed(client, app, signed_by_postal):
    team = signed_by_postal
    outlet = app.test_client()
    login(outlet, team.outlet_user)
    assert outlet.get(team.result_url).status_code == 403
    assert outlet.get(f"/reports/{team.application.id}/inspection-report.pdf").status_code == 404
    page = outlet.get(f"/applications/{team.application.id}").get_data(as_text=True)
    assert "shown once the inspection is signed off" in page and team.result_url not in page
    assert "inspection:" not in page and "signed inspection record" not in page

    team.sign(client, team.ecology)
    assert outlet.get(team.result_url).status_code == 200
    assert outlet.get(f"/reports/{team.application.id}/inspection-report.pdf").status_code == 200


def test_the_result_page_and_the_report_show_each_members_signature(client, signed_by_postal):
    team = signed_by_postal
    login(client, team.bureau)
    page = client.get(team.result_url).get_data(as_text=True)
    assert 'id="awaiting-team"' in page and "Not signed yet" in page
    waiting_report = pdf_text(client.get(f"/reports/{team.application.id}/inspection-report.pdf").data)
    assert "待其他检查员签署" in waiting_report and "尚未签署Notsignedyet" in waiting_report

    team.sign(client, team.ecology, inspector_signature=signature_png_data_url())
    login(client, team.bureau)
    page = client.get(team.result_url).get_data(as_text=True)
    assert 'id="awaiting-team"' not in page and "Joint inspection team" in page
    members = re.findall(r'<li class="team-member" data-member="(\d+)" data-signed="(yes|no)"', page)
    assert set(members) == {(str(team.postal.id), "yes"), (str(team.ecology.id), "yes")}
    for name, organisation in ((POSTAL_NAME, POSTAL_ORGANISATION), (ECOLOGY_NAME, ECOLOGY_ORGANISATION)):
        assert name in page and organisation in page
    assert (
        f'data-signature-of="{team.postal.id}"' in page and f'data-signature-of="{team.ecology.id}"' in page
    )

    report = pdf_text(client.get(f"/reports/{team.application.id}/inspection-report.pdf").data)
    assert "联合检查组" in report and "待其他检查员签署" not in report
    for name, organisation in ((POSTAL_NAME, POSTAL_ORGANISATION), (ECOLOGY_NAME, ECOLOGY_ORGANISATION)):
        assert name in report and organisation.replace(" ", "") in report


def test_the_inspectors_lists_say_who_still_has_to_sign(client, signed_by_postal):
    team = signed_by_postal
    login(client, team.ecology)
    page = client.get("/applications/assignments").get_data(as_text=True)
    assert "it waits for your signature" in page and f'href="{team.sign_off_url}"' in page
    login(client, team.postal)
    page = client.get("/applications/assignments").get_data(as_text=True)
    assert "You signed on" in page and ECOLOGY_NAME in page and f'href="{team.sign_off_url}"' not in page


def test_the_team_cannot_be_changed_once_part_of_it_signed(client, signed_by_postal):
    team = signed_by_postal
    login(client, team.bureau)
    other = make_user(Role.INSPECTOR, district_code="FX", agency=Agency.DISTRICT_ECOLOGY)
    response = client.post(
        f"/applications/{team.application.id}/transition",
        data={
            "action": "reschedule_inspection",
            "reschedule_inspection-inspector_ids": [str(team.postal.id), str(other.id)],
            "reschedule_inspection-scheduled_on": (today_in_shanghai() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "already signed by part of its team" in response.get_data(as_text=True)
    assert [member.user.id for member in team_of(team.record)] == sorted([team.postal.id, team.ecology.id])


# --- later records ---------------------------------------------------------------------------------


def test_a_correction_is_signed_by_the_whole_team_again(client, signed_by_postal):
    team = signed_by_postal
    team.sign(client, team.ecology)
    team.reload()
    first = team.record
    advance(team.application, Status.INSPECTION_SCHEDULED, {Action.REOPEN_INSPECTION: {}}, cast=team.cast)
    correction = team.record
    assert correction.id != first.id and correction.amends_id == first.id
    assert team.signed_at() == {team.postal.id: None, team.ecology.id: None}

    assert team.sign(client, team.ecology).status_code == 302  # either may sign first
    team.reload()
    assert team.application.status == "inspection_scheduled"
    assert team.sign(client, team.postal).status_code == 302
    team.reload()
    assert team.application.status == "inspected"
    assert all(team.signed_at().values())
    db.session.refresh(first)
    assert first.superseded_at is not None  # superseded at the first signature of its correction


def test_a_re_inspection_is_signed_by_the_whole_team_again(client, ctx):
    team = Team(status=Status.RECTIFICATION_SUBMITTED)
    reinspection = team.record
    assert reinspection.visit_type == "reinspection" and reinspection.signed_off_at is None
    assert team.signed_at() == {team.postal.id: None, team.ecology.id: None}
    advance(team.application, Status.INSPECTED, cast=team.cast)  # the seeding: the whole team signs
    assert all(team.signed_at().values())


def test_seeding_signs_with_every_member_of_the_team(ctx):
    team = Team(status=Status.INSPECTED)
    assert team.application.status == "inspected"
    assert set(team.signed_at()) == {team.postal.id, team.ecology.id} and all(team.signed_at().values())


def test_the_outlet_reads_its_rectified_items_as_answered_until_the_whole_team_signed(client, app, ctx):
    """The re-inspection's first signature decides the findings it verified; the outlet learns how
    only once every inspector of the team has signed it."""
    team = Team(status=Status.RECTIFICATION_SUBMITTED)
    verify_findings(team.application, team.postal, attach=evidence_row)
    team.fill_in(short_of=())
    assert team.sign(client, team.postal).status_code == 302
    outlet = app.test_client()
    login(outlet, team.outlet_user)
    page = outlet.get(f"/applications/{team.application.id}").get_data(as_text=True)
    panel = page[page.index('id="rectification"') :]
    assert "Rectification answered" in panel and "Verified closed" not in panel
    assert "Rectified: closed" not in panel

    assert team.sign(client, team.ecology).status_code == 302
    page = outlet.get(f"/applications/{team.application.id}").get_data(as_text=True)
    panel = page[page.index('id="rectification"') :]
    assert "Verified closed" in panel and "Rectified: closed" in panel
