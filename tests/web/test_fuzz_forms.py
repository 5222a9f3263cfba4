"""Fuzz every form handler, every query string and every JSON body: no input may give a 500.

For each POST endpoint of the URL map, FORMS names the callers allowed to use it, the record
its URL points at (in the authorization matrix's world, own target) and the fields its form
reads. Hypothesis posts random subsets of those fields with random text, numbers, empty values,
lists and files; the JSON endpoint gets random JSON. Every GET endpoint gets hostile query
strings (numbers past any integer column, far dates, broken UTF-8, overlong text) from every
caller the matrix lets in, and every endpoint a JSON body nested past any parser's limit. Each
request runs in a savepoint that is rolled back, so every example starts from the same world.
"""

import io
import json
import string
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlet_audit import create_app
from outlet_audit.roles import Role
from tests.web.test_authorization_matrix import (  # noqa: F401
    ANONYMOUS,
    CALLERS,
    RECTIFYING_OUTLET,
    URL_MAP_ENDPOINTS,
    Case,
    cases_of,
    expected,
    method_of,
    module_world,
    url_for_target,
)


@dataclass(frozen=True)
class Form:
    """Who may post it, the URL arguments (as in the matrix), the fields read and how."""

    callers: tuple
    fields: tuple = ()
    args: dict = field(default_factory=dict)
    files: tuple = ()  # fields that carry uploads
    json: bool = False  # the body is JSON, not a form


ITEM_FIELDS = tuple(
    f"item_{code}-{part}"
    for code in ("1_1", "2_1", "3_1", "5_2", "B3")
    for part in ("value", "not_applicable", "note", "version")
)
TRANSITION_FIELDS = (
    "action",
    "return-reasons",
    "reject-reasons",
    "agree-opinion",
    "disagree-opinion",
    "return_step-opinion",
    "schedule_inspection-inspector_ids",
    "schedule_inspection-scheduled_on",
    "reschedule_inspection-inspector_ids",
    "reschedule_inspection-scheduled_on",
    "request_rectification-item_codes",
    "request_rectification-deadline",
    "request_rectification-reasons",
    "approve-granted_level",
    "approve-opinion",
)
OUTLET_FIELDS = (
    "outlet_name",
    "brand",
    "district_id",
    "address",
    "permit_number",
    "manager",
    "phone",
    "opening_hours",
)
BUREAU = (Role.DISTRICT_BUREAU,)
EVERYONE = (Role.OUTLET, Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU, Role.ADMIN)
WEBHOOK_ADMINS = (Role.DISTRICT_BUREAU, Role.ADMIN)  # the organisation's approvers, the administrator
WEBHOOK_ENDPOINT = {"webhook_endpoint_id": "webhook_endpoint.id"}

