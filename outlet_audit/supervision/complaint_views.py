"""Public complaints: the public's form and follow-up page, and the district bureau's triage.

The public reaches the form from a certificate's verification page and the directory, without an
account; each network may send a few (RATELIMIT_COMPLAINT) and each outlet receives at most
COMPLAINTS_PER_OUTLET_PER_DAY. The district postal bureau triages its district's complaints; the
city bureau reads every district's, and the ecology bureaus read as the joint review does.
"""

from datetime import timedelta
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, func, select, true
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from outlet_audit.access import (
    ECOLOGY_AGENCIES,
    RecordFacts,
    Scope,
    allow,
    current_scope,
    public,
    record_loader,
)
from outlet_audit.accounts.models import User
from outlet_audit.audit.queries import subject_timeline
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.numbering import parse_certificate_number
from outlet_audit.certificates.state import STATE_COLOURS, STATE_LABELS, CertificateState, certificate_state
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.rate_limits import configured_limit, public_pages_limit
from outlet_audit.core.requests import attempt
from outlet_audit.core.spreadsheets import CSV_MIMETYPE, attachment_disposition, iter_csv
from outlet_audit.core.time import today_in_shanghai, utcnow
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.evidence.operations import evidence_store
from outlet_audit.evidence.storage import StoredFileCorrupted
from outlet_audit.extensions import db, limiter
from outlet_audit.outlets.models import Outlet
from outlet_audit.roles import Role
from outlet_audit.supervision.complaint_forms import (
    ComplaintFilterForm,
    ComplaintForm,
    DismissForm,
    FollowForm,
    OpenVisitForm,
    OutcomeForm,
)
from outlet_audit.supervision.complaints import (
    certificate_in_force,
    conclude_complaint,
    dismiss_complaint,
    file_complaint,
    followed_complaint,
    open_complaint_visit,
    visit_made,
)
from outlet_audit.supervision.kinds import (
    CHECK_STATUS_LABELS,
    COMPLAINT_CATEGORY_LABELS,
    COMPLAINT_STATUS_LABELS,
    SUPERVISION_MENU,
    ComplaintCategory,
    ComplaintStatus,
)
from outlet_audit.supervision.models import Complaint

bp = Blueprint("complaints", __name__)
nav_entry(
    "complaints.index",
    _l("Complaints"),
    {Role.DISTRICT_BUREAU, Role.CITY_BUREAU},
    order=72,
    group=SUPERVISION_MENU,
)

READERS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
TRIAGERS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT}  # the outlet's district postal bureau acts
RECEIPT_KEY = "complaint_filed"  # the reference and code, shown once after the redirect
DEFAULT_VISIT_DAYS = 14
STATUS_COLOURS = {
    ComplaintStatus.RECEIVED: "warning",
    ComplaintStatus.DISMISSED: "secondary",
    ComplaintStatus.VISIT_OPENED: "info",
    ComplaintStatus.SUBSTANTIATED: "danger",
    ComplaintStatus.NOT_SUBSTANTIATED: "success",
}
complaint_limit = limiter.limit(
    configured_limit("RATELIMIT_COMPLAINT"),
    methods=["POST"],
    # Typing errors are free; a complaint sent (or refused for its photo or the outlet's day) counts.
    deduct_when=lambda _response: g.get("complaint_attempted", False),
)
follow_limit = limiter.limit(configured_limit("RATELIMIT_COMPLAINT_FOLLOW"), methods=["POST"])


@record_loader("complaint_id")
def complaint_record(complaint_id: int) -> RecordFacts | None:
    row = db.session.execute(
        select(Complaint.district_id, Complaint.outlet_id).where(Complaint.id == complaint_id)
    ).first()
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id) if row else None


# --- the public ---------------------------------------------------------------------------------


def _certificate_or_404(number: str) -> Certificate:
    parsed = parse_certificate_number(number)
    certificate = None
    if parsed is not None:
        certificate = db.session.scalar(
            select(Certificate)
            .where(Certificate.number == str(parsed))
            .options(joinedload(Certificate.outlet).joinedload(Outlet.district))
        )
    if certificate is None:
        abort(404)
    return certificate


