"""Supervision checks on the web: the inspector's visits, the team's signature, the bureau's list and
check page with its conclusions, and the outlet's page of a check (its result and notice).

The visit's checklist itself is the checklist blueprint's page (`checklist.edit`), which reads a
supervision record's scope, stage and covered items from its check.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outlet_audit.access import ECOLOGY_AGENCIES, RecordFacts, Scope, allow, record_loader
from outlet_audit.checklist.attachments import reuse_map
from outlet_audit.checklist.findings import (
    answer_finding,
    attach_finding_file,
    findings_at,
    rectification_files,
)
from outlet_audit.checklist.kinds import FINDING_STATUS_LABELS, AssessmentKind
from outlet_audit.checklist.loaders import assessment_with_application
from outlet_audit.checklist.locking import lock_assessment
from outlet_audit.checklist.models import Finding, visit_inspectors
from outlet_audit.checklist.page import load_state
from outlet_audit.checklist.team import is_joint, team_of, teams_of, unsigned
from outlet_audit.checklist.visit_context import shortfalls_of
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.requests import attempt
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db, writing_request
from outlet_audit.roles import Agency, Role
from outlet_audit.supervision.check_forms import (
    PassForm,
    RectificationOrderForm,
    RectifiedForm,
    RevocationProposalForm,
)
from outlet_audit.supervision.kinds import (
    CAMPAIGN_CHECKLIST_LABELS,
    CHECK_PURPOSE_LABELS,
    CHECK_STATUS_LABELS,
    SUPERVISION_MENU,
    CheckPurpose,
    CheckStatus,
)
from outlet_audit.supervision.models import RevocationCase, SupervisionCheck
from outlet_audit.supervision.visits import (
    check_of_record,
    conclude_passed,
    mark_rectified,
    missing_for_visit,
    order_rectification,
    propose_revocation,
    send_answers,
    sign_visit,
    visit_result,
)
from outlet_audit.workflow.forms import FindingAnswerForm, SignOffForm
from outlet_audit.workflow.models import Application

bp = Blueprint("checks", __name__, url_prefix="/supervision/checks")

BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
POSTAL = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT}
OUTLET = {Role.OUTLET: Scope.OWN_OUTLET}
# Once the whole team has signed, the outlet may read the visit (as an inspection record).
SEEN_BY_OUTLET = frozenset(CheckStatus) - {CheckStatus.SCHEDULED, CheckStatus.CANCELLED}
CHECKS_SHOWN = 200

nav_entry(
    "checks.index",
    _l("Supervision checks"),
    {Role.DISTRICT_BUREAU, Role.CITY_BUREAU},
    order=25,
    group=SUPERVISION_MENU,
)
nav_entry("checks.my_visits", _l("My supervision visits"), {Role.INSPECTOR}, order=15)
nav_entry("checks.outlet_checks", _l("Supervision"), {Role.OUTLET}, order=20)

for _labels, _name in (
    (CHECK_STATUS_LABELS, "check_status_labels"),
    (CHECK_PURPOSE_LABELS, "check_purpose_labels"),
    (CAMPAIGN_CHECKLIST_LABELS, "check_checklist_labels"),
):
    bp.add_app_template_global(_labels, _name)


@record_loader("check_id")
def check_facts(check_id: int) -> RecordFacts | None:
    """A check's district and outlet; it is assigned to its visit's team."""
    row = db.session.execute(
        select(
            SupervisionCheck.district_id, SupervisionCheck.outlet_id, SupervisionCheck.assessment_id
        ).where(SupervisionCheck.id == check_id)
    ).first()
    if row is None:
        return None
    team = db.session.scalars(
        select(visit_inspectors.c.inspector_id).where(visit_inspectors.c.assessment_id == row.assessment_id)
    )
    return RecordFacts(district_id=row.district_id, outlet_id=row.outlet_id, inspector_ids=frozenset(team))


def _load(check_id: int) -> SupervisionCheck:
    return db.session.scalar(
        select(SupervisionCheck)
        .where(SupervisionCheck.id == check_id)
        .options(joinedload(SupervisionCheck.outlet), joinedload(SupervisionCheck.certificate))
    ) or abort(404)


def _postal(user) -> bool:
    return user.role == Role.DISTRICT_BUREAU and user.agency == Agency.DISTRICT_POSTAL


def _postal_or_city(user) -> bool:
    return _postal(user) or (user.role == Role.CITY_BUREAU and user.agency == Agency.CITY_POSTAL)


# --- lists ------------------------------------------------------------------------------------------


@bp.get("/")
@allow(BUREAUS, joint=True)
def index():
    """The district's checks (the city's: every district's), filtered by status and purpose."""
    status = request.args.get("status", "")
    purpose = request.args.get("purpose", "")
    query = select(SupervisionCheck).options(joinedload(SupervisionCheck.outlet))
    if current_user.role == Role.DISTRICT_BUREAU:
        query = query.where(SupervisionCheck.district_id == current_user.district_id)
    if status in CheckStatus.__members__.values():
        query = query.where(SupervisionCheck.status == status)
    if purpose in CheckPurpose.__members__.values():
        query = query.where(SupervisionCheck.purpose == purpose)
    checks = db.session.scalars(
        query.order_by(SupervisionCheck.due_by, SupervisionCheck.id).limit(CHECKS_SHOWN)
    ).all()
    return render_template("supervision/checks.html", checks=checks, status=status, purpose=purpose)


