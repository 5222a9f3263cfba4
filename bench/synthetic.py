"""Synthetic outlet-audit data with believable distributions, as plain rows for bulk inserts.

Deterministic for a given seed. Ids are assigned here (1, 2, ...), so rows can refer to each
other without a round trip; the seeder resets the PostgreSQL sequences afterwards.
"""

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from outlet_audit.certificates.numbering import certificate_number
from outlet_audit.certificates.operations import add_months
from outlet_audit.checklist.findings import shortfalls
from outlet_audit.criteria.model import Edition
from outlet_audit.outlets.models import KNOWN_BRANDS
from outlet_audit.scoring import answers_from_json, evidence_required, score

# Outlets per district follow population and logistics parks, roughly.
DISTRICT_WEIGHTS = {
    "PD": 20,
    "MH": 10,
    "BS": 8,
    "SJ": 7,
    "JD": 7,
    "XH": 5,
    "PT": 5,
    "YP": 5,
    "QP": 5,
    "FX": 5,
    "JA": 4.5,
    "CN": 3,
    "HK": 3,
    "JS": 3,
    "HP": 2.5,
    "CM": 2,
}
BRAND_WEIGHTS = {
    "中通": 16,
    "圆通": 14,
    "顺丰": 14,
    "韵达": 12,
    "京东": 10,
    "申通": 10,
    "中国邮政": 8,
    "极兔": 8,
    "菜鸟": 4,
    "德邦": 3,
    "其他": 1,
}
# Most applications are decided; an outlet has at most one open application (a database rule).
FINAL_WEIGHTS = {"approved": 62, "rejected": 13, "withdrawn": 5}
OPEN_WEIGHTS = {
    "draft": 2.5,
    "submitted": 2.5,
    "returned": 1,
    "accepted": 1.5,
    "inspection_scheduled": 4,
    "inspected": 2.5,
    "rectification_requested": 2,
    "rectification_submitted": 1.5,
    "in_approval": 3.5,  # waiting at one of the later approval steps (bench/approvals.py)
}
OPEN_SHARE = sum(OPEN_WEIGHTS.values()) / 100
BEFORE_INSPECTION = {"draft", "submitted", "returned", "accepted"}
SIGNED_OFF = {"inspected", "rectification_requested", "in_approval", "approved"}
# The workflow actions that led to each status (the audit trail of an application).
PATHS = {
    "draft": [],
    "submitted": ["submit"],
    "returned": ["submit", "return"],
    "accepted": ["submit", "accept"],
    "inspection_scheduled": ["submit", "accept", "schedule_inspection"],
    "inspected": ["submit", "accept", "schedule_inspection", "sign_off"],
}
PATHS["rectification_requested"] = [*PATHS["inspected"], "request_rectification"]
PATHS["rectification_submitted"] = [*PATHS["rectification_requested"], "submit_rectification"]
# Some inspected applications went through rectification before their decision: the first visit,
# the notice, the outlet's answers and the re-inspection that verified them.
RECTIFIED_SHARE = 0.15
RECTIFICATION_LOOP = ["request_rectification", "submit_rectification", "sign_off"]
# ... followed by the approval steps signed (bench/approvals.py), given to make_timeline.
PATHS["in_approval"] = PATHS["approved"] = PATHS["inspected"]
PATHS["rejected"] = [*PATHS["inspected"], "reject"]
PATHS["withdrawn"] = [*PATHS["inspected"], "withdraw"]
BENCH_PASSWORD = "bench-password-2025"  # noqa: S105 - only ever in a throwaway benchmark database
# The authenticator secret of every account that must sign in with a second factor (bureaus and
# administrators in production): enrolled, so the bench signs in as such an account does.
BENCH_TOTP_SECRET = "BENCHBENCHBENCHBENCHBENCHBENCH23"  # noqa: S105 - base32, throwaway database only
NOTES = ("现场核实", "已拍照留存", "负责人在场确认", "抽查 20 件", "部分封装台未张贴标识", "")


