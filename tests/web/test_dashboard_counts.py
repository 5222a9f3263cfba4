"""The dashboard's maintained counts (dashboards/counts.py) equal a recount from the records.

The recount is the dashboard's former live queries (tests/dashboard_recount.py), which the
figures tests proved against hand counts. After random sequences of real operations (first
inspections signed, rectification ordered, answered and verified at re-inspections, signed
records corrected, outlets' brands changed, certificates revoked, applications withdrawn), every
figure read from the counts equals the recount, for filters drawn from 240 combinations (district,
brand, level, five date ranges), on SQLite and PostgreSQL; and the counts equal the ones `rebuild`
makes from scratch.
"""

import random
import statistics
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, or_, select

from outlet_audit.certificates.revocation import revoke_certificate
from outlet_audit.checklist.findings import open_notice
from outlet_audit.checklist.kinds import FindingStatus
from outlet_audit.core.time import clock_at, today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.dashboards import queries
from outlet_audit.dashboards.counts import EVERYTHING, Grain, period_ranges, rebuild
from outlet_audit.dashboards.models import ItemCount
from outlet_audit.dashboards.queries import Filters, item_pass_rates
from outlet_audit.dashboards.rectification import median_of, rectification_figures
from outlet_audit.extensions import db
from outlet_audit.outlets.operations import accept_profile_changes, update_profile
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import worst_value
from outlet_audit.workflow.states import Action, Status
from tests import dashboard_recount as recount
from tests.dashboard_helpers import (
    BRANDS,
    DISTRICTS,
    answer_rectification,
    correct_signed_visit,
    days_ago,
    inspected_with_findings,
    order_rectification,
    reinspect,
)
from tests.factories import cast_for, certify, district, make_application, make_outlet, make_user

# --- periods -------------------------------------------------------------------------------------

WINDOW = (date(2023, 1, 1), date(2028, 12, 31))
dates = st.one_of(st.none(), st.dates(min_value=date(2023, 6, 1), max_value=date(2028, 6, 30)))


def covers(r, day: date) -> bool:
    if r.grain == Grain.ALL:
        return True
    period = {
        Grain.DAY: day,
        Grain.MONTH: day.replace(day=1),
        Grain.YEAR: date(day.year, 1, 1),
    }[r.grain]
    return r.first <= period <= r.last


@given(start=dates, end=dates)
def test_period_ranges_cover_every_day_in_the_range_once_and_no_other(start, end):
    ranges = period_ranges(start, end)
    day = WINDOW[0]
    while day <= WINDOW[1]:
        inside = (start is None or start <= day) and (end is None or day <= end)
        assert sum(covers(r, day) for r in ranges) == (1 if inside else 0), day
        day += timedelta(days=1)
    # Few rows per item, whatever the range: whole years, and at most 11 months and 30 days each side.
    assert len(ranges) <= 5


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, [("A", date(1970, 1, 1), date(1970, 1, 1))]),
        (date(2026, 3, 1), date(2026, 3, 31), [("M", date(2026, 3, 1), date(2026, 3, 1))]),
        (date(2026, 3, 5), date(2026, 3, 9), [("D", date(2026, 3, 5), date(2026, 3, 9))]),
        (
            date(2025, 12, 30),
            date(2027, 2, 2),
            [
                ("Y", date(2026, 1, 1), date(2026, 1, 1)),
                ("D", date(2025, 12, 30), date(2025, 12, 31)),
                ("M", date(2027, 1, 1), date(2027, 1, 1)),
                ("D", date(2027, 2, 1), date(2027, 2, 2)),
            ],
        ),
        (date(2026, 3, 9), date(2026, 3, 5), []),
    ],
)
def test_period_ranges_examples(start, end, expected):
    assert [(r.grain.value, r.first, r.last) for r in period_ranges(start, end)] == expected


