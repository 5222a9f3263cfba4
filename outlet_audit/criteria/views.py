"""The administrator's criteria pages: every edition in the criteria folder, previewed as the
checklist inspectors will see it, and the choice of the edition new applications use.

An invalid file never breaks the page: the loader's messages are listed instead, and no
edition can be made active until the folder is valid again (the app refuses such a folder).
"""

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outlet_audit.access import Scope, allow
from outlet_audit.audit.operations import record
from outlet_audit.checklist.forms import PlainAssessmentForm, build_assessment_form, field_name
from outlet_audit.core.i18n import current_language
from outlet_audit.core.models import get_setting
from outlet_audit.core.navigation import nav_entry
from outlet_audit.criteria.editions import ACTIVE_EDITION_SETTING, active_edition, choose_active_edition
from outlet_audit.criteria.loader import CriteriaError, display_path, edition_files, read_editions
from outlet_audit.criteria.model import Edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role

bp = Blueprint("criteria", __name__, url_prefix="/admin/criteria")
nav_entry("criteria.editions", _l("Criteria editions"), {Role.ADMIN}, order=85)
ADMIN_ONLY = {Role.ADMIN: Scope.ALL}


@dataclass(frozen=True)
class CriteriaFolder:
    """What the folder holds now: the editions that load, and every problem with any file."""

    path: str
    editions: dict[str, Edition]
    problems: list[str]
    active_id: str | None

    @property
    def valid(self) -> bool:
        return not self.problems


def read_folder() -> CriteriaFolder:
    folder = Path(current_app.config["CRITERIA_DIR"])
    files = edition_files(folder) if folder.is_dir() else []
    loaded, problems = read_editions(files)  # each file parsed once; its problems are listed
    if not files:
        problems = [f"{display_path(folder)}: no criteria edition files"]
    editions = {edition.id: edition for edition in loaded}
    active_id = None
    if not problems:
        try:
            active_id = active_edition().id
        except (CriteriaError, LookupError):
            active_id = None
    return CriteriaFolder(display_path(folder), editions, problems, active_id)


@bp.get("/")
@allow(ADMIN_ONLY)
def editions():
    folder = read_folder()
    return render_template(
        "criteria/editions.html",
        folder=folder,
        lang=current_language(),
        chosen=get_setting(ACTIVE_EDITION_SETTING),
    )


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
    edition_code = request.form.get("edition", "")
    folder = read_folder()
    if not folder.valid:
        flash(_("Fix the criteria files listed below before choosing an edition."), "danger")
        return redirect(url_for(".editions"))
    if edition_code not in folder.editions:
        flash(_("There is no such edition in the criteria folder."), "danger")
        return redirect(url_for(".editions"))
    previous = folder.active_id
    choose_active_edition(edition_code)
    record(
        "criteria_edition_activated",
        actor=current_user,
        subject_type="criteria_edition",
        subject_id=None,
        field="active_edition",
        old=previous,
        new=edition_code,
    )
    db.session.commit()
    flash(
        _(
            "New applications now use %(title)s.",
            title=folder.editions[edition_code].title.get(current_language()),
        ),
        "success",
    )
    return redirect(url_for(".editions"))
