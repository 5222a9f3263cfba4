"""Rows for the bureau exports, streamed from the database a batch at a time.

Each function returns the Chinese header and an iterator of rows; the query runs with
`yield_per` (a server-side cursor on PostgreSQL), so 100,000 rows never sit in memory.
The caller (inside `stream_with_context`) narrows by scope through `Filters.district_id`.

Inspection results are "long": one row per signed inspection record × item, in the edition's
item order, bonus items last. A long table keeps the same columns whichever editions the
applications were made against, streams without knowing every item code first, and
turns into a per-item matrix with one Excel pivot table.

An application may have several inspection records: the first visit, re-inspections after
rectification, corrections of a signed record. Its current score is that of the latest signed
record not superseded by a signed correction; each row says which record it comes from.
"""

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import groupby

from sqlalchemy import and_, func, select

from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.forms import AnswerStyle, display_answer
from outlet_audit.checklist.kinds import AssessmentKind, VisitType
from outlet_audit.checklist.models import Answer as AnswerRow
from outlet_audit.checklist.models import Assessment
from outlet_audit.core.time import SHANGHAI
from outlet_audit.criteria.model import Edition, Item
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.scoring import Answer
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.states import LEVEL_LABELS

from .facts import points_earned, read_stored_answer
from .queries import (
    Filters,
    application_conditions,
    certificate_bucket,
    certificate_conditions,
    in_period,
    pinned_by_pk,
)

YIELD_PER = 500

APPLICATION_HEADER = (
    "申请编号", "网点名称", "许可证或备案号", "品牌", "所在区", "网点地址", "封装台", "申报级别",
    "申请状态", "标准版本", "创建时间", "提交时间", "决定时间", "批准等级", "得分所依检查记录", "检查类型",
    "检查签署时间", "检查最终得分", "检查达到等级",
)  # fmt: skip
CERTIFICATE_HEADER = (
    "证书编号", "网点名称", "许可证或备案号", "品牌", "所在区", "等级", "得分", "证书状态", "发证日期",
    "有效期至", "发证机关", "标准版本", "申请编号", "撤销时间", "撤销原因",
)  # fmt: skip
INSPECTION_HEADER = (
    "申请编号", "网点名称", "许可证或备案号", "品牌", "所在区", "申报级别", "申请状态", "标准版本",
    "检查记录", "检查类型", "是否当前得分", "已被更正替代", "检查签署时间", "检查总分", "检查最终得分",
    "检查达到等级", "项目编号", "项目名称", "加分项", "满分", "答案", "不适用", "得分", "是否满分", "备注",
)  # fmt: skip
YES, NO = "是", "否"
# Whether the outlet has a packing bench, as the import template writes it (outlets.outlet_import).
PACKING_BENCH = {True: "有", False: "无", None: "未填写"}
# Sheets are in Chinese: a choice is written after its code, and a number stays a number in its cell.
IN_SHEET = AnswerStyle(yes=YES, no=NO, option="{code} {label}", numbers=True)
VISIT_TYPES = {VisitType.INITIAL: "首次现场检查", VisitType.REINSPECTION: "整改复查"}
CORRECTION = "（更正）"
LEVEL_ZH = {level: label.zh for level, label in LEVEL_LABELS.items()}
# Shanghai has kept UTC+8 all year since its last summer time ended on 1991-09-15 (a UTC time
# after that is +8 whatever the zone database says of earlier years).
_FIXED_OFFSET_SINCE = datetime(1991, 9, 15)
_SHANGHAI_OFFSET = timedelta(hours=8)


def shanghai_time(moment: datetime | None) -> datetime | None:
    """A stored naive-UTC time as Shanghai wall-clock time: spreadsheets have no time zones."""
    if moment is None:
        return None
    if moment >= _FIXED_OFFSET_SINCE:  # four times faster than asking the zone, for every row's times
        return moment + _SHANGHAI_OFFSET
    return moment.replace(tzinfo=UTC).astimezone(SHANGHAI).replace(tzinfo=None)


def level_label(level: str | None) -> str | None:
    return LEVEL_ZH[level] if level else None


def reference(created_at: datetime, application_id: int) -> str:
    """`workflow.models.application_reference`, without strftime (a fifth of a row's time)."""
    return f"SQ{created_at.year:04d}-{application_id:06d}"


