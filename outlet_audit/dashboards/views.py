"""Bureau dashboards and exports.

A district bureau sees and exports its own district; the city bureau sees every district
and can pick one. The scope is applied by building
`Filters.district_id` from `current_scope()`, never from the URL alone.
"""

import math
from collections import deque
from datetime import date
from itertools import chain, islice

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from outlet_audit.access import Scope, allow, current_scope
from outlet_audit.core.forms import filter_value
from outlet_audit.core.i18n import current_language
from outlet_audit.core.navigation import nav_entry
from outlet_audit.core.params import link_args
from outlet_audit.core.requests import attempt, commit_if_possible
from outlet_audit.core.spreadsheets import (
    CSV_MIMETYPE,
    XLSX_MIMETYPE,
    attachment_disposition,
    iter_csv,
    iter_xlsx,
)
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import reporting_edition
from outlet_audit.extensions import writes_on_get
from outlet_audit.jobs.exports import record_download, request_export
from outlet_audit.outlets.reference import district_name
from outlet_audit.roles import Role
from outlet_audit.workflow.states import LEVEL_LABELS, STATUS_LABELS, Level, Status

from . import charts, queries, snapshots
from .export_tables import BUCKET_LABELS, download_name, export_table, filters_to_json
from .forms import DashboardFilterForm
from .queries import CertificateBucket, Filters

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")
BUREAUS = {Role.DISTRICT_BUREAU: Scope.OWN_DISTRICT, Role.CITY_BUREAU: Scope.ALL}
nav_entry("dashboards.overview", _l("Dashboard"), set(BUREAUS), order=10)
nav_entry("dashboards.exports_page", _l("Exports"), set(BUREAUS), order=70)

# Charts are drawn this wide and shown at most a little wider (dashboards.css), so their text
# stays readable from a 390 px phone to a desktop column.
CHART_WIDTH = 400


def level_name(level: str) -> str:
    return _(LEVEL_LABELS[level].text)


def read_filters() -> tuple[DashboardFilterForm, Filters]:
    """The filter form from the URL and the Filters it means within the user's scope.

    A field that does not validate is left out of the figures (its error is shown); the
    district of a district bureau is its own whatever the URL says.
    """
    every_district = current_scope() is Scope.ALL
    form = DashboardFilterForm(formdata=request.args, with_district=every_district)
    form.validate()

    date_from, date_to = form.days()
    district_id = filter_value(form.district) if every_district else current_user.district_id
    filters = Filters(
        today=today_in_shanghai(),
        district_id=district_id,
        date_from=date_from,
        date_to=date_to,
        level=filter_value(form.level),
        brand=filter_value(form.brand),
    )
    return form, filters


def scope_title(f: Filters) -> str:
    if f.district_id is None:
        return _("All of Shanghai")
    return district_name(f.district_id, current_language())


def month_label(month: str, months: int) -> str:
    """Short axis labels ("3月", "Mar") up to a year (the table beside gives the year); else YYYY-MM."""
    if months > 12:
        return month
    year, number = month.split("-")
    return format_date(date(int(year), int(number), 1), "MMM")


# For the charts' labels and the page's hundreds of table cells: Jinja calls a plain function
# in a third of a macro's time.
def _percent_text(value) -> str:
    return "—" if value is None else f"{value}%"


def _days_text(value) -> str:
    """A median of whole days is whole or a half: "6", "6.5"."""
    if value is None:
        return "—"
    return str(int(value)) if value == int(value) else str(value)


def overdue_queue_url(f: Filters) -> str:
    """The work queue of the applications waiting for rectification, narrowed as the figures are:
    the overdue notices are among them, each flagged overdue on its application's page."""
    narrowed = {"brand": f.brand, "target_level": f.level}
    if current_scope() is Scope.ALL and f.district_id is not None:
        narrowed["district_id"] = f.district_id
    given = {name: value for name, value in narrowed.items() if value is not None}
    return url_for("workflow.queue", status=Status.RECTIFICATION_REQUESTED.value, **given)