@bp.get("/visits")
@allow({Role.INSPECTOR: Scope.ASSIGNED})
def my_visits():
    """The supervision visits the inspector's team makes: to do (scheduled) first, then the last done."""
    mine = (
        select(SupervisionCheck)
        .join(visit_inspectors, visit_inspectors.c.assessment_id == SupervisionCheck.assessment_id)
        .where(visit_inspectors.c.inspector_id == current_user.id)
        .options(joinedload(SupervisionCheck.outlet), joinedload(SupervisionCheck.assessment))
    )
    to_do = db.session.scalars(
        mine.where(SupervisionCheck.status == CheckStatus.SCHEDULED).order_by(SupervisionCheck.due_by)
    ).all()
    done = db.session.scalars(
        mine.where(SupervisionCheck.status != CheckStatus.SCHEDULED)
        .order_by(SupervisionCheck.id.desc())
        .limit(20)
    ).all()
    teams = teams_of(check.assessment_id for check in [*to_do, *done])
    return render_template("supervision/check_visits.html", to_do=to_do, done=done, teams=teams)


@bp.get("/mine")
@allow(OUTLET)
def outlet_checks():
    """The outlet's checks its inspectors have signed (a visit under way is not shown)."""
    checks = db.session.scalars(
        select(SupervisionCheck)
        .where(
            SupervisionCheck.outlet_id == current_user.outlet_id, SupervisionCheck.status.in_(SEEN_BY_OUTLET)
        )
        .order_by(SupervisionCheck.id.desc())
    ).all()
    return render_template("supervision/check_outlet_list.html", checks=checks)


# --- the check page and its conclusions ------------------------------------------------------------


@bp.get("/<int:check_id>")
@allow({**BUREAUS, Role.INSPECTOR: Scope.ASSIGNED}, joint=True)
def check_detail(check_id: int):
    return _check_page(_load(check_id))


def _check_page(check: SupervisionCheck, forms: dict | None = None, status_code: int = 200):
    application = db.session.get(Application, check.application_id)
    edition = pinned_edition(application.edition)
    record = check.assessment
    team = team_of(record)
    lang = current_language()
    revocation_case = db.session.scalar(
        select(RevocationCase).where(RevocationCase.check_id == check.id).order_by(RevocationCase.id.desc())
    )
    context = {
        "check": check,
        "application": application,
        "edition": edition,
        "record": record,
        "team": team,
        "joint": is_joint(team),
        "waiting_for": unsigned(team) if record.signed_off_at is not None else [],
        "lang": lang,
        "campaign_link": url_for("campaigns.detail", campaign_id=check.campaign_id)
        if check.campaign_id
        else None,
        "complaint_link": url_for("complaints.detail", complaint_id=check.complaint_id)
        if check.complaint_id
        else None,
        "certificate_link": url_for("certificates.detail", certificate_id=check.certificate_id),
        # Proposed for revocation: the certificate's issuer serves notice from here (the case page
        # refuses anyone else, saying why).
        "revocation_case": revocation_case,
        "revocation_link": url_for(
            "revocation.new_case", certificate_id=check.certificate_id, source=f"check:{check.id}"
        )
        if check.status == CheckStatus.REVOCATION
        and revocation_case is None
        and _postal_or_city(current_user)
        else None,
        # the checklist page is not one of the joint review's: the ecology bureau reads the result here
        "opens_record": getattr(current_user, "agency", None) not in ECOLOGY_AGENCIES,
    }
    if record.signed_off_at is not None:
        result = visit_result(check, edition)
        state = load_state(record, edition, check.outlet_id, covered=result.covered)
        findings = findings_at(record)
        context.update(
            result=result,
            shortfalls=shortfalls_of(state, lang),
            findings=findings,
            answers_files=rectification_files(finding.id for finding in findings),
            reuse=reuse_map([ev for items in state.evidence.values() for ev in items], current_user),
            finding_status_labels=FINDING_STATUS_LABELS,
        )
    if _postal(current_user) and check.status in (CheckStatus.VISITED, CheckStatus.RECTIFICATION):
        forms = forms or {}
        order = forms.get("rectification") or RectificationOrderForm(formdata=None, prefix="rectification")
        order.codes.choices = [
            (finding.item_code, finding.item_code) for finding in context.get("findings", [])
        ]
        context.update(
            pass_form=forms.get("pass") or PassForm(formdata=None, prefix="pass"),
            order_form=order,
            revocation_form=forms.get("revocation")
            or RevocationProposalForm(formdata=None, prefix="revocation"),
            rectified_form=forms.get("rectified") or RectifiedForm(formdata=None, prefix="rectified"),
        )
    return render_template("supervision/check.html", **context), status_code


