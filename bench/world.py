"""The synthetic city: outlets, staff, applications through every status, checklists and certificates.

`build_world` returns the rows of every table in insertion order, plus the `Sample` of records
the benchmark pages open. Big tables (answers, evidence, audit events) are generators.
"""

import random
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from werkzeug.security import generate_password_hash

from bench import synthetic as syn
from bench.approvals import APPROVAL_COLUMNS, PROPOSED_LOWER_SHARE, ApprovalRows
from bench.complaints import COMPLAINT_COLUMNS, complaint_rows
from bench.findings import Checklist, FindingRows
from bench.records import SPREAD, RecordRows
from outlet_audit.accounts.two_factor import REQUIRED_ROLES as SECOND_FACTOR_ROLES
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.model import Edition
from outlet_audit.roles import Agency, Role

# Staff of each district, in numbers per district: its postal bureau (which runs the cases) and its
# ecology and environment bureau (which co-signs approvals and joins city-level visits).
BUREAU_USERS = 2
INSPECTORS = 6
ECOLOGY_BUREAU_USERS = 2
ECOLOGY_INSPECTORS = 3
BENCH_DISTRICT = "PD"
REJECTION = "现场评估未达到认定要求。"
# Organisation codes (migration 0012): "<district code>-postal", "SH-postal" for the city's.
CITY_CODE = "SH"
AGENCY_SUFFIXES = {
    Agency.DISTRICT_POSTAL: "postal",
    Agency.DISTRICT_ECOLOGY: "ecology",
    Agency.CITY_POSTAL: "postal",
    Agency.CITY_ECOLOGY: "ecology",
}


@dataclass
class Plan:
    """One application, decided before any row is written."""

    id: int
    outlet: tuple
    status: str
    target_level: str
    timeline: syn.Timeline
    showcase: str = ""  # "approved" or "open" for the two applications the pages open
    inspectors: list = field(default_factory=list)  # the visit's team, sorted; the first signs off
    approval: list = field(default_factory=list)  # the approval steps signed (approvals.Step)
    profile: object = None  # the answers of the current inspection record (the decision's)
    first_profile: object = None  # the first visit's, when a re-inspection followed rectification
    self_profile: object = None
    granted_level: str | None = None


@dataclass
class World:
    tables: list  # (table name, columns, rows)
    sample: syn.Sample


def build_world(
    scale: syn.Scale,
    edition: Edition,
    edition_pk: int,
    districts: list,
    organisations: dict,
    files=None,
    seed: int = 2025,
) -> World:
    """Every table's rows for `scale`; `districts` are (id, code, name_zh) and `organisations`
    code → (id, name_zh), both from the migrations.

    `files` (synthetic.StoredFiles) are real files in the evidence store that the evidence rows
    point at, so reports print real thumbnails; without them the hashes lead nowhere.
    """
    return _Builder(scale, edition, edition_pk, districts, organisations, files, seed).build()


