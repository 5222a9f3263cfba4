"""PDFs rendered before anyone asks: the inspection report, once a visit's record is signed.

The report (every inspection record of an application, with photo thumbnails and signatures) is
the PDF people wait for most: about 70 ms a copy, more with many photos (bench/RESULTS.md). Once
every record is complete it never changes, and pdf/cache.py keeps it by its content; so the job
renders it in both languages into that cache, and the outlet's and the bureau's first download is
served from it. Certificates need no such job: each is signed and kept whole when it is issued.
"""

import gc

from flask_babel import force_locale

from outlet_audit.extensions import db
from outlet_audit.jobs.registry import job


# Only with Redis: without a worker the rendering would take the app process's CPU just when the
# inspectors' next pages are asked for, and the first download renders it anyway.
@job("pdf.inspection_report", retries=2, worker_only=True)
def prerender_inspection_report(application_id: int, viewer_id: int) -> None:
    from outlet_audit.accounts.models import User
    from outlet_audit.checklist.story import inspection_story
    from outlet_audit.criteria.editions import pinned_edition
    from outlet_audit.pdf.cache import rendered_pdf
    from outlet_audit.reports.data import report_data
    from outlet_audit.workflow.models import Application

    application = db.session.get(Application, application_id)
    viewer = db.session.get(User, viewer_id)
    if application is None or viewer is None:
        return
    story = inspection_story(application, pinned_edition(application.edition), viewer)
    if not story.records or any(not record.complete for record in story.records):
        return  # the report view renders such a story afresh each time: nothing to keep yet
    data = report_data(application, story)
    for locale, language in (("zh_CN", "zh"), ("en", "en")):  # as reports.views keys the cache
        with force_locale(locale):
            rendered_pdf("report", data, _render, language)


def _render(data) -> bytes:
    from outlet_audit.reports.report_pdf import render_inspection_report

    pdf = render_inspection_report(data)
    gc.collect(1)  # as reports.views does: the layout's objects sit in reference cycles
    return pdf