def _conclude(check_id: int, name: str, form_class, act, done: str):
    check = _load(check_id)
    form = form_class(prefix=name)
    if name == "rectification":
        form.codes.choices = [
            (finding.item_code, finding.item_code) for finding in findings_at(check.assessment)
        ]
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return _check_page(check, {name: form}, 422)
    with attempt() as outcome:
        act(check, form)
    if not outcome.done:
        check = _load(check_id)
        if outcome.refusal is not None and outcome.refusal.field in form:
            form[outcome.refusal.field].errors = [outcome.message]
        return _check_page(check, {name: form}, 422)
    flash(done, "success")
    return redirect(url_for(".check_detail", check_id=check_id))


@bp.post("/<int:check_id>/passed")
@allow(POSTAL)
def conclude_passed_view(check_id: int):
    return _conclude(
        check_id,
        "pass",
        PassForm,
        lambda check, form: conclude_passed(check, current_user, note=form.note.data or ""),
        _("The check is concluded as passed and the outlet is told."),
    )


@bp.post("/<int:check_id>/rectification")
@allow(POSTAL)
def order_rectification_view(check_id: int):
    return _conclude(
        check_id,
        "rectification",
        RectificationOrderForm,
        lambda check, form: order_rectification(
            check,
            current_user,
            codes=form.codes.data,
            due_on=form.due_on.data,
            instructions=form.instructions.data or "",
        ),
        _("Rectification is ordered and the outlet is told."),
    )


@bp.post("/<int:check_id>/revocation")
@allow(POSTAL)
def propose_revocation_view(check_id: int):
    return _conclude(
        check_id,
        "revocation",
        RevocationProposalForm,
        lambda check, form: propose_revocation(check, current_user, reasons=form.reasons.data or ""),
        _("Revocation is proposed: the certificate's issuer can open the revocation case."),
    )


@bp.post("/<int:check_id>/rectified")
@allow(POSTAL)
def mark_rectified_view(check_id: int):
    return _conclude(
        check_id,
        "rectified",
        RectifiedForm,
        lambda check, form: mark_rectified(check, current_user, note=form.note.data or ""),
        _("The rectification is accepted and the check is closed."),
    )


# --- the team signs ---------------------------------------------------------------------------------


@bp.route("/visits/<int:assessment_id>/sign", methods=["GET", "POST"], endpoint="sign_visit")
@allow({Role.INSPECTOR: Scope.ASSIGNED})
def sign_visit_view(assessment_id: int):
    record, check, edition = _visit_to_sign(assessment_id)
    form = SignOffForm()
    status_code = 200
    if form.validate_on_submit():
        with attempt() as outcome:
            last = sign_visit(
                check,
                current_user,
                confirmed=bool(form.confirm.data),
                outlet_representative=form.outlet_representative.data or "",
            )
        if outcome.done:
            flash(
                _("The visit is signed by the whole team; the district bureau is told.")
                if last
                else _("Your signature is kept; the visit waits for the rest of its team."),
                "success",
            )
            return redirect(url_for(".check_detail", check_id=check.id))
        status_code = 422
        record, check, edition = _visit_to_sign(assessment_id)  # as it stands after the rollback
    elif request.method == "POST":
        status_code = 422
    return _sign_page(record, check, edition, form), status_code


