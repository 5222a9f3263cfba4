"""Every endpoint × every role × own, neighbouring and foreign records: one table says who may do what.

The endpoints come from the URL map; each must have an entry in MATRIX, so a new route fails
this test until someone writes down who may use it. Callers are an anonymous visitor and one
user of each role, all in Fengxian (FX): the staff of outlet "own", the inspector assigned to
own's applications, the Fengxian district bureau, the city bureau and an administrator. Each
URL argument naming a record is filled in from one of three targets:

- own:       outlet "own" in FX, its applications assigned to the calling inspector;
- neighbour: another FX outlet, its applications assigned to another FX inspector;
- foreign:   an outlet in Qingpu (QP), inspected by a Qingpu inspector.

An expectation is one outcome for every target ("403"), or three, for own / neighbour /
foreign ("ok 404 404"). Outcomes: "ok" (2xx, or a redirect that is not to the sign-in page;
for a POST anything but 403, 404 or the sign-in redirect: access was granted, the input may
still be refused), "login" (sent to sign in), "403", "404". A role missing from an entry is
refused with 403; the anonymous visitor is sent to sign in unless the entry is public.

The world is built once per module; every request runs inside a savepoint that is rolled back,
so a POST that succeeds (withdraw, disable, delete) changes nothing for the next request.
"""

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from outlet_audit import create_app
from outlet_audit.accounts.invitations import create_invitation
from outlet_audit.accounts.models import User
from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.api.tokens import issue_token
from outlet_audit.certificates.models import Certificate, RevocationProposal
from outlet_audit.checklist.attachments import attach_item_evidence
from outlet_audit.checklist.findings import attach_finding_file, findings_to_verify, open_notice
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Finding, RectificationNotice, visit_inspectors
from outlet_audit.checklist.service import assessment_of, get_or_create_assessment, save_answer
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.jobs.models import ExportFile
from outlet_audit.notifications.models import Notification
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.campaigns import create_campaign
from outlet_audit.supervision.complaints import file_complaint
from outlet_audit.supervision.kinds import CheckPurpose, CheckStatus, ComplaintCategory
from outlet_audit.supervision.models import RevocationCase
from outlet_audit.supervision.operations import open_check
from outlet_audit.supervision.yearly import create_self_check
from outlet_audit.webhooks.endpoints import EndpointSettings, create_endpoint
from outlet_audit.webhooks.events import WebhookEvent
from outlet_audit.webhooks.models import WebhookDelivery, WebhookEventRecord
from outlet_audit.workflow.seeding import answer_checklist
from tests.checklist_helpers import photo
from tests.conftest import connection_bound_session
from tests.factories import (
    advance,
    cast_for,
    district,
    evidence_row,
    make_application,
    make_outlet,
    make_user,
)
from tests.supervision.campaign_world import plan

ANONYMOUS = "anonymous"
CALLERS = (ANONYMOUS, Role.OUTLET, Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.ADMIN)
TARGETS = ("own", "neighbour", "foreign")

# How far a scope reaches, over (own, neighbour, foreign).
OWN = "ok 404 404"  # own outlet, or the inspections one is assigned
DISTRICT = "ok ok 404"
ALL = "ok ok ok"
EVERYONE = dict.fromkeys(CALLERS[1:], "ok")
BUREAUS = {Role.DISTRICT_BUREAU: "ok", Role.CITY_BUREAU: "ok"}
HOLDERS = {Role.OUTLET: OWN, Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}
READERS = {**HOLDERS, Role.INSPECTOR: OWN}
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Case:
    """One request to an endpoint and what each caller gets.

    `args` maps a URL argument to an attribute of the target (`"open.id"`) or to a fixed value;
    `data` is the form (or a function of the world and the caller giving it).
    """

    expect: dict
    args: dict = field(default_factory=dict)
    data: dict | Callable | None = None
    json: dict | None = None
    headers: dict | None = None
    public: bool = False
    label: str = ""
    stand_ins: dict = field(default_factory=dict)  # role → the world's caller playing it here


def own_note(world, caller):
    return {"notification": world.notes[caller]} if caller != ANONYMOUS else {}


def someone_elses_note(world, caller):
    return {"notification": world.notes["stranger"]}


ANSWER = {"value": "yes", "not_applicable": False, "note": "", "expected_version": 0}
# The outlet answering a rectification: the staff of own's rectifying outlet (build_target).
RECTIFYING_OUTLET = "rectifying outlet"
RECTIFYING = {Role.OUTLET: RECTIFYING_OUTLET}