@bp.get("/")
@allow(BUREAUS, joint=True)
@writes_on_get  # figures computed are kept for the next reader (snapshots)
def overview():
    form, f = read_filters()
    snapshot = snapshots.current_figures(f, reporting_edition())
    if snapshot.written:  # kept for the next reader; when the database is busy, this page shows them anyway
        commit_if_possible("The dashboard snapshot")
    figures = snapshot.figures
    statuses, trend, brands, items = figures.statuses, figures.trend, figures.brands, figures.items
    certificates, rectification = figures.certificates, figures.rectification
    bucket_totals = [
        (b, sum(n for (_level, bb), n in certificates.items() if bb is b)) for b in CertificateBucket
    ]
    answered_items = sorted((i for i in items if i.answered), key=lambda i: (-i.fail_rate, i.code))
    # The breakdown comes with the city-wide figures only; a district bureau's filters always
    # name its district, so it never gets one (checked again here all the same).
    districts = figures.districts if current_scope() is Scope.ALL else []
    common = {"empty_text": _("No data for these filters"), "width": CHART_WIDTH}
    percent = {**common, "show_title": False, "value_format": _percent_text}
    svg = {
        "statuses": charts.bar_chart(
            [(_(STATUS_LABELS[s]), n) for s, n in statuses if n],
            title=_("Applications by status"), show_title=False, **common,
        ),
        "certificates": charts.donut_chart(
            [(str(BUCKET_LABELS[b]), n) for b, n in bucket_totals if n],
            title=_("Certificates by state"), centre_label=_("certificates"), show_title=False, **common,
        ),
        "submitted": charts.line_chart(
            [(month_label(m.month, len(trend)), m.submitted) for m in trend],
            title=_("Applications submitted per month"), show_title=False, **common,
        ),
        "issued": charts.line_chart(
            [(month_label(m.month, len(trend)), m.issued) for m in trend],
            title=_("Certificates issued per month"), show_title=False, **common,
        ),
        "brands": charts.bar_chart(
            [(brand, c.share) for brand, c in brands if c.share is not None],
            title=_("Share of verified outlets certified, by brand"), **percent,
        ),
        "items": charts.bar_chart(
            [(f"{i.code} {i.title.get(current_language())}", i.fail_rate) for i in answered_items],
            title=_("Share of first inspections in which the item fell short of full marks"), **percent,
        ),
        "findings": charts.bar_chart(
            [(f"{i.code} {i.title.get(current_language())}", i.found) for i in rectification.items],
            title=_("Findings per item"), show_title=False, **common,
        ),
        "districts": charts.bar_chart(
            [(d.district.name(current_language()), d.coverage.share or 0) for d in districts],
            title=_("Share of verified outlets certified, by district"), **percent,
        ),
    }  # fmt: skip
    return render_template(
        "dashboards/overview.html",
        form=form,
        filters=f,
        scope_title=scope_title(f),
        svg={name: Markup(text) for name, text in svg.items()},  # noqa: S704 - charts escape every text
        outlets=figures.outlets,
        statuses=statuses,
        certificates=certificates,
        bucket_totals=bucket_totals,
        buckets=list(CertificateBucket),
        bucket_labels=BUCKET_LABELS,
        levels=list(Level),
        trend=trend,
        brands=brands,
        coverage=queries.total_coverage([c for _brand, c in brands]),
        items=items,
        rectification=rectification,
        overdue_url=overdue_queue_url(f),
        districts=districts,
        level_name=level_name,
        status_labels=STATUS_LABELS,
        num=charts.format_number,
        pct=_percent_text,
        median_days=_days_text,
        computed_at=snapshot.computed_at,
        refresh_minutes=math.ceil(snapshots.snapshot_seconds() / 60),
    )


@bp.get("/exports")
@allow(BUREAUS)
def exports_page():
    form, f = read_filters()
    return render_template("dashboards/exports.html", form=form, scope_title=scope_title(f))


EXPORT_PATH = "/exports/<any(applications, certificates, inspections):kind>.<any(csv, xlsx):fmt>"


@bp.post(EXPORT_PATH)
@allow(BUREAUS)
def export(kind: str, fmt: str):
    """Send the file at once, or, above EXPORT_INLINE_ROWS rows, have a job build it (My exports).

    A POST with the form's CSRF token: every export is an act in the audit trail (who took which
    records, filtered how), and a large one starts a job; a link on another site must not do
    either. The filters are the exports page's, in the URL."""
    form, f = read_filters()
    if form.errors:
        return redirect(url_for("dashboards.exports_page", **link_args()))
    sheet_title, header, rows = export_table(kind, f)
    limit = current_app.config["EXPORT_INLINE_ROWS"]
    # Counting the rest would read them all: look one past the limit (at most this many rows held).
    first = deque(islice(rows, limit + 1))
    filename, ascii_name = download_name(kind, fmt, f)
    if len(first) > limit:
        rows.close()
        with attempt():
            request_export(current_user, kind, fmt, filters_to_json(f), filename)
        flash(_("Your export is being prepared; you will be notified when it is ready."), "info")
        return redirect(url_for("jobs.my_exports"))
    # Every row is read (fewer than the limit came): the act is committed before the file goes
    # out, and no download leaves without its record.
    with attempt():
        record_download(current_user, kind, fmt, filters_to_json(f))
    rows = chain(_drained(first), rows)
    # Both formats stream as they are written, the rest of the query still read a batch at a time.
    if fmt == "csv":
        body, mimetype = iter_csv(header, rows), CSV_MIMETYPE
    else:
        body, mimetype = iter_xlsx(header, rows, sheet_title=sheet_title), XLSX_MIMETYPE
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = attachment_disposition(filename, ascii_name)
    return response


@bp.get(EXPORT_PATH)
@allow(BUREAUS)
def export_asked_by_link(kind: str, fmt: str):
    """An export's address opened as a link (a bookmark, a link from before downloads were
    acts): the exports page with the same filters, where the button downloads it."""
    flash(
        _("Choose the download again on this page: a download is recorded, so it starts from its button."),
        "info",
    )
    return redirect(url_for("dashboards.exports_page", **link_args()))


def _drained(rows: deque):
    """Yield and let go of each row: the rows read ahead are freed as they are written."""
    while rows:
        yield rows.popleft()
