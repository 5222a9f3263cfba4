"""The outlet's pages: its applications, opening one, the draft, the commitment letter (承诺书) and
the receipt (回执) of a submission."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outlet_audit.access import Scope, allow
from outlet_audit.accounts.organisations import organisation_for
from outlet_audit.certificates.queries import outlet_certificates
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import get_or_create_assessment
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import record_id
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import shanghai_date, today_in_shanghai
from outlet_audit.criteria.editions import active_edition, pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.blueprint import APPLICATION_READERS, bp
from outlet_audit.workflow.deadlines import processing_deadline, rules_from
from outlet_audit.workflow.drafting import (
    ApplicationRefused,
    attach_commitment_letter,
    city_level_refusal,
    create_application,
    open_application_of,
    renewable_certificate,
    renewal_refusal,
    save_draft,
    window_of,
)
from outlet_audit.workflow.forms import (
    CommitmentUploadForm,
    NewApplicationForm,
    draft_form,
    eligibility_answers,
)
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.page import application_page, render_application
from outlet_audit.workflow.states import LEVEL_LABELS, STATUS_LABELS, Level, Status

OUTLET_ONLY = {Role.OUTLET: Scope.OWN_OUTLET}
nav_entry("workflow.my_applications", _l("My applications"), {Role.OUTLET}, order=10)


@bp.get("/")
@allow(OUTLET_ONLY)
def my_applications():
    outlet = current_user.outlet
    applications = db.session.scalars(
        select(Application).where(Application.outlet_id == outlet.id).order_by(Application.created_at.desc())
    ).all()
    today = today_in_shanghai()
    certificates = outlet_certificates(outlet.id, today)
    return render_template(
        "workflow/my_applications.html",
        outlet=outlet,
        applications=applications,
        open_application=open_application_of(outlet.id),
        certificates=certificates,
        # each certificate in force: whether it may be renewed today, else from when
        renewal={
            held.certificate.id: window_of(held.certificate)
            for held in certificates
            if held.standing.in_force
        },
        today=today,
        status_labels=STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(OUTLET_ONLY)
def new_application():
    outlet = current_user.outlet
    renewal_of = None
    if request.args.get("renew"):
        renewal_of = renewable_certificate(outlet.id, record_id(request.args, "renew"))
        if renewal_of is None:
            abort(404)  # not this outlet's active certificate: as if it did not exist
    existing = open_application_of(outlet.id)
    if existing is not None:
        flash(
            _("Your outlet already has an application in progress (%(ref)s).", ref=existing.reference), "info"
        )
        return redirect(url_for("workflow.application_detail", application_id=existing.id))
    refusal = renewal_refusal(renewal_of, today_in_shanghai()) if renewal_of is not None else None
    if refusal is not None:  # outside the renewal window: said, and no form to send
        return render_template(
            "workflow/new_application.html",
            form=None,
            outlet=outlet,
            renewal_of=renewal_of,
            renewal_refusal=refusal,
        ), (200 if request.method == "GET" else 422)
    form = NewApplicationForm()
    if request.method == "GET" and renewal_of is not None:
        form.target_level.data = renewal_of.level
    if form.validate_on_submit():
        with attempt(flash_refusal=False) as outcome:
            application = create_application(
                outlet, Level(form.target_level.data), actor=current_user, renewal_of=renewal_of
            )
            get_or_create_assessment(application, AssessmentKind.SELF)
        refusal = outcome.refusal
        if isinstance(refusal, ApplicationRefused) and refusal.existing is not None:  # opened in another tab
            flash(outcome.message, "info")
            return redirect(url_for("workflow.application_detail", application_id=refusal.existing.id))
        if not outcome.done:
            form.target_level.errors.append(outcome.message)
        else:
            flash(
                _(
                    "Application %(ref)s opened. Fill it in at your own pace; the draft is kept.",
                    ref=application.reference,
                ),
                "success",
            )
            return redirect(url_for("workflow.application_detail", application_id=application.id))
    edition = active_edition()
    city_refusal = city_level_refusal(outlet.id, edition)
    status_code = 422 if form.errors else 200
    return render_template(
        "workflow/new_application.html",
        form=form,
        outlet=outlet,
        edition=edition,
        lang=current_language(),
        renewal_of=renewal_of,
        city_refusal=city_refusal,
    ), status_code


@bp.post("/<int:application_id>/draft")
@allow(OUTLET_ONLY)
def save_application_draft(application_id: int):
    application = db.get_or_404(Application, application_id)
    edition = pinned_edition(application.edition)
    form = draft_form(edition, current_language(), formdata=request.form)
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return render_application(application, status_code=422, draft=form)
    with attempt() as outcome:
        save_draft(
            application,
            target_level=Level(form.target_level.data),
            eligibility=eligibility_answers(form, edition),
            actor=current_user,
        )
    if outcome.stale:
        return redirect(url_for("workflow.application_detail", application_id=application_id))
    if not outcome.done:
        application = db.session.get(Application, application_id)
        return render_application(application, status_code=422, draft=form)
    flash(_("Draft saved."), "success")
    return redirect(
        url_for("workflow.application_detail", application_id=application_id) + "#application-form"
    )


@bp.post("/<int:application_id>/commitment")
@allow(OUTLET_ONLY)
def upload_commitment(application_id: int):
    application = db.get_or_404(Application, application_id)
    form = CommitmentUploadForm(prefix="commitment")
    if form.validate():
        upload = form.letter.data
        with attempt(flash_refusal=False) as outcome:
            attach_commitment_letter(application, upload.read(), upload.filename, actor=current_user)
        if not outcome.done:
            form.letter.errors.append(outcome.message)
        else:
            flash(_("The signed commitment letter is uploaded."), "success")
            return redirect(
                url_for("workflow.application_detail", application_id=application_id) + "#commitment"
            )
    flash(_("The commitment letter was not uploaded."), "danger")
    application = db.session.get(Application, application_id)
    page = render_template("workflow/detail.html", **_page_with_upload_form(application, form))
    return page, 422


def _page_with_upload_form(application: Application, form) -> dict:
    context = application_page(application)
    context["upload_form"] = form
    return context


@bp.get("/<int:application_id>/commitment-letter")
@allow(APPLICATION_READERS, joint=True)
def commitment_letter(application_id: int):
    application = db.get_or_404(Application, application_id)
    edition = pinned_edition(application.edition)
    return render_template(
        "workflow/commitment_letter.html",
        application=application,
        outlet=application.outlet,
        edition=edition,
        level=LEVEL_LABELS[application.target_level],
        today=today_in_shanghai(),
    )


@bp.post("/<int:application_id>/self-assessment")
@allow(OUTLET_ONLY)
def start_self_assessment(application_id: int):
    application = db.get_or_404(Application, application_id)
    with attempt():
        assessment = get_or_create_assessment(application, AssessmentKind.SELF)
        assessment_id = assessment.id  # read before the commit expires it
    return redirect(url_for("checklist.edit", assessment_id=assessment_id))


@bp.get("/<int:application_id>/receipt")
@allow(APPLICATION_READERS)  # the outlet's and the receiving bureau's: not part of the joint review
def receipt(application_id: int):
    """The receipt of the latest submission (回执): its number, day and the processing time limit, to print.

    The deadline printed is the one the submission started: the queue adds to it the days the
    outlet later takes to rectify (workflow.deadlines).
    """
    application = db.get_or_404(Application, application_id)
    if application.submitted_at is None:
        abort(404)  # a draft was never submitted: it has no receipt
    rules = rules_from(current_app.config)
    return render_template(
        "workflow/receipt.html",
        application=application,
        outlet=application.outlet,
        edition=pinned_edition(application.edition),
        level=LEVEL_LABELS[application.target_level],
        bureau=organisation_for(Agency.DISTRICT_POSTAL, application.district_id),
        rules=rules,
        deadline=processing_deadline(shanghai_date(application.submitted_at), rules),
        returned=application.status == Status.RETURNED,
        lang=current_language(),
    )