# THE table. Keep it in the order of the URL map's endpoints (alphabetical).
MATRIX: dict[str, Case | tuple[Case, ...]] = {
    "accounts.forgot_password": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "accounts.login": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "accounts.logout": Case(EVERYONE),
    "accounts.password": Case(EVERYONE),
    "accounts.register": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "accounts.second_factor": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "accounts.reset_link": Case({ANONYMOUS: "ok", **EVERYONE}, args={"token": "not-a-token"}, public=True),
    "accounts.reset_password": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "admin.disable_user": Case({Role.ADMIN: ALL}, args={"user_id": "outlet_user.id"}),
    "admin.enable_user": Case({Role.ADMIN: ALL}, args={"user_id": "outlet_user.id"}),
    "admin.new_user": Case({Role.ADMIN: "ok"}),
    "admin.unlock_user": Case({Role.ADMIN: ALL}, args={"user_id": "outlet_user.id"}),
    "admin.users": Case({Role.ADMIN: "ok"}),
    "audit_log.index": Case({Role.ADMIN: "ok"}),
    # The read API (#21): public to all, the token's reach checked by the API itself (tests/api/);
    # its token page: bureau staff for their own organisation, the administrator for every one.
    "api.campaign": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"number": "closed_campaign.number"}, public=True
    ),
    "api.campaigns": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "api.certificate": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"number": "certificate.number"}, public=True
    ),
    "api.certificates": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "api.create_token": Case({**BUREAUS, Role.ADMIN: "ok"}),
    "api.docs": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "api.openapi": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "api.outlet": Case({ANONYMOUS: "ok", **EVERYONE}, args={"outlet_id": "outlet.id"}, public=True),
    "api.outlets": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "api.revoke": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: "404", Role.ADMIN: ALL},
        args={"token_id": "api_token.id"},
    ),
    "api.tokens": Case({**BUREAUS, Role.ADMIN: "ok"}),
    "bootstrap.static": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"filename": "css/bootstrap.min.css"}, public=True
    ),
    # Spot-check campaigns: each target district has one, run by its district bureau; acting on it
    # (draw, close) is then the running bureau's (tests/supervision/test_campaign_access.py).
    "campaigns.index": Case(BUREAUS),
    "campaigns.new": Case(BUREAUS),
    "campaigns.detail": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"campaign_id": "campaign.id"}
    ),
    "campaigns.draw": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"campaign_id": "campaign.id"}
    ),
    "campaigns.close": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"campaign_id": "campaign.id"}
    ),
    "public_campaigns.index": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "public_campaigns.detail": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"number": "closed_campaign.number"}, public=True
    ),
    "public_campaigns.draw_file": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"number": "closed_campaign.number"}, public=True
    ),
    "certificates.certificate_pdf": Case(HOLDERS, args={"certificate_id": "certificate.id"}),
    "certificates.detail": Case(HOLDERS, args={"certificate_id": "certificate.id"}),
    "certificates.index": Case({Role.OUTLET: "ok", **BUREAUS}),
    "reports.rectification_notice": Case(READERS, args={"notice_id": "notice.id"}),
    "reports.inspection_report": (
        Case(READERS, args={"application_id": "done.id"}, label="signed off"),
        Case(
            # the outlet has no report until sign-off; the inspectors read the draft in the app
            {**HOLDERS, Role.OUTLET: "404", Role.INSPECTOR: "404"},
            args={"application_id": "open.id"},
            label="not signed off",
        ),
    ),
    "certificates.revoke": Case(
        # the route admits both bureaus in their scope; the issuer rule (certificates.authority,
        # tests/web/test_certificate_authority.py) then answers with a refusal or a revocation
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL},
        args={"certificate_id": "certificate.id"},
        data={"ground": "outlet_closed", "reason": "复查不合格"},
    ),
    "certificates.propose": Case(
        {Role.DISTRICT_BUREAU: DISTRICT}, args={"certificate_id": "certificate.id"}, data={"reasons": "停业"}
    ),
    "certificates.decide": Case(
        {Role.CITY_BUREAU: ALL},
        args={"proposal_id": "proposal.id"},
        data={"decision": "declined", "decision_reason": "已整改"},
    ),
    "certificates.revocation_proposals": Case(BUREAUS),
    # Revocation cases: the issuer acts (the operations ask certificates.authority), the outlet reads
    # its own and states its case, the district and the city read.
    "revocation.index": Case(BUREAUS),
    "revocation.new_case": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"certificate_id": "certificate.id"}
    ),
    "revocation.case": Case(HOLDERS, args={"revocation_case_id": "revocation_case.id"}),
    "revocation.notice_pdf": Case(HOLDERS, args={"revocation_case_id": "revocation_case.id"}),
    "revocation.decision_pdf": Case(HOLDERS, args={"revocation_case_id": "revocation_case.id"}),
    "revocation.statement": Case(
        {Role.OUTLET: OWN}, args={"revocation_case_id": "revocation_case.id"}, data={"statement": ""}
    ),
    "revocation.decide": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL},
        args={"revocation_case_id": "revocation_case.id"},
        data={"decision": "", "reasons": ""},
    ),
    "checklist.edit": (
        Case(READERS, args={"assessment_id": "self.id"}, label="self-assessment"),
        Case(
            {**READERS, Role.OUTLET: "403 404 404"},  # the outlet never opens the inspection checklist
            args={"assessment_id": "inspection.id"},
            label="inspection",
        ),
        Case(READERS, args={"assessment_id": "visit.id"}, label="supervision visit, signed"),
    ),
    "checklist.inspection": Case(
        {Role.INSPECTOR: OWN, Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL},
        args={"application_id": "open.id"},
    ),
    "checklist.service_worker": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "checklist.reopen": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"application_id": "done.id"}),
    "checklist.result": (
        Case(READERS, args={"application_id": "done.id"}, label="signed off"),
        Case(
            {**READERS, Role.OUTLET: "403 404 404"},  # the outlet sees the result once signed off
            args={"application_id": "open.id"},
            label="not signed off",
        ),
    ),
    "checklist.save_item": (
        Case(
            {
                Role.INSPECTOR: OWN,
                Role.OUTLET: "403 404 404",
                Role.DISTRICT_BUREAU: "403 403 404",  # bureaus read the checklist, never write it
                Role.CITY_BUREAU: "403",
            },
            args={"assessment_id": "inspection.id", "item_code": "1.1"},
            json=ANSWER,
            label="inspection",
        ),
        Case(
            {
                Role.OUTLET: OWN,  # its editor: 409, locked at this stage
                Role.INSPECTOR: "403 404 404",
                Role.DISTRICT_BUREAU: "403 403 404",
                Role.CITY_BUREAU: "403",
            },
            args={"assessment_id": "self.id", "item_code": "1.1"},
            json=ANSWER,
            label="self-assessment",
        ),
    ),
    "checklist.self_assessment": Case(READERS, args={"application_id": "open.id"}),
    # --- supervision checks (H-visits): the check's visit is its team's; the outlet reads it signed
    "checks.answer_finding_view": Case(
        {Role.OUTLET: OWN}, args={"check_id": "check.id", "finding_id": "visit_finding.id"}
    ),
    "checks.check_detail": Case(
        {Role.INSPECTOR: OWN, Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL},
        args={"check_id": "check.id"},
    ),
    "checks.conclude_passed_view": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"check_id": "check.id"}),
    "checks.index": Case(BUREAUS),
    "checks.mark_rectified_view": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"check_id": "check.id"}),
    "checks.my_visits": Case({Role.INSPECTOR: "ok"}),
    "checks.order_rectification_view": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"check_id": "check.id"}),
    "checks.outlet_check": Case({Role.OUTLET: OWN}, args={"check_id": "check.id"}),
    "checks.outlet_checks": Case({Role.OUTLET: "ok"}),
    "checks.propose_revocation_view": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"check_id": "check.id"}),
    "checks.send_answers_view": Case({Role.OUTLET: OWN}, args={"check_id": "check.id"}),
    "checks.sign_visit": Case({Role.INSPECTOR: OWN}, args={"assessment_id": "visit.id"}),
    "checklist.sign_off": Case({Role.INSPECTOR: OWN}, args={"assessment_id": "inspection.id"}),
    "complaints.conclude": Case(
        {Role.DISTRICT_BUREAU: DISTRICT},
        args={"complaint_id": "complaint.id"},
        data={"status": "substantiated"},
    ),
    "complaints.detail": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"complaint_id": "complaint.id"}
    ),
    "complaints.dismiss": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"complaint_id": "complaint.id"}),
    "complaints.export": Case(BUREAUS),
    "complaints.follow": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "complaints.index": Case(BUREAUS),
    "complaints.new": Case({ANONYMOUS: "ok", **EVERYONE}, args={"number": "certificate.number"}, public=True),
    "complaints.open_visit": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"complaint_id": "complaint.id"}),
    "complaints.photo": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"complaint_id": "complaint.id"}
    ),
    "complaints.received": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "core.healthz": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "core.index": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "core.set_language": Case({ANONYMOUS: "ok", **EVERYONE}, data={"locale": "en"}, public=True),
    "criteria.activate": Case({Role.ADMIN: "ok"}),
    "criteria.draft_impact": Case({Role.ADMIN: "ok"}),
    "criteria.editions": Case({Role.ADMIN: "ok"}),
    "criteria.preview": Case({Role.ADMIN: "ok"}, args={"edition_code": "shanghai-2025"}),
    "criteria.save_draft_edition": Case({Role.ADMIN: "ok"}),
    "criteria.schedule": Case({Role.ADMIN: "ok"}),
    "criteria.withdraw": Case({Role.ADMIN: "ok"}, args={"choice_id": 1}),
    "dashboards.export": Case(BUREAUS, args={"kind": "applications", "fmt": "csv"}),
    "dashboards.export_asked_by_link": Case(BUREAUS, args={"kind": "applications", "fmt": "csv"}),
    "dashboards.exports_page": Case(BUREAUS),
    "outlet_import.confirm": Case(BUREAUS),
    "outlet_import.dry_run": Case(BUREAUS),
    "outlet_import.start": Case(BUREAUS),
    "outlet_import.template": Case(BUREAUS, args={"fmt": "xlsx"}),
    "dashboards.overview": Case(BUREAUS),
    "evidence.delete": (
        Case(
            {
                Role.INSPECTOR: OWN,  # the uploader, while the checklist is open
                Role.OUTLET: "404",  # inspection evidence is hidden from the outlet until sign-off
                Role.DISTRICT_BUREAU: "403 403 404",
                Role.CITY_BUREAU: "403",
            },
            args={"evidence_id": "inspection_photo.id"},
            headers=JSON,
            label="inspection photo",
        ),
        Case(
            {
                Role.OUTLET: OWN,  # its uploader: 409, the self-assessment is locked at this stage
                Role.INSPECTOR: "403 404 404",
                Role.DISTRICT_BUREAU: "403 403 404",
                Role.CITY_BUREAU: "403",
            },
            args={"evidence_id": "self_photo.id"},
            headers=JSON,
            label="self-assessment photo",
        ),
    ),
    "evidence.file": (
        Case(READERS, args={"evidence_id": "self_photo.id"}, label="self-assessment photo"),
        Case(
            {**READERS, Role.OUTLET: "404"},
            args={"evidence_id": "inspection_photo.id"},
            label="inspection photo before sign-off",
        ),
        Case(READERS, args={"evidence_id": "done_photo.id"}, label="inspection photo after sign-off"),
        Case(READERS, args={"evidence_id": "letter.id"}, label="commitment letter"),
    ),
    "evidence.thumbnail": (
        Case(READERS, args={"evidence_id": "self_photo.id"}, label="self-assessment photo"),
        Case(
            {**READERS, Role.OUTLET: "404"},
            args={"evidence_id": "inspection_photo.id"},
            label="inspection photo before sign-off",
        ),
        Case(READERS, args={"evidence_id": "done_photo.id"}, label="inspection photo after sign-off"),
    ),
    "evidence.upload": Case(
        {
            Role.INSPECTOR: OWN,
            Role.OUTLET: "403 404 404",
            Role.DISTRICT_BUREAU: "403 403 404",
            Role.CITY_BUREAU: "403",
        },
        args={"assessment_id": "inspection.id"},
        data={"item_code": "1.1"},
        headers=JSON,
    ),
    "invitations.create_account": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "invitations.enter_code": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "invitations.index": Case(BUREAUS),
    "invitations.invite": Case(
        {Role.OUTLET: OWN, Role.DISTRICT_BUREAU: DISTRICT, Role.ADMIN: ALL}, args={"outlet_id": "outlet.id"}
    ),
    "invitations.invite_by_permit": Case({Role.ADMIN: "ok"}),
    "invitations.open_link": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"code": "AAAABBBBCCCCDDDD"}, public=True
    ),
    "invitations.print_letters": Case({Role.DISTRICT_BUREAU: "ok"}),
    "invitations.send": Case(
        {Role.OUTLET: OWN, Role.DISTRICT_BUREAU: DISTRICT, Role.ADMIN: ALL},
        args={"invitation_id": "invitation.id"},
    ),
    "invitations.withdraw": Case(
        {Role.OUTLET: OWN, Role.DISTRICT_BUREAU: DISTRICT, Role.ADMIN: ALL},
        args={"invitation_id": "invitation.id"},
    ),
    # #21: the failed jobs are the administrator's; an export is its owner's alone (tests/jobs), so
    # another's number, like one that does not exist, answers 404 to everyone.
    "jobs.discard": Case({Role.ADMIN: "404"}, args={"job_key": "no-such-job"}),
    # A person's export is theirs alone: the own target's belongs to the inspector who calls.
    "jobs.download_export": Case(
        {**dict.fromkeys(CALLERS[1:], "404"), Role.INSPECTOR: "ok 404 404"}, args={"export": "export.id"}
    ),
    "jobs.failed": Case({Role.ADMIN: "ok"}),
    "jobs.my_exports": Case(EVERYONE),
    "jobs.retry": Case({Role.ADMIN: "404"}, args={"job_key": "no-such-job"}),
    "notifications.index": Case(EVERYONE),
    "notifications.mark_all_read": Case(EVERYONE),
    "notifications.mark_read": (
        Case(EVERYONE, data=own_note, label="own notification"),
        Case(dict.fromkeys(CALLERS[1:], "404"), data=someone_elses_note, label="someone else's"),
    ),
    "notifications.open_notification": (
        Case(EVERYONE, data=own_note, label="own notification"),
        Case(dict.fromkeys(CALLERS[1:], "404"), data=someone_elses_note, label="someone else's"),
    ),
    # Single sign-on is off here (no OIDC_ISSUER, the default): its pages answer 404 to whoever the
    # access rules let through. tests/web/test_oidc.py covers them switched on.
    "oidc.account": Case(dict.fromkeys(CALLERS[1:], "404")),
    "oidc.admin_link": Case({Role.ADMIN: "404"}, args={"user_id": "outlet_user.id"}),
    "oidc.admin_unlink": Case({Role.ADMIN: "404"}, args={"user_id": "outlet_user.id"}),
    "oidc.callback": Case(dict.fromkeys(CALLERS, "404"), public=True),
    "oidc.link_start": Case(dict.fromkeys(CALLERS[1:], "404")),
    "oidc.start": Case(dict.fromkeys(CALLERS, "404"), public=True),
    "oidc.unlink_own": Case(dict.fromkeys(CALLERS[1:], "404")),
    "outlet_accounts.send_password_link": Case(
        {Role.ADMIN: ALL, Role.DISTRICT_BUREAU: DISTRICT}, args={"user_id": "outlet_user.id"}
    ),
    "outlets.accept_changes": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"outlet_id": "outlet.id"}),
    "outlets.detail": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"outlet_id": "outlet.id"}
    ),
    "outlets.profile": Case({Role.OUTLET: "ok"}),
    "outlets.reject_changes": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"outlet_id": "outlet.id"}),
    "outlets.verification_queue": Case(BUREAUS),
    "outlets.verify": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"outlet_id": "outlet.id"}),
    "people.decide": Case(
        {Role.DISTRICT_BUREAU: DISTRICT}, args={"outlet_id": "outlet.id", "decision": "approve"}
    ),
    "people.hand_over": Case({Role.OUTLET: "ok"}),
    "people.index": Case({Role.OUTLET: "ok"}),
    "people.remove": Case({Role.OUTLET: OWN}, args={"user_id": "outlet_user.id"}),
    "people.withdraw": Case({Role.OUTLET: "ok"}),
    "public.directory": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "public.verify": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "public.verify_document": Case({ANONYMOUS: "ok", **EVERYONE}, public=True),
    "public.verify_number": Case(
        {ANONYMOUS: "ok", **EVERYONE}, args={"number": "certificate.number"}, public=True
    ),
    "registrations.refuse": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"outlet_id": "outlet.id"}),
    "registrations.resubmit": Case({Role.OUTLET: "ok"}),
    "registrations.status": Case({Role.OUTLET: "ok"}),
    "static": Case({ANONYMOUS: "ok", **EVERYONE}, args={"filename": "css/app.css"}, public=True),
    "two_factor.confirm": Case(EVERYONE),
    "two_factor.index": Case(EVERYONE),
    "two_factor.recovery_codes": Case(EVERYONE),
    "two_factor.reset": Case({Role.ADMIN: ALL}, args={"user_id": "outlet_user.id"}),
    "two_factor.start": Case(EVERYONE),
    "two_factor.switch_off": Case(EVERYONE),
    "workflow.answer_finding_view": Case(
        {Role.OUTLET: OWN},
        args={"application_id": "rectify.id", "finding_id": "finding.id"},
        stand_ins=RECTIFYING,
    ),
    "workflow.application_detail": Case(READERS, args={"application_id": "open.id"}),
    "workflow.assignments": Case({Role.INSPECTOR: "ok"}),
    "workflow.check_finding_view": (
        Case(
            {Role.INSPECTOR: OWN},  # only the inspectors assigned to the re-inspection
            args={"application_id": "reinspect.id", "finding_id": "to_verify.id"},
        ),
        Case(
            {Role.INSPECTOR: "404"},
            args={"application_id": "open.id", "finding_id": "to_verify.id"},
            label="finding of another application",
        ),
    ),
    "workflow.approvals": Case(BUREAUS),  # the approvals awaiting the caller's organisation
    "workflow.commitment_letter": Case(READERS, args={"application_id": "open.id"}),
    "workflow.my_applications": Case({Role.OUTLET: "ok"}),
    "workflow.new_application": Case({Role.OUTLET: "ok"}),
    "workflow.queue": Case(BUREAUS),
    "workflow.receipt": Case(READERS, args={"application_id": "open.id"}),
    "workflow.remove_finding_file_view": (
        Case(
            {Role.OUTLET: OWN},
            args={
                "application_id": "rectify.id",
                "finding_id": "finding.id",
                "evidence_id": "finding_file.id",
            },
            stand_ins=RECTIFYING,
        ),
        Case(
            {Role.OUTLET: "404"},  # a file of the application, not of this finding
            args={
                "application_id": "rectify.id",
                "finding_id": "finding.id",
                "evidence_id": "rectify_letter.id",
            },
            stand_ins=RECTIFYING,
            label="the application's letter",
        ),
    ),
    "workflow.save_application_draft": Case({Role.OUTLET: OWN}, args={"application_id": "open.id"}),
    "workflow.start_self_assessment": Case({Role.OUTLET: OWN}, args={"application_id": "open.id"}),
    "workflow.transition": Case(READERS, args={"application_id": "open.id"}, data={"action": "withdraw"}),
    "workflow.upload_commitment": Case({Role.OUTLET: OWN}, args={"application_id": "open.id"}),
    # --- #17: yearly self-checks and the supervision dashboard (tests/supervision/test_yearly_access.py)
    "supervision_dashboard.export": Case(BUREAUS, args={"fmt": "csv"}),
    "supervision_dashboard.overview": Case(BUREAUS),
    "yearly.accept": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"self_check_id": "self_check.id"}),
    "yearly.bureau_list": Case(BUREAUS),
    "yearly.fail": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"self_check_id": "self_check.id"}),
    "yearly.mine": Case({Role.OUTLET: "ok"}),
    "yearly.open_visit": Case({Role.DISTRICT_BUREAU: DISTRICT}, args={"self_check_id": "self_check.id"}),
    "yearly.outlet_page": Case({Role.OUTLET: OWN}, args={"self_check_id": "self_check.id"}),
    "yearly.review_page": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: ALL}, args={"self_check_id": "self_check.id"}
    ),
    "yearly.submit": Case({Role.OUTLET: OWN}, args={"self_check_id": "self_check.id"}),
    # Webhooks (#21): an endpoint of each target district's postal bureau; its staff (approvers
    # change) and the administrator reach it, the city bureau's staff do not (another organisation).
    "webhooks.index": Case({**BUREAUS, Role.ADMIN: "ok"}),
    "webhooks.new": Case({**BUREAUS, Role.ADMIN: "ok"}),
    **{
        f"webhooks.{name}": Case(
            {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: "404", Role.ADMIN: ALL},
            args={"webhook_endpoint_id": "webhook_endpoint.id"},
        )
        for name in ("detail", "delete", "rotate", "test_event")
    },
    "webhooks.send_delivery_again": Case(
        {Role.DISTRICT_BUREAU: DISTRICT, Role.CITY_BUREAU: "404", Role.ADMIN: ALL},
        args={"webhook_endpoint_id": "webhook_endpoint.id", "webhook_delivery_id": "webhook_delivery.id"},
    ),
}