def _stream(stmt):
    """Rows as plain Core rows, `YIELD_PER` at a time (a server-side cursor on PostgreSQL):
    through the session's connection, not the ORM's result, which wraps each batch again."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # PostgreSQL plans a cursor for its first tenth (cursor_tuple_fraction 0.1): nested loops
        # that gave the first rows at once and 6,000 rows in 15 s. An export reads every row: plan
        # for all of them, as the query without a cursor is planned (for this transaction only).
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1.0")
    return connection.execute(stmt.execution_options(yield_per=YIELD_PER))


def visit_label(visit_type: str | None, amends_id: int | None) -> str | None:
    """The kind of inspection record, in the sheet's Chinese: "整改复查", "首次现场检查（更正）"."""
    if visit_type is None:
        return None
    # Looked up by the stored text itself (a StrEnum member is equal to it and hashes the same):
    # making the member first was a twentieth of an export's time.
    return VISIT_TYPES[visit_type] + (CORRECTION if amends_id is not None else "")


def current_records():
    """Each application's current inspection record: its latest signed one not superseded by a
    signed correction (application_id, sequence), as a subquery."""
    return (
        select(Assessment.application_id, func.max(Assessment.sequence).label("sequence"))
        .where(
            Assessment.kind == AssessmentKind.INSPECTION,
            Assessment.signed_off_at.is_not(None),
            Assessment.superseded_at.is_(None),
        )
        .group_by(Assessment.application_id)
        .subquery()
    )


def application_rows(f: Filters, status_labels: Mapping[str, str]) -> Iterator[tuple]:
    """One row per application, with the score of its current inspection record and which it is."""
    current = current_records()
    inspection = (
        select(
            Assessment.application_id, Assessment.sequence, Assessment.visit_type, Assessment.amends_id,
            Assessment.signed_off_at, Assessment.final, Assessment.level_reached,
        )
        .join(
            current,
            and_(
                current.c.application_id == Assessment.application_id,
                current.c.sequence == Assessment.sequence,
            ),
        )
        .where(Assessment.kind == AssessmentKind.INSPECTION)
        .subquery()
    )  # fmt: skip
    stmt = (
        select(
            Application.id, Application.created_at, Outlet.name, Outlet.permit_number, Outlet.brand,
            District.name_zh, Outlet.address, Outlet.has_packing_bench, Application.target_level,
            Application.status, StoredEdition.edition_id, Application.submitted_at, Application.decided_at,
            Application.granted_level, inspection.c.sequence, inspection.c.visit_type,
            inspection.c.amends_id, inspection.c.signed_off_at, inspection.c.final,
            inspection.c.level_reached,
        )
        .join(Outlet, Outlet.id == Application.outlet_id)
        .join(District, District.id == Application.district_id)
        .join(StoredEdition, StoredEdition.id == Application.edition_pk)
        .outerjoin(inspection, inspection.c.application_id == Application.id)
        .where(*application_conditions(f), *_brand(f))
        .order_by(Application.id)
    )  # fmt: skip
    # Unpacked by position: reading a row's columns by name took a quarter of the export's time.
    for (
        application_id, created_at, name, permit_number, brand, district, address, packing_bench,
        target_level, status, edition_id, submitted_at, decided_at, granted_level, sequence, visit_type,
        amends_id, signed_off_at, final, level_reached,
    ) in _stream(stmt):  # fmt: skip
        yield (
            reference(created_at, application_id), name, permit_number, brand, district, address,
            PACKING_BENCH[packing_bench], level_label(target_level), status_labels[status], edition_id,
            shanghai_time(created_at), shanghai_time(submitted_at), shanghai_time(decided_at),
            level_label(granted_level), sequence, visit_label(visit_type, amends_id),
            shanghai_time(signed_off_at), final, level_label(level_reached),
        )  # fmt: skip


def certificate_rows(f: Filters, bucket_labels: Mapping[str, str]) -> Iterator[tuple]:
    stmt = (
        select(
            Certificate.number, Outlet.name, Outlet.permit_number, Outlet.brand, District.name_zh,
            Certificate.level, Certificate.score, Certificate.state, Certificate.valid_until,
            Certificate.issued_on, Certificate.issuing_bureau, Certificate.edition_id,
            Application.id.label("application_id"), Application.created_at, Certificate.revoked_at,
            Certificate.revoked_reason,
        )
        .join(Outlet, Outlet.id == Certificate.outlet_id)
        .join(District, District.id == Certificate.district_id)
        .join(Application, Application.id == Certificate.application_id)
        .where(*certificate_conditions(f), *_brand(f))
        .order_by(Certificate.issued_on, Certificate.id)
    )  # fmt: skip
    for (
        number, name, permit_number, brand, district, level, score, state, valid_until, issued_on,
        issuing_bureau, edition_id, application_id, created_at, revoked_at, revoked_reason,
    ) in _stream(stmt):  # fmt: skip
        yield (
            number, name, permit_number, brand, district, level_label(level), score,
            bucket_labels[certificate_bucket(state, valid_until, f.today)], issued_on, valid_until,
            issuing_bureau, edition_id, reference(created_at, application_id), shanghai_time(revoked_at),
            revoked_reason,
        )  # fmt: skip


