"""Bulk outlet import for the bureaus: download the template, upload a file to check, confirm.

A district bureau imports into its own district, the city bureau into any. The URLs stay
under /dashboard/ where the bureaus have always found them; the work is outlets'
(outlet_import.py reads the file, import_operations.py compares and writes).
"""

import io

from flask import Blueprint, Response, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup

from outlet_audit.access import Scope, allow, current_scope
from outlet_audit.core.i18n import translate_message
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, attachment_disposition
from outlet_audit.outlets.forms import IMPORT_ALL_OR_NOTHING, ImportConfirmForm, ImportUploadForm
from outlet_audit.outlets.import_operations import (
    CONFIRMATION_REFUSED,
    ImportTokenRefused,
    apply_import,
    discard_staged_import,
    import_token,
    read_import_token,
    review_import,
    stage_import,
    staged_import,
)
from outlet_audit.outlets.models import KNOWN_BRANDS
from outlet_audit.outlets.outlet_import import (
    COLUMN_BY_KEY,
    ImportFileError,
    template_csv,
    write_template_xlsx,
)
from outlet_audit.outlets.reference import all_districts
from outlet_audit.roles import Role
from outlet_audit.text import Message

bp = Blueprint("outlet_import", __name__, url_prefix="/dashboard")
BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
nav_entry("outlet_import.start", _l("Import"), set(BUREAUS), order=75)


def _allowed_districts() -> set[int] | None:
    return None if current_scope() is Scope.ALL else {current_user.district_id}


@bp.get("/import")
@allow(BUREAUS)
def start():
    return render_template("outlets/import.html", form=ImportUploadForm())


@bp.get("/import/template.<any(xlsx, csv):fmt>")
@allow(BUREAUS)
def template(fmt: str):
    if fmt == "csv":
        response = Response(template_csv(), mimetype=CSV_MIMETYPE)
        response.headers["Content-Disposition"] = attachment_disposition(
            "网点导入模板.csv", "outlet-import-template.csv"
        )
        return response
    allowed = _allowed_districts()
    names = [d.name_zh for d in all_districts() if allowed is None or d.id in allowed]
    buffer = io.BytesIO()
    write_template_xlsx(buffer, districts=names, brands=KNOWN_BRANDS)
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name="网点导入模板.xlsx")


@bp.post("/import")
@allow(BUREAUS)
def dry_run():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return render_template("outlets/import.html", form=form), 400
    upload = form.file.data
    data = upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
    filename = upload.filename or "upload"
    if len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
        form.file.errors.append(_("The file is larger than the site accepts."))
        return render_template("outlets/import.html", form=form), 400
    try:
        review = review_import(data, filename, allowed_district_ids=_allowed_districts())
    except ImportFileError as error:
        form.file.errors.append(translate_message(error.message))
        return render_template("outlets/import.html", form=form), 400
    sha256 = stage_import(data, current_user.id)  # kept for the confirmation, which must not trust the client
    return _review_page(review, sha256, filename)


@bp.post("/import/confirm")
@allow(BUREAUS)
def confirm():
    form = ImportConfirmForm()
    refused = translate_message(Message(CONFIRMATION_REFUSED))
    if not form.validate_on_submit():
        flash(refused, "danger")
        return render_template("outlets/import.html", form=ImportUploadForm()), 400
    sha256 = form.sha256.data
    try:
        filename = read_import_token(form.token.data, sha256=sha256, user_id=current_user.id)
        data = staged_import(sha256, current_user.id)
    except (ImportTokenRefused, FileNotFoundError):  # the file is gone: the same as a stale token
        flash(refused, "danger")
        return render_template("outlets/import.html", form=ImportUploadForm()), 400
    # Checked again: outlets may have changed since the dry run.
    review = review_import(data, filename, allowed_district_ids=_allowed_districts())
    if form.mode.data == IMPORT_ALL_OR_NOTHING and not review.ok:
        flash(
            _("Nothing was imported: %(count)d rows have problems.", count=len(review.problem_rows())),
            "danger",
        )
        return _review_page(review, sha256, filename)
    with attempt() as outcome:
        result = apply_import(review, actor=current_user, sha256=sha256)
    if not outcome.done:  # e.g. one of the outlets was registered meanwhile: nothing is imported
        return redirect(url_for("outlet_import.start"))
    discard_staged_import(sha256, current_user.id)  # confirmed once; a second submit finds no file
    flash(
        _(
            "Import finished: %(created)d outlets created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(skipped)d rows skipped.",
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            skipped=result.skipped_rows,
        ),
        "success",
    )
    if result.for_review:
        flash(
            Markup('{} <a class="alert-link" href="{}">{}</a>').format(
                ngettext(
                    "%(num)d verified outlet has new registered details: they wait for review.",
                    "%(num)d verified outlets have new registered details: they wait for review.",
                    result.for_review,
                ),
                url_for("outlets.verification_queue"),
                _("Open the verification queue"),
            ),
            "info",
        )
    return redirect(url_for("outlet_import.start"))


def _review_page(review, sha256: str, filename: str):
    confirm = ImportConfirmForm(
        formdata=None, sha256=sha256, token=import_token(sha256, current_user.id, filename)
    )
    districts = {d.id: d for d in all_districts()}
    return render_template(
        "outlets/import_review.html",
        review=review,
        confirm=confirm,
        filename=filename,
        columns=COLUMN_BY_KEY,
        districts=districts,
    )