# --- the world ------------------------------------------------------------------------------


def build_target(district_code: str, inspector: User, bureau: User) -> SimpleNamespace:
    """One outlet with its staff, an application in inspection and an approved one with its certificate."""
    outlet = make_outlet(district_code)
    outlet_user = make_user(Role.OUTLET, outlet=outlet)
    people = cast_for(outlet, [inspector], bureau=bureau)
    done = make_application(outlet, status="inspection_scheduled", cast=people)
    signed = get_or_create_assessment(done, "inspection")
    edition = pinned_edition(done.edition)
    done_photo = attach_item_evidence(
        signed, done, edition, "1.1", photo((64, 48), colour="blue"), "done.jpg", inspector
    )
    advance(done, "approved", cast=people)  # signed off, approved, certified
    certificate = db.session.scalar(select(Certificate).where(Certificate.application_id == done.id))
    # A proposal to revoke it, written as a row: only who reaches the decision route matters here
    # (the operations allow proposals on city-level certificates only).
    proposal = RevocationProposal(
        certificate_id=certificate.id,
        organisation_id=bureau.organisation_id,
        proposed_by_id=bureau.id,
        reasons="复查发现网点已停业。",
    )
    db.session.add(proposal)
    db.session.flush()
    # A supervision check of the certificate, its visit signed by its team (the target's inspector)
    # and one finding: written as rows, only who reaches the check's routes matters here.
    check = open_check(
        certificate, CheckPurpose.TARGETED, [inspector], due_by=today_in_shanghai(), actor=bureau, reason="x"
    )
    visit = check.assessment
    visit.signed_off_at, visit.signed_off_by_id = utcnow(), inspector.id
    db.session.execute(
        update(visit_inspectors)
        .where(visit_inspectors.c.assessment_id == visit.id)
        .values(signed_at=utcnow())
    )
    visit_finding = Finding(application_id=done.id, assessment_id=visit.id, item_code="1.1")
    db.session.add(visit_finding)
    check.status = CheckStatus.VISITED
    db.session.flush()

    # 1.1 not at full marks at a first visit: the bureau orders it rectified (a notice), then the
    # outlet withdraws that application (one in progress at a time) and opens the next.
    rectifying = make_application(outlet, status="inspection_scheduled", cast=people)
    answer_checklist(rectifying, "inspection", inspector, {"1.1": False}, attach=evidence_row)
    advance(rectifying, "rectification_requested", cast=people)
    notice = db.session.scalar(
        select(RectificationNotice).where(RectificationNotice.application_id == rectifying.id)
    )
    advance(rectifying, "withdrawn", cast=people)

    open_ = make_application(outlet, status="inspection_scheduled", cast=people)
    self_assessment = get_or_create_assessment(open_, "self")  # submitted with the application
    inspection = get_or_create_assessment(open_, "inspection")
    save_answer(
        inspection,
        edition,
        "1.1",
        value=True,
        not_applicable=False,
        note=None,
        expected_version=0,
        actor=inspector,
    )
    self_photo = db.session.scalar(
        select(Evidence).where(Evidence.assessment_id == self_assessment.id, Evidence.item_code == "1.1")
    )
    inspection_photo = attach_item_evidence(
        inspection, open_, edition, "1.1", photo((64, 48), colour="orange"), "site.jpg", inspector
    )
    letter = db.session.scalar(
        select(Evidence).where(Evidence.application_id == open_.id, Evidence.purpose == "commitment")
    )
    invitation = create_invitation(outlet, actor=bureau, for_manager=True).invitation
    complaint = file_complaint(
        certificate,
        category=ComplaintCategory.MATERIALS,
        description="使用宽胶带。",
        contact=None,
        photo=(photo((64, 48), colour="red"), "complaint.jpg"),
    ).complaint
    revocation_case = RevocationCase(  # notice served, the outlet's statement awaited
        number=f"CX-TEST-{certificate.id}",
        certificate_id=certificate.id,
        organisation_id=certificate.issuer_organisation_id,
        ground="spot_check_failed",
        grounds="抽查不合格",
        evidence="抽查记录",
        response_due=date(2099, 1, 1),
        notified_at=utcnow(),
        created_by_id=bureau.id,
    )
    db.session.add(revocation_case)
    db.session.flush()

    # Rectification, at two more outlets of the district (an outlet has one application in progress):
    # a notice waiting for the answers, one finding with a file, and answers sent, their findings
    # waiting for the re-inspection's verification. The rectifying outlet's staff stand in for the
    # outlet on the answer routes (`Case.stand_ins`).
    rectifying = make_outlet(district_code)
    rectifying_user = make_user(Role.OUTLET, outlet=rectifying)
    rectify = make_application(
        rectifying, status="rectification_requested", cast=cast_for(rectifying, [inspector], bureau=bureau)
    )
    finding = open_notice(rectify.id).findings[0]
    finding_file = attach_finding_file(
        finding, photo((64, 48), colour="green"), "fixed.jpg", outlet_id=rectifying.id, actor=rectifying_user
    )
    rectify_letter = db.session.scalar(
        select(Evidence).where(Evidence.application_id == rectify.id, Evidence.purpose == "commitment")
    )
    reinspecting = make_outlet(district_code)
    reinspect = make_application(
        reinspecting,
        status="rectification_submitted",
        cast=cast_for(reinspecting, [inspector], bureau=bureau),
    )
    to_verify = findings_to_verify(assessment_of(reinspect, AssessmentKind.INSPECTION))[0]
    campaign, closed_campaign = campaign_rows(district_code, bureau)
    self_check = create_self_check(certificate, 2027, date(2027, 3, 31))  # #17: its yearly self-check
    api_token = issue_token(  # #21: a token of the district's postal bureau, made by its approver
        bureau.organisation, name="证照共享平台", scopes=["certificates:read"], expires_at=None, actor=bureau
    ).token
    webhook_endpoint, webhook_delivery = webhook_rows(district_code, bureau)
    export = ExportFile(  # #21: a large export of the target's inspector, still being prepared
        user_id=inspector.id, kind="applications", fmt="csv", filters={}, download_name="导出.csv"
    )
    db.session.add(export)
    db.session.flush()
    return SimpleNamespace(
        campaign=campaign,
        closed_campaign=closed_campaign,
        notice=notice,
        complaint=complaint,
        check=check,
        visit=visit,
        visit_finding=visit_finding,
        outlet=outlet,
        outlet_user=outlet_user,
        invitation=invitation,
        inspector=inspector,
        open=open_,
        done=done,
        self=self_assessment,
        inspection=inspection,
        self_photo=self_photo,
        inspection_photo=inspection_photo,
        done_photo=done_photo,
        letter=letter,
        certificate=certificate,
        proposal=proposal,
        revocation_case=revocation_case,
        rectifying_user=rectifying_user,
        rectify=rectify,
        rectify_letter=rectify_letter,
        finding=finding,
        finding_file=finding_file,
        reinspect=reinspect,
        to_verify=to_verify,
        self_check=self_check,
        api_token=api_token,
        webhook_endpoint=webhook_endpoint,
        webhook_delivery=webhook_delivery,
        export=export,
    )


