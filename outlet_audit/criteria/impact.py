"""What a draft edition would change for the outlets inspected lately: each outlet's latest signed
inspection of the last months, re-scored with the edition it was made against and with the draft, the
same stored answers and the same certificate fact, so only the rules differ.

Inspections are read in batches (keyset on the outlet, a fixed number of statements per batch), so
memory and queries grow with the batches, never with the answers; only the tallies are kept.
Outlets whose stored answers do not cover the draft (a new item, an option the draft no longer has)
are counted apart with the items that stop them, never as a level lost.
"""

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from outlet_audit.certificates.operations import add_months
from outlet_audit.certificates.queries import valid_certificate_holders
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment
from outlet_audit.checklist.service import profile_of, scoring_answers
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.criteria.model import LEVEL_CODES, Edition
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.scoring import InvalidAnswers, ScoreResult, score
from outlet_audit.workflow.models import Application

BATCH_SIZE = 500  # outlets per batch: three statements each, a few MB of answers at most
MAX_MONTHS = 60
LEVELS = (None, *LEVEL_CODES)  # None: no level; lowest first


def level_rank(level: str | None) -> int:
    return LEVELS.index(level)


# --- the tallies (pure) ---------------------------------------------------------------------------


@dataclass
class LevelTally:
    """Outlets re-scored, and how their levels move: `moves[(before, after)]`."""

    outlets: int = 0
    moves: Counter = field(default_factory=Counter)

    def add(self, before: str | None, after: str | None) -> None:
        self.outlets += 1
        self.moves[(before, after)] += 1

    def gained(self, level: str) -> int:
        """Outlets that reach `level` (or above it) under the draft and did not before."""
        rank = level_rank(level)
        return sum(n for (b, a), n in self.moves.items() if level_rank(b) < rank <= level_rank(a))

    def lost(self, level: str) -> int:
        rank = level_rank(level)
        return sum(n for (b, a), n in self.moves.items() if level_rank(a) < rank <= level_rank(b))

    def at(self, level: str | None, *, draft: bool) -> int:
        """Outlets whose level is exactly `level` (None: no level) now, or under the draft."""
        return sum(n for (b, a), n in self.moves.items() if (a if draft else b) == level)

    @property
    def changed(self) -> int:
        return sum(n for (b, a), n in self.moves.items() if b != a)


@dataclass
class ItemTally:
    higher: int = 0  # outlets the item earns more points under the draft
    lower: int = 0
    level_changed: int = 0  # of the outlets whose points on it moved, those whose level moved too


@dataclass
class Impact:
    draft_id: str
    months: int
    since: datetime  # signed off at or after this moment (UTC)
    district: District | None
    total: LevelTally = field(default_factory=LevelTally)
    by_district: dict[int, LevelTally] = field(default_factory=dict)
    by_item: dict[str, ItemTally] = field(default_factory=dict)
    read: int = 0  # outlets with a signed inspection in the window, of an edition sharing item codes
    unanswered: Counter = field(default_factory=Counter)  # draft item → outlets with no answer to it
    refused: Counter = field(default_factory=Counter)  # draft item → outlets whose answer it refuses
    not_comparable: int = 0
    districts: dict[int, District] = field(default_factory=dict)

    def add(self, district_id: int, before: ScoreResult, after: ScoreResult) -> None:
        self.total.add(before.level, after.level)
        self.by_district.setdefault(district_id, LevelTally()).add(before.level, after.level)
        old = {s.code: s for s in (*before.items, *before.bonus_items)}
        for now in (*after.items, *after.bonus_items):
            was = old.get(now.code)
            if was is None or was.earned == now.earned:
                continue
            tally = self.by_item.setdefault(now.code, ItemTally())
            if now.earned > was.earned:
                tally.higher += 1
            else:
                tally.lower += 1
            if before.level != after.level:
                tally.level_changed += 1

    def district_rows(self) -> list[tuple[District, LevelTally]]:
        rows = [(self.districts[pk], tally) for pk, tally in self.by_district.items()]
        return sorted(rows, key=lambda row: (row[0].sort_order, row[0].code))


def compare(
    impact: Impact,
    draft: Edition,
    base: Edition,
    district_id: int,
    rows: Sequence,
    holds: bool,
    profile: dict[str, str] | None = None,
) -> None:
    """Re-score one outlet's stored answers with its own edition and with the draft, and tally it.

    `profile` is the outlet's (checklist.service.outlet_profile): items that do not apply to it are
    left out under both editions, as its own checklist leaves them out.
    """
    try:
        before = score(
            base, scoring_answers(base, rows), holds_valid_district_certificate=holds, profile=profile
        )
    except InvalidAnswers:  # answers its own edition refuses (written by hand?): nothing to compare
        impact.not_comparable += 1
        return
    try:
        after = score(
            draft, scoring_answers(draft, rows), holds_valid_district_certificate=holds, profile=profile
        )
    except InvalidAnswers as error:
        impact.not_comparable += 1
        impact.refused.update(error.problems)
        return
    if after.missing:  # an item of the draft the inspection never answered: its level says nothing
        impact.not_comparable += 1
        impact.unanswered.update(after.missing)
        return
    impact.add(district_id, before, after)


# --- reading the inspections ----------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st falls back to the month's end)."""
    day = add_months(moment.date(), -months)
    return moment.replace(year=day.year, month=day.month, day=day.day)


class UnknownDistrict(LookupError):
    pass