FORMS: dict[str, Form] = {
    "accounts.forgot_password": Form(("anonymous",), ("login",)),
    "accounts.login": Form(("anonymous",), ("username", "password", "next")),
    "accounts.logout": Form((Role.OUTLET,)),
    "accounts.password": Form(EVERYONE, ("current_password", "new_password", "confirm")),
    "accounts.register": Form(
        ("anonymous",), OUTLET_FIELDS + ("username", "display_name", "email", "password")
    ),
    "accounts.reset_password": Form(("anonymous",), ("new_password", "confirm")),
    "accounts.second_factor": Form(("anonymous",), ("code",)),
    "admin.disable_user": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "admin.enable_user": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "admin.new_user": Form(
        (Role.ADMIN,), ("username", "display_name", "email", "password", "role", "district_id")
    ),
    "admin.unlock_user": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "campaigns.close": Form(BUREAU + (Role.CITY_BUREAU,), ("submit",), args={"campaign_id": "campaign.id"}),
    "campaigns.draw": Form(BUREAU + (Role.CITY_BUREAU,), ("submit",), args={"campaign_id": "campaign.id"}),
    "campaigns.new": Form(
        BUREAU + (Role.CITY_BUREAU,),
        (
            "title",
            "district_ids",
            "levels",
            "brands",
            "sample_kind",
            "sample_value",
            "window_from",
            "window_until",
            "checklist",
            "recusal_months",
            "team_size",
            "quota_per_inspector",
        ),
    ),
    "certificates.decide": Form(
        (Role.CITY_BUREAU,),
        ("decision", "decision_reason", "ground", "evidence", "response_due", "submit"),
        args={"proposal_id": "proposal.id"},
    ),
    "certificates.propose": Form(BUREAU, ("reasons", "submit"), args={"certificate_id": "certificate.id"}),
    "certificates.revoke": Form(
        BUREAU + (Role.CITY_BUREAU,),
        ("ground", "reason", "submit"),
        args={"certificate_id": "certificate.id"},
    ),
    # the filters come in the address (the exports page's); what the body holds is not read
    "dashboards.export": Form(
        BUREAU + (Role.CITY_BUREAU,),
        ("date_from", "date_to", "level", "brand", "district"),
        args={"kind": "applications", "fmt": "csv"},
    ),
    "checklist.edit": Form(
        (Role.INSPECTOR,), ITEM_FIELDS, args={"assessment_id": "inspection.id"}, files=("item_1_1-evidence",)
    ),
    "checklist.reopen": Form(BUREAU, ("reason",), args={"application_id": "done.id"}),
    "checklist.save_item": Form(
        (Role.INSPECTOR,),
        ("value", "not_applicable", "note", "expected_version"),
        args={"assessment_id": "inspection.id", "item_code": "2.1"},
        json=True,
    ),  # fmt: skip
    "checklist.sign_off": Form(
        (Role.INSPECTOR,),
        ("confirm", "inspector_signature", "outlet_signature"),
        args={"assessment_id": "inspection.id"},
    ),
    # Supervision checks: the visit's team signs; the district postal bureau concludes; the outlet
    # answers the findings of a rectification ordered after the visit.
    "checks.answer_finding_view": Form(
        (Role.OUTLET,),
        ("finding{visit_finding.id}-responsible_person", "finding{visit_finding.id}-response"),
        args={"check_id": "check.id", "finding_id": "visit_finding.id"},
        files=("finding{visit_finding.id}-files",),
    ),
    "checks.conclude_passed_view": Form(BUREAU, ("note",), args={"check_id": "check.id"}),
    "checks.mark_rectified_view": Form(BUREAU, ("note",), args={"check_id": "check.id"}),
    "checks.order_rectification_view": Form(
        BUREAU, ("codes", "due_on", "instructions"), args={"check_id": "check.id"}
    ),
    "checks.propose_revocation_view": Form(BUREAU, ("reasons",), args={"check_id": "check.id"}),
    "checks.send_answers_view": Form((Role.OUTLET,), ("submit",), args={"check_id": "check.id"}),
    "checks.sign_visit": Form(
        (Role.INSPECTOR,), ("confirm", "outlet_representative"), args={"assessment_id": "visit.id"}
    ),
    "complaints.conclude": Form(BUREAU, ("status", "outcome"), args={"complaint_id": "complaint.id"}),
    "complaints.dismiss": Form(BUREAU, ("reason",), args={"complaint_id": "complaint.id"}),
    "complaints.follow": Form(("anonymous",), ("reference", "code")),
    "complaints.new": Form(
        ("anonymous",),
        ("category", "description", "contact"),
        args={"number": "certificate.number"},
        files=("photo",),
    ),
    "complaints.open_visit": Form(
        BUREAU, ("team", "due_by", "reason"), args={"complaint_id": "complaint.id"}
    ),
    # Yearly self-checks: the outlet submits its own; its district postal bureau reviews.
    "yearly.accept": Form(BUREAU, ("submit",), args={"self_check_id": "self_check.id"}),
    "yearly.fail": Form(BUREAU, ("note",), args={"self_check_id": "self_check.id"}),
    "yearly.open_visit": Form(BUREAU, ("team", "due_by", "reason"), args={"self_check_id": "self_check.id"}),
    "yearly.submit": Form((Role.OUTLET,), ("submit",), args={"self_check_id": "self_check.id"}),
    # Webhooks (#21): the matrix world's endpoint is switched off, so no form here sends a delivery.
    "webhooks.new": Form(WEBHOOK_ADMINS, ("url", "events", "active", "organisation_id")),
    "webhooks.detail": Form(WEBHOOK_ADMINS, ("url", "events", "active"), args=WEBHOOK_ENDPOINT),
    "webhooks.delete": Form(WEBHOOK_ADMINS, ("submit",), args=WEBHOOK_ENDPOINT),
    "webhooks.rotate": Form(WEBHOOK_ADMINS, ("submit",), args=WEBHOOK_ENDPOINT),
    "webhooks.test_event": Form(WEBHOOK_ADMINS, ("submit",), args=WEBHOOK_ENDPOINT),
    "webhooks.send_delivery_again": Form(
        WEBHOOK_ADMINS, ("submit",), args={**WEBHOOK_ENDPOINT, "webhook_delivery_id": "webhook_delivery.id"}
    ),
    # API tokens (#21): made and revoked by the organisation's approvers and the administrator.
    "api.create_token": Form(WEBHOOK_ADMINS, ("organisation", "name", "scopes", "expires_on")),
    "api.revoke": Form(WEBHOOK_ADMINS, ("submit",), args={"token_id": "api_token.id"}),
    # Failed jobs (#21): the world has none in Redis; what is posted must never make a 500 either.
    "jobs.retry": Form((Role.ADMIN,), ("submit",), args={"job_key": "no-such-job"}),
    "jobs.discard": Form((Role.ADMIN,), ("submit",), args={"job_key": "no-such-job"}),
    "core.set_language": Form(("anonymous", Role.OUTLET), ("locale", "next")),
    "criteria.activate": Form((Role.ADMIN,), ("edition",)),
    "criteria.draft_impact": Form((Role.ADMIN,), ("months", "district"), files=("file",)),
    "criteria.save_draft_edition": Form((Role.ADMIN,), ("draft", "file_name", "content_hash")),
    "criteria.schedule": Form((Role.ADMIN,), ("edition", "active_from")),
    "criteria.withdraw": Form((Role.ADMIN,), args={"choice_id": 1}),
    # Off in the tests' configuration: 404 whatever is posted (test_oidc.py posts to them switched on).
    "oidc.admin_link": Form((Role.ADMIN,), ("subject",), args={"user_id": "outlet_user.id"}),
    "oidc.admin_unlink": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "oidc.link_start": Form((Role.OUTLET,)),
    "oidc.unlink_own": Form((Role.OUTLET,)),
    "outlet_import.confirm": Form(BUREAU + (Role.CITY_BUREAU,), ("sha256", "token", "mode")),
    "outlet_import.dry_run": Form(BUREAU, files=("file",)),
    "evidence.delete": Form((Role.INSPECTOR,), args={"evidence_id": "inspection_photo.id"}),
    "evidence.upload": Form(
        (Role.INSPECTOR,), ("item_code",), args={"assessment_id": "inspection.id"}, files=("file",)
    ),
    "invitations.create_account": Form(("anonymous",), ("username", "display_name", "email", "password")),
    "invitations.enter_code": Form(("anonymous",), ("code",)),
    "invitations.invite": Form(BUREAU, ("email", "next"), args={"outlet_id": "outlet.id"}),
    "invitations.invite_by_permit": Form((Role.ADMIN,), ("permit_number", "email")),
    "invitations.print_letters": Form(BUREAU),
    "invitations.send": Form(BUREAU, ("email", "next"), args={"invitation_id": "invitation.id"}),
    "invitations.withdraw": Form(BUREAU, ("next",), args={"invitation_id": "invitation.id"}),
    "notifications.mark_all_read": Form((Role.OUTLET,)),
    "notifications.mark_read": Form((Role.OUTLET,), ("notification", "page")),
    "notifications.open_notification": Form((Role.OUTLET,), ("notification",)),
    "outlet_accounts.send_password_link": Form((Role.ADMIN,), ("next",), args={"user_id": "outlet_user.id"}),
    "outlets.accept_changes": Form(BUREAU, args={"outlet_id": "outlet.id"}),
    "outlets.profile": Form((Role.OUTLET,), OUTLET_FIELDS),
    "outlets.reject_changes": Form(BUREAU, ("reason",), args={"outlet_id": "outlet.id"}),
    "outlets.verify": Form(BUREAU, args={"outlet_id": "outlet.id"}),
    "revocation.new_case": Form(
        BUREAU,
        ("ground", "source", "grounds", "evidence", "response_due", "submit"),
        args={"certificate_id": "certificate.id"},
    ),
    "revocation.statement": Form(
        (Role.OUTLET,),
        ("statement", "submit"),
        args={"revocation_case_id": "revocation_case.id"},
        files=("documents",),
    ),
    "revocation.decide": Form(
        BUREAU, ("decision", "reasons", "submit"), args={"revocation_case_id": "revocation_case.id"}
    ),
    "public.verify_document": Form(("anonymous",), files=("file",)),
    "people.decide": Form(BUREAU, ("reason",), args={"outlet_id": "outlet.id", "decision": "refuse"}),
    "people.hand_over": Form((Role.OUTLET,), ("to_user", "close_account")),
    "people.remove": Form((Role.OUTLET,), args={"user_id": "outlet_user.id"}),
    "people.withdraw": Form((Role.OUTLET,)),
    "registrations.refuse": Form(BUREAU, ("reason",), args={"outlet_id": "outlet.id"}),
    "registrations.resubmit": Form((Role.OUTLET,)),
    "two_factor.confirm": Form((Role.DISTRICT_BUREAU,), ("code",)),
    "two_factor.recovery_codes": Form((Role.DISTRICT_BUREAU,), ("code",)),
    "two_factor.reset": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "two_factor.start": Form((Role.DISTRICT_BUREAU,)),
    "two_factor.switch_off": Form((Role.OUTLET,), ("code",)),
    # The forms of a finding carry its id as prefix: "{finding.id}" is filled in from the target.
    "workflow.answer_finding_view": Form(
        (RECTIFYING_OUTLET,),
        ("finding{finding.id}-responsible_person", "finding{finding.id}-response"),
        args={"application_id": "rectify.id", "finding_id": "finding.id"},
        files=("finding{finding.id}-files",),
    ),
    "workflow.check_finding_view": Form(
        (Role.INSPECTOR,),
        ("check{to_verify.id}-outcome", "check{to_verify.id}-method", "check{to_verify.id}-note"),
        args={"application_id": "reinspect.id", "finding_id": "to_verify.id"},
    ),
    "workflow.new_application": Form((Role.OUTLET,), ("target_level",)),
    "workflow.remove_finding_file_view": Form(
        (RECTIFYING_OUTLET,),
        args={"application_id": "rectify.id", "finding_id": "finding.id", "evidence_id": "finding_file.id"},
    ),
    "workflow.save_application_draft": Form(
        (Role.OUTLET,),
        ("draft-target_level", *(f"draft-declaration_E{n}" for n in range(1, 7))),
        args={"application_id": "open.id"},
    ),  # fmt: skip
    "workflow.start_self_assessment": Form((Role.OUTLET,), args={"application_id": "open.id"}),
    "workflow.transition": Form(
        (Role.OUTLET, Role.INSPECTOR, Role.DISTRICT_BUREAU, Role.CITY_BUREAU),
        TRANSITION_FIELDS,
        args={"application_id": "open.id"},
    ),
    "workflow.upload_commitment": Form(
        (Role.OUTLET,), args={"application_id": "open.id"}, files=("commitment-letter",)
    ),
}