def webhook_rows(district_code: str, bureau: User):
    """An endpoint of the district's postal bureau and a delivery waiting (rows; no job is queued)."""
    organisation = organisation_for(Agency.DISTRICT_POSTAL, district(district_code).id)
    endpoint, _secret = create_endpoint(
        organisation.id,
        # switched off: the world's later certificates queue no deliveries (a job thread would run them)
        EndpointSettings("http://127.0.0.1:9/hook", (WebhookEvent.CERTIFICATE_ISSUED,), False),
        bureau,
    )
    event = WebhookEventRecord(uuid=str(uuid.uuid4()), type="ping", body="{}")
    delivery = WebhookDelivery(uuid=str(uuid.uuid4()), endpoint_id=endpoint.id, event=event)
    db.session.add(delivery)
    db.session.flush()
    return endpoint, delivery


def campaign_rows(district_code: str, bureau: User):
    """A planned spot-check campaign of the district run by its bureau, and a closed one (rows)."""
    planned = create_campaign(plan([district(district_code).id]), actor=bureau)
    closed = create_campaign(plan([district(district_code).id], title="已结束"), actor=bureau)
    closed.status, closed.seed, closed.inputs = "closed", "ab" * 32, {"districts": []}
    closed.drawn_at = closed.closed_at = utcnow()
    closed.drawn_by_id = closed.closed_by_id = bureau.id
    db.session.flush()
    return planned, closed