@bp.route("/complaints/new/<number>", methods=["GET", "POST"])
@public
@public_pages_limit
@complaint_limit
def new(number: str):
    """Report a problem at the outlet that holds (or held) this certificate."""
    certificate = _certificate_or_404(number)
    form = ComplaintForm()
    if not form.validate_on_submit():
        return _complaint_page(certificate, form, 422 if form.is_submitted() else 200)
    g.complaint_attempted = True
    upload = form.photo.data
    photo = (
        (upload.read(current_app.config["UPLOAD_MAX_BYTES"] + 1), upload.filename or "") if upload else None
    )
    with attempt(flash_refusal=False) as outcome:
        filed = file_complaint(
            certificate,
            category=ComplaintCategory(form.category.data),
            description=form.description.data,
            contact=form.contact.data or None,
            photo=photo if photo and photo[0] else None,
        )
    if not outcome.done:
        about_the_photo = isinstance(outcome.refusal, UploadRefused)
        (form.photo.errors if about_the_photo else form.form_errors).append(outcome.message)
        # Not the photo: the outlet's day is full (or someone saved first), which waiting cures.
        return _complaint_page(certificate, form, 422 if about_the_photo or outcome.stale else 429)
    session[RECEIPT_KEY] = {"reference": filed.complaint.reference, "code": filed.follow_code}
    return redirect(url_for("complaints.received"))


def _complaint_page(certificate: Certificate, form: ComplaintForm, status: int):
    state = certificate_state(certificate.state, certificate.valid_until, today_in_shanghai())
    if form.photo.data and form.is_submitted() and status != 200:
        form.photo.errors.append(_("Choose the photo again: a browser does not keep it."))
    return render_template(
        "supervision/complaint_new.html",
        certificate=certificate,
        form=form,
        state=state,
        state_label=STATE_LABELS[state],
        state_colour=STATE_COLOURS[state],
        in_force=state is CertificateState.VALID,
    ), status


@bp.get("/complaints/received")
@public
@public_pages_limit
def received():
    """The reference, and the follow-up code once: a reload shows neither again."""
    receipt = session.pop(RECEIPT_KEY, None)
    if not receipt:
        return redirect(url_for("complaints.follow"))
    return render_template("supervision/complaint_received.html", receipt=receipt)


@bp.route("/complaints/follow", methods=["GET", "POST"])
@public
@public_pages_limit
@follow_limit
def follow():
    form = FollowForm()
    if not form.validate_on_submit():
        return render_template(
            "supervision/complaint_follow.html", form=form
        ), 422 if form.is_submitted() else 200
    complaint = followed_complaint(form.reference.data, form.code.data)
    if complaint is None:
        form.code.data = ""
        form.form_errors.append(
            _("No complaint matches this reference and code. Check both as they were shown when you sent it.")
        )
        return render_template("supervision/complaint_follow.html", form=form), 404
    return render_template(
        "supervision/complaint_follow.html",
        form=FollowForm(formdata=None),
        complaint=complaint,
        status_label=COMPLAINT_STATUS_LABELS[ComplaintStatus(complaint.status)],
        category_label=COMPLAINT_CATEGORY_LABELS[ComplaintCategory(complaint.category)],
    )


# --- the bureau ---------------------------------------------------------------------------------


def scope_condition():
    scope = current_scope()
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN_DISTRICT:
        return Complaint.district_id == current_user.district_id
    return false()


def overdue_before():
    """Complaints received before this moment and still untriaged are overdue."""
    return utcnow() - timedelta(days=current_app.config["COMPLAINT_TRIAGE_DAYS"])


@bp.get("/complaints/")
@allow(READERS, joint=True)
def index():
    """The complaints in reach, newest first; the untriaged past COMPLAINT_TRIAGE_DAYS marked overdue."""
    form = ComplaintFilterForm(request.args)
    status = form.chosen_status
    query = select(Complaint).where(scope_condition()).options(joinedload(Complaint.outlet))
    if status is not None:
        query = query.where(Complaint.status == status.value)
    query = query.order_by(Complaint.created_at.desc(), Complaint.id.desc())
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    counts = dict(
        db.session.execute(
            select(Complaint.status, func.count()).where(scope_condition()).group_by(Complaint.status)
        ).all()
    )
    return render_template(
        "supervision/complaint_list.html",
        page=page,
        form=form,
        selected=status,
        counts=counts,
        overdue_before=overdue_before(),
        triage_days=current_app.config["COMPLAINT_TRIAGE_DAYS"],
        **_labels(),
    )


