"""The inspection record: visits kept as signed, findings (整改项) and rectification notices.

assessments gain `sequence` (an application's inspection records in order; the self-assessment is
1), `visit_type` (initial, reinspection), the visit's own date, inspectors (visit_inspectors),
the outlet's representative present at sign-off, and `amends_id`, `amendment_reason` and
`superseded_at`: a correction of a signed visit is a new record, the signed one stays as it was.
At most one record of each kind is open (unsigned) at a time.

findings are the items not at full marks at a signed visit; rectification_notices (整改通知书)
the bureau's orders to rectify some of them by a date; finding_checks the inspectors'
verifications, part of the visit that made them. evidence.finding_id ties a rectification file to
the finding it answers; evidence.copied_from_id marks a file carried into a later record.

Going up, each existing inspection becomes the application's first visit (sequence 1, initial),
dated and staffed as the application was; every signed one gets its findings from its stored
score; the open rectification request of an application (its items, deadline and answer) becomes
a notice whose findings are ordered (and answered, when the outlet had answered). An inspection
that was unsigned again to verify a rectification before this migration lost its first signed
version then; it is kept as the re-inspection it has become. Going down, only the newest record
of each kind survives per application (the older visits, the findings and notices are lost), and
the application gets back its rectification columns from the open notice.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14
"""

import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNSIGNED = "signed_off_at IS NULL"
FINDING_STATUSES = "'open', 'not_required', 'ordered', 'answered', 'closed', 'not_closed'"
RECTIFYING = ("rectification_requested", "rectification_submitted")

