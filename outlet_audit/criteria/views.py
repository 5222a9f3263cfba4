"""The administrator's criteria pages: every edition in the criteria folder, previewed as the
checklist inspectors will see it, and the explicit, audited choice of the edition new applications
use, from today or scheduled from a later day.

An invalid file never breaks the page: the loader's messages are listed instead, and no
edition can be chosen until the folder is valid again (the app refuses such a folder).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, InputRequired

from outlet_audit.access import RecordFacts, Scope, allow, record_loader
from outlet_audit.accounts.models import User
from outlet_audit.audit.operations import record
from outlet_audit.checklist.forms import PlainAssessmentForm, build_assessment_form, field_name
from outlet_audit.core.forms import BaseForm, BoundedDateField
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt, forget_unfinished_work
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.core.views import error_response
from outlet_audit.criteria.diff import describe_field, diff_editions
from outlet_audit.criteria.drafts import edition_file_name, save_draft, upload_name
from outlet_audit.criteria.editions import (
    NoEditionInEffect,
    choose_active_edition,
    recorded_choices,
    reporting_edition,
    rule_citation,
    withdraw_choice,
)
from outlet_audit.criteria.forms import DraftSaveForm, DraftUploadForm
from outlet_audit.criteria.impact import LEVELS as IMPACT_LEVELS
from outlet_audit.criteria.impact import measure_impact
from outlet_audit.criteria.loader import (
    CRITERIA_MAX_BYTES,
    CriteriaError,
    display_path,
    edition_files,
    read_edition_bytes,
    read_editions,
)
from outlet_audit.criteria.model import Edition
from outlet_audit.criteria.schedule import (
    Choice,
    EditionInUse,
    EndNotice,
    edition_in_use,
    end_notice,
    pending_choices,
)
from outlet_audit.criteria.stored import EditionChoice
from outlet_audit.extensions import db
from outlet_audit.outlets.reference import all_districts
from outlet_audit.roles import Role

bp = Blueprint("criteria", __name__, url_prefix="/admin/criteria")
nav_entry("criteria.editions", _l("Criteria editions"), {Role.ADMIN}, order=85)
ADMIN_ONLY = {Role.ADMIN: Scope.ALL}
HISTORY_LIMIT = 20


@bp.app_template_global()
def criteria_citation() -> str | None:
    """The rule the edition in use implements, for the footer of every page (cached: no query)."""
    return rule_citation(current_language())


@bp.app_errorhandler(NoEditionInEffect)
def no_edition_in_effect(_error):
    """Wherever an edition for a new application is needed and none is in effect: say so, never a 500."""
    forget_unfinished_work()
    return error_response(
        409,
        "no_edition",
        _("New applications are paused"),
        _(
            "No criteria edition is in effect today, so new applications cannot be opened. The administrators"
            " are told; please try again later or ask your district postal bureau."
        ),
    )


class ScheduleForm(BaseForm):
    edition = StringField(validators=[DataRequired()])
    # InputRequired, not DataRequired: a day that does not exist keeps the field's own message
    active_from = BoundedDateField(_l("From"), validators=[InputRequired(_l("Enter the first day."))])


@dataclass(frozen=True)
class ChoiceRow:
    """One recorded choice as the history lists it."""

    id: int
    edition_id: str
    active_from: date | None
    chosen_at: datetime
    chosen_by: str | None


@dataclass(frozen=True)
class CriteriaFolder:
    """What the folder holds now, and what new applications use (None while the folder is invalid)."""

    path: str
    editions: dict[str, Edition]
    problems: list[str]
    today: date
    state: EditionInUse | None = None
    pending: tuple[Choice, ...] = ()
    notice: EndNotice | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def active_id(self) -> str | None:
        return self.state.edition.id if self.state and self.state.edition else None

    def scheduled_from(self, edition_id: str) -> list[date]:
        return [c.active_from for c in self.pending if c.edition_id == edition_id]

    def first_schedulable_day(self, edition: Edition) -> date | None:
        """The first later day the edition is in effect, or None when it never is again."""
        day = max(self.today + timedelta(days=1), edition.effective_from)
        return day if edition.is_effective(day) else None


def read_folder() -> CriteriaFolder:
    folder = Path(current_app.config["CRITERIA_DIR"])
    files = edition_files(folder) if folder.is_dir() else []
    loaded, problems = read_editions(files)  # each file parsed once; its problems are listed
    if not files:
        problems = [f"{display_path(folder)}: no criteria edition files"]
    editions = {edition.id: edition for edition in loaded}
    today = today_in_shanghai()
    if problems:
        return CriteriaFolder(display_path(folder), editions, problems, today)
    choices = recorded_choices()
    return CriteriaFolder(
        display_path(folder),
        editions,
        problems,
        today,
        state=edition_in_use(choices, editions, today),
        pending=tuple(pending_choices(choices, today)),
        notice=end_notice(choices, editions, today, current_app.config.get("CRITERIA_NOTICE_DAYS", 30)),
    )


def choice_history() -> list[ChoiceRow]:
    rows = db.session.execute(
        select(EditionChoice, User.display_name)
        .outerjoin(User, User.id == EditionChoice.chosen_by_id)
        .order_by(EditionChoice.id.desc())
        .limit(HISTORY_LIMIT)
    )
    return [
        ChoiceRow(choice.id, choice.edition_id, choice.active_from, choice.chosen_at, name)
        for choice, name in rows
    ]


def render_editions(schedule_form: ScheduleForm | None = None, status_code: int = 200):
    return render_template(
        "criteria/editions.html",
        folder=read_folder(),
        history=choice_history(),
        lang=current_language(),
        schedule_form=schedule_form,
    ), status_code


@bp.get("/")
@allow(ADMIN_ONLY)
def editions():
    return render_editions()


@bp.get("/<edition_code>")
@allow(ADMIN_ONLY)
def preview(edition_code: str):
    """The edition as a read-only checklist, built by the same form builder as the real one."""
    folder = read_folder()
    edition = folder.editions.get(edition_code)
    if edition is None:
        abort(404)
    lang = current_language()
    form = build_assessment_form(edition, lang, base=PlainAssessmentForm)()
    return render_template(
        "criteria/preview.html", edition=edition, form=form, field_name=field_name, lang=lang, folder=folder
    )


@bp.post("/active")
@allow(ADMIN_ONLY)
def activate():
    """Make an edition in effect today the one new applications use from now on."""
    edition_code = request.form.get("edition", "")
    folder = read_folder()
    if not folder.valid:
        flash(_("Fix the criteria files listed below before choosing an edition."), "danger")
        return redirect(url_for(".editions"))
    with attempt() as outcome:
        choose_active_edition(edition_code, actor=current_user)
    if not outcome.done:
        return redirect(url_for(".editions"))
    flash(
        _(
            "New applications now use %(title)s.",
            title=folder.editions[edition_code].title.get(current_language()),
        ),
        "success",
    )
    return redirect(url_for(".editions"))


@bp.post("/schedule")
@allow(ADMIN_ONLY)
def schedule():
    """Choose the edition new applications use from a later day (an edition not yet in effect)."""
    form = ScheduleForm()
    folder = read_folder()
    if not folder.valid:
        flash(_("Fix the criteria files listed below before choosing an edition."), "danger")
        return redirect(url_for(".editions"))
    if not form.validate():
        return render_editions(form, 422)
    if form.active_from.data <= today_in_shanghai():
        form.active_from.errors.append(_("Choose a later day; to use an edition from today, make it active."))
        return render_editions(form, 422)
    with attempt(flash_refusal=False) as outcome:
        choose_active_edition(form.edition.data, form.active_from.data, actor=current_user)
    if not outcome.done:
        form.active_from.errors.append(outcome.message)
        return render_editions(form, 422)
    flash(
        _(
            "New applications will use %(title)s from %(date)s.",
            title=folder.editions[form.edition.data].title.get(current_language()),
            date=form.active_from.data.isoformat(),
        ),
        "success",
    )
    return redirect(url_for(".editions"))


@record_loader("choice_id")
def choice_facts(choice_id: int) -> RecordFacts | None:
    """A recorded edition choice belongs to no district: only the city-wide admin scope reaches it."""
    found = db.session.scalar(select(EditionChoice.id).where(EditionChoice.id == choice_id))
    return RecordFacts(district_id=None) if found is not None else None


@bp.post("/choices/<int:choice_id>/withdraw")
@allow(ADMIN_ONLY)
def withdraw(choice_id: int):
    with attempt() as outcome:
        choice = withdraw_choice(choice_id, actor=current_user)
        message = _(
            "The choice of %(edition)s from %(date)s is withdrawn.",
            edition=choice.edition_id,
            date=choice.active_from.isoformat(),
        )  # read before the commit, which expires the deleted row
    if not outcome.done:
        return redirect(url_for(".editions"))
    flash(message, "success")
    return redirect(url_for(".editions"))


# --- a draft edition: its impact before anyone chooses it (issue 20) ----------------------------


# Names for the rules a diff most often shows; any other field is shown by its path in the file.
FIELD_LABELS = {
    "points": _l("Points"),
    "answer.type": _l("Answer type"),
    "answer.options": _l("Options and their points"),
    "answer.thresholds": _l("Thresholds and their points"),
    "answer.earns_on": _l("Answer that earns the points"),
    "evidence": _l("Evidence rule"),
    "veto": _l("Veto item"),
    "not_applicable_allowed": _l("N/A allowed"),
    "checked_by": _l("Checked by"),
    "section": _l("Section"),
    "title": _l("Title"),
    "guidance": _l("Guidance"),
    "min_score": _l("Minimum final score"),
    "items_at_full_marks": _l("Items required at full marks"),
    "no_veto_failed": _l("No veto item may fail"),
    "requires_valid_district_certificate": _l("Valid district certificate required"),
    "approvals": _l("Approval steps"),
    "inspection_team": _l("Joint inspection team"),
    "certificate_validity_months": _l("Certificate valid (months)"),
    "total_points": _l("Total points"),
    "effective_from": _l("In effect from"),
    "effective_until": _l("In effect until"),
    "bonus.cap": _l("Bonus cap"),
    "rule": _l("Rule cited"),
    "final_cap": _l("Highest final score"),
    "min_total": _l("Minimum score before the bonus"),
    "section_minimums": _l("Section minimums"),
    "requirement": _l("Pass/fail requirement"),
    "required_from": _l("Lowest level a failure blocks"),
    "applies_to": _l("Outlets it applies to"),
    "shown_when": _l("Asked only when"),
    "answer.deduction": _l("Deduction per unit counted"),
    "answer.unit": _l("Unit counted"),
}


def _district_choices() -> list[tuple[str, str]]:
    lang = current_language()
    return [("", _("All districts"))] + [(d.code, d.name(lang)) for d in all_districts()]


def render_draft_page(form: DraftUploadForm, status_code: int = 200, **preview):
    return render_template(
        "criteria/impact.html", form=form, lang=current_language(), field_labels=FIELD_LABELS, **preview
    ), status_code


@bp.route("/drafts/impact", methods=["GET", "POST"])
@allow(ADMIN_ONLY)
def draft_impact():
    """Upload a draft edition: its located problems, or its diff and impact. Nothing is written."""
    form = DraftUploadForm()
    form.district.choices = _district_choices()
    if request.method == "GET":
        return render_draft_page(form)
    if not form.validate_on_submit():
        return render_draft_page(form, 422)
    upload = form.file.data
    data = upload.read(CRITERIA_MAX_BYTES + 1)  # never more than the loader would read
    name = upload_name(upload.filename)
    draft, problems = read_edition_bytes(data, name)
    if draft is None:
        return render_draft_page(form, 422, problems=problems)
    preview = _preview(draft, data, name, form.months.data, form.district.data or None)
    return render_draft_page(form, **preview)


def _preview(draft: Edition, data: bytes, name: str, months: int, district_code: str | None) -> dict:
    try:
        base = reporting_edition()
    except CriteriaError as error:  # the folder is invalid: the draft is still shown, unscored against it
        base, folder_problems = None, error.messages
    else:
        folder_problems = []
    # The text comes back with the acceptance; a body past the form memory limit would be refused (413)
    # there, so such a draft is offered for saving by copying the file only.
    limit = current_app.config.get("MAX_FORM_MEMORY_SIZE") or CRITERIA_MAX_BYTES * 4
    savable = len(data) + data.count(b"\n") + 16 * 1024 <= limit
    save_form = DraftSaveForm(draft=data.decode("utf-8"), file_name=name, content_hash=draft.content_hash)
    return {
        "draft": draft,
        "file_name": name,
        "base": base,
        "folder_problems": folder_problems,
        "diff": diff_editions(base, draft) if base else None,
        "impact": measure_impact(draft, months=months, district_code=district_code),
        "save_form": save_form if savable else None,
        "target_name": edition_file_name(draft),
        "describe_field": describe_field,
        "levels": IMPACT_LEVELS,
    }


@bp.post("/drafts/save")
@allow(ADMIN_ONLY)
def save_draft_edition():
    """Save the previewed draft into the criteria folder under its id; never over another file."""
    form = DraftSaveForm()
    upload_form = DraftUploadForm(formdata=None)
    upload_form.district.choices = _district_choices()
    if not form.validate_on_submit():
        flash(_("The draft could not be read back. Upload it again."), "danger")
        return render_draft_page(upload_form, 400)
    # Browsers send a form's line breaks as CRLF: the file keeps the LF it was uploaded with.
    data = form.draft.data.replace("\r\n", "\n").encode("utf-8")
    draft, problems = read_edition_bytes(data, upload_name(form.file_name.data))
    if draft is None:
        return render_draft_page(upload_form, 422, problems=problems)
    if draft.content_hash != form.content_hash.data:
        flash(_("The draft is not the one previewed. Upload it again and check its impact."), "danger")
        return render_draft_page(upload_form, 409)
    with attempt() as outcome:
        saved = save_draft(data, draft, Path(current_app.config["CRITERIA_DIR"]))
        if saved.written:
            record(
                "criteria_edition_saved",
                actor=current_user,
                subject_type="criteria_edition",
                subject_id=None,
                field=saved.path.name,
                new=f"{draft.id} {draft.content_hash[:12]}",
            )
    if not outcome.done:
        return render_draft_page(upload_form, 409)
    if saved.written:
        message = _(
            "%(file)s is saved in the criteria folder. It is not used until you make it active"
            " or schedule it.",
            file=saved.path.name,
        )
    else:
        message = _("%(file)s is already in the criteria folder with these rules.", file=saved.path.name)
    flash(message, "success")
    return redirect(url_for(".editions"))
