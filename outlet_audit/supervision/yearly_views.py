"""Pages of the yearly self-check: the outlet's (open its checklist, submit) and the district
bureau's (the list, the review: accept or fail; a targeted visit from a missing or failed one);
and its daily command, `flask yearly run` (an entry point like the pages, so it lives with them).

The outlet sees its own self-checks, a district bureau its district's and the city bureau all;
ecology bureau staff may read the bureaus' list and review page. Acting is the district postal
bureau's. The checklist itself is the checklist page's (`checklist.edit`).
"""

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, func, select, true
from sqlalchemy.orm import joinedload

from outlet_audit.access import ECOLOGY_AGENCIES, RecordFacts, Scope, allow, current_scope, record_loader
from outlet_audit.accounts.models import User
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.state import StoredCertificateState
from outlet_audit.checklist.forms import display_answer
from outlet_audit.checklist.service import answer_rows, scoring_answers
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.purposes import EvidencePurpose
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import SUPERVISION_MENU, YEARLY_STATUS_LABELS, YearlyStatus
from outlet_audit.supervision.models import YearlySelfCheck
from outlet_audit.supervision.yearly import (
    accept_self_check,
    covered_items,
    edition_by_hash,
    fail_self_check,
    is_flagged,
    is_missing,
    missing_for_submission,
    open_targeted_visit,
    submit_self_check,
)
from outlet_audit.supervision.yearly_forms import ConfirmForm, FailForm, TargetedVisitForm

bp = Blueprint("yearly", __name__, url_prefix="/yearly-self-checks")
OUTLET = {Role.OUTLET: Scope.OWN_OUTLET}
READERS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
ACTORS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT}
nav_entry("yearly.mine", _l("Yearly self-check"), {Role.OUTLET}, order=72)
nav_entry("yearly.bureau_list", _l("Yearly self-checks"), set(READERS), order=73, group=SUPERVISION_MENU)

FILTERS = {
    "open": _l("Open, not yet due"),
    "missing": _l("Missing (past due)"),
    "submitted": _l("To review"),
    "failed": _l("Failed"),
    "all": _l("All"),
}
VISIT_DAYS = 30  # the visit's default deadline, from today


@record_loader("self_check_id")
def self_check_record(self_check_id: int) -> RecordFacts | None:
    row = db.session.execute(
        select(YearlySelfCheck.district_id, YearlySelfCheck.outlet_id).where(
            YearlySelfCheck.id == self_check_id
        )
    ).first()
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id) if row else None


def scope_condition():
    scope = current_scope()
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN_DISTRICT:
        return YearlySelfCheck.district_id == current_user.district_id
    if scope is Scope.OWN_OUTLET:
        return YearlySelfCheck.outlet_id == current_user.outlet_id
    return false()


def filter_condition(shown: str, today):
    """The SQL twin of the list's filters (`is_missing`: open, past due, certificate in force)."""
    in_force = YearlySelfCheck.certificate.has(Certificate.state == StoredCertificateState.ACTIVE)
    if shown == "open":
        return (YearlySelfCheck.status == YearlyStatus.OPEN.value) & (YearlySelfCheck.due_on >= today)
    if shown == "missing":
        return (
            (YearlySelfCheck.status == YearlyStatus.OPEN.value) & (YearlySelfCheck.due_on < today) & in_force
        )
    if shown in ("submitted", "failed"):
        return YearlySelfCheck.status == shown
    return true()


# --- the outlet ----------------------------------------------------------------------------------


@bp.get("/mine")
@allow(OUTLET)
def mine():
    """The outlet's self-checks, this year's first; straight to the one open when there is one."""
    rows = db.session.scalars(
        select(YearlySelfCheck)
        .where(scope_condition())
        .options(joinedload(YearlySelfCheck.certificate))
        .order_by(YearlySelfCheck.year.desc(), YearlySelfCheck.id.desc())
    ).all()
    return render_template(
        "supervision/yearly_mine.html",
        self_checks=rows,
        today=today_in_shanghai(),
        is_missing=is_missing,
        status_labels=YEARLY_STATUS_LABELS,
    )


def render_outlet_page(self_check: YearlySelfCheck, status: int = 200):
    edition = edition_by_hash(self_check.certificate.edition_hash)
    open_ = self_check.status == YearlyStatus.OPEN
    missing = missing_for_submission(self_check, edition) if open_ else []
    return (
        render_template(
            "supervision/yearly_outlet.html",
            self_check=self_check,
            edition=edition,
            covered=covered_items(self_check, edition),
            missing=[translate_message(message) for message in missing],
            today=today_in_shanghai(),
            overdue=is_missing(self_check, today_in_shanghai()),
            status_labels=YEARLY_STATUS_LABELS,
            form=ConfirmForm(),
        ),
        status,
    )


@bp.get("/<int:self_check_id>")
@allow(OUTLET)
def outlet_page(self_check_id: int):
    return render_outlet_page(db.get_or_404(YearlySelfCheck, self_check_id))


@bp.post("/<int:self_check_id>/submit")
@allow(OUTLET)
def submit(self_check_id: int):
    self_check = db.get_or_404(YearlySelfCheck, self_check_id)
    if not ConfirmForm().validate_on_submit():
        return render_outlet_page(self_check, status=400)
    edition = edition_by_hash(self_check.certificate.edition_hash)
    with attempt() as outcome:
        submit_self_check(self_check, edition, current_user)
    if not outcome.done:
        return render_outlet_page(self_check, status=422)
    flash(
        _("Your yearly self-check for %(year)s is submitted to the district bureau.", year=self_check.year),
        "success",
    )
    return redirect(url_for("yearly.outlet_page", self_check_id=self_check_id))


# --- the bureaus -------------------------------------------------------------------------------