def build_world() -> SimpleNamespace:
    """The callers and the three targets; every id a URL needs, as plain values."""
    fx_bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    qp_bureau = make_user(Role.DISTRICT_BUREAU, district_code="QP")
    inspector = make_user(Role.INSPECTOR, district_code="FX")
    targets = {
        "own": build_target("FX", inspector, fx_bureau),
        "neighbour": build_target("FX", make_user(Role.INSPECTOR, district_code="FX"), fx_bureau),
        "foreign": build_target("QP", make_user(Role.INSPECTOR, district_code="QP"), qp_bureau),
    }
    users = {
        Role.OUTLET: targets["own"].outlet_user,
        Role.INSPECTOR: inspector,
        Role.DISTRICT_BUREAU: fx_bureau,
        Role.CITY_BUREAU: make_user(Role.CITY_BUREAU),
        Role.ADMIN: make_user(Role.ADMIN),
        "stranger": qp_bureau,
    }
    stand_ins = {RECTIFYING_OUTLET: targets["own"].rectifying_user}
    notes = {}
    for key, user in users.items():
        note = Notification(user_id=user.id, kind="test", template="Test notification", link="/")
        db.session.add(note)
        db.session.flush()
        notes[key] = note.id
    return SimpleNamespace(
        targets={name: _plain(target) for name, target in targets.items()},
        tokens={key: user.get_id() for key, user in {**users, **stand_ins}.items()},
        user_ids={key: user.id for key, user in users.items()},
        notes=notes,
    )


