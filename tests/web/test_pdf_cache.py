"""Kept PDFs as served: rendered once, never stale after a revocation, a reopening or another language."""

from datetime import timedelta

import pytest
from flask_babel import force_locale

from outlet_audit.certificates import views as certificate_views
from outlet_audit.certificates.pdf_data import certificate_data
from outlet_audit.certificates.signing import documents as certificate_documents
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.service import assessment_of
from outlet_audit.checklist.story import inspection_story
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.pdf.cache import KINDS
from outlet_audit.reports import views as report_views
from outlet_audit.reports.data import report_data
from outlet_audit.reports.report_pdf import render_inspection_report
from tests.certificate_helpers import make_certified, pdf_text
from tests.checklist_helpers import Inspection, complete
from tests.factories import certify, login


class Counter:
    """Wraps a renderer and counts the documents it really rendered."""

    def __init__(self, render):
        self.render, self.count = render, 0

    def __call__(self, data):
        self.count += 1
        return self.render(data)


@pytest.fixture
def kept(app, monkeypatch, tmp_path):
    """A fresh cache folder, and counters of the renders behind each download."""
    monkeypatch.setitem(app.config, "PDF_CACHE_DIR", str(tmp_path / "pdf-cache"))
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://pdf-test.example/")
    certificates = Counter(certificate_documents.render_certificate)
    reports = Counter(report_views.render_inspection_report)
    monkeypatch.setattr(certificate_documents, "render_certificate", certificates)
    monkeypatch.setattr(report_views, "render_inspection_report", reports)
    return type(
        "Kept", (), {"root": tmp_path / "pdf-cache", "certificates": certificates, "reports": reports}
    )


def kept_files(root, kind):
    assert kind in KINDS
    return sorted((root / kind).glob("*/*.pdf"))


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    assert response.headers["Cache-Control"] == "private, no-store"
    return response.data


def certificate_url(certified) -> str:
    return f"/certificates/{certified.certificate.id}/certificate.pdf"


def report_url(application) -> str:
    return f"/reports/{application.id}/inspection-report.pdf"


def fresh_certificate(app, certificate, today=None) -> bytes:
    """The certificate as rendered on `today`, before it is signed."""
    with app.test_request_context():
        data = certificate_data(certificate, today or today_in_shanghai())
        return certificate_documents.render_certificate.render(data)


def signed(pdf: bytes, rendering: bytes) -> bool:
    """`pdf` is `rendering` with a signature appended (an incremental update leaves it as it was)."""
    return pdf.startswith(rendering) and b"/ByteRange" in pdf[len(rendering) :]


def fresh_report(app, application, reader, locale="zh_CN") -> bytes:
    with app.test_request_context(), force_locale(locale):
        story = inspection_story(application, pinned_edition(application.edition), reader)
        return render_inspection_report(report_data(application, story))


def test_a_certificate_is_rendered_once_and_then_served_as_kept(app, client, ctx, kept):
    certified = make_certified()  # rendered and signed once, at issue
    login(client, certified.outlet_user)
    first = download(client, certificate_url(certified))
    login(client, certified.bureau)  # another reader gets the same record
    again = download(client, certificate_url(certified))
    assert kept.certificates.count == 1
    assert first == again and signed(first, fresh_certificate(app, certified.certificate))
    assert len(kept_files(kept.root, "certificate")) == 1


def test_a_revoked_certificate_is_rendered_anew(app, client, ctx, kept, db_session):
    certified = make_certified()
    login(client, certified.bureau)
    before = download(client, certificate_url(certified))
    revoked = client.post(
        f"/certificates/{certified.certificate.id}/revoke",
        data={"ground": "outlet_closed", "reason": "网点已停业，不再符合要求"},
    )
    assert revoked.status_code == 302
    db_session.refresh(certified.certificate)
    assert certified.certificate.state == "revoked"

    after = download(client, certificate_url(certified))
    assert kept.certificates.count == 2  # not the copy kept while it was active
    assert signed(after, fresh_certificate(app, certified.certificate))
    assert len(kept_files(kept.root, "certificate")) == 2
    assert "已撤销" in pdf_text(after) and "网点已停业，不再符合要求" in pdf_text(after)
    assert "已撤销" not in pdf_text(before)


def test_a_certificate_that_expires_is_rendered_anew(app, client, ctx, kept, monkeypatch):
    """Nothing in the row changes when a certificate expires: the day alone gives a new copy."""
    certified = make_certified()
    login(client, certified.outlet_user)
    valid = download(client, certificate_url(certified))
    last_day = certified.certificate.valid_until
    monkeypatch.setattr(certificate_views, "today_in_shanghai", lambda: last_day)
    assert download(client, certificate_url(certified)) == valid  # valid through its last day: kept
    monkeypatch.setattr(certificate_views, "today_in_shanghai", lambda: last_day + timedelta(days=1))
    expired = download(client, certificate_url(certified))
    assert kept.certificates.count == 2
    assert "已过期" in pdf_text(expired) and "已过期" not in pdf_text(valid)