@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=40))
def test_the_median_of_a_histogram_is_the_median_of_its_values(values):
    histogram = sorted({v: values.count(v) for v in values}.items())
    expected = Decimal(str(statistics.median(values))).quantize(Decimal("0.1"))
    assert median_of(histogram) == expected


def test_no_histogram_has_no_median():
    assert median_of([]) is None


# --- the counts against a recount ------------------------------------------------------------------

LEVELS = (None, "district", "city")


def all_filters(today: date, district_ids: list[int]) -> list[Filters]:
    ranges = [
        (None, None),
        (today - timedelta(days=400), None),
        (None, today - timedelta(days=40)),
        (today.replace(day=1) - timedelta(days=75), today - timedelta(days=3)),
        (today - timedelta(days=1), today),
    ]
    return [
        Filters(today, district_id, start, end, level, brand)
        for district_id in (None, *district_ids)
        for brand in (None, *BRANDS)
        for level in LEVELS
        for start, end in ranges
    ]


def assert_counts_match(filters: list[Filters]) -> None:
    edition = active_edition()
    for f in filters:
        items = item_pass_rates(f, edition)
        assert items == recount.item_pass_rates(f, edition), f
        titles = {item.code: item.title for item in items}
        assert rectification_figures(f, titles) == recount.rectification_figures(f, titles), f
        for figure in FIGURES:
            assert getattr(queries, figure)(f) == getattr(recount, figure)(f), (figure, f)


FIGURES = (
    "outlet_totals",
    "applications_by_status",
    "certificates_by_level_and_state",
    "monthly_trend",
    "coverage_by_brand",
    "district_breakdown",
)


def counted_rows() -> dict:
    """Every row of the counts tables with something counted (rows taken back to zero may stay)."""
    rows = {}
    for counted in EVERYTHING:
        table = counted.model.__table__
        stmt = select(table).where(or_(*(table.c[m] != 0 for m in counted.measures)))
        rows[table.name] = sorted(tuple(row) for row in db.session.execute(stmt))
    return rows