@dataclass(frozen=True)
class Scale:
    outlets: int = 10_000
    applications: int = 30_000
    answers: int = 1_000_000
    # False: leave out what no list or dashboard reads (evidence, audit trail, notifications,
    # the scored result JSON of each checklist), to seed the large scaling databases faster.
    extras: bool = True

    @classmethod
    def for_outlets(cls, outlets: int, *, with_answers: bool = True, extras: bool = True) -> "Scale":
        return cls(outlets, 3 * outlets, 100 * outlets if with_answers else 0, extras)


@dataclass(frozen=True)
class AnswerTarget:
    assessment_id: int
    item_code: str
    version: int  # the answer's version now; 0 when the item has no answer yet


@dataclass
class Sample:
    """The records the benchmark pages open, all reachable by the bench user of each role."""

    district_id: int = 0
    district_code: str = ""
    outlet_id: int = 0
    application_id: int = 0  # approved, inspection signed off, active certificate
    assessment_id: int = 0  # its inspection
    certificate_id: int = 0
    certificate_number: str = ""
    open_application_id: int = 0  # inspection scheduled, checklist open to the bench inspector
    open_assessment_id: int = 0
    check_id: int = 0  # a supervision check of the showcase certificate, its visit scheduled
    check_assessment_id: int = 0  # that check's visit record (the bench inspector's checklist)
    rectification_application_id: int = 0  # the bench district's: findings ordered and answered
    complaint_id: int = 0  # a complaint about the showcase certificate's outlet
    item_code: str = "1.1"
    certificate_ids: list = field(default_factory=list)  # the bench district's, for the PDF page
    report_application_ids: list = field(default_factory=list)  # signed-off inspections there
    usernames: dict = field(default_factory=dict)  # role value → username
    password: str = BENCH_PASSWORD
    totp_secret: str = BENCH_TOTP_SECRET
    answer_targets: list = field(default_factory=list)
    counts: dict = field(default_factory=dict)  # table → rows inserted


@dataclass(frozen=True)
class StoredFiles:
    """Real files in the evidence store for the seeded evidence rows to point at."""

    photos: list  # (stored sha256, thumbnail sha256, size, width, height)
    letter: tuple  # (stored sha256, size) of a commitment letter PDF


@dataclass
class Profile:
    """One way an outlet can answer the checklist, scored once and reused by many assessments."""

    raw: dict
    level: str | None
    total: object
    final: object
    result: dict
    evidence_items: tuple
    shortfalls: tuple  # the items short of full marks: the findings of a visit answered so


def answer_profiles(
    edition: Edition, rng: random.Random, count: int = 240
) -> dict[str | None, list[Profile]]:
    """Answer sets of good, middling and poor outlets, grouped by the level they reach."""
    grouped: dict[str | None, list[Profile]] = defaultdict(list)
    for n in range(count):
        quality = (0.98, 0.9, 0.65)[n % 3]
        raw = {
            item.code: _raw_answer(item, quality, rng) for item in (*edition.items(), *edition.bonus_items())
        }
        answers = answers_from_json(edition, raw)
        result = score(edition, answers, holds_valid_district_certificate=True)
        needs_evidence = tuple(
            code for code, answer in answers.items() if evidence_required(edition.item(code), answer)
        )
        grouped[result.level].append(
            Profile(
                raw,
                result.level,
                result.total,
                result.final,
                result.to_dict(),
                needs_evidence,
                tuple(shortfalls(result)),
            )
        )
    return grouped


def _raw_answer(item, quality: float, rng: random.Random):
    if item.not_applicable_allowed and rng.random() < 0.04:
        return {"not_applicable": True}
    kind = item.answer.type
    if kind == "yes_no":
        good = rng.random() < quality
        return good if item.answer.earns_on else not good
    if kind == "choice":
        options = [option.code for option in item.answer.options]
        return options[0] if rng.random() < quality else rng.choice(options)
    if kind == "percentage":
        value = round(rng.uniform(100 * quality - 8, 100), 1) if quality < 1 else 100
        value = min(100.0, max(0.0, value))
        return int(value) if value == int(value) else value
    return rng.randint(0, 4) if rng.random() > quality else rng.randint(2, 6)