applications = sa.table(
    "applications",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("district_id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("submitted_at", sa.DateTime),
    sa.column("scheduled_for", sa.Date),
    sa.column("rectification_items", sa.JSON),
    sa.column("rectification_deadline", sa.Date),
    sa.column("rectification_response", sa.Text),
)
assessments = sa.table(
    "assessments",
    sa.column("id", sa.Integer),
    sa.column("application_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("sequence", sa.Integer),
    sa.column("visit_type", sa.String),
    sa.column("scheduled_for", sa.Date),
    sa.column("created_at", sa.DateTime),
    sa.column("signed_off_at", sa.DateTime),
    sa.column("signed_off_by_id", sa.Integer),
    sa.column("result", sa.JSON),
    sa.column("amends_id", sa.Integer),
)
assignments = sa.table(
    "inspection_assignments", sa.column("application_id", sa.Integer), sa.column("inspector_id", sa.Integer)
)
visit_inspectors = sa.table(
    "visit_inspectors", sa.column("assessment_id", sa.Integer), sa.column("inspector_id", sa.Integer)
)
districts = sa.table(
    "districts", sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("name_zh", sa.String)
)
notices = sa.table(
    "rectification_notices",
    sa.column("id", sa.Integer),
    sa.column("number", sa.String),
    sa.column("application_id", sa.Integer),
    sa.column("assessment_id", sa.Integer),
    sa.column("issuing_bureau", sa.String),
    sa.column("due_on", sa.Date),
    sa.column("instructions", sa.Text),
    sa.column("issued_at", sa.DateTime),
    sa.column("issued_by_id", sa.Integer),
    sa.column("submitted_at", sa.DateTime),
)
findings = sa.table(
    "findings",
    sa.column("id", sa.Integer),
    sa.column("application_id", sa.Integer),
    sa.column("assessment_id", sa.Integer),
    sa.column("item_code", sa.String),
    sa.column("status", sa.String),
    sa.column("notice_id", sa.Integer),
    sa.column("response", sa.Text),
    sa.column("responded_at", sa.DateTime),
    sa.column("created_at", sa.DateTime),
)
audit_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("application_id", sa.Integer),
    sa.column("field", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("reason", sa.Text),
    sa.column("occurred_at", sa.DateTime),
)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def upgrade():
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("visit_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("scheduled_for", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("amends_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amendment_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("superseded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("outlet_representative", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(), nullable=True))
    op.create_table(
        "visit_inspectors",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("inspector_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_visit_inspectors_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name=op.f("fk_visit_inspectors_inspector_id_users")
        ),
        sa.PrimaryKeyConstraint("assessment_id", "inspector_id", name=op.f("pk_visit_inspectors")),
    )
    with op.batch_alter_table("visit_inspectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_inspectors_inspector_id"), ["inspector_id"], unique=False)
    op.create_table(
        "rectification_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("issuing_bureau", sa.String(length=100), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("instructions", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_rectification_notices_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_rectification_notices_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_rectification_notices_issued_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_notices")),
        sa.UniqueConstraint("number", name=op.f("uq_rectification_notices_number")),
    )
    with op.batch_alter_table("rectification_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_notices_application_id"), ["application_id"], unique=False
        )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("responsible_person", sa.String(length=100), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(notice_id IS NULL) = (status IN ('open', 'not_required'))",
            name=op.f("ck_findings_ordered_has_notice"),
        ),
        sa.CheckConstraint(f"status IN ({FINDING_STATUSES})", name=op.f("ck_findings_status_known")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_findings_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_findings_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["rectification_notices.id"],
            name=op.f("fk_findings_notice_id_rectification_notices"),
        ),
        sa.ForeignKeyConstraint(
            ["responded_by_id"], ["users.id"], name=op.f("fk_findings_responded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
        sa.UniqueConstraint("assessment_id", "item_code", name=op.f("uq_findings_assessment_id_item_code")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index("ix_findings_application", ["application_id", "status"], unique=False)
        batch_op.create_index("ix_findings_item", ["item_code", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_notice_id"), ["notice_id"], unique=False)
    op.create_table(
        "finding_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("method IN ('desk', 'on_site')", name=op.f("ck_finding_checks_method_known")),
        sa.CheckConstraint(
            "outcome IN ('closed', 'not_closed')", name=op.f("ck_finding_checks_outcome_known")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_finding_checks_assessment_id_assessments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_id"], ["users.id"], name=op.f("fk_finding_checks_checked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
            name=op.f("fk_finding_checks_finding_id_findings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_checks")),
        sa.UniqueConstraint(
            "finding_id", "assessment_id", name=op.f("uq_finding_checks_finding_id_assessment_id")
        ),
    )
    with op.batch_alter_table("finding_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_checks_assessment_id"), ["assessment_id"], unique=False)
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finding_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("copied_from_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_evidence_finding_id"), ["finding_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_finding_id_findings"),
            "findings",
            ["finding_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_evidence_copied_from_id_evidence"), "evidence", ["copied_from_id"], ["id"]
        )

    _move_data_up(op.get_bind())

    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.alter_column("created_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_constraint("uq_assessments_application_id_kind", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_assessments_application_id_kind_sequence"), ["application_id", "kind", "sequence"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_assessments_amends_id_assessments"), "assessments", ["amends_id"], ["id"]
        )
        batch_op.create_check_constraint("sequence_positive", "sequence >= 1")
        batch_op.create_check_constraint(
            "visit_type_known",
            "(kind = 'inspection') = (visit_type IS NOT NULL)"
            " AND (visit_type IS NULL OR visit_type IN ('initial', 'reinspection'))",
        )
        batch_op.create_check_constraint(
            "amendment_has_reason", "(amends_id IS NULL) = (amendment_reason IS NULL)"
        )
        batch_op.create_check_constraint(
            "superseded_was_signed", "superseded_at IS NULL OR signed_off_at IS NOT NULL"
        )
        batch_op.create_index(
            "ux_assessments_one_open_record",
            ["application_id", "kind"],
            unique=True,
            sqlite_where=sa.text(UNSIGNED),
            postgresql_where=sa.text(UNSIGNED),
        )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("rectification_items")
        batch_op.drop_column("rectification_deadline")
        batch_op.drop_column("rectification_response")


def _shortfalls(result) -> list[str]:
    """The items of a stored score not at full marks (answered, not N/A, not left out)."""
    if isinstance(result, str):
        result = json.loads(result)
    return [
        item["code"]
        for item in (result or {}).get("items", [])
        if item["answered"]
        and not item["not_applicable"]
        and not item.get("skipped")
        and not item["full_marks"]
    ]


def _last_event(connection, application_id: int, field: str):
    return connection.execute(
        sa.select(audit_events.c.actor_id, audit_events.c.reason, audit_events.c.occurred_at)
        .where(audit_events.c.application_id == application_id, audit_events.c.field == field)
        .order_by(audit_events.c.id.desc())
        .limit(1)
    ).first()


def _move_data_up(connection) -> None:
    now = _now()
    rows = connection.execute(
        sa.select(
            assessments.c.id,
            assessments.c.kind,
            assessments.c.signed_off_at,
            assessments.c.result,
            applications.c.id.label("application_id"),
            applications.c.status,
            applications.c.district_id,
            applications.c.created_at.label("application_created_at"),
            applications.c.scheduled_for,
            applications.c.rectification_items,
            applications.c.rectification_deadline,
            applications.c.rectification_response,
        ).join(applications, applications.c.id == assessments.c.application_id)
    ).all()
    district_codes = dict(connection.execute(sa.select(districts.c.id, districts.c.code)).all())
    district_names = dict(connection.execute(sa.select(districts.c.id, districts.c.name_zh)).all())
    for row in rows:
        values = {"created_at": row.application_created_at or now}
        if row.kind != "inspection":
            connection.execute(assessments.update().where(assessments.c.id == row.id).values(**values))
            continue
        reverified = row.status == "rectification_submitted" and row.signed_off_at is None
        values.update(visit_type="reinspection" if reverified else "initial", scheduled_for=row.scheduled_for)
        connection.execute(assessments.update().where(assessments.c.id == row.id).values(**values))
        inspectors = connection.execute(
            sa.select(assignments.c.inspector_id).where(assignments.c.application_id == row.application_id)
        ).scalars()
        for inspector_id in inspectors:
            connection.execute(
                visit_inspectors.insert().values(assessment_id=row.id, inspector_id=inspector_id)
            )
        found = _shortfalls(row.result) if row.signed_off_at is not None else []
        ordered = row.rectification_items or []
        if isinstance(ordered, str):
            ordered = json.loads(ordered)
        notice_id = None
        if ordered and row.status in RECTIFYING and row.rectification_deadline is not None:
            notice_id = _notice_up(connection, row, district_codes, district_names, now)
        answered = row.status == "rectification_submitted"
        for code in sorted(set(found) | (set(ordered) if notice_id else set())):
            in_notice = notice_id is not None and code in ordered
            connection.execute(
                findings.insert().values(
                    application_id=row.application_id,
                    assessment_id=row.id,
                    item_code=code,
                    status=("answered" if answered else "ordered") if in_notice else "open",
                    notice_id=notice_id if in_notice else None,
                    response=(row.rectification_response or None) if in_notice and answered else None,
                    responded_at=now if in_notice and answered else None,
                    created_at=row.signed_off_at or now,
                )
            )


def _notice_up(connection, row, district_codes, district_names, now) -> int:
    requested = _last_event(connection, row.application_id, "request_rectification")
    submitted = _last_event(connection, row.application_id, "submit_rectification")
    name = district_names.get(row.district_id) or ""
    issued_at = requested.occurred_at if requested else now
    connection.execute(
        notices.insert().values(
            number=f"PENDING-{row.application_id}",
            application_id=row.application_id,
            assessment_id=row.id,
            issuing_bureau=f"上海市{name if name.endswith('区') else name + '区'}邮政管理局",
            due_on=row.rectification_deadline,
            instructions=requested.reason if requested else None,
            issued_at=issued_at,
            issued_by_id=requested.actor_id if requested else _any_bureau(connection, row.district_id),
            submitted_at=(submitted.occurred_at if submitted else now)
            if row.status == "rectification_submitted"
            else None,
        )
    )
    notice_id = connection.execute(
        sa.select(notices.c.id).where(notices.c.number == f"PENDING-{row.application_id}")
    ).scalar_one()
    number = f"ZG-{issued_at:%Y}-{district_codes.get(row.district_id, 'SH')}-{notice_id:06d}"
    connection.execute(notices.update().where(notices.c.id == notice_id).values(number=number))
    return notice_id


def _any_bureau(connection, district_id: int) -> int:
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("district_id", sa.Integer))
    return connection.execute(
        sa.select(users.c.id).where(users.c.district_id == district_id).order_by(users.c.id).limit(1)
    ).scalar_one()


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rectification_items", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("rectification_deadline", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("rectification_response", sa.Text(), nullable=True))
    _move_data_down(op.get_bind())
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_index("ux_assessments_one_open_record")
        batch_op.drop_constraint("superseded_was_signed", type_="check")
        batch_op.drop_constraint("amendment_has_reason", type_="check")
        batch_op.drop_constraint("visit_type_known", type_="check")
        batch_op.drop_constraint("sequence_positive", type_="check")
        batch_op.drop_constraint(batch_op.f("fk_assessments_amends_id_assessments"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_assessments_application_id_kind_sequence"), type_="unique")
        batch_op.create_unique_constraint("uq_assessments_application_id_kind", ["application_id", "kind"])
        batch_op.drop_column("created_at")
        batch_op.drop_column("outlet_representative")
        batch_op.drop_column("superseded_at")
        batch_op.drop_column("amendment_reason")
        batch_op.drop_column("amends_id")
        batch_op.drop_column("scheduled_for")
        batch_op.drop_column("visit_type")
        batch_op.drop_column("sequence")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_evidence_copied_from_id_evidence"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_evidence_finding_id_findings"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_evidence_finding_id"))
        batch_op.drop_column("copied_from_id")
        batch_op.drop_column("finding_id")
    op.drop_table("finding_checks")
    op.drop_table("findings")
    op.drop_table("rectification_notices")
    op.drop_table("visit_inspectors")


def _move_data_down(connection) -> None:
    """Keep the newest record of each kind per application; give the application its open notice."""
    newest = (
        sa.select(
            assessments.c.application_id, assessments.c.kind, sa.func.max(assessments.c.sequence).label("top")
        )
        .group_by(assessments.c.application_id, assessments.c.kind)
        .subquery()
    )
    older = (
        connection.execute(
            sa.select(assessments.c.id).join(
                newest,
                sa.and_(
                    newest.c.application_id == assessments.c.application_id,
                    newest.c.kind == assessments.c.kind,
                    assessments.c.sequence < newest.c.top,
                ),
            )
        )
        .scalars()
        .all()
    )
    for row in (
        connection.execute(sa.select(applications.c.id).where(applications.c.status.in_(RECTIFYING)))
        .scalars()
        .all()
    ):
        notice = connection.execute(
            sa.select(notices.c.id, notices.c.due_on)
            .where(notices.c.application_id == row)
            .order_by(notices.c.id.desc())
            .limit(1)
        ).first()
        if notice is None:
            continue
        ordered = connection.execute(
            sa.select(findings.c.item_code, findings.c.response).where(findings.c.notice_id == notice.id)
        ).all()
        response = next((finding.response for finding in ordered if finding.response), None)
        connection.execute(
            applications.update()
            .where(applications.c.id == row)
            .values(
                rectification_items=sorted(finding.item_code for finding in ordered),
                rectification_deadline=notice.due_on,
                rectification_response=response,
            )
        )
    # Files and notices of the older records go with them (their rows cascade or are cleared here).
    evidence = sa.table(
        "evidence",
        sa.column("assessment_id", sa.Integer),
        sa.column("finding_id", sa.Integer),
        sa.column("copied_from_id", sa.Integer),
    )
    checks = sa.table(
        "finding_checks", sa.column("assessment_id", sa.Integer), sa.column("finding_id", sa.Integer)
    )
    # A rectification answer's files stay as the application's own (as before this revision).
    connection.execute(evidence.update().values(copied_from_id=None, finding_id=None))
    connection.execute(assessments.update().values(amends_id=None))
    if older:
        gone = sa.select(findings.c.id).where(findings.c.assessment_id.in_(older))
        connection.execute(
            checks.delete().where(sa.or_(checks.c.assessment_id.in_(older), checks.c.finding_id.in_(gone)))
        )
        connection.execute(findings.delete().where(findings.c.assessment_id.in_(older)))
        connection.execute(notices.delete().where(notices.c.assessment_id.in_(older)))
        connection.execute(evidence.delete().where(evidence.c.assessment_id.in_(older)))
        answers = sa.table("answers", sa.column("assessment_id", sa.Integer))
        connection.execute(answers.delete().where(answers.c.assessment_id.in_(older)))
        connection.execute(visit_inspectors.delete().where(visit_inspectors.c.assessment_id.in_(older)))
        connection.execute(assessments.delete().where(assessments.c.id.in_(older)))