@bp.get("/")
@allow(READERS, joint=True)
def bureau_list():
    today = today_in_shanghai()
    shown = request.args.get("show", "submitted")
    shown = shown if shown in FILTERS else "submitted"
    query = (
        select(YearlySelfCheck)
        .where(scope_condition(), filter_condition(shown, today))
        .options(joinedload(YearlySelfCheck.outlet), joinedload(YearlySelfCheck.certificate))
        .order_by(YearlySelfCheck.due_on, YearlySelfCheck.id)
    )
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    counts = {
        name: db.session.scalar(
            select(func.count())
            .select_from(YearlySelfCheck)
            .where(scope_condition(), filter_condition(name, today))
        )
        for name in ("open", "missing", "submitted", "failed")
    }
    return render_template(
        "supervision/yearly_list.html",
        page=page,
        shown=shown,
        filters=FILTERS,
        counts=counts,
        today=today,
        is_missing=is_missing,
        status_labels=YEARLY_STATUS_LABELS,
    )


def district_team_choices(district_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(
        select(User.id, User.display_name)
        .where(User.role == Role.INSPECTOR, User.district_id == district_id, User.active.is_(True))
        .order_by(User.display_name, User.id)
    )
    return [(user_id, name) for user_id, name in rows]


def render_review_page(self_check: YearlySelfCheck, status: int = 200, *, fail_form=None, visit_form=None):
    today = today_in_shanghai()
    edition = edition_by_hash(self_check.certificate.edition_hash)
    rows = answer_rows(self_check.assessment)
    answers = scoring_answers(edition, rows)
    lang = current_language()
    items = [edition.item(code) for code in covered_items(self_check, edition)]
    shown = {
        item.code: display_answer(item, answers[item.code], lang) for item in items if item.code in answers
    }
    notes = {row.item_code: row.note for row in rows if row.note}
    photos: dict[str, list[Evidence]] = {}
    for evidence in db.session.scalars(
        select(Evidence)
        .where(Evidence.assessment_id == self_check.assessment_id, Evidence.purpose == EvidencePurpose.ITEM)
        .order_by(Evidence.id)
    ):
        photos.setdefault(evidence.item_code, []).append(evidence)
    if visit_form is None:
        visit_form = TargetedVisitForm(formdata=None, due_by=today + timedelta(days=VISIT_DAYS))
    visit_form.team.choices = district_team_choices(self_check.district_id)
    may_act = current_user.role == Role.DISTRICT_BUREAU and current_user.agency not in ECOLOGY_AGENCIES
    return (
        render_template(
            "supervision/yearly_review.html",
            self_check=self_check,
            edition=edition,
            items=items,
            shown=shown,
            notes=notes,
            photos=photos,
            today=today,
            missing=is_missing(self_check, today),
            flagged=is_flagged(self_check, today) and self_check.check_id is None,
            may_act=may_act,
            status_labels=YEARLY_STATUS_LABELS,
            accept_form=ConfirmForm(),
            fail_form=fail_form or FailForm(formdata=None),
            visit_form=visit_form,
        ),
        status,
    )


@bp.get("/<int:self_check_id>/review")
@allow(READERS, joint=True)
def review_page(self_check_id: int):
    return render_review_page(db.get_or_404(YearlySelfCheck, self_check_id))


@bp.post("/<int:self_check_id>/accept")
@allow(ACTORS)
def accept(self_check_id: int):
    self_check = db.get_or_404(YearlySelfCheck, self_check_id)
    if not ConfirmForm().validate_on_submit():
        return render_review_page(self_check, status=400)
    with attempt() as outcome:
        accept_self_check(self_check, current_user)
    if not outcome.done:
        return render_review_page(self_check, status=422)
    flash(_("The self-check is accepted; the outlet is told."), "success")
    return redirect(url_for("yearly.review_page", self_check_id=self_check_id))


@bp.post("/<int:self_check_id>/fail")
@allow(ACTORS)
def fail(self_check_id: int):
    self_check = db.get_or_404(YearlySelfCheck, self_check_id)
    form = FailForm()
    if not form.validate_on_submit():
        return render_review_page(self_check, status=422, fail_form=form)
    with attempt() as outcome:
        fail_self_check(self_check, current_user, form.note.data)
    if not outcome.done:
        return render_review_page(self_check, status=422, fail_form=form)
    flash(_("The self-check is failed; the outlet is told why."), "success")
    return redirect(url_for("yearly.review_page", self_check_id=self_check_id))


@bp.post("/<int:self_check_id>/visit")
@allow(ACTORS)
def open_visit(self_check_id: int):
    self_check = db.get_or_404(YearlySelfCheck, self_check_id)
    form = TargetedVisitForm()
    form.team.choices = district_team_choices(self_check.district_id)
    if not form.validate_on_submit():
        return render_review_page(self_check, status=422, visit_form=form)
    today = today_in_shanghai()
    team = db.session.scalars(select(User).where(User.id.in_(form.team.data)).order_by(User.id)).all()
    reason = form.reason.data or (
        _("Yearly self-check %(year)s failed.", year=self_check.year)
        if self_check.status == YearlyStatus.FAILED
        else _("Yearly self-check %(year)s not submitted.", year=self_check.year)
    )
    with attempt() as outcome:
        check = open_targeted_visit(
            self_check, team, due_by=form.due_by.data, actor=current_user, today=today, reason=reason
        )
    if not outcome.done:
        return render_review_page(self_check, status=422, visit_form=form)
    flash(
        _("Targeted visit %(number)s is opened; its team finds it among their visits.", number=check.number),
        "success",
    )
    return redirect(url_for("yearly.review_page", self_check_id=self_check_id))


# --- the daily job -------------------------------------------------------------------------------