def test_a_superseded_certificate_is_rendered_anew(app, client, ctx, kept):
    certified = make_certified()
    login(client, certified.outlet_user)
    valid = download(client, certificate_url(certified))
    city = certify(certified.outlet, "city", cast=certified.cast)
    superseded = download(client, certificate_url(certified))
    # the district and the city certificate at issue, then the superseded one's stamped copy
    assert kept.certificates.count == 3 and superseded != valid
    assert "已被替代" in pdf_text(superseded) and city.number in pdf_text(superseded)


def test_an_edited_outlet_gives_a_new_report_and_rendering_but_keeps_the_issued_certificate(
    app, client, ctx, kept, db_session
):
    certified = make_certified(name="奉贤南桥顺丰营业部")
    login(client, certified.bureau)
    certificate = download(client, certificate_url(certified))
    report = download(client, report_url(certified.application))
    certified.outlet.name = "奉贤南桥顺丰营业部（新址）"
    db_session.flush()
    # In force, the certificate is the document signed at issue; a copy printed once it is no
    # longer in force (the stamped rendering of the day) shows the new name.
    assert download(client, certificate_url(certified)) == certificate
    new_report = download(client, report_url(certified.application))
    assert (kept.certificates.count, kept.reports.count) == (1, 2)
    assert "（新址）" in pdf_text(new_report) and "（新址）" not in pdf_text(report)
    after_expiry = certified.certificate.valid_until + timedelta(days=1)
    assert "（新址）" in pdf_text(fresh_certificate(app, certified.certificate, after_expiry))


def test_a_reopened_and_again_signed_off_inspection_gives_the_new_report(app, client, ctx, kept, db_session):
    inspection = Inspection()
    complete(inspection)
    inspection.save("4.2", "A", note="初次检查：宣传栏完整")
    login(client, inspection.inspector)
    assert (
        client.post(f"/checklist/{inspection.assessment.id}/sign-off", data={"confirm": "y"}).status_code
        == 302
    )
    inspection.countersign(client)
    login(client, inspection.bureau)
    first = download(client, report_url(inspection.application))
    assert download(client, report_url(inspection.application)) == first
    assert kept.reports.count == 1
    assert "初次检查：宣传栏完整" in pdf_text(first)

    reopened = client.post(
        f"/checklist/applications/{inspection.application.id}/reopen",
        data={"reason": "4.2 照片看不清，请复核"},
    )
    assert reopened.status_code == 302
    db_session.refresh(inspection.application)
    assert inspection.application.status == "inspection_scheduled"
    signed = inspection.assessment  # kept as signed; the correction is a new record
    inspection.assessment = assessment_of(inspection.application, AssessmentKind.INSPECTION)
    assert inspection.assessment.amends_id == signed.id
    inspection.save("4.2", "B", note="复核：宣传栏缺一块")
    login(client, inspection.inspector)
    assert (
        client.post(f"/checklist/{inspection.assessment.id}/sign-off", data={"confirm": "y"}).status_code
        == 302
    )
    inspection.countersign(client)
    db_session.refresh(inspection.application)
    db_session.refresh(inspection.assessment)
    assert inspection.application.status == "inspected"

    login(client, inspection.bureau)
    second = download(client, report_url(inspection.application))
    text = pdf_text(second)
    # the new report: the first record as signed, then the correction with what it changed and why
    assert "复核：宣传栏缺一块" in text and "初次检查：宣传栏完整" in text
    assert "已被第2次记录更正" in text and "4.2照片看不清，请复核" in text
    assert kept.reports.count == 2
    db_session.expire_all()  # the requests signed and superseded records this session read before
    assert second == fresh_report(app, inspection.application, inspection.bureau)


def test_each_language_gets_its_own_report(app, client, ctx, kept):
    certified = make_certified()
    login(client, certified.outlet_user)
    chinese = download(client, report_url(certified.application))
    client.post("/language", data={"locale": "en"})
    english = download(client, report_url(certified.application))
    assert "Reductionatsource" in pdf_text(english) and "Reductionatsource" not in pdf_text(chinese)
    client.post("/language", data={"locale": "zh_CN"})
    assert download(client, report_url(certified.application)) == chinese
    assert kept.reports.count == 2  # one render per language; the third download was kept
    assert english == fresh_report(app, certified.application, certified.outlet_user, "en")


def test_a_damaged_kept_report_is_rendered_again(client, ctx, kept):
    certified = make_certified(photos={"1.1": 2})
    login(client, certified.bureau)
    first = download(client, report_url(certified.application))
    [path] = kept_files(kept.root, "report")
    path.write_bytes(path.read_bytes()[: len(first) // 2])
    assert download(client, report_url(certified.application)) == first
    assert kept.reports.count == 2


def test_a_report_still_being_filled_in_is_not_kept(client, ctx, kept):
    inspection = Inspection()
    inspection.save("1.1", True)
    login(client, inspection.bureau)
    download(client, report_url(inspection.application))
    download(client, report_url(inspection.application))
    assert kept.reports.count == 2
    assert kept_files(kept.root, "report") == []
