"""Pages for the public, no sign-in: verify a certificate by its number or its PDF, and the directory.

Only an outlet's public details appear (name, brand, district, level, score, dates, issuing
bureau); never a phone number, permit number or a person's name. These are the most requested
pages, so each reads what it shows with one prepared Core query (no ORM objects, no count).
"""

import time
from dataclasses import dataclass

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy import bindparam, select
from wtforms import SubmitField

from outlet_audit.access import public
from outlet_audit.certificates.models import Certificate, CertificateDocument
from outlet_audit.certificates.numbering import DISTRICT_CODES, parse_certificate_number
from outlet_audit.certificates.queries import edition_title_columns, escape_like, valid_certificate_clause
from outlet_audit.certificates.signing.documents import UploadVerdict, check_kept_document, check_uploaded_pdf
from outlet_audit.certificates.signing.keys import SigningUnavailable, common_name
from outlet_audit.certificates.state import CertificateState, certificate_standing
from outlet_audit.core.forms import BaseForm
from outlet_audit.core.i18n import current_language, readable_date, translate_message
from outlet_audit.core.params import page_number
from outlet_audit.core.rate_limits import pdf_check_limit, public_pages_limit
from outlet_audit.core.time import shanghai_date, today_in_shanghai
from outlet_audit.criteria.model import decimal_text
from outlet_audit.criteria.stored import StoredEdition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import KNOWN_BRANDS, District, Outlet
from outlet_audit.outlets.reference import DistrictName, all_districts
from outlet_audit.supervision.revocation_cases import ground_of, revoked_case
from outlet_audit.workflow.states import LEVEL_LABELS

bp = Blueprint("public", __name__)

LEVEL_NAMES = {level.value: _l(label.text) for level, label in LEVEL_LABELS.items()}
# What the public page says about each state, in a sentence.
STATE_VERDICTS = {
    CertificateState.VALID: _l("Valid: this certificate is genuine and in force."),
    CertificateState.EXPIRED: _l("Expired: this certificate is genuine but no longer in force."),
    CertificateState.REVOKED: _l("Revoked: this certificate was withdrawn by the postal administration."),
    CertificateState.SUPERSEDED: _l("Superseded: this certificate was replaced by a newer one."),
}
# What the page says first about an uploaded PDF, and the colour it says it in.
UPLOAD_HEADLINES = {
    UploadVerdict.ORIGINAL: _l("Genuine: this is the certificate file as issued, unchanged."),
    UploadVerdict.COPY: _l("Genuine: an unchanged copy signed by the issuing bureau."),
    UploadVerdict.UNKNOWN: _l(
        "The signature is genuine, but no certificate with the number it names exists."
    ),
    UploadVerdict.UNTRUSTED: _l("Not signed by an issuing bureau of this scheme."),
    UploadVerdict.CHANGED: _l("Changed: this file was altered after it was signed."),
    UploadVerdict.UNSIGNED: _l("Not signed: this PDF carries no digital signature."),
    UploadVerdict.UNREADABLE: _l("Cannot be checked: the file is damaged or was altered."),
}
UPLOAD_COLOURS = {
    UploadVerdict.ORIGINAL: "success",
    UploadVerdict.COPY: "success",
    UploadVerdict.UNKNOWN: "danger",
    UploadVerdict.UNTRUSTED: "danger",
    UploadVerdict.CHANGED: "danger",
    UploadVerdict.UNSIGNED: "warning",
    UploadVerdict.UNREADABLE: "danger",
}
DIRECTORY_PAGE_SIZE = 24  # divisible by the 1, 2 and 3 cards a row the layout shows
SEARCH_MAX_CHARS = 100
NUMBER_MAX_CHARS = 60
FILE_NAME_MAX_CHARS = 120