class _Builder(RecordRows, FindingRows, ApprovalRows):
    def __init__(self, scale, edition, edition_pk, districts, organisations, files, seed):
        self.scale, self.edition, self.edition_pk, self.files = scale, edition, edition_pk, files
        self.rng = random.Random(seed)
        self.now, self.today = utcnow(), today_in_shanghai()
        self.district_ids = {code: district_id for district_id, code, _name in districts}
        self.district_codes = {district_id: code for district_id, code, _name in districts}
        self.organisations = organisations
        self.sample = syn.Sample()
        self.password_hash = generate_password_hash(syn.BENCH_PASSWORD, method="scrypt")
        self.profiles = syn.answer_profiles(edition, self.rng)
        self.all_profiles = [p for group in self.profiles.values() for p in group]
        # What a first visit followed by rectification looked like: some items short of full marks.
        self.failing_profiles = [p for p in self.all_profiles if p.shortfalls]
        self.item_codes = [item.code for item in (*edition.items(), *edition.bonus_items())]
        self.bonus_codes = {item.code for item in edition.bonus_items()}

    def build(self) -> World:
        outlets = syn.outlet_rows(self.scale.outlets, self.district_ids, self.rng, self.now)
        users = self._users(outlets)
        plans = self._plans(outlets)
        assessments, answer_plan = self._assessments(plans)
        certificates = self._certificates(plans)
        tables = [
            ("outlets", syn.OUTLET_COLUMNS, outlets),
            ("users", syn.USER_COLUMNS, users),
            ("applications", syn.APPLICATION_COLUMNS, [self._application_row(p) for p in plans]),
            ("approval_records", APPROVAL_COLUMNS, self._approval_rows(plans)),
            (
                "inspection_assignments",
                syn.ASSIGNMENT_COLUMNS,
                [(p.id, inspector) for p in plans for inspector in p.inspectors],
            ),
            ("assessments", syn.ASSESSMENT_COLUMNS, assessments),
            ("visit_inspectors", syn.VISIT_INSPECTOR_COLUMNS, self.visit_rows),
            ("rectification_notices", syn.NOTICE_COLUMNS, self.notice_rows),
            ("findings", syn.FINDING_COLUMNS, self.finding_rows),
            ("finding_checks", syn.FINDING_CHECK_COLUMNS, self.check_rows),
            ("answers", syn.ANSWER_COLUMNS, self._answers(answer_plan)),
            (
                "evidence",
                syn.EVIDENCE_COLUMNS,
                self._evidence(plans, answer_plan) if self.scale.extras else [],
            ),
            ("certificates", syn.CERTIFICATE_COLUMNS, certificates),
            ("complaints", COMPLAINT_COLUMNS, self._complaints(certificates)),
            (
                "audit_events",
                syn.AUDIT_COLUMNS,
                self._audit(plans, certificates, answer_plan) if self.scale.extras else [],
            ),
            (
                "notifications",
                syn.NOTIFICATION_COLUMNS,
                self._notifications(plans) if self.scale.extras else [],
            ),
        ]
        return World(tables, self.sample)

    def _complaints(self, certificates) -> list[tuple]:
        """The public's complaints; the showcase certificate draws one or two, and the newest of them
        is the complaint page the bench opens (any in the bench district's bureau's reach)."""
        rows = complaint_rows(
            certificates,
            self.district_codes,
            lambda district_id: self._signer(Agency.DISTRICT_POSTAL, district_id, 0),
            self.rng,
            self.now,
            always=frozenset({self.sample.certificate_id}),
        )
        self.sample.complaint_id = max(row[0] for row in rows if row[3] == self.sample.certificate_id)
        return rows

    # --- people ------------------------------------------------------------------------------

    def organisation(self, agency: Agency, district_id: int | None) -> tuple[int, str]:
        """(id, name_zh) of the agency's organisation: the district's, or the city's."""
        prefix = self.district_codes[district_id] if agency.district_tier else CITY_CODE
        return self.organisations[f"{prefix}-{AGENCY_SUFFIXES[agency]}"]

    def _users(self, outlets) -> list[tuple]:
        rows, self.staff, self.city = [], {}, []
        self.bureau, self.inspectors = defaultdict(list), defaultdict(list)  # of the postal bureaus
        self.ecology_bureau, self.ecology_inspectors = defaultdict(list), defaultdict(list)
        bench_district = self.district_ids[BENCH_DISTRICT]

        def add(username, role, district_id=None, outlet_id=None, name=None, agency=None):
            """A user; staff belong to the agency's organisation, and bureau staff sign approval steps."""
            user_id = len(rows) + 1
            organisation = self.organisation(agency, district_id)[0] if agency else None
            created, second_factor = self.now - timedelta(days=400), role in SECOND_FACTOR_ROLES
            rows.append(
                (
                    user_id, username, name or username, f"{username}@bench.invalid", self.password_hash,
                    role.value, district_id, outlet_id, organisation,
                    role in (Role.DISTRICT_BUREAU, Role.CITY_BUREAU),
                    role == Role.OUTLET,  # an outlet's one account manages it
                    True, None, secrets.token_urlsafe(32), 0, None, created, None,
                    *((syn.BENCH_TOTP_SECRET, created) if second_factor else (None, None)),
                )
            )  # fmt: skip
            return user_id

        def staff(people, count, role, district_id, agency, names, bench_name):
            code = self.district_codes[district_id].lower()
            for n in range(1, count + 1):
                bench = bench_name and district_id == bench_district and n == 1
                name = bench_name if bench else f"{names}-{code}-{n}"
                people[district_id].append(add(name, role, district_id, agency=agency))

        self.admin = add("bench-admin", Role.ADMIN, name="基准 管理员")
        add("admin-2", Role.ADMIN)
        city = {"role": Role.CITY_BUREAU, "agency": Agency.CITY_POSTAL}
        self.city.append(add("bench-city", name="基准 市局审核员", **city))
        self.city += [add(f"city-{n}", **city) for n in (2, 3)]
        postal, ecology, bureau, inspector = (
            Agency.DISTRICT_POSTAL, Agency.DISTRICT_ECOLOGY, Role.DISTRICT_BUREAU, Role.INSPECTOR
        )  # fmt: skip
        # (who, how many, role, organisation, names, the bench user's name in the bench district if any)
        district_staff = (
            (self.bureau, BUREAU_USERS, bureau, postal, "bureau", "bench-district"),
            (self.inspectors, INSPECTORS, inspector, postal, "inspector", "bench-inspector"),
            (self.ecology_bureau, ECOLOGY_BUREAU_USERS, bureau, ecology, "ecology", "bench-ecology"),
            (self.ecology_inspectors, ECOLOGY_INSPECTORS, inspector, ecology, "ecology-inspector", ""),
        )
        for district_id in self.district_ids.values():
            for people, count, role, agency, names, bench_name in district_staff:
                staff(people, count, role, district_id, agency, names, bench_name)
        self.bench_inspector = self.inspectors[bench_district][0]
        self.showcase_outlet = next(o for o in outlets if o[3] == bench_district and o[9])
        for outlet in outlets:
            if outlet[9]:  # verified outlets have a staff account
                bench = outlet is self.showcase_outlet
                self.staff[outlet[0]] = add(
                    "bench-outlet" if bench else f"outlet-{outlet[0]}",
                    Role.OUTLET,
                    outlet_id=outlet[0],
                    name=f"{outlet[6]}（{outlet[1]}）",
                )
        self.sample.usernames = {
            "admin": "bench-admin",
            "city_bureau": "bench-city",
            "district_bureau": "bench-district",
            "district_ecology": "bench-ecology",  # a district bureau user of the ecology bureau
            "inspector": "bench-inspector",
            "outlet": "bench-outlet",
        }
        self.sample.district_id, self.sample.district_code = bench_district, BENCH_DISTRICT
        self.sample.outlet_id = self.showcase_outlet[0]
        return rows

    # --- applications ------------------------------------------------------------------------

    def _plans(self, outlets) -> list[Plan]:
        applying = [o for o in outlets if o[9] and o is not self.showcase_outlet]
        by_outlet = defaultdict(int)
        for _ in range(max(self.scale.applications - 2, 0)):
            by_outlet[self.rng.randrange(len(applying))] += 1
        with_apps = list(by_outlet)
        open_count = min(round(syn.OPEN_SHARE * self.scale.applications), len(with_apps))
        open_outlets = set(self.rng.sample(with_apps, open_count))
        plans: list[Plan] = []
        # The two applications every page opens come first: ids 1 and 2.
        plans.append(self._plan(len(plans) + 1, self.showcase_outlet, "approved", showcase="approved"))
        plans.append(
            self._plan(len(plans) + 1, self.showcase_outlet, "inspection_scheduled", showcase="open")
        )
        # The bench district's first open applications wait for the approvals pages' users, whatever
        # the scale: (level, steps signed) waiting for the district ecology bureau, the district postal
        # bureau and the city postal bureau.
        waits = [("district", 1), ("district", 2), ("city", 2)]
        for index, count in by_outlet.items():
            for n in range(count):
                is_open = index in open_outlets and n == count - 1
                status = syn.weighted(self.rng, syn.OPEN_WEIGHTS if is_open else syn.FINAL_WEIGHTS)
                wait = (
                    waits.pop()
                    if is_open and waits and applying[index][3] == self.sample.district_id
                    else None
                )
                plans.append(self._plan(len(plans) + 1, applying[index], status, recent=is_open, wait=wait))
        return plans

    def _plan(self, plan_id, outlet, status, *, showcase="", recent=False, wait=None) -> Plan:
        """The plan of one application in `status`; `wait`: (level, steps signed) of one in approval."""
        # City-level applications wait longest in approval (three agencies sign, the city's last).
        target = "city" if self.rng.random() < (0.5 if status == "in_approval" else 0.2) else "district"
        if showcase:
            target, recent = ("district" if showcase == "approved" else "city"), True
        # The level the district postal bureau proposed, when it did: a city-level applicant is
        # sometimes proposed (and granted) district level only.
        level = None
        if status in ("approved", "in_approval"):
            level = (
                target if target == "district" or self.rng.random() >= PROPOSED_LOWER_SHARE else "district"
            )
        if wait:
            status, (level, signed) = "in_approval", wait
            target = level
        approval = self._approval_steps(status, level, signed if wait else None) if level else []
        # The pages' two applications keep one inspection record each: their ids are the sample's.
        timeline = syn.make_timeline(
            status, self.rng, self.now, recent, [step.action for step in approval], rectify=not showcase
        )
        granted = level if status == "approved" else None
        plan = Plan(
            plan_id, outlet, status, target, timeline, showcase, granted_level=granted, approval=approval
        )
        self._sign_steps(plan)
        if any(action == "schedule_inspection" for action, _ in timeline.steps):
            plan.inspectors = self._team(plan)
            group = {
                "approved": self.profiles.get(level),
                "in_approval": self.profiles.get(level),
                "rejected": self.profiles.get(None),
            }.get(status)
            plan.profile = self.rng.choice(group or self.all_profiles)
            actions = [action for action, _moment in timeline.steps]
            if "request_rectification" in actions:  # ordered for findings of the first visit
                if actions.count("sign_off") > 1:  # and re-inspected: the first visit fell short
                    plan.first_profile = self.rng.choice(self.failing_profiles)
                elif not plan.profile.shortfalls:
                    plan.profile = self.rng.choice(self.failing_profiles)
        good = self.profiles.get("district", []) + self.profiles.get("city", [])
        plan.self_profile = self.rng.choice(good or self.all_profiles)
        if showcase == "approved":
            self.sample.application_id = plan_id
        elif showcase == "open":
            self.sample.open_application_id = plan_id
        return plan

    def _team(self, plan: Plan) -> list[int]:
        """Two inspectors of the district: one of each agency the level's visits need (the edition's
        `inspection_team`: postal and ecology for city level), else of its postal bureau."""
        district_id = plan.outlet[3]
        pools = {Agency.DISTRICT_POSTAL: self.inspectors[district_id]}
        pools[Agency.DISTRICT_ECOLOGY] = self.ecology_inspectors[district_id]
        team = [
            self.rng.choice(pools[agency]) for agency in self.edition.level(plan.target_level).inspection_team
        ]
        postal = pools[Agency.DISTRICT_POSTAL]
        if plan.showcase:  # the bench inspector is on the visits the pages open
            team = [self.bench_inspector, *(member for member in team if member not in postal)]
        team += self.rng.sample([person for person in postal if person not in team], max(0, 2 - len(team)))
        return sorted(team)

    def _application_row(self, plan: Plan) -> tuple:
        t, status, rng = plan.timeline, plan.status, self.rng
        eligibility = {d.code: True for d in self.edition.eligibility}
        if status == "draft":
            eligibility = dict(list(eligibility.items())[: rng.randint(0, len(eligibility))])
        last_step = t.steps[-1][1] if t.steps else t.created_at
        opinion = {"approved": plan.approval[-1].opinion if plan.approval else None, "rejected": REJECTION}
        return (
            plan.id,
            plan.outlet[0],
            plan.outlet[3],
            self.edition_pk,
            plan.target_level,
            status,
            eligibility,
            t.scheduled_for,
            "承诺书未签字，请补充后重新提交。" if status == "returned" else None,
            plan.granted_level,
            opinion.get(status),
            self._awaiting_agency(plan),
            None,
            t.created_at,
            t.submitted_at,
            t.decided_at,
            last_step,
            len(t.steps) + 1,
        )

    # --- checklists ----------------------------------------------------------------------------

    def _assessments(self, plans):
        """Assessment rows, and per checklist what its answers come from (`findings.Checklist`);
        the inspection records' inspectors, findings, notices and verifications on the way."""
        rows, answer_plan, reportable, rectified = [], [], [], []
        self.visit_rows, self.notice_rows, self.finding_rows, self.check_rows = [], [], [], []
        self.finding_events = []  # the audit rows of the outlet's answers and the verifications
        for plan in plans:
            p = plan.self_profile
            codes = self._codes(p, partial=plan.status == "draft")
            scored = plan.status != "draft"
            result = p.result if self.scale.extras else None
            moment = plan.timeline.submitted_at or plan.timeline.created_at
            rows.append(
                (
                    len(rows) + 1, plan.id, "self", 1, None, None, plan.timeline.created_at,
                    None, None, None,  # submitted with the application, never signed off
                    p.total if scored else None, p.final if scored else None, p.level if scored else None,
                    result if scored else None,
                )
            )  # fmt: skip
            answer_plan.append(Checklist(rows[-1][0], plan, "self", p, codes, moment))
            if plan.profile is None:
                continue
            records = self._inspection_records(plan)
            for sequence, (visit_type, p, created, signed_at) in enumerate(records, start=1):
                partial = plan.status == "inspection_scheduled"
                result = p.result if self.scale.extras and not partial else None
                rows.append(
                    (
                        len(rows) + 1, plan.id, "inspection", sequence, visit_type,
                        plan.timeline.scheduled_for if sequence == 1 else None, created, signed_at,
                        plan.inspectors[0] if signed_at else None,
                        f"{plan.outlet[6]} 负责人" if signed_at else None,
                        None if partial else p.total, None if partial else p.final,
                        None if partial else p.level, result,
                    )
                )  # fmt: skip
                record_id = rows[-1][0]
                self.visit_rows += self._team_signatures(record_id, plan.inspectors, signed_at)
                answer_plan.append(
                    Checklist(
                        record_id, plan, "inspection", p, self._codes(p, partial=partial),
                        signed_at or created, open=signed_at is None, partial=partial,
                    )
                )  # fmt: skip
            inspections = answer_plan[-len(records) :]
            self._findings(plan, inspections, records)
            if records[-1][3] and plan.outlet[3] == self.sample.district_id:
                reportable.append(plan.id)
            notice = self.notice_rows[-1] if self.notice_rows else None
            if notice and notice[2] == plan.id and notice[9] and plan.outlet[3] == self.sample.district_id:
                rectified.append((len(records) > 1, plan.id))  # answered; re-inspected first
            if plan.showcase == "approved":
                self.sample.assessment_id = rows[-1][0]
            elif plan.showcase == "open":
                self.sample.open_assessment_id = rows[-1][0]
        self.sample.report_application_ids = self.rng.sample(reportable, min(len(reportable), SPREAD))
        # The application page with findings answered (and verified when re-inspected): the most
        # the rectification shows there (workflow/views_findings.py's forms are on it).
        self.sample.rectification_application_id = max(rectified)[1] if rectified else 0
        self._fit_answers_to_budget(answer_plan)
        self._answer_targets(answer_plan)
        return rows, answer_plan

    @staticmethod
    def _team_signatures(record_id: int, team: list[int], signed_at) -> list[tuple]:
        """The visit's team, each with their signature of a signed record: the signer's first (it is
        the sign-off, which locks the answers), the others' a few minutes later, on site."""
        return [
            (record_id, inspector, signed_at and signed_at + timedelta(minutes=4 * n))
            for n, inspector in enumerate(team)
        ]

    def _inspection_records(self, plan) -> list[tuple]:
        """(visit type, answers, created, signed) of each inspection record, in order: the first
        visit, and the re-inspection once the outlet sent its rectification (open until signed)."""
        steps = plan.timeline.steps
        sign_offs = [moment for action, moment in steps if action == "sign_off"]
        scheduled = next(moment for action, moment in steps if action == "schedule_inspection")
        submitted = next((moment for action, moment in steps if action == "submit_rectification"), None)
        first = plan.first_profile or plan.profile
        records = [("initial", first, scheduled, sign_offs[0] if sign_offs else None)]
        if submitted is not None:
            signed = sign_offs[1] if len(sign_offs) > 1 else None
            # Open, it holds the first visit's answers it was pre-filled with; signed, the final ones.
            records.append(("reinspection", plan.profile if signed else first, submitted, signed))
        return records

    def _codes(self, profile, *, partial: bool) -> list[str]:
        codes = list(profile.raw)
        if partial:
            codes = self.rng.sample(codes, self.rng.randint(6, len(codes) - 2))
        return codes

    def _fit_answers_to_budget(self, answer_plan) -> None:
        """Drop answers (optional bonus items first, then whole checklists) down to the requested count."""
        excess = sum(len(entry.codes) for entry in answer_plan) - self.scale.answers
        order = [i for i, entry in enumerate(answer_plan) if not entry.plan.showcase]
        self.rng.shuffle(order)
        for i in order:
            if excess <= 0:
                return
            codes = answer_plan[i].codes
            bonus = [code for code in codes if code in self.bonus_codes][:excess]
            for code in bonus:
                codes.remove(code)
            excess -= len(bonus)
        for i in order:
            if excess <= 0:
                return
            codes = answer_plan[i].codes
            dropped = min(excess, len(codes))
            del codes[len(codes) - dropped :]
            excess -= dropped

    def _answer_targets(self, answer_plan) -> None:
        editable = {"inspection_scheduled", "rectification_submitted"}
        for entry in answer_plan:
            plan = entry.plan
            if entry.open and plan.status in editable and self.bench_inspector in plan.inspectors:
                self.sample.answer_targets += [
                    syn.AnswerTarget(entry.assessment_id, code, 1 if code in entry.codes else 0)
                    for code in self.item_codes
                ]

    def _answers(self, answer_plan):
        return (row for row, _plan, _kind in self._answer_rows(answer_plan))

    def _answer_rows(self, answer_plan):
        """Each answer row, with its application's plan and its checklist's kind (for its audit row).

        Drawn without the random generator: the audit trail walks the answers a second time."""
        answer_id = 0
        for entry in answer_plan:
            assessment_id, plan, kind, profile, moment = (
                entry.assessment_id, entry.plan, entry.kind, entry.profile, entry.moment
            )  # fmt: skip
            for code in entry.codes:
                answer_id += 1
                value, not_applicable = syn.stored_value(profile.raw[code])
                note = syn.NOTES[answer_id % len(syn.NOTES)] if answer_id % 7 == 0 else None  # one in seven
                author = (
                    plan.inspectors[answer_id % 2] if kind == "inspection" else self.staff[plan.outlet[0]]
                )
                row = (answer_id, assessment_id, code, value, not_applicable, note or None, 1, moment, author)
                yield row, plan, kind