def stored_value(raw) -> tuple[str | None, bool]:
    """The answers table's (value, not_applicable) for a raw JSON answer."""
    if isinstance(raw, dict):
        return None, True
    return json.dumps(raw, ensure_ascii=False), False


def fake_sha(*parts) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Timeline:
    created_at: datetime
    steps: list  # (action, moment)
    scheduled_for: date | None = None
    decided_at: datetime | None = None

    @property
    def submitted_at(self):
        return next((moment for action, moment in self.steps if action == "submit"), None)


def make_timeline(
    status: str,
    rng: random.Random,
    now: datetime,
    recent: bool,
    approval: list[str] = (),
    *,
    rectify: bool = True,
) -> Timeline:
    """When each step of the application happened, ending before `now`: its path to `status`, then the
    `approval` actions signed (last); with `rectify`, some inspected applications are re-inspected
    after rectification before what follows."""
    path = [*PATHS[status], *approval]
    if status == "rejected" and rng.random() < 0.15:
        path = ["submit", "reject"]
    if status == "withdrawn" and rng.random() < 0.4:
        path = ["submit", "withdraw"]
    if (
        rectify
        and "sign_off" in path
        and "request_rectification" not in path
        and rng.random() < RECTIFIED_SHARE
    ):
        after = path.index("sign_off") + 1
        path[after:after] = RECTIFICATION_LOOP
    gaps = [timedelta(days=rng.uniform(1, 12), hours=rng.uniform(0, 8)) for _ in path]
    length = sum(gaps, timedelta()) + timedelta(days=rng.uniform(1, 20))
    age = timedelta(days=rng.uniform(0, 45) if recent else rng.uniform(0, 1800))
    created = now - length - age - timedelta(days=1)
    moment, steps = created, []
    for action, gap in zip(path, gaps, strict=True):
        moment += gap
        steps.append((action, moment))
    timeline = Timeline(created, steps)
    for action, at in steps:
        if action == "schedule_inspection":
            timeline.scheduled_for = (at + timedelta(days=rng.randint(3, 20))).date()
    if status in ("approved", "rejected", "withdrawn"):
        timeline.decided_at = steps[-1][1]
    if status == "inspection_scheduled":
        timeline.scheduled_for = (now + timedelta(days=rng.randint(1, 21))).date()
    return timeline


def outlet_rows(count: int, district_ids: dict[str, int], rng: random.Random, now: datetime):
    """(id, name, brand, district_id, address, permit_number, manager, phone, hours, verified, ...)."""
    codes = list(DISTRICT_WEIGHTS)
    brand_weights = {brand: BRAND_WEIGHTS.get(brand, 2) for brand in KNOWN_BRANDS}
    surnames, given = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
    streets = (
        "人民路",
        "沪南公路",
        "浦星公路",
        "南亭公路",
        "金海路",
        "曹安公路",
        "共和新路",
        "沪闵路",
        "松卫北路",
    )
    rows = []
    for outlet_id in range(1, count + 1):
        code = rng.choices(codes, weights=list(DISTRICT_WEIGHTS.values()))[0]
        brand = weighted(rng, brand_weights)
        created = now - timedelta(days=rng.uniform(30, 2000))
        verified = rng.random() < 0.96
        rows.append(
            (
                outlet_id,
                f"{brand}{code}第{outlet_id}营业点",
                brand,
                district_ids[code],
                f"{rng.choice(streets)} {rng.randint(1, 9999)} 号",
                f"SH-KD-{created.year}-{outlet_id:07d}",
                rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                f"13{rng.randint(100000000, 999999999)}",
                "08:00-20:00",
                verified,
                created + timedelta(days=3) if verified else None,
                None,
                created,
                created,
            )
        )
    return rows