# Core statements built once: building and running an ORM select of columns costs several times
# more than the query itself.
_certificates, _outlets, _districts = Certificate.__table__, Outlet.__table__, District.__table__
_editions = StoredEdition.__table__
_documents = CertificateDocument.__table__
_replacement = _certificates.alias("replacement")
_PUBLIC_COLUMNS = (
    _certificates.c.number,
    _certificates.c.level,
    _certificates.c.score,
    _certificates.c.issued_on,
    _certificates.c.valid_until,
    _certificates.c.issuing_bureau,
    _outlets.c.name.label("outlet_name"),
    _outlets.c.address.label("outlet_address"),  # so a citizen can match the certificate to the shop
    _outlets.c.brand,
    _districts.c.code.label("district_code"),
)
_WITH_OUTLET_AND_DISTRICT = _certificates.join(_outlets, _outlets.c.id == _certificates.c.outlet_id).join(
    _districts, _districts.c.id == _certificates.c.district_id
)
VERIFY_QUERY = (
    select(
        *_PUBLIC_COLUMNS,
        _certificates.c.id.label("certificate_id"),
        _certificates.c.state,
        _certificates.c.revoked_at,
        _certificates.c.revoked_reason,
        _replacement.c.number.label("replaced_by"),
        _replacement.c.issued_on.label("replaced_on"),
        # The exact criteria it was assessed against: the title, and the hash anyone can check.
        _certificates.c.edition_id,
        _certificates.c.edition_hash,
        *edition_title_columns(_editions),
        # Its signed document (about 20 KB): the page says the kept file still matches its record.
        _documents.c.sha256.label("document_sha256"),
        _documents.c.pdf.label("document_pdf"),
        _documents.c.signer.label("document_signer"),
        _documents.c.signed_at.label("document_signed_at"),
    )
    .select_from(
        _WITH_OUTLET_AND_DISTRICT.outerjoin(
            _replacement, _replacement.c.id == _certificates.c.superseded_by_id
        )
        .outerjoin(_editions, _editions.c.content_hash == _certificates.c.edition_hash)
        .outerjoin(_documents, _documents.c.certificate_id == _certificates.c.id)
    )
    .where(_certificates.c.number == bindparam("number"))
)
# Currently valid (`valid_certificate_clause`: state active, not past valid_until), in the order of
# ix_certificates_district_level_state, so a page is read off the index instead of sorting every
# certified outlet: by district, city level first, the newest certificate first.
DIRECTORY_QUERY = (
    select(*_PUBLIC_COLUMNS)
    .select_from(_WITH_OUTLET_AND_DISTRICT)
    .where(valid_certificate_clause(bindparam("today"), _certificates))
    .order_by(
        _certificates.c.district_id,
        _certificates.c.level,
        _certificates.c.valid_until.desc(),
        _certificates.c.id.desc(),
    )
)


def district_name(code: str, english: bool) -> str:
    """The district as the public pages name it everywhere: its official name (黄浦区), or in English."""
    district = districts_by_code()[code]
    return district.name_en if english else district.official_name_zh


def districts_by_code() -> dict[str, DistrictName]:
    return {district.code: district for district in all_districts()}


@dataclass(frozen=True)
class DirectoryFilters:
    """The directory's filters from the query string; an unknown value filters nothing."""

    district: str = ""
    level: str = ""
    brand: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "DirectoryFilters":
        district, level, brand = args.get("district", ""), args.get("level", ""), args.get("brand", "")
        return cls(
            district=district if district in DISTRICT_CODES else "",
            level=level if level in LEVEL_NAMES else "",
            brand=brand if brand in KNOWN_BRANDS else "",
            q=args.get("q", "").strip()[:SEARCH_MAX_CHARS],
        )

    def __bool__(self) -> bool:
        return any((self.district, self.level, self.brand, self.q))


@dataclass(frozen=True)
class DirectoryCard:
    number: str
    outlet_name: str
    outlet_address: str
    brand: str
    district: str
    level: str
    level_label: str
    summary: str  # score and validity, in the reader's language


@dataclass(frozen=True)
class DirectoryPage:
    """One page of the directory. No total: counting every certified outlet costs more than the page."""

    items: list[DirectoryCard]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