def measure_impact(
    draft: Edition,
    *,
    months: int = 12,
    district_code: str | None = None,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> Impact:
    """The draft's impact on each outlet's latest signed inspection of the last `months` months."""
    if not 1 <= months <= MAX_MONTHS:
        raise ValueError(f"months must be between 1 and {MAX_MONTHS}")
    districts = {d.id: d for d in db.session.scalars(select(District))}
    district = None
    if district_code is not None:
        district = next((d for d in districts.values() if d.code == district_code.upper()), None)
        if district is None:
            raise UnknownDistrict(district_code)
    impact = Impact(draft.id, months, months_before(now or utcnow(), months), district, districts=districts)
    bases = _editions_sharing_codes(draft)
    if not bases:
        return impact
    for batch in _latest_inspections(impact.since, tuple(bases), district, batch_size):
        answers = _answers_of([row.assessment_id for row in batch])
        holders = valid_certificate_holders([row.outlet_id for row in batch], today_in_shanghai())
        for row in batch:
            impact.read += 1
            compare(
                impact,
                draft,
                bases[row.edition_pk],
                row.district_id,
                answers.get(row.assessment_id, ()),
                row.outlet_id in holders,
                profile_of(row.brand, districts[row.district_id].code, row.has_packing_bench),
            )
    return impact


def _editions_sharing_codes(draft: Edition) -> dict[int, Edition]:
    """The stored editions (by primary key) with at least one scored item code of the draft."""
    codes = {item.code for item in draft.items()}
    found = {}
    for stored in db.session.scalars(select(StoredEdition)):
        edition = pinned_edition(stored)
        if codes & {item.code for item in edition.items()}:
            found[stored.id] = edition
    return found


def _latest_inspections(
    since: datetime, edition_pks: tuple[int, ...], district: District | None, batch_size: int
) -> Iterator[list]:
    """Batches of each outlet's latest signed inspection: rows (assessment_id, outlet_id, district_id,
    edition_pk), in outlet order. Keyset on the outlet; within one, the latest sign-off comes first,
    so the first row of each outlet is kept and a batch cut inside an outlet loses only older rows."""
    after_outlet = 0
    while True:
        query = (
            select(
                Assessment.id.label("assessment_id"),
                Application.outlet_id,
                Application.district_id,
                Application.edition_pk,
                Outlet.brand,
                Outlet.has_packing_bench,
            )
            .join(Application, Application.id == Assessment.application_id)
            .join(Outlet, Outlet.id == Application.outlet_id)
            .where(
                Assessment.kind == AssessmentKind.INSPECTION,
                Assessment.signed_off_at >= since,
                Application.edition_pk.in_(edition_pks),
                Application.outlet_id > after_outlet,
            )
            .order_by(Application.outlet_id, Assessment.signed_off_at.desc(), Assessment.id.desc())
            .limit(batch_size)
        )
        if district is not None:
            query = query.where(Application.district_id == district.id)
        rows = db.session.execute(query).all()
        if not rows:
            return
        latest, seen = [], set()
        for row in rows:
            if row.outlet_id not in seen:
                seen.add(row.outlet_id)
                latest.append(row)
        yield latest
        if len(rows) < batch_size:
            return
        after_outlet = rows[-1].outlet_id


def _answers_of(assessment_ids: list[int]) -> dict[int, list]:
    by_assessment: dict[int, list] = {}
    rows = db.session.execute(
        select(AnswerRow.assessment_id, AnswerRow.item_code, AnswerRow.value, AnswerRow.not_applicable).where(
            AnswerRow.assessment_id.in_(assessment_ids)
        )
    )
    for row in rows:
        by_assessment.setdefault(row.assessment_id, []).append(row)
    return by_assessment


def impact_lines(impact: Impact) -> list[str]:
    """The figures as plain lines, for `flask criteria impact`."""
    scope = f" in {impact.district.code}" if impact.district else ""
    lines = [
        f"signed inspections since {impact.since:%Y-%m-%d} ({impact.months} months){scope}:"
        f" {impact.read} outlets read, {impact.total.outlets} re-scored,"
        f" {impact.not_comparable} not comparable",
    ]
    if impact.unanswered:
        lines.append(
            "  not answered: " + ", ".join(f"{c} ({n})" for c, n in sorted(impact.unanswered.items()))
        )
    if impact.refused:
        lines.append(
            "  answers refused: " + ", ".join(f"{c} ({n})" for c, n in sorted(impact.refused.items()))
        )
    lines.append("outlets by level (now → draft):")
    for level in LEVELS:
        now, then = impact.total.at(level, draft=False), impact.total.at(level, draft=True)
        lines.append(f"  {level or 'none':<9}{now:>6} → {then}")
    header = f"  {'district':<10}{'outlets':>8}" + "".join(
        f"{f'+{code}':>10}{f'-{code}':>10}" for code in LEVEL_CODES
    )
    lines.extend(["by district (gained / lost):", header])
    for district, tally in impact.district_rows():
        figures = "".join(f"{tally.gained(code):>10}{tally.lost(code):>10}" for code in LEVEL_CODES)
        lines.append(f"  {district.code:<10}{tally.outlets:>8}{figures}")
    lines.append("by item (outlets earning more / fewer points; of those, level changed):")
    if not impact.by_item:
        lines.append("  no item scores differently")
    for code, tally in impact.by_item.items():
        lines.append(f"  {code:<8} +{tally.higher:<6} -{tally.lower:<6} level changed {tally.level_changed}")
    return lines