def _visit_to_sign(assessment_id: int):
    """The visit record, its check and edition; a request that may write holds the record's lock
    from here on, so that what the signature decides on stays as stored."""
    if writing_request():
        lock_assessment(assessment_id)
    pair = assessment_with_application(assessment_id)
    if pair is None or pair[0].kind != AssessmentKind.SUPERVISION:
        abort(404)
    record, application = pair
    check = check_of_record(record) or abort(404)
    return record, check, pinned_edition(application.edition)


def _sign_page(record, check: SupervisionCheck, edition, form):
    lang = current_language()
    result = visit_result(check, edition)
    state = load_state(record, edition, check.outlet_id, covered=result.covered)
    team = team_of(record)
    me = next((member for member in team if member.user.id == current_user.id), None)
    return render_template(
        "supervision/check_sign.html",
        edition=edition,
        check=check,
        record=record,
        form=form,
        team=team,
        joint=is_joint(team),
        me=me,
        waiting_for=unsigned(team),
        countersign=record.signed_off_at is not None,
        missing=missing_for_visit(check, edition) if record.signed_off_at is None else [],
        shortfalls=shortfalls_of(state, lang),
        result=result,
        lang=lang,
    )


# --- the outlet's page of a check ---------------------------------------------------------------------


def _outlet_check(check_id: int) -> SupervisionCheck:
    check = _load(check_id)
    if check.status not in SEEN_BY_OUTLET:
        abort(404)  # its team is still at work: the outlet sees the visit once all have signed
    return check


@bp.get("/<int:check_id>/outlet")
@allow(OUTLET)
def outlet_check(check_id: int):
    return _outlet_page(_outlet_check(check_id))


def _outlet_page(check: SupervisionCheck, forms: dict | None = None, status_code: int = 200):
    application = db.session.get(Application, check.application_id)
    edition = pinned_edition(application.edition)
    lang = current_language()
    result = visit_result(check, edition)
    state = load_state(check.assessment, edition, check.outlet_id, covered=result.covered)
    notice = check.notice
    findings = list(notice.findings) if notice is not None else []
    forms = forms or {}
    return render_template(
        "supervision/check_outlet.html",
        check=check,
        edition=edition,
        lang=lang,
        result=result,
        shortfalls=shortfalls_of(state, lang),
        notice=notice,
        findings=findings,
        files=rectification_files(finding.id for finding in findings),
        answer_forms={
            finding.id: forms.get(finding.id)
            or FindingAnswerForm(
                formdata=None,
                prefix=f"finding{finding.id}",
                data={"responsible_person": finding.responsible_person, "response": finding.response},
            )
            for finding in findings
        },
        answerable=notice is not None
        and notice.submitted_at is None
        and check.status == CheckStatus.RECTIFICATION,
        finding_status_labels=FINDING_STATUS_LABELS,
    ), status_code


@bp.post("/<int:check_id>/findings/<int:finding_id>/answer")
@allow(OUTLET)
def answer_finding_view(check_id: int, finding_id: int):
    check = _outlet_check(check_id)
    finding = db.session.get(Finding, finding_id)
    if finding is None or finding.assessment_id != check.assessment_id:
        abort(404)
    form = FindingAnswerForm(prefix=f"finding{finding_id}")
    if not form.validate():
        flash(_("Please correct the fields marked below."), "danger")
        return _outlet_page(check, {finding_id: form}, 422)
    with attempt() as outcome:
        for upload in form.uploads():
            attach_finding_file(
                finding, upload.read(), upload.filename, outlet_id=check.outlet_id, actor=current_user
            )
        answer_finding(
            finding,
            responsible_person=form.responsible_person.data,
            response=form.response.data,
            actor=current_user,
        )
    if not outcome.done:
        if outcome.refusal is not None and outcome.refusal.field in form:
            form[outcome.refusal.field].errors = [outcome.message]
        return _outlet_page(_load(check_id), {finding_id: form}, 422)
    flash(
        _(
            "Your answer to item %(code)s is saved. Send all answers when every item is answered.",
            code=finding.item_code,
        ),
        "success",
    )
    return redirect(url_for(".outlet_check", check_id=check_id, _anchor=f"finding-{finding_id}"))


@bp.post("/<int:check_id>/send")
@allow(OUTLET)
def send_answers_view(check_id: int):
    check = _outlet_check(check_id)
    with attempt() as outcome:
        send_answers(check, current_user)
    if not outcome.done:
        return _outlet_page(_load(check_id), None, 422)
    flash(_("Your answers are sent; the district bureau reviews them."), "success")
    return redirect(url_for(".outlet_check", check_id=check_id))
