"""The supervision dashboard: per district, for a year, and its CSV/XLSX export.

The city bureau sees every district and the total; a district bureau its own district (the
districts shown come from the scope, never from the URL). Ecology bureau staff may read it.
"""

from flask import Blueprint, Response, render_template, request, send_file, stream_with_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outlet_audit.access import Scope, allow, current_scope
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.spreadsheets import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    attachment_disposition,
    iter_csv,
    spool_xlsx,
)
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import reporting_edition
from outlet_audit.outlets.reference import all_districts
from outlet_audit.roles import Role
from outlet_audit.supervision.dashboard import (
    COMPLAINT_STATUSES,
    OTHER_GROUND,
    SupervisionFigures,
    reference_day,
    supervision_figures,
)
from outlet_audit.supervision.kinds import COMPLAINT_STATUS_LABELS, SUPERVISION_MENU

bp = Blueprint("supervision_dashboard", __name__, url_prefix="/supervision/dashboard")
BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
nav_entry(
    "supervision_dashboard.overview",
    _l("Supervision figures"),
    set(BUREAUS),
    order=11,
    group=SUPERVISION_MENU,
)
FIRST_YEAR = 2020  # the scheme's first certificates; no figures before
SHEET_TITLE = "监督管理"


def chosen_year(today) -> int:
    """The year asked for in the URL, within FIRST_YEAR..this year; else this year."""
    try:
        year = int(request.args.get("year", ""))
    except ValueError:
        return today.year
    return year if FIRST_YEAR <= year <= today.year else today.year


def figures_in_scope() -> SupervisionFigures:
    today = today_in_shanghai()
    districts = all_districts()
    if current_scope() is not Scope.ALL:
        districts = [district for district in districts if district.id == current_user.district_id]
    return supervision_figures(chosen_year(today), today, [district.id for district in districts])


def ground_label(code: str, lang: str) -> str:
    """A revocation ground as the edition in use names it; its code when the edition does not."""
    if code == OTHER_GROUND:
        return _("Revoked without a revocation case")
    ground = reporting_edition().supervision.ground(code)
    return ground.label.get(lang) if ground is not None else code


@bp.get("/")
@allow(BUREAUS, joint=True)
def overview():
    figures = figures_in_scope()
    lang = current_language()
    names = {district.id: district.name(lang) for district in all_districts()}
    return render_template(
        "supervision/dashboard.html",
        figures=figures,
        names=names,
        grounds=[(code, ground_label(code, lang)) for code in figures.grounds()],
        complaint_statuses=[
            (status.value, _(COMPLAINT_STATUS_LABELS[status])) for status in COMPLAINT_STATUSES
        ],
        years=list(range(figures.today.year, FIRST_YEAR - 1, -1)),
        city=current_scope() is Scope.ALL,
        as_of=reference_day(figures.year, figures.today),
    )


def export_table(figures: SupervisionFigures) -> tuple[list[str], list[list]]:
    """The dashboard as a sheet, in Chinese: a row per district, then the total for several."""
    with force_locale("zh_CN"):
        grounds = [(code, ground_label(code, "zh")) for code in figures.grounds()]
        complaint_columns = [f"投诉：{_(COMPLAINT_STATUS_LABELS[status])}" for status in COMPLAINT_STATUSES]
    header = [
        "年度", "区", "持证网点", "本年抽查网点", "抽查比例（%）", "已作结论的检查", "合格", "合格率（%）",
        "整改中", "整改逾期", *complaint_columns, *(f"撤销：{label}" for _code, label in grounds),
        "年度自查应交", "年度自查缺交", "年度自查不合格",
    ]  # fmt: skip
    names = {district.id: district.name_zh for district in all_districts()}
    rows = [(names.get(f.district_id, ""), f) for f in figures.districts]
    if len(figures.districts) > 1:
        rows.append(("全市合计", figures.total))
    table = [
        [
            figures.year,
            name,
            f.certified,
            f.spot_checked,
            f.spot_checked_percent,
            f.concluded,
            f.passed,
            f.pass_percent,
            f.rectifications_open,
            f.rectifications_overdue,
            *(f.complaints.get(status.value, 0) for status in COMPLAINT_STATUSES),
            *(f.revocations.get(code, 0) for code, _label in grounds),
            f.yearly_due,
            f.yearly_missing,
            f.yearly_failed,
        ]  # fmt: skip
        for name, f in rows
    ]
    return header, table


@bp.get("/export.<any(csv, xlsx):fmt>")
@allow(BUREAUS, joint=True)
def export(fmt: str):
    figures = figures_in_scope()
    header, rows = export_table(figures)
    filename = f"{SHEET_TITLE}-{figures.year}.{fmt}"
    if fmt == "csv":
        response = Response(stream_with_context(iter_csv(header, rows)), mimetype=CSV_MIMETYPE)
        response.headers["Content-Disposition"] = attachment_disposition(
            filename, f"supervision-{figures.year}.csv"
        )
        return response
    spool = spool_xlsx(header, rows, sheet_title=SHEET_TITLE)
    return send_file(spool, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)
