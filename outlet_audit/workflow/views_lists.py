"""The lists each role starts from: the work queue, the approvals awaiting them, inspectors' visits."""

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from outlet_audit.access import Scope, allow, current_scope
from outlet_audit.checklist.page import level_label
from outlet_audit.checklist.team import teams_of, unsigned
from outlet_audit.core.i18n import current_language, readable_date, translate_message
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import link_args, page_number
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.extensions import db
from outlet_audit.outlets.forms import district_choices
from outlet_audit.outlets.reference import brands_in_use, district_name
from outlet_audit.roles import AGENCY_LABELS, Agency, Role
from outlet_audit.text import Message
from outlet_audit.workflow.blueprint import bp
from outlet_audit.workflow.deadlines import ProcessingRules, processing_deadline, rules_from, urgency
from outlet_audit.workflow.forms import ANY, QueueFilterForm, level_choices
from outlet_audit.workflow.queues import (
    ALL,
    OPEN,
    QUEUE_STATUSES,
    QueueFilters,
    QueueRow,
    assignments_query,
    awaiting_query,
    default_sort,
    inspections_of,
    queue_query,
    queue_rows,
)
from outlet_audit.workflow.states import STATUS_LABELS, Status

BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
DONE_VISITS_SHOWN = 30

nav_entry("workflow.queue", _l("Applications"), {Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=10)
nav_entry("workflow.approvals", _l("Approvals"), {Role.DISTRICT_BUREAU, Role.CITY_BUREAU}, order=20)
nav_entry("workflow.assignments", _l("My inspections"), {Role.INSPECTOR}, order=10)


# The queue's filters and sort, kept in the session per user: coming back to the bare queue
# (from an application's breadcrumb, the menu) shows the list as it was left; ?reset=1 forgets.
MEMORY_KEY = "queue_filters"
REMEMBERED = ("q", "status", "brand", "target_level", "district_id", "submitted_from", "submitted_to", "sort")

# The sort choices: (value, label) for each column ascending, then descending.
SORT_CHOICES = (
    ("submitted", _l("Submitted: oldest first")),
    ("-submitted", _l("Submitted: newest first")),
    ("outlet", _l("Outlet: A to Z")),
    ("-outlet", _l("Outlet: Z to A")),
    ("district", _l("District: in order")),
    ("-district", _l("District: in reverse order")),
    ("level", _l("Level: district first")),
    ("-level", _l("Level: city first")),
    ("status", _l("Status: earliest stage first")),
    ("-status", _l("Status: latest stage first")),
    ("inspection", _l("Inspection date: soonest first")),
    ("-inspection", _l("Inspection date: latest first")),
    ("score", _l("Score: lowest first")),
    ("-score", _l("Score: highest first")),
)


def _filter_form(*, all_districts: bool) -> QueueFilterForm:
    form = QueueFilterForm(formdata=request.args)
    form.status.choices = [SelectChoice(OPEN, _l("In progress")), SelectChoice(ALL, _l("All"))] + [
        SelectChoice(status.value, translate_message(Message(STATUS_LABELS[status])))
        for status in QUEUE_STATUSES
    ]
    form.brand.choices = [SelectChoice(ANY, _l("All brands"))] + [SelectChoice(b, b) for b in brands_in_use()]
    form.target_level.choices = [SelectChoice(ANY, _l("Both levels")), *level_choices()]
    form.district_id.choices = [SelectChoice(ANY, _l("All districts"))] + [
        SelectChoice(str(choice.value), choice.label) for choice in district_choices()
    ]
    form.sort.choices = [
        SelectChoice(value, label)
        for value, label in SORT_CHOICES
        if all_districts or value.removeprefix("-") != "district"
    ]
    if not form.status.data:
        form.status.data = OPEN
    return form


def _filters(form: QueueFilterForm) -> QueueFilters:
    form.validate()  # a bad value is shown on its field and that filter left out
    valid = {name: not field.errors for name, field in form._fields.items()}
    district = form.district_id.data if valid["district_id"] else ""
    return QueueFilters(
        status=form.status.data if valid["status"] else OPEN,
        q=(form.q.data or "").strip() if valid["q"] else "",
        brand=form.brand.data if valid["brand"] else "",
        target_level=form.target_level.data if valid["target_level"] else "",
        district_id=int(district) if district and district.isdigit() else None,
        submitted_from=form.submitted_from.data if valid["submitted_from"] else None,
        submitted_to=form.submitted_to.data if valid["submitted_to"] else None,
        sort=form.sort.data if valid["sort"] and form.sort.data else "",
    )


@bp.get("/queue")
@allow(BUREAUS, joint=True)
def queue():
    if request.args.get("reset"):
        session.pop(MEMORY_KEY, None)
        return redirect(url_for("workflow.queue"))
    remembered = _remembered()
    if not request.args and remembered:
        return redirect(url_for("workflow.queue", **remembered))
    only_district = None if current_scope() is Scope.ALL else current_user.district_id
    form = _filter_form(all_districts=only_district is None)
    filters = _filters(form)
    if request.args:
        _remember(form)
    page = db.paginate(
        queue_query(filters, only_district_id=only_district),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    sort = filters.sort or default_sort(filters.status)
    if not form.sort.data:
        form.sort.data = sort
    return render_template(
        "workflow/queue.html",
        form=form,
        page=page,
        all_districts=only_district is None,
        rows=_rows(queue_rows(page.items)),
        title=_l("Applications"),
        endpoint="workflow.queue",
        show_filters=True,
        filtered=_filtered(form),
        sort_links=_sort_links(sort),
        sort_key=sort.removeprefix("-"),
        sort_descending=sort.startswith("-"),
        rules=rules_from(current_app.config),
    )


def _remembered() -> dict[str, str]:
    """The filters this user last chose in this session (another user's, after a sign-in, are not)."""
    memory = session.get(MEMORY_KEY)
    if isinstance(memory, dict) and memory.get("user") == current_user.id:
        return dict(memory.get("args") or {})
    return {}


def _remember(form: QueueFilterForm) -> None:
    """Keep the valid filters asked for now; a value with an error is not kept."""
    args = {
        name: request.args[name][:100]
        for name in REMEMBERED
        if request.args.get(name) and not form[name].errors
    }
    memory = {"user": current_user.id, "args": args}
    if session.get(MEMORY_KEY) != memory:  # paging through the same list sends no new cookie
        session[MEMORY_KEY] = memory


def _filtered(form: QueueFilterForm) -> int:
    """How many filters narrow the list (the phone's folded form says so on its button)."""
    return sum(
        1
        for name in REMEMBERED
        if name != "sort"
        and form[name].data
        and not form[name].errors
        and not (name == "status" and form[name].data == OPEN)
    )


def _sort_links(sort: str) -> dict[str, str]:
    """Each column's header link: its sort ascending, or reversed when it is the current one."""
    args = link_args("sort", "page")
    links = {}
    for value, _label in SORT_CHOICES[::2]:
        target = ("-" + value) if sort == value else value
        links[value] = url_for("workflow.queue", **args, sort=target)
    return links


@bp.get("/approvals")
@allow(BUREAUS, joint=True)
def approvals():
    """The applications whose next approval step is the user's organisation's to sign."""
    agency = current_user.agency
    district_id = current_user.district_id if agency is not None and agency.district_tier else None
    page = db.paginate(
        awaiting_query(agency, district_id),
        page=page_number(),
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "workflow/queue.html",
        form=None,
        page=page,
        all_districts=district_id is None,
        rows=_rows(queue_rows(page.items)),
        title=_l("Approvals awaiting us"),
        endpoint="workflow.approvals",
        show_filters=False,
        rules=rules_from(current_app.config),
    )


def _rows(rows: list[QueueRow]) -> list[dict]:
    """What each row shows, worked out once: the page lays it out twice (phone list, table)."""
    lang = current_language()
    today = today_in_shanghai()
    rules = rules_from(current_app.config)
    return [
        {
            **_deadline(row, today, rules),
            "application": row,
            "url": url_for("workflow.application_detail", application_id=row.id),
            "district": district_name(row.district_id, lang),
            "status_label": STATUS_LABELS[row.status],
            # in approval: whose step it waits for, so a list shows where each one stands
            "awaiting": AGENCY_LABELS[Agency(row.awaiting_agency)] if row.awaiting_agency else None,
            "level": level_label(row.target_level),
            "submitted_on": readable_date(row.submitted_at) if row.submitted_at else None,
            "scheduled_on": readable_date(row.scheduled_for) if row.scheduled_for else None,
            "rectify_by": readable_date(row.rectify_by) if row.rectify_by else None,
            "overdue": row.rectify_by is not None and row.rectify_by < today,
        }
        for row in rows
    ]


def _deadline(row: QueueRow, today, rules: ProcessingRules) -> dict:
    """The processing time limit of a row: its last day and how near it is, while the clock runs."""
    if not row.clock_runs:
        return {"deadline": None, "urgency": None, "paused": row.status == Status.RECTIFICATION_REQUESTED}
    deadline = processing_deadline(row.submitted_on, rules, row.pauses)
    return {"deadline": readable_date(deadline), "urgency": urgency(deadline, today, rules), "paused": False}


@bp.get("/assignments")
@allow({Role.INSPECTOR: Scope.ASSIGNED})
def assignments():
    upcoming = db.session.scalars(assignments_query(current_user.id, upcoming=True)).all()
    done = db.session.scalars(
        assignments_query(current_user.id, upcoming=False).limit(DONE_VISITS_SHOWN)
    ).all()
    inspections = inspections_of([*upcoming, *done])
    # A visit to do whose record is signed waits for the rest of its team: who signed, who has not.
    teams = teams_of(
        inspections[application.id].id
        for application in upcoming
        if application.id in inspections and inspections[application.id].signed_off_at is not None
    )
    return render_template(
        "workflow/assignments.html",
        upcoming=[_visit(application, inspections, teams) for application in upcoming],
        done=[_visit(application, inspections, {}) for application in done],
    )


def _visit(application, inspections, teams) -> dict:
    inspection = inspections.get(application.id)
    team = teams.get(inspection.id, []) if inspection is not None else []
    return {
        "application": application,
        "status_label": STATUS_LABELS[application.status],
        "inspection": inspection,
        "partners": [user for user in application.inspectors if user.id != current_user.id],
        "team": team,  # only while the signed record waits for its team
        "mine": next((member for member in team if member.user.id == current_user.id), None),
        "waiting_for": [member.user for member in unsigned(team)],
    }