class PdfCheckForm(BaseForm):
    file = FileField(
        _l("Certificate PDF"),
        validators=[FileRequired(_l("Choose the PDF file to check."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )
    submit = SubmitField(_l("Check the file"))


def verify_page(status: int = 200, *, pdf_form: PdfCheckForm | None = None, **context):
    """The verification page: the number form, whatever result there is, and the PDF form when given.

    A number's page (where the QR code leads, the busiest) links to the PDF form on /verify
    instead of carrying it: drawing the form there doubled the page's time (7.8 → 15.7 ms).
    """
    context.setdefault("number", "")
    context.setdefault("error", None)
    context.setdefault("result", None)
    if pdf_form is not None:
        limit = current_app.config["VERIFY_PDF_MAX_BYTES"]
        pdf_form.file.description = _(
            "The certificate's PDF file as you received or downloaded it, at most %(size)s MB. "
            "It is checked and not kept.",
            size=f"{limit / (1024 * 1024):g}",
        )
    return render_template("public/verify.html", pdf_form=pdf_form, **context), status


@bp.get("/verify")
@public
@public_pages_limit
def verify():
    """The form; it sends a number it can read to that number's page (GET: verifying changes nothing)."""
    typed = request.args.get("number")
    if typed is None:
        return verify_page(pdf_form=PdfCheckForm())
    number = parse_certificate_number(typed)
    if number is not None:
        return redirect(url_for("public.verify_number", number=str(number)))
    error = _("This is not a certificate number. Check it against the certificate.")
    return verify_page(number=typed[:NUMBER_MAX_CHARS], error=error, pdf_form=PdfCheckForm())


@bp.post("/verify/document")
@public
@public_pages_limit
@pdf_check_limit
def verify_document():
    """Check an uploaded PDF: its signature, whether it changed, which certificate, its standing now.

    Nothing is written and the file is not kept; bad files get a message on the form.
    """
    form = PdfCheckForm()
    if not form.validate_on_submit():
        return verify_page(400, pdf_form=form)
    limit = current_app.config["VERIFY_PDF_MAX_BYTES"]
    data = form.file.data.read(limit + 1)
    problem = upload_problem(data, limit)
    if problem:
        form.file.errors.append(problem)
        return verify_page(400, pdf_form=form)
    try:
        check = check_uploaded_pdf(data, today_in_shanghai())
    except SigningUnavailable as refusal:  # no trust roots configured: nothing can be judged
        form.file.errors.append(translate_message(refusal.message))
        return verify_page(503, pdf_form=form)
    genuine = check.verdict in (UploadVerdict.ORIGINAL, UploadVerdict.COPY)
    return verify_page(
        pdf_form=PdfCheckForm(formdata=None),
        upload=check,
        upload_headline=UPLOAD_HEADLINES[check.verdict],
        # A genuine file of a certificate no longer in force is not good news: the standing's colour.
        upload_colour=check.standing.colour if genuine else UPLOAD_COLOURS[check.verdict],
        upload_state_verdict=STATE_VERDICTS[check.standing.state] if check.standing else None,
        signer_name=common_name(check.signature.signer) if check.signature else "",
        file_name=(form.file.data.filename or "")[: NUMBER_MAX_CHARS * 2],
    )


def upload_problem(data: bytes, limit: int) -> str | None:
    """What is wrong with an uploaded file before it is read as a PDF, or None."""
    if not data:
        return _("The file is empty. Choose the certificate's PDF file.")
    if len(data) > limit:
        return _(
            "The file is larger than %(size)s MB; a certificate PDF is far smaller. Choose the certificate's "
            "PDF file.",
            size=f"{limit / (1024 * 1024):g}",
        )
    if b"%PDF-" not in data[:1024]:  # where readers look for the header
        return _("This is not a PDF file. Choose the certificate's PDF file.")
    return None


@dataclass(frozen=True)
class PublicRevocation:
    ground: str  # the ground's label in the reader's language; the issuer's reasons stay internal
    issuer: str


def public_revocation(certificate_id: int) -> PublicRevocation | None:
    """What the public reads of a revocation decided in a case; None for one made before cases,
    whose reason was written for the public page and is shown as it was."""
    case = revoked_case(certificate_id)
    if case is None:
        return None
    language = current_language()
    return PublicRevocation(
        ground=ground_of(case.certificate, case.ground).label.get(language),
        issuer=case.organisation.name(language),
    )


@bp.get("/verify/<number>")
@public
@public_pages_limit
def verify_number(number: str):
    parsed = parse_certificate_number(number)
    if parsed is not None and str(parsed) != number:
        return redirect(url_for("public.verify_number", number=str(parsed)), 301)
    row = db.session.execute(VERIFY_QUERY, {"number": str(parsed)}).first() if parsed is not None else None
    number = number[:NUMBER_MAX_CHARS]
    if row is None:
        return verify_page(404, number=number, unknown=number)
    revocation = public_revocation(row.certificate_id) if row.state == CertificateState.REVOKED else None
    standing = certificate_standing(
        row.state,
        row.valid_until,
        today_in_shanghai(),
        revoked_on=shanghai_date(row.revoked_at) if row.revoked_at else None,
        revoked_reason=revocation.ground if revocation else row.revoked_reason,
        replaced_by=row.replaced_by,
        replaced_on=row.replaced_on,
    )
    english = current_language() == "en"
    document = None
    if row.document_sha256 is not None:
        document = check_kept_document(
            row.document_sha256, row.document_pdf, row.document_signer, row.document_signed_at
        )
    return verify_page(
        number=number,
        result=row,
        document=document,
        document_signer=common_name(document.signer) if document else "",
        state=standing.state,
        standing=standing,
        verdict=STATE_VERDICTS[standing.state],
        edition_title=(row.edition_title_en if english and row.edition_title_en else row.edition_title_zh)
        or row.edition_id,
        district=district_name(row.district_code, english),
        score=decimal_text(row.score),
        level_names=LEVEL_NAMES,
        revoked_by=revocation.issuer if revocation else "",
    )


@bp.get("/directory")
@public
@public_pages_limit
def directory():
    filters = DirectoryFilters.from_args(request.args)
    number = page_number()
    return render_template(
        "public/directory.html",
        filters=filters,
        districts=districts_by_code(),
        brands=KNOWN_BRANDS,
        level_names=LEVEL_NAMES,
        results=_directory_results(filters, number),
    )


# Rendered results, shared by every reader of the same page in this process for a few seconds:
# the directory is the busiest page, and a certificate revoked or issued a moment ago may show
# up that much later here (never on the verification page, which is always read fresh).
_results_cache: dict[tuple, tuple[float, Markup]] = {}
RESULTS_CACHE_ENTRIES = 64
DEFAULT_RESULTS_CACHE_SECONDS = 30


def _directory_results(filters: DirectoryFilters, number: int) -> Markup:
    today = today_in_shanghai()
    key = (filters, number, current_language(), today)
    # Off under test, where every test has its own data; PUBLIC_DIRECTORY_CACHE_SECONDS=0 turns it off.
    seconds = current_app.config.get(
        "PUBLIC_DIRECTORY_CACHE_SECONDS", 0 if current_app.testing else DEFAULT_RESULTS_CACHE_SECONDS
    )
    cached = _results_cache.get(key) if seconds else None
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    query = DIRECTORY_QUERY
    if filters.district:
        query = query.where(_districts.c.code == filters.district)
    if filters.level:
        query = query.where(_certificates.c.level == filters.level)
    if filters.brand:
        query = query.where(_outlets.c.brand == filters.brand)
    if filters.q:
        query = query.where(_outlets.c.name.ilike(f"%{escape_like(filters.q)}%", escape="\\"))
    rows = db.session.execute(
        query.limit(DIRECTORY_PAGE_SIZE + 1).offset((number - 1) * DIRECTORY_PAGE_SIZE), {"today": today}
    ).all()
    page = DirectoryPage(_cards(rows[:DIRECTORY_PAGE_SIZE]), number, has_next=len(rows) > DIRECTORY_PAGE_SIZE)
    html = Markup(render_template("public/_directory_results.html", page=page, filters=filters))  # noqa: S704 - autoescaped template output
    if seconds:
        if len(_results_cache) >= RESULTS_CACHE_ENTRIES:
            _results_cache.clear()  # simple and bounded; the busy pages come back within seconds
        _results_cache[key] = (time.monotonic() + seconds, html)
    return html


def _cards(rows) -> list[DirectoryCard]:
    """The page's cards with their texts made once per page, not once per card in the template."""
    english = current_language() == "en"
    levels = {code: str(label) for code, label in LEVEL_NAMES.items()}
    # Translated once, filled per card (gettext without values returns the template itself).
    summary = _("Score %(score)s · valid until %(date)s")
    return [
        DirectoryCard(
            number=row.number,
            outlet_name=row.outlet_name,
            outlet_address=row.outlet_address,
            brand=row.brand,
            district=district_name(row.district_code, english),
            level=row.level,
            level_label=levels[row.level],
            summary=summary % {"score": decimal_text(row.score), "date": readable_date(row.valid_until)},
        )
        for row in rows
    ]