def _plain(target: SimpleNamespace) -> SimpleNamespace:
    """Ids and numbers only: the ORM objects die with the session that built them."""
    values = {}
    for name, record in vars(target).items():
        values[name] = SimpleNamespace(id=record.id, number=getattr(record, "number", None))
    return SimpleNamespace(**values)


@dataclass
class ModuleWorld:
    """A world built once for a module, in a transaction that each request works inside a savepoint of."""

    app: object
    connection: object
    data: SimpleNamespace

    def request(self, caller, method: str, url: str, **kwargs):
        client = self.app.test_client()
        if caller != ANONYMOUS:
            with client.session_transaction() as session:
                session["_user_id"] = self.data.tokens[caller]
                session["_fresh"] = True
        savepoint = self.connection.begin_nested()
        try:
            # Buffered: a streamed body (the CSV export) must end in the request's own context.
            return client.open(url, method=method, buffered=True, **kwargs)
        finally:
            savepoint.rollback()


@pytest.fixture(scope="module")
def module_world(app):
    """Build the world once per module; nothing it or the requests write outlives the module."""
    with connection_bound_session(app) as connection:
        with app.test_request_context():
            data = build_world()
            db.session.commit()  # releases the session's savepoint into the module's transaction
        db.session.remove()
        yield ModuleWorld(app, connection, data)


