"""Revocation cases over HTTP: the issuer's list, serving notice, the case page with its letters,
the outlet's statement and the issuer's decision.

The certificate's issuer acts (the operations ask `certificates.authority`); the postal bureau of
the outlet's district and the city bureau read; the ecology bureaus read (they took part in the
joint review that earned the certificate); the outlet reads its own cases and states its case.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, select, true

from outlet_audit.access import RecordFacts, Scope, allow, current_scope, record_loader
from outlet_audit.certificates.authority import CertificateAct
from outlet_audit.certificates.models import Certificate
from outlet_audit.certificates.revocation import open_proposal, why_not
from outlet_audit.core.i18n import current_language, translate_message
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import page_number
from outlet_audit.core.requests import attempt
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.extensions import db
from outlet_audit.pdf.responses import pdf_download
from outlet_audit.roles import Role
from outlet_audit.supervision.kinds import (
    CHECK_STATUS_LABELS,
    COMPLAINT_STATUS_LABELS,
    REVOCATION_STATUS_LABELS,
    SUPERVISION_MENU,
    RevocationStatus,
)
from outlet_audit.supervision.models import RevocationCase
from outlet_audit.supervision.revocation_cases import (
    MAX_STATEMENT_FILES,
    case_list_query,
    decidable,
    decide_case,
    earliest_response_due,
    give_statement,
    ground_of,
    is_open,
    letter_data,
    open_count,
    overdue,
    revocation_grounds,
    revocation_sources,
    serve_notice,
    statement_documents,
    statement_open,
)
from outlet_audit.supervision.revocation_forms import DecisionForm, NoticeForm, StatementForm
from outlet_audit.supervision.revocation_pdf import render_revocation_decision, render_revocation_notice

bp = Blueprint("revocation", __name__)
bp.add_app_template_global(REVOCATION_STATUS_LABELS, "revocation_status_labels")
nav_entry(
    "revocation.index",
    _l("Revocation cases"),
    {Role.DISTRICT_BUREAU, Role.CITY_BUREAU},
    order=72,
    group=SUPERVISION_MENU,
)

BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
READERS = {Role.OUTLET: Scope.OWN_OUTLET, **BUREAUS}
SHOWN = ("open", "decided", "all")


@record_loader("revocation_case_id")
def case_record(case_id: int) -> RecordFacts | None:
    row = db.session.execute(
        select(Certificate.district_id, Certificate.outlet_id)
        .join(RevocationCase, RevocationCase.certificate_id == Certificate.id)
        .where(RevocationCase.id == case_id)
    ).first()
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id) if row else None


def scope_condition():
    scope = current_scope()
    if scope is Scope.ALL:
        return true()
    if scope is Scope.OWN_DISTRICT:
        return Certificate.district_id == current_user.district_id
    return false()


@bp.get("/revocation-cases/")
@allow(BUREAUS, joint=True)
def index():
    """The cases in scope: open ones first, the nearest deadline first; passed deadlines marked."""
    shown = request.args.get("state", "open")
    shown = shown if shown in SHOWN else "open"
    query = case_list_query(scope_condition(), shown)
    page = db.paginate(query, page=page_number(), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    today = today_in_shanghai()
    return render_template(
        "supervision/revocation_list.html",
        page=page,
        shown=shown,
        open_count=open_count(scope_condition()),
        overdue={case.id for case in page.items if overdue(case, today)},
        ground_labels=_ground_labels(page.items),
    )


def _ground_labels(cases) -> dict[int, str]:
    """Each case's ground as its certificate's edition names it: one edition read per edition."""
    language = current_language()
    grounds_by_edition: dict[str, tuple] = {}
    labels = {}
    for case in cases:
        edition_hash = case.certificate.edition_hash
        if edition_hash not in grounds_by_edition:
            grounds_by_edition[edition_hash] = revocation_grounds(case.certificate)
        ground = next((g for g in grounds_by_edition[edition_hash] if g.code == case.ground), None)
        labels[case.id] = ground.label.get(language) if ground else case.ground
    return labels


# --- serving notice ----------------------------------------------------------------------------


def _notice_choices(form: NoticeForm, certificate: Certificate) -> None:
    language = current_language()
    form.ground.choices = [("", "—")] + [
        (g.code, g.label.get(language)) for g in revocation_grounds(certificate) if not g.immediate
    ]
    checks, complaints = revocation_sources(certificate)
    form.source.choices = (
        [("", _("Neither: false materials or another finding"))]
        + [(f"check:{c.id}", f"{c.number} — {_(CHECK_STATUS_LABELS[c.status])}") for c in checks]
        + [
            (f"complaint:{c.id}", f"{c.reference} — {_(COMPLAINT_STATUS_LABELS[c.status])}")
            for c in complaints
        ]
    )


def _source_ids(value: str | None) -> tuple[int | None, int | None]:
    kind, _sep, number = (value or "").partition(":")
    if not number.isdigit():
        return None, None
    return (
        (int(number), None)
        if kind == "check"
        else (None, int(number))
        if kind == "complaint"
        else (None, None)
    )


def _notice_page(certificate: Certificate, form: NoticeForm, status: int = 200):
    refusal = why_not(
        CertificateAct.REVOKE,
        certificate,
        current_user,
        proposal_open=open_proposal(certificate.id) is not None,
    )
    return (
        render_template(
            "supervision/revocation_notice_form.html",
            certificate=certificate,
            form=form,
            refusal=translate_message(refusal) if refusal else None,
            earliest=earliest_response_due(today_in_shanghai()),
        ),
        status,
    )


@bp.route("/certificates/<int:certificate_id>/revocation-cases/new", methods=["GET", "POST"])
@allow(BUREAUS)
def new_case(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = NoticeForm()
    _notice_choices(form, certificate)
    if request.method == "GET":
        form.response_due.data = earliest_response_due(today_in_shanghai())
        source = request.args.get("source", "")
        if any(value == source for value, _label in form.source.choices):
            form.source.data = source
        return _notice_page(certificate, form)
    if not form.validate_on_submit():
        return _notice_page(certificate, form, 400)
    check_id, complaint_id = _source_ids(form.source.data)
    with attempt() as outcome:
        case = serve_notice(
            certificate,
            current_user,
            ground=form.ground.data,
            grounds=form.grounds.data,
            evidence=form.evidence.data,
            response_due=form.response_due.data,
            check_id=check_id,
            complaint_id=complaint_id,
        )
    if not outcome.done:
        return _notice_page(certificate, form, 422)
    flash(_("Notice %(number)s is served on the outlet.", number=case.number), "success")
    return redirect(url_for("revocation.case", revocation_case_id=case.id))


# --- the case page -----------------------------------------------------------------------------


def _case_page(case: RevocationCase, *, status: int = 200, statement_form=None, decision_form=None):
    certificate = case.certificate
    today = today_in_shanghai()
    outlet_may_state = current_user.role == Role.OUTLET and statement_open(case, today)
    issuer_may_act = (
        current_user.role in BUREAUS
        and why_not(CertificateAct.REVOKE, certificate, current_user, proposal_open=False) is None
    )
    ground = ground_of(certificate, case.ground)
    return (
        render_template(
            "supervision/revocation_case.html",
            case=case,
            certificate=certificate,
            ground_label=ground.label.get(current_language()),
            status_label=REVOCATION_STATUS_LABELS[RevocationStatus(case.status)],
            documents=statement_documents(case.id),
            overdue=overdue(case, today),
            is_open=is_open(case),
            statement_form=(statement_form or StatementForm(formdata=None)) if outlet_may_state else None,
            decision_form=(decision_form or DecisionForm(formdata=None))
            if issuer_may_act and decidable(case, today)
            else None,
            waiting_for_statement=issuer_may_act
            and case.status == RevocationStatus.NOTIFIED
            and not decidable(case, today),
            show_people=current_user.role in BUREAUS,
            max_files=MAX_STATEMENT_FILES,
        ),
        status,
    )


@bp.get("/revocation-cases/<int:revocation_case_id>")
@allow(READERS, joint=True)
def case(revocation_case_id: int):
    return _case_page(db.get_or_404(RevocationCase, revocation_case_id))


@bp.get("/revocation-cases/<int:revocation_case_id>/notice.pdf")
@allow(READERS, joint=True)
def notice_pdf(revocation_case_id: int):
    case = db.get_or_404(RevocationCase, revocation_case_id)
    if case.immediate:
        flash(_("This revocation was immediate: no notice was served."), "warning")
        return redirect(url_for("revocation.case", revocation_case_id=case.id))
    return pdf_download(render_revocation_notice(letter_data(case)), f"{case.number}-notice.pdf")


@bp.get("/revocation-cases/<int:revocation_case_id>/decision.pdf")
@allow(READERS, joint=True)
def decision_pdf(revocation_case_id: int):
    case = db.get_or_404(RevocationCase, revocation_case_id)
    if case.decided_at is None:
        flash(_("This case is not decided yet."), "warning")
        return redirect(url_for("revocation.case", revocation_case_id=case.id))
    return pdf_download(render_revocation_decision(letter_data(case)), f"{case.number}-decision.pdf")


@bp.post("/revocation-cases/<int:revocation_case_id>/statement")
@allow({Role.OUTLET: Scope.OWN_OUTLET})
def statement(revocation_case_id: int):
    case = db.get_or_404(RevocationCase, revocation_case_id)
    form = StatementForm()
    if not statement_open(case):
        flash(_("The time to state the outlet's case has passed, or it was stated already."), "danger")
        return _case_page(case, status=422)
    if not form.validate_on_submit():
        return _case_page(case, status=400, statement_form=form)
    files = [
        (upload.read(), upload.filename) for upload in form.documents.data or [] if upload and upload.filename
    ]
    with attempt() as outcome:
        try:
            give_statement(case, current_user, form.statement.data, files)
        except UploadRefused as refused:
            form.documents.errors = [translate_message(refused.message)]
            raise
    if not outcome.done:
        return _case_page(case, status=422, statement_form=form)
    flash(_("Your statement is sent; the issuing bureau decides after reading it."), "success")
    return redirect(url_for("revocation.case", revocation_case_id=case.id))


@bp.post("/revocation-cases/<int:revocation_case_id>/decide")
@allow(BUREAUS)
def decide(revocation_case_id: int):
    case = db.get_or_404(RevocationCase, revocation_case_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _case_page(case, status=400, decision_form=form)
    with attempt() as outcome:
        decide_case(
            case,
            current_user,
            revoke=form.decision.data == RevocationStatus.REVOKED,
            reasons=form.reasons.data,
        )
    if not outcome.done:
        return _case_page(case, status=422, decision_form=form)
    if case.status == RevocationStatus.REVOKED:
        flash(_("Certificate %(number)s is revoked.", number=case.certificate.number), "success")
    else:
        flash(_("The certificate is not revoked; the outlet is told why."), "success")
    return redirect(url_for("revocation.case", revocation_case_id=case.id))
