"""The ecology and environment bureaus take part in the joint review, not in running the case.

Their staff hold bureau roles (what they see is their district's, or the city's), but they reach
only the views declared `joint`: the case as it stands and their approval step. Every other bureau
page (verifying outlets, inviting, importing, revoking, reopening, editing checklists) stays the
postal bureaus'. A new bureau view is closed to them unless it says otherwise.
"""

import pytest

from outlet_audit.access import rule_for_endpoint
from outlet_audit.roles import Agency, Role
from tests.factories import login, make_user
from tests.workflow_helpers import application_in, make_crew

# What the joint review needs: the application and its lists, the checklists and their files as
# read, the reports and certificates, the outlet's record and the district's figures.
JOINT = {
    "workflow.application_detail",
    "workflow.transition",
    "workflow.approvals",
    "workflow.queue",
    "workflow.commitment_letter",
    "checklist.inspection",
    "checklist.self_assessment",
    "checklist.result",
    "evidence.file",
    "evidence.thumbnail",
    "reports.inspection_report",
    "reports.rectification_notice",
    "certificates.index",
    "certificates.detail",
    "certificates.certificate_pdf",
    "outlets.detail",
    "dashboards.overview",
    # Supervision: the ecology bureaus read the spot-check campaigns; the postal bureaus run them.
    "campaigns.index",
    "campaigns.detail",
    # A certificate they approved may be revoked: they read its revocation cases and letters.
    "revocation.index",
    "revocation.case",
    "revocation.notice_pdf",
    "revocation.decision_pdf",
    # supervision checks (H-visits): reading the district's checks and a check's page; concluding
    # is the postal bureau's
    "checks.index",
    "checks.check_detail",
    # #17: supervision is read jointly (the yearly self-checks, the supervision figures)
    "yearly.bureau_list",
    "yearly.review_page",
    "supervision_dashboard.overview",
    "supervision_dashboard.export",
    # Public complaints: read (list, page, photo); triage is the district postal bureau's.
    "complaints.index",
    "complaints.detail",
    "complaints.photo",
    # #21: an ecology bureau's own API tokens (its approvers make them for its systems).
    "api.tokens",
    "api.create_token",
    "api.revoke",
    # #21: an ecology bureau's own webhook endpoints (its approvers register its systems' addresses).
    "webhooks.index",
    "webhooks.new",
    "webhooks.detail",
    "webhooks.delete",
    "webhooks.rotate",
    "webhooks.test_event",
    "webhooks.send_delivery_again",
}


def test_the_views_open_to_the_ecology_bureaus_are_exactly_the_joint_review(app):
    joint = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if (access := rule_for_endpoint(app, rule.endpoint)) is not None and access.joint
    }
    assert joint == JOINT


@pytest.fixture
def crew(ctx):
    return make_crew()


@pytest.mark.parametrize(
    "path",
    [
        "/outlets/verification",
        "/invitations",
        "/dashboard/import",
        "/dashboard/exports",
    ],
)
def test_ecology_bureau_staff_cannot_open_the_postal_bureaus_pages(client, crew, path):
    login(client, crew.ecology)
    assert client.get(path).status_code == 403
    login(client, crew.bureau)  # the same page is the postal bureau's
    assert client.get(path).status_code in (200, 302)


def test_ecology_bureau_staff_read_the_case_and_see_only_their_menu(client, crew):
    application = application_in(crew, "inspected")
    login(client, crew.ecology)
    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="approve"' not in text and 'value="reject"' not in text  # the postal bureau's acts
    menu = client.get("/applications/approvals").get_data(as_text=True)
    assert "/outlets/verification" not in menu and "/invitations/" not in menu
    assert (
        client.post(f"/checklist/applications/{application.id}/reopen", data={"reason": "x"}).status_code
        == 403
    )


def test_the_city_ecology_bureau_reaches_only_the_joint_review(client, crew):
    city_ecology = make_user(Role.CITY_BUREAU, agency=Agency.CITY_ECOLOGY)
    login(client, city_ecology)
    assert client.get("/applications/approvals").status_code == 200
    assert client.get("/outlets/verification").status_code == 403