class Operations:
    """The operations a sequence draws from, each on a record it may be done to (real operations)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.district_ids = [district(code).id for code in DISTRICTS]
        self.bureaus = {code: make_user(Role.DISTRICT_BUREAU, district_code=code) for code in DISTRICTS}
        self.city = make_user(Role.CITY_BUREAU)

    def _in(self, *statuses: Status) -> Application | None:
        candidates = db.session.scalars(
            select(Application)
            .where(Application.status.in_([s.value for s in statuses]))
            .order_by(Application.id)
        ).all()
        return self.rng.choice(candidates) if candidates else None

    def _moment(self):
        return clock_at(days_ago(self.rng.randint(1, 500), hour=self.rng.randint(0, 23)))

    def sign_first_visit(self) -> str:
        code = self.rng.choice(DISTRICTS)
        outlet = make_outlet(code, brand=self.rng.choice(BRANDS))
        level = self.rng.choice(["district", "district", "city"])
        if level == "city":
            certify(outlet)
        edition = active_edition()
        scored = [item.code for item in edition.items() if worst_value(item) is not None]
        short_of = self.rng.sample(scored, self.rng.randint(0, 4))
        with self._moment():
            inspected_with_findings(outlet, short_of, target_level=level)
        return f"signed a first visit short of {short_of}"

    def order(self) -> str:
        application = self._in(Status.INSPECTED)
        if application is None:
            return self.sign_first_visit()
        notice_codes = sorted({finding.item_code for finding in _open_findings(application)})
        if not notice_codes:
            return "nothing to order"
        codes = self.rng.sample(notice_codes, self.rng.randint(1, len(notice_codes)))
        # Ordered some days ago or today, due within a month of then: some are overdue by now.
        ago = self.rng.choice([0, 0, 10, 40])
        due_on = today_in_shanghai() - timedelta(days=ago) + timedelta(days=self.rng.randint(1, 30))
        with clock_at(days_ago(ago)) if ago else nullcontext():
            order_rectification(application, codes, due_on=due_on)
        return f"ordered {codes} by {due_on}"

    def answer(self) -> str:
        application = self._in(Status.RECTIFICATION_REQUESTED)
        if application is None or open_notice(application.id) is None:
            return self.order()
        answer_rectification(application)
        return "answered a notice"

    def reinspect(self) -> str:
        application = self._in(Status.RECTIFICATION_SUBMITTED)
        if application is None:
            return self.answer()
        ordered = {
            finding.item_code
            for finding in open_notice(application.id).findings
            if finding.status == FindingStatus.ANSWERED
        }
        outcomes = {code: self.rng.choice(["closed", "not_closed"]) for code in ordered}
        reinspect(application, outcomes)
        return f"re-inspected: {outcomes}"

    def correct(self) -> str:
        application = self._in(Status.INSPECTED)
        if application is None:
            return self.sign_first_visit()
        edition = pinned_edition(application.edition)
        items = [item for item in edition.items() if worst_value(item) is not None]
        changes = {item.code: worst_value(item) for item in self.rng.sample(items, 2)}
        correct_signed_visit(application, changes)
        return f"corrected a signed visit: {sorted(changes)}"

    def change_brand(self) -> str:
        application = self._in(
            Status.INSPECTED, Status.RECTIFICATION_REQUESTED, Status.RECTIFICATION_SUBMITTED
        )
        if application is None:
            return self.sign_first_visit()
        outlet = application.outlet
        brand = self.rng.choice([b for b in BRANDS if b != outlet.brand])
        outlet_user = cast_for(outlet).outlet_user
        update_profile(outlet, {"brand": brand}, actor=outlet_user)
        accept_profile_changes(outlet, actor=self.bureaus[outlet.district.code])
        return f"outlet {outlet.id} now {brand}"

    def revoke(self) -> str:
        outlet = make_outlet(self.rng.choice(DISTRICTS), brand=self.rng.choice(BRANDS))
        certificate = certify(outlet)
        revoke_certificate(certificate, self.bureaus[outlet.district.code], "抽查不合格")
        return "revoked a certificate"

    def register(self) -> str:
        with self._moment():
            outlet = make_outlet(
                self.rng.choice(DISTRICTS), verified=self.rng.random() < 0.7, brand=self.rng.choice(BRANDS)
            )
        return f"registered outlet {outlet.id}"

    def apply(self) -> str:
        outlet = make_outlet(self.rng.choice(DISTRICTS), brand=self.rng.choice(BRANDS))
        status = self.rng.choice([Status.DRAFT, Status.SUBMITTED, Status.ACCEPTED, Status.RETURNED])
        with self._moment():
            make_application(outlet, status=status)
        return f"an application, {status}"

    def certify(self) -> str:
        outlet = make_outlet(self.rng.choice(DISTRICTS), brand=self.rng.choice(BRANDS))
        level = self.rng.choice(["district", "city"])
        if level == "city":
            certify(outlet)
        issued_on = today_in_shanghai() - timedelta(days=self.rng.randint(0, 900))
        certify(outlet, level, issued_on=issued_on)
        return f"certified at {level} level on {issued_on}"

    def withdraw(self) -> str:
        application = self._in(Status.INSPECTED, Status.RECTIFICATION_REQUESTED)
        if application is None:
            return self.sign_first_visit()
        outlet_user = cast_for(application.outlet).outlet_user
        apply_transition(application, Action.WITHDRAW, outlet_user, make_payload())
        return "withdrew an application"

    def all(self):
        return [
            self.sign_first_visit,
            self.sign_first_visit,
            self.order,
            self.answer,
            self.reinspect,
            self.correct,
            self.change_brand,
            self.revoke,
            self.withdraw,
            self.register,
            self.apply,
            self.certify,
        ]


def _open_findings(application):
    from outlet_audit.checklist.models import Finding

    return db.session.scalars(
        select(Finding).where(Finding.application_id == application.id, Finding.status == FindingStatus.OPEN)
    ).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_a_recount_after_random_operations(client, db_session, seed):
    rng = random.Random(seed)
    operations = Operations(rng)
    today = today_in_shanghai()
    filters = all_filters(today, operations.district_ids)
    done = []
    for _ in range(16):
        operation = rng.choice(operations.all())
        done.append(operation())
        db.session.flush()
        # Every step: the unfiltered figures and a sample of the rest (a larger one at the end;
        # the three seeds draw different samples of the 240).
        assert_counts_match([filters[0], *rng.sample(filters, 6)])
    assert_counts_match(rng.sample(filters, 60))
    kept = counted_rows()
    assert kept["dashboard_item_counts"], done
    rebuild(db.session.connection())
    assert counted_rows() == kept, done


def test_a_rollback_takes_the_counts_back(client, db_session):
    before = counted_rows()
    savepoint = db.session.begin_nested()
    inspected_with_findings(make_outlet("FX", brand=BRANDS[0]), ["1.1"])
    assert counted_rows() != before
    savepoint.rollback()
    assert counted_rows() == before


def test_answers_at_work_cost_no_counting(client, db_session, monkeypatch):
    """Saving answers on a record not signed off (the inspector at work) counts nothing: no
    statement is run for them."""
    from outlet_audit.checklist.kinds import AssessmentKind
    from outlet_audit.dashboards import counts
    from outlet_audit.workflow.seeding import answer_checklist

    inspected_with_findings(make_outlet("FX"), [])
    application = make_application(make_outlet("QP"), status=Status.INSPECTION_SCHEDULED)
    db.session.flush()
    touched = []
    for name in ("take_away", "put_back"):
        monkeypatch.setattr(counts, name, lambda connection, what: touched.append(what) if what else None)
    answer_checklist(application, AssessmentKind.INSPECTION, application.inspectors[0], {})
    db.session.flush()
    assert touched == []
    assert db.session.scalar(select(func.count()).select_from(ItemCount)) > 0


def test_an_answer_written_to_a_signed_record_by_any_path_is_counted(client, db_session):
    """Not the application's way (answers are locked at sign-off), but a loader's or a repair's: the
    counts follow whatever is stored."""
    from outlet_audit.checklist.kinds import AssessmentKind
    from outlet_audit.checklist.models import Answer
    from outlet_audit.checklist.service import assessment_of

    application = inspected_with_findings(make_outlet("FX", brand=BRANDS[1]), [])
    record = assessment_of(application, AssessmentKind.INSPECTION)
    answer = db.session.scalar(select(Answer).where(Answer.assessment_id == record.id).limit(1))
    db.session.delete(answer)
    db.session.flush()
    filters = all_filters(today_in_shanghai(), [district("FX").id])
    assert_counts_match(filters[:15])
    db.session.add(Answer(assessment_id=record.id, item_code=answer.item_code, value=answer.value))
    db.session.flush()
    assert_counts_match(filters[:15])


def test_recount_counts_rows_written_around_the_application(app, client, db_session):
    """A bulk load into the tables (no session, no flush) is counted by `flask dashboards recount`."""
    from outlet_audit.outlets.models import Outlet

    outlet = make_outlet("FX", brand=BRANDS[2])
    db.session.flush()
    # Written as a restore or a loader would: straight into the table, around the flush hooks.
    db.session.connection().execute(
        Outlet.__table__.update().where(Outlet.__table__.c.id == outlet.id).values(brand=BRANDS[3])
    )
    f = Filters(today_in_shanghai(), brand=BRANDS[3])
    assert queries.outlet_totals(f) != recount.outlet_totals(f)
    result = app.test_cli_runner().invoke(args=["dashboards", "recount"])
    assert result.exit_code == 0 and "Dashboard counts rebuilt" in result.output
    assert queries.outlet_totals(f) == recount.outlet_totals(f)
