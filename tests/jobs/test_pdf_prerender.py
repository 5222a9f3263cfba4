"""The inspection report is rendered by a worker once the visit's record is signed, so its first
readers are served the kept copy."""

from outlet_audit.extensions import db
from outlet_audit.pdf import cache
from tests.certificate_helpers import make_inspected
from tests.factories import login
from tests.jobs_helpers import run_jobs


def test_a_signed_inspection_report_is_rendered_before_anyone_asks(queue_app, tmp_path, monkeypatch):
    monkeypatch.setitem(queue_app.config, "PDF_CACHE_DIR", str(tmp_path / "pdf-cache"))
    with queue_app.test_request_context():
        inspected = make_inspected()  # the inspectors sign the record (workflow.actions)
        db.session.commit()
        application_id, outlet_user = inspected.application.id, inspected.outlet_user
        client = queue_app.test_client()
        login(client, outlet_user)
    ran = [(kind, arguments["application_id"]) for kind, arguments in run_jobs(queue_app)]
    assert ("pdf.inspection_report", application_id) in ran
    kept = sorted(path.name for path in (tmp_path / "pdf-cache").rglob("*") if path.is_file())
    assert len(kept) == 2  # Chinese and English

    rendered = []
    original = cache.PdfCache.get_or_render

    def spy(self, kind, key, render):
        return original(self, kind, key, lambda: rendered.append(kind) or render())

    monkeypatch.setattr(cache.PdfCache, "get_or_render", spy)
    response = client.get(f"/reports/{application_id}/inspection-report.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert rendered == []  # served from what the worker kept