# --- the test -------------------------------------------------------------------------------


def _url_map_endpoints() -> list[str]:
    app = create_app("testing", SECRET_KEY="matrix-" + "x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()})


URL_MAP_ENDPOINTS = _url_map_endpoints()


def outcome(response, method: str) -> str:
    code = response.status_code
    if code in (301, 302, 303, 307, 308):
        location = urlsplit(response.headers["Location"])
        return "login" if location.path == "/login" and "next=" in location.query else "ok"
    if code in (403, 404) or 200 <= code < 300:
        return "ok" if code < 300 else str(code)
    if method == "POST" and 400 <= code < 500:
        return "ok"  # let in; the input (deliberately empty or partial) was refused
    return f"HTTP {code}"


def expected(case: Case, caller) -> tuple[str, str, str]:
    shape = "login" if caller == ANONYMOUS and not case.public else case.expect.get(caller, "403")
    words = shape.split()
    return tuple(words * 3) if len(words) == 1 else tuple(words)


def cases_of(endpoint: str) -> tuple[Case, ...]:
    entry = MATRIX[endpoint]
    return entry if isinstance(entry, tuple) else (entry,)


def url_for_target(app, endpoint: str, case: Case, target) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    values = {}
    for argument in rule.arguments:
        spec = case.args[argument]
        if isinstance(spec, str) and "." in spec and spec.split(".")[0] in vars(target):
            name, attribute = spec.split(".")
            values[argument] = getattr(getattr(target, name), attribute)
        else:
            values[argument] = spec
    return rule.build(values)[1]


def method_of(app, endpoint: str) -> str:
    rule = next(rule for rule in app.url_map.iter_rules() if rule.endpoint == endpoint)
    return "GET" if "GET" in rule.methods else "POST"


def test_the_table_names_only_real_endpoints():
    stale = sorted(set(MATRIX) - set(URL_MAP_ENDPOINTS))
    assert stale == [], f"MATRIX entries for endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("endpoint", URL_MAP_ENDPOINTS)
def test_who_may_use_each_endpoint(app, module_world, endpoint):
    assert endpoint in MATRIX, (
        f"{endpoint} is not in MATRIX: add an entry saying who may use it (test_authorization_matrix.py)"
    )
    method = method_of(app, endpoint)
    wrong = []
    for case in cases_of(endpoint):
        for caller, (index, target_name) in itertools.product(CALLERS, enumerate(TARGETS)):
            target = module_world.data.targets[target_name]
            url = url_for_target(app, endpoint, case, target)
            data = case.data(module_world.data, caller) if callable(case.data) else case.data
            kwargs = {"headers": case.headers or {}}
            if case.json is not None:
                kwargs["json"] = case.json
            elif data is not None:
                kwargs["data"] = data
            response = module_world.request(case.stand_ins.get(caller, caller), method, url, **kwargs)
            got, want = outcome(response, method), expected(case, caller)[index]
            if got != want:
                who = caller if caller == ANONYMOUS else caller.value
                wrong.append(
                    f"{case.label or endpoint} as {who} on {target_name}: {method} {url} → "
                    f"{response.status_code} ({got}), expected {want}"
                )
    assert wrong == [], "\n".join(wrong)


def test_the_world_really_spans_two_districts_and_three_outlets(module_world, app):
    """The matrix proves nothing if the targets collapsed into one scope: check they did not."""
    targets = module_world.data.targets
    with app.app_context():
        outlets = [db.session.get(User, module_world.data.user_ids[Role.OUTLET]).outlet_id]
        outlets += [
            db.session.scalar(select(User.outlet_id).where(User.id == targets[name].outlet_user.id))
            for name in ("neighbour", "foreign")
        ]
        assert len(set(outlets)) == 3 and outlets[0] == targets["own"].outlet.id
        from outlet_audit.workflow.models import Application

        districts = {name: db.session.get(Application, targets[name].open.id).district_id for name in TARGETS}
        assert districts["own"] == districts["neighbour"] != districts["foreign"]
        inspectors = {
            name: {user.id for user in db.session.get(Application, targets[name].open.id).inspectors}
            for name in TARGETS
        }
        assert inspectors["own"] == {module_world.data.user_ids[Role.INSPECTOR]}
        assert (
            module_world.data.user_ids[Role.INSPECTOR] not in inspectors["neighbour"] | inspectors["foreign"]
        )
        db.session.remove()


@pytest.mark.parametrize("record_id", [0, 2**31, 10**20])
def test_ids_the_database_cannot_hold_answer_404_not_a_server_error(app, module_world, record_id):
    """A URL id beyond the database's integer range would make the query itself fail (a 500)."""
    rules = [rule for rule in app.url_map.iter_rules() if any(arg.endswith("_id") for arg in rule.arguments)]
    assert len(rules) > 10
    wrong = []
    for rule in rules:
        case = cases_of(rule.endpoint)[0]
        values = {arg: record_id if arg.endswith("_id") else case.args[arg] for arg in rule.arguments}
        url = rule.build(values)[1]
        method = method_of(app, rule.endpoint)
        for caller in (Role.CITY_BUREAU, Role.ADMIN, Role.OUTLET, Role.INSPECTOR, Role.DISTRICT_BUREAU):
            if case.expect.get(caller, "403") == "403":
                continue  # refused by role before any record is looked up
            response = module_world.request(case.stand_ins.get(caller, caller), method, url)
            if response.status_code != 404:
                wrong.append(f"{method} {url} as {caller.value}: {response.status_code}")
            break
    assert wrong == [], wrong