@bp.get("/complaints/export.csv")
@allow(READERS)
def export():
    """The list as filtered, for a spreadsheet: every cell made safe from formulas (no contact in it)."""
    status = ComplaintFilterForm(request.args).chosen_status
    query = (
        select(Complaint, Outlet.name)
        .join(Outlet, Outlet.id == Complaint.outlet_id)
        .where(scope_condition())
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
    )
    if status is not None:
        query = query.where(Complaint.status == status.value)
    header = [
        _("Reference"),
        _("Received"),
        _("Outlet"),
        _("What is wrong"),
        _("Status"),
        _("What they saw"),
        _("Triaged"),
        _("Closed"),
        _("The bureau's answer"),
    ]
    categories = {key: _(label) for key, label in COMPLAINT_CATEGORY_LABELS.items()}
    statuses = {key: _(label) for key, label in COMPLAINT_STATUS_LABELS.items()}

    def rows():
        for complaint, outlet_name in db.session.execute(query.execution_options(yield_per=500)):
            yield (
                complaint.reference,
                complaint.created_at,
                outlet_name,
                categories[ComplaintCategory(complaint.category)],
                statuses[ComplaintStatus(complaint.status)],
                complaint.description,
                complaint.triaged_at,
                complaint.closed_at,
                complaint.outcome or complaint.triage_reason,
            )

    response = Response(stream_with_context(iter_csv(header, rows())), mimetype=CSV_MIMETYPE)
    response.headers["Content-Disposition"] = attachment_disposition("投诉.csv", "complaints.csv")
    return response


@bp.get("/complaints/<int:complaint_id>")
@allow(READERS, joint=True)
def detail(complaint_id: int):
    return _detail_page(db.get_or_404(Complaint, complaint_id))


def _may_triage() -> bool:
    """The district postal bureau acts; the city bureau and the ecology bureaus read."""
    return current_user.role == Role.DISTRICT_BUREAU and current_user.agency not in ECOLOGY_AGENCIES


def _team_choices(district_id: int) -> list[SelectChoice]:
    inspectors = db.session.scalars(
        select(User)
        .where(User.role == Role.INSPECTOR, User.active.is_(True), User.district_id == district_id)
        .order_by(User.display_name, User.id)
    )
    return [SelectChoice(user.id, user.display_name) for user in inspectors]


def _visit_form(complaint: Complaint, formdata=None) -> OpenVisitForm:
    form = OpenVisitForm(formdata=formdata) if formdata is not None else OpenVisitForm(formdata=None)
    form.team.choices = _team_choices(complaint.district_id)
    if formdata is None:
        form.due_by.data = today_in_shanghai() + timedelta(days=DEFAULT_VISIT_DAYS)
    return form


def _detail_page(complaint: Complaint, status: int = 200, **forms):
    may_triage = _may_triage()
    received_now = complaint.status == ComplaintStatus.RECEIVED
    awaiting_outcome = complaint.status == ComplaintStatus.VISIT_OPENED
    offered = {
        "dismiss_form": may_triage and received_now,
        "visit_form": may_triage and received_now,
        "outcome_form": may_triage and awaiting_outcome and visit_made(complaint),
    }
    for name, form in list(forms.items()):
        if not offered[name]:  # decided meanwhile: its form goes, the reason it was refused stays
            for message in form.form_errors:
                flash(message, "danger")
            del forms[name]
    if offered["dismiss_form"]:
        forms.setdefault("dismiss_form", DismissForm(formdata=None))
        forms.setdefault("visit_form", _visit_form(complaint))
    if offered["outcome_form"]:
        forms.setdefault("outcome_form", OutcomeForm(formdata=None))
    forms = {name: forms.get(name) for name in offered}
    check = complaint.check
    return render_template(
        "supervision/complaint_detail.html",
        complaint=complaint,
        check=check,
        check_status_label=CHECK_STATUS_LABELS.get(check.status) if check else None,
        team=check.assessment.inspectors if check and check.assessment else [],
        certificate=db.session.get(Certificate, complaint.certificate_id)
        if complaint.certificate_id
        else None,
        in_force=certificate_in_force(complaint.outlet_id) is not None if received_now else True,
        may_triage=may_triage,
        awaiting_visit=awaiting_outcome and not visit_made(complaint),
        shows_contact=current_user.agency not in ECOLOGY_AGENCIES,
        overdue=received_now and complaint.created_at < overdue_before(),
        triaged_by=db.session.get(User, complaint.triaged_by_id) if complaint.triaged_by_id else None,
        timeline=subject_timeline("complaint", complaint.id),
        **forms,
        **_labels(),
    ), status


