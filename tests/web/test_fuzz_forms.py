"""Fuzz every form handler: random field values, missing fields, odd types. No input may give a 500.

For each POST endpoint of the URL map, FORMS names the callers allowed to use it, the record
its URL points at (in the authorization matrix's world, own target) and the fields its form
reads. Hypothesis posts random subsets of those fields with random text, numbers, empty values,
lists and files; the JSON endpoint gets random JSON. Each request runs in a savepoint that is
rolled back, so every example starts from the same world.
"""

import io
import string
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outlet_audit.roles import Role
from tests.web.test_authorization_matrix import Case, module_world, url_for_target  # noqa: F401


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
    "reopen_inspection-reasons",
    "decline_city_level-reasons",
    "schedule_inspection-inspector_ids",
    "schedule_inspection-scheduled_on",
    "reschedule_inspection-inspector_ids",
    "reschedule_inspection-scheduled_on",
    "request_rectification-item_codes",
    "request_rectification-deadline",
    "request_rectification-reasons",
    "approve-granted_level",
    "approve-opinion",
    "submit_rectification-response",
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

FORMS: dict[str, Form] = {
    "accounts.login": Form(("anonymous",), ("username", "password", "next")),
    "accounts.logout": Form((Role.OUTLET,)),
    "accounts.password": Form(EVERYONE, ("current_password", "new_password", "confirm")),
    "accounts.register": Form(
        ("anonymous",), OUTLET_FIELDS + ("username", "display_name", "email", "password")
    ),
    "admin.disable_user": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "admin.enable_user": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "admin.new_user": Form(
        (Role.ADMIN,), ("username", "display_name", "email", "password", "role", "district_id")
    ),
    "admin.unlock_user": Form((Role.ADMIN,), args={"user_id": "outlet_user.id"}),
    "certificates.revoke": Form(BUREAU, ("reason", "submit"), args={"certificate_id": "certificate.id"}),
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
    "core.set_language": Form(("anonymous", Role.OUTLET), ("locale", "next")),
    "criteria.activate": Form((Role.ADMIN,), ("edition",)),
    "dashboards.import_confirm": Form(BUREAU + (Role.CITY_BUREAU,), ("sha256", "token", "mode")),
    "dashboards.import_dry_run": Form(BUREAU, files=("file",)),
    "evidence.delete": Form((Role.INSPECTOR,), args={"evidence_id": "inspection_photo.id"}),
    "evidence.upload": Form(
        (Role.INSPECTOR,), ("item_code",), args={"assessment_id": "inspection.id"}, files=("file",)
    ),
    "notifications.mark_all_read": Form((Role.OUTLET,)),
    "notifications.mark_read": Form((Role.OUTLET,), ("notification", "page")),
    "notifications.open_notification": Form((Role.OUTLET,), ("notification",)),
    "outlets.accept_changes": Form(BUREAU, args={"outlet_id": "outlet.id"}),
    "outlets.profile": Form((Role.OUTLET,), OUTLET_FIELDS),
    "outlets.reject_changes": Form(BUREAU, ("reason",), args={"outlet_id": "outlet.id"}),
    "outlets.verify": Form(BUREAU, args={"outlet_id": "outlet.id"}),
    "workflow.new_application": Form((Role.OUTLET,), ("target_level",)),
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
        files=("submit_rectification-files",),
    ),
    "workflow.upload_commitment": Form(
        (Role.OUTLET,), args={"application_id": "open.id"}, files=("commitment-letter",)
    ),
}

# Values a form might meet: sensible ones it knows, and anything at all.
MEANINGFUL = st.sampled_from(
    ["", "y", "yes", "no", "A", "Z", "district", "city", "en", "zh_CN", "1.1", "9.9", "2025-02-30",
     "2030-01-01", "0", "-1", "1", "99999999999999999999", "NaN", "inf", "1e309", "shanghai-2025", "/",
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


def test_every_post_endpoint_has_a_form_to_fuzz(app):
    posting = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    missing = sorted(posting - set(FORMS))
    assert missing == [], f"add these POST endpoints to FORMS in test_fuzz_forms.py: {missing}"
    assert sorted(set(FORMS) - posting) == [], "FORMS names endpoints that take no POST"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_form_input_makes_a_server_error(app, module_world, endpoint, data):  # noqa: F811
    form = FORMS[endpoint]
    caller = data.draw(st.sampled_from(form.callers), label="caller")
    target = module_world.data.targets["own"]
    url = url_for_target(app, endpoint, _as_case(form), target)
    if form.json:
        body = data.draw(
            st.one_of(
                st.dictionaries(st.sampled_from(form.fields), JSON_VALUE, max_size=len(form.fields)),
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
                st.sampled_from(form.fields) if form.fields else st.nothing(),
                st.one_of(VALUE, st.lists(VALUE, max_size=3)),
                max_size=len(form.fields),
            ),
            label="form",
        )
        for name in form.files:
            uploads = data.draw(st.lists(FILE, max_size=2), label=name)
            values[name] = [(io.BytesIO(content), filename) for content, filename in uploads]
        extra = {"content_type": "multipart/form-data"} if form.files else {}
        response = module_world.request(caller, "POST", url, data=values, **extra)
    assert response.status_code < 500, f"{endpoint} as {caller}: HTTP {response.status_code}"


def _as_case(form: Form) -> Case:
    return Case(expect={}, args=form.args)