# Values a form might meet: sensible ones it knows, and anything at all.
MEANINGFUL = st.sampled_from(
    ["", "y", "yes", "no", "A", "Z", "district", "city", "en", "zh_CN", "1.1", "9.9", "2025-02-30",
     "2030-01-01", "9999-12-31", "0001-01-01", "0", "-1", "1", "99999999999999999999", "NaN", "inf",
     "1e309", "shanghai-2025", "/", "closed", "not_closed", "desk", "on_site",
     "//evil.test", "javascript:alert(1)", "data:image/png;base64,AAAA", "a" * 5000, "\x00", "%00", "'; --",
     "submit", "accept", "approve", "withdraw", "sign_off", "schedule_inspection", "submit_rectification",
     "return"]
)  # fmt: skip
TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
NUMBER = st.integers(min_value=-(2**70), max_value=2**70).map(str)
VALUE = st.one_of(MEANINGFUL, TEXT, NUMBER)
FILE = st.tuples(
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from([b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"PK\x03\x04"]),
    ),
    st.text(alphabet=string.printable + "中文/\\..", max_size=40),
)
JSON_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(),
        TEXT,
        MEANINGFUL,
    ),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)


def fuzz_settings(max_examples: int):
    """Hypothesis settings for a fuzzing test: no deadline, function-scoped fixtures reused."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def test_every_post_endpoint_has_a_form_to_fuzz(app):
    posting = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    missing = sorted(posting - set(FORMS))
    assert missing == [], f"add these POST endpoints to FORMS in test_fuzz_forms.py: {missing}"
    assert sorted(set(FORMS) - posting) == [], "FORMS names endpoints that take no POST"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
@fuzz_settings(25)
@given(data=st.data())
def test_no_form_input_makes_a_server_error(app, module_world, endpoint, data):  # noqa: F811
    form = FORMS[endpoint]
    caller = data.draw(st.sampled_from(form.callers), label="caller")
    target = module_world.data.targets["own"]
    url = url_for_target(app, endpoint, _as_case(form), target)
    fields = tuple(name.format(**vars(target)) for name in form.fields)
    if form.json:
        body = data.draw(
            st.one_of(
                st.dictionaries(st.sampled_from(fields), JSON_VALUE, max_size=len(fields)),
                JSON_VALUE,
            ),
            label="json",
        )
        response = module_world.request(
            caller, "POST", url, json=body, headers={"Accept": "application/json"}
        )
    else:
        values = data.draw(
            st.dictionaries(
                st.sampled_from(fields) if fields else st.nothing(),
                st.one_of(VALUE, st.lists(VALUE, max_size=3)),
                max_size=len(fields),
            ),
            label="form",
        )
        for name in form.files:
            uploads = data.draw(st.lists(FILE, max_size=2), label=name)
            values[name.format(**vars(target))] = [
                (io.BytesIO(content), filename) for content, filename in uploads
            ]
        extra = {"content_type": "multipart/form-data"} if form.files else {}
        response = module_world.request(caller, "POST", url, data=values, **extra)
    assert response.status_code < 500, f"{endpoint} as {caller}: HTTP {response.status_code}"


def _as_case(form: Form) -> Case:
    return Case(expect={}, args=form.args)


# --- query strings ----------------------------------------------------------------------------

# Every name a GET page reads from its query string: filters, paging, ids, redirects.
QUERY_NAMES = (
    "page", "per_page", "q", "status", "brand", "target_level", "district_id", "district",
    "submitted_from", "submitted_to", "date_from", "date_to", "level", "state", "role", "number",
    "next", "renew", "v", "sort", "reset",
)  # fmt: skip
# Already percent-encoded, as they travel: %ED%A0%80 is a lone surrogate in UTF-8 (U+D800),
# %E2%80%AE a right-to-left override, %FF no UTF-8 at all.
HOSTILE_QUERY_VALUES = (
    "99999999999999999999999", "-99999999999999999999999", "9223372036854775808", "2147483648",
    "-1", "0", "1.5", "1e309", "NaN", "9999-12-31", "0001-01-01", "1899-12-31", "2025-02-30",
    "%ED%A0%80", "%E2%80%AE", "%FF%FE", "%C0%AF", "x" * 3000, "", "%20", "[]",
)  # fmt: skip


def _get_endpoints() -> list[str]:
    app = create_app("testing", SECRET_KEY="fuzz-" + "x" * 40, SQLALCHEMY_DATABASE_URI="sqlite://")
    # Single sign-on's pages answer 404 to everyone while it is off, as it is here: nobody is let in
    # to meet a query string. tests/web/test_oidc.py sends them these query strings switched on.
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.endpoint.startswith("oidc.")
        }
    )


GET_ENDPOINTS = _get_endpoints()


def admitted_callers(endpoint: str) -> list:
    """The callers the matrix lets through to the view on the own target (others stop at the door)."""
    case = cases_of(endpoint)[0]
    return [caller for caller in CALLERS if expected(case, caller)[0] == "ok"]


def get_url(app, world, endpoint: str) -> str:
    return url_for_target(app, endpoint, cases_of(endpoint)[0], world.data.targets["own"])


def test_every_get_endpoint_lets_someone_in_to_meet_the_query_strings():
    assert len(GET_ENDPOINTS) > 30
    assert [endpoint for endpoint in GET_ENDPOINTS if not admitted_callers(endpoint)] == []


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_hostile_query_strings_never_make_a_server_error(app, module_world, endpoint):  # noqa: F811
    """Each hostile value in every query parameter at once, from every caller let in."""
    url = get_url(app, module_world, endpoint)
    wrong = []
    for caller in admitted_callers(endpoint):
        for value in HOSTILE_QUERY_VALUES:
            query = "&".join(f"{name}={value}" for name in QUERY_NAMES)
            response = module_world.request(caller, "GET", f"{url}?{query}")
            if response.status_code >= 500:
                wrong.append(f"{caller} {value[:30]!r}: HTTP {response.status_code}")
    assert wrong == [], f"{endpoint}: {wrong}"


QUERY_VALUE = st.one_of(
    st.sampled_from(HOSTILE_QUERY_VALUES),
    st.text(max_size=40).map(quote),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates().map(str),
)


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
@fuzz_settings(8)
@given(data=st.data())
def test_random_query_strings_never_make_a_server_error(app, module_world, endpoint, data):  # noqa: F811
    caller = data.draw(st.sampled_from(admitted_callers(endpoint)), label="caller")
    values = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), QUERY_VALUE, max_size=6), label="query")
    query = "&".join(f"{name}={value}" for name, value in values.items())
    response = module_world.request(caller, "GET", f"{get_url(app, module_world, endpoint)}?{query}")
    assert response.status_code < 500, f"{endpoint} as {caller} ?{query[:200]}: HTTP {response.status_code}"


# --- JSON bodies -----------------------------------------------------------------------------

DEEP_ARRAY = "[" * 5000 + "]" * 5000  # past the parser's own recursion limit
DEEP_OBJECT = '{"a":' * 100 + "1" + "}" * 100  # parsed fine, and still far deeper than any body of ours
HOSTILE_JSON_BODIES = {
    "deep array": DEEP_ARRAY,
    "deep object": DEEP_OBJECT,
    "lone surrogates": '{"value": "\\ud800", "note": "\\udfff\\ud800x", "expected_version": 0}',
    "malformed": '{"value": ',
    "not UTF-8": b'{"note": "\xff\xfe"}',
    "huge number": '{"value": 1e999, "expected_version": 99999999999999999999999}',
}


@pytest.mark.parametrize("endpoint", URL_MAP_ENDPOINTS)
def test_hostile_json_bodies_never_make_a_server_error_on_any_endpoint(app, module_world, endpoint):  # noqa: F811
    """Any route may be sent JSON; one nested too deep is refused with 400 before any view reads it."""
    case = cases_of(endpoint)[0]
    url = url_for_target(app, endpoint, case, module_world.data.targets["own"])
    method = method_of(app, endpoint)
    wrong = []
    for caller in admitted_callers(endpoint):
        for name, body in HOSTILE_JSON_BODIES.items():
            response = module_world.request(
                case.stand_ins.get(caller, caller),
                method,
                url,
                data=body,
                content_type="application/json",
                headers={"Accept": "application/json"},
            )
            if response.status_code >= 500:
                wrong.append(f"{name} as {caller}: HTTP {response.status_code}")
            elif name.startswith("deep") and (response.status_code != 400 or not response.is_json):
                wrong.append(f"{name} as {caller}: HTTP {response.status_code}, not a JSON 400")
    assert wrong == [], f"{endpoint}: {wrong}"


JSON_CLIENT = {"Accept": "application/json"}
# Endpoints that read a JSON body, with the record each one's URL names.
JSON_ENDPOINTS = {"checklist.save_item": {"assessment_id": "inspection.id", "item_code": "2.1"}}
SURROGATE_TEXT = st.text(alphabet=st.characters(categories=["Cs", "Cf", "Cc", "Lo"]), max_size=20)


def deeply_nested(depth: int, leaf) -> str:
    """JSON text nesting `leaf` `depth` levels deep (written out: json.dumps would recurse too)."""
    opening = "".join("[" if level % 2 else '{"note":' for level in range(depth))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(depth)))
    return opening + json.dumps(leaf) + closing


# JSON text, as it travels: json.dumps writes a lone surrogate as the escape "\ud800".
HOSTILE_JSON = st.one_of(
    JSON_VALUE.map(json.dumps),
    st.builds(deeply_nested, st.integers(min_value=20, max_value=3000), JSON_VALUE),
    st.fixed_dictionaries(
        {"value": st.one_of(SURROGATE_TEXT, JSON_VALUE), "note": st.one_of(SURROGATE_TEXT, JSON_VALUE)},
        optional={
            "expected_version": st.one_of(st.integers(min_value=-(2**70), max_value=2**70), JSON_VALUE),
            "not_applicable": JSON_VALUE,
        },
    ).map(json.dumps),
)


def test_json_endpoints_are_the_views_that_read_json():
    assert set(JSON_ENDPOINTS) == {endpoint for endpoint, form in FORMS.items() if form.json}


@pytest.mark.parametrize("endpoint", sorted(JSON_ENDPOINTS))
@fuzz_settings(40)
@given(data=st.data())
def test_no_json_body_makes_a_server_error_whoever_sends_it(app, module_world, endpoint, data):  # noqa: F811
    caller = data.draw(st.sampled_from([c for c in CALLERS if c != ANONYMOUS]), label="caller")
    url = url_for_target(
        app, endpoint, Case(expect={}, args=JSON_ENDPOINTS[endpoint]), module_world.data.targets["own"]
    )
    body = data.draw(HOSTILE_JSON, label="json")
    response = module_world.request(
        caller, "POST", url, data=body, content_type="application/json", headers=JSON_CLIENT
    )
    assert response.status_code < 500, f"{endpoint} as {caller}: HTTP {response.status_code}"
    assert response.is_json, response.get_data(as_text=True)[:300]