def _labels() -> dict:
    return {
        "status_labels": COMPLAINT_STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "category_labels": COMPLAINT_CATEGORY_LABELS,
        "statuses": list(ComplaintStatus),
    }


@bp.get("/complaints/<int:complaint_id>/photo")
@allow(READERS, joint=True)
def photo(complaint_id: int):
    """The complainant's photo, to the bureaus only (never public, never the outlet's)."""
    complaint = db.get_or_404(Complaint, complaint_id)
    if not complaint.photo_sha256:
        abort(404)
    try:
        data = evidence_store().open(complaint.photo_sha256)
    except (FileNotFoundError, StoredFileCorrupted):
        abort(404)
    response = send_file(
        BytesIO(data),
        mimetype=complaint.photo_mime,
        etag=complaint.photo_sha256,
        conditional=True,
        max_age=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.cache_control.private = True
    response.cache_control.no_cache = True  # revalidate: access is checked on every request
    return response


@bp.post("/complaints/<int:complaint_id>/dismiss")
@allow(TRIAGERS)
def dismiss(complaint_id: int):
    complaint = db.get_or_404(Complaint, complaint_id)
    form = DismissForm()
    if not form.validate_on_submit():
        return _detail_page(complaint, 422, dismiss_form=form)
    with attempt() as outcome:
        dismiss_complaint(complaint, current_user, form.reason.data)
    if not outcome.done:
        return _detail_page(complaint, 422, dismiss_form=form)
    flash(_("Complaint %(ref)s is dismissed; its sender can read why.", ref=complaint.reference), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint_id))


@bp.post("/complaints/<int:complaint_id>/visit")
@allow(TRIAGERS)
def open_visit(complaint_id: int):
    complaint = db.get_or_404(Complaint, complaint_id)
    form = _visit_form(complaint, request.form)
    if not form.validate_on_submit():
        return _detail_page(complaint, 422, visit_form=form)
    team = db.session.scalars(select(User).where(User.id.in_(form.team.data)).order_by(User.id)).all()
    with attempt(flash_refusal=False) as outcome:
        check = open_complaint_visit(
            complaint, current_user, team, due_by=form.due_by.data, reason=form.reason.data
        )
    if not outcome.done:
        field = getattr(form, getattr(outcome.refusal, "field", None) or "", None)
        (field.errors if field is not None else form.form_errors).append(outcome.message)
        return _detail_page(complaint, 422, visit_form=form)
    flash(
        _("Visit %(number)s is opened; the team finds it among its visits.", number=check.number), "success"
    )
    return redirect(url_for("complaints.detail", complaint_id=complaint_id))


@bp.post("/complaints/<int:complaint_id>/outcome")
@allow(TRIAGERS)
def conclude(complaint_id: int):
    complaint = db.get_or_404(Complaint, complaint_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _detail_page(complaint, 422, outcome_form=form)
    with attempt(flash_refusal=False) as outcome:
        conclude_complaint(complaint, current_user, ComplaintStatus(form.status.data), form.outcome.data)
    if not outcome.done:
        form.form_errors.append(outcome.message)
        return _detail_page(complaint, 422, outcome_form=form)
    flash(_("The outcome of complaint %(ref)s is recorded.", ref=complaint.reference), "success")
    return redirect(url_for("complaints.detail", complaint_id=complaint_id))