def inspection_rows(f: Filters, status_labels: Mapping[str, str]) -> Iterator[tuple]:
    """One row per signed inspection record × item of its edition, unanswered items included:
    every visit and correction, each saying whether it gives the application's current score
    and whether a signed correction superseded it."""
    current = current_records()
    stmt = (
        select(
            Application.id, Application.created_at, Outlet.name, Outlet.permit_number, Outlet.brand,
            District.name_zh, Application.target_level, Application.status, Application.edition_pk,
            Assessment.id.label("record_id"), Assessment.sequence, Assessment.visit_type,
            Assessment.amends_id, Assessment.superseded_at,
            (current.c.sequence == Assessment.sequence).label("is_current"),
            Assessment.signed_off_at, Assessment.total, Assessment.final, Assessment.level_reached,
            AnswerRow.item_code, AnswerRow.value, AnswerRow.not_applicable, AnswerRow.note,
        )
        .select_from(Assessment)
        .join(Application, Application.id == Assessment.application_id)
        .join(Outlet, Outlet.id == Application.outlet_id)
        .join(District, District.id == Application.district_id)
        .outerjoin(current, current.c.application_id == Assessment.application_id)
        .outerjoin(AnswerRow, AnswerRow.assessment_id == Assessment.id)
        .where(
            Assessment.kind == AssessmentKind.INSPECTION,
            Assessment.signed_off_at.is_not(None),
            *in_period(Assessment.signed_off_at, f, timestamp=True),
            *_district_and_level(f),
            *_brand(f),
        )
        .order_by(Application.id, Assessment.sequence)
    )  # fmt: skip
    edition_of = _edition_cache()
    for _record_id, group in groupby(_stream(stmt), key=lambda row: row.record_id):
        rows = list(group)  # one record's answers: a few dozen rows at most
        first = rows[0]
        edition = edition_of(first.edition_pk)
        bonus_codes = {item.code for item in edition.bonus_items()}
        answers = {row.item_code: row for row in rows if row.item_code is not None}
        common = (
            reference(first.created_at, first.id), first.name, first.permit_number, first.brand,
            first.name_zh, level_label(first.target_level), status_labels[first.status],
            edition.id, first.sequence, visit_label(first.visit_type, first.amends_id),
            YES if first.is_current else NO, YES if first.superseded_at is not None else NO,
            shanghai_time(first.signed_off_at), first.total, first.final, level_label(first.level_reached),
        )  # fmt: skip
        for item in (*edition.items(), *edition.bonus_items()):
            yield common + _item_cells(item, answers.get(item.code), bonus=item.code in bonus_codes)


def _item_cells(item: Item, answer, *, bonus: bool) -> tuple:
    head = (item.code, item.title.zh, YES if bonus else NO, item.points)
    if answer is None:
        return (*head, None, NO, None, None, None)
    if answer.not_applicable:
        return (*head, None, YES, None, None, answer.note)
    value = read_stored_answer(item, answer.value)
    if value is None:
        return (*head, answer.value, NO, None, None, answer.note)
    earned = points_earned(item, value)
    return (
        *head,
        display_answer(item, Answer(value), "zh", IN_SHEET),
        NO,
        earned,
        YES if earned == item.points else NO,
        answer.note,
    )


def _brand(f: Filters) -> list:
    return [Outlet.brand == f.brand] if f.brand is not None else []


def _district_and_level(f: Filters) -> list:
    conditions = []
    if f.district_id is not None:
        conditions.append(Application.district_id == f.district_id)
    if f.level is not None:
        conditions.append(Application.target_level == f.level)
    return conditions


def _edition_cache() -> Callable[[int], Edition]:
    """Load each pinned edition once per export."""
    editions: dict[int, Edition] = {}

    def edition_of(edition_pk: int) -> Edition:
        if edition_pk not in editions:
            editions[edition_pk] = pinned_by_pk(edition_pk)
        return editions[edition_pk]

    return edition_of