OUTLET_COLUMNS = (
    "id",
    "name",
    "brand",
    "district_id",
    "address",
    "permit_number",
    "manager",
    "phone",
    "opening_hours",
    "verified",
    "verified_at",
    "pending_changes",
    "created_at",
    "updated_at",
)
USER_COLUMNS = (
    "id",
    "username",
    "display_name",
    "email",
    "password_hash",
    "role",
    "district_id",
    "outlet_id",
    "organisation_id",
    "approver",
    "outlet_manager",
    "active",
    "locale",
    "session_token",
    "failed_logins",
    "login_blocked_until",
    "created_at",
    "last_login_at",
    "totp_secret",
    "totp_enabled_at",
)
APPLICATION_COLUMNS = (
    "id",
    "outlet_id",
    "district_id",
    "edition_pk",
    "target_level",
    "status",
    "eligibility",
    "scheduled_for",
    "return_reasons",
    "granted_level",
    "decision_opinion",
    "awaiting_agency",
    "renewal_of_id",
    "created_at",
    "submitted_at",
    "decided_at",
    "updated_at",
    "version",
)
ASSESSMENT_COLUMNS = (
    "id",
    "application_id",
    "kind",
    "sequence",
    "visit_type",
    "scheduled_for",
    "created_at",
    "signed_off_at",
    "signed_off_by_id",
    "outlet_representative",
    "total",
    "final",
    "level_reached",
    "result",
)
VISIT_INSPECTOR_COLUMNS = ("assessment_id", "inspector_id", "signed_at")
NOTICE_COLUMNS = (
    "id",
    "number",
    "application_id",
    "assessment_id",
    "issuing_bureau",
    "due_on",
    "instructions",
    "issued_at",
    "issued_by_id",
    "submitted_at",
)
FINDING_COLUMNS = (
    "id",
    "application_id",
    "assessment_id",
    "item_code",
    "status",
    "notice_id",
    "responsible_person",
    "response",
    "responded_at",
    "responded_by_id",
    "closed_at",
    "created_at",
)
FINDING_CHECK_COLUMNS = (
    "id",
    "finding_id",
    "assessment_id",
    "outcome",
    "method",
    "note",
    "checked_at",
    "checked_by_id",
)
ANSWER_COLUMNS = (
    "id",
    "assessment_id",
    "item_code",
    "value",
    "not_applicable",
    "note",
    "version",
    "updated_at",
    "updated_by_id",
)
CERTIFICATE_COLUMNS = (
    "id",
    "number",
    "application_id",
    "outlet_id",
    "district_id",
    "level",
    "score",
    "edition_id",
    "edition_hash",
    "issuing_bureau",
    "issuer_organisation_id",
    "issued_on",
    "valid_until",
    "state",
    "revoked_at",
    "revoked_reason",
    "revoked_by_id",
    "superseded_by_id",
    "expiry_reminder_sent_at",
    "created_at",
)
EVIDENCE_COLUMNS = (
    "id",
    "outlet_id",
    "application_id",
    "assessment_id",
    "item_code",
    "purpose",
    "kind",
    "mime_type",
    "filename",
    "size_bytes",
    "original_sha256",
    "stored_sha256",
    "thumbnail_sha256",
    "width",
    "height",
    "captured_at",
    "gps_lat",
    "gps_lon",
    "uploaded_at",
    "uploaded_by_id",
)
AUDIT_COLUMNS = (
    "id",
    "occurred_at",
    "actor_id",
    "application_id",
    "outlet_id",
    "subject_type",
    "subject_id",
    "action",
    "field",
    "old_value",
    "new_value",
    "reason",
)
NOTIFICATION_COLUMNS = ("id", "user_id", "kind", "template", "params", "link", "created_at", "read_at")
ASSIGNMENT_COLUMNS = ("application_id", "inspector_id")


def issue_numbers(certificates: list[dict], district_codes: dict[int, str]) -> None:
    """Give each certificate its number: a sequence per (year, district, level) in issue order."""
    sequences: dict[tuple, int] = defaultdict(int)
    for cert in sorted(certificates, key=lambda c: (c["issued_on"], c["id"])):
        key = (cert["issued_on"].year, cert["district_id"], cert["level"])
        sequences[key] += 1
        cert["number"] = certificate_number(
            key[0], district_codes[cert["district_id"]], cert["level"], sequences[key]
        )


def certificate_validity(edition: Edition, level: str, issued_on: date) -> date:
    return add_months(issued_on, edition.level(level).certificate_validity_months)
