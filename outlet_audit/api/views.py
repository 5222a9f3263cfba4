"""The /api/v1 endpoints: thin views over queries.py, answering JSON only (errors too).

Each is `@public` for the deny-by-default check, `@documented` for the OpenAPI document, and
`@api_read(scope)`, which authenticates, counts the rate limit and refuses a token without the
scope. A token reads within its organisation's reach; beyond it a record answers 404.
"""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

import outlet_audit.api.token_views  # noqa: F401 - the token page's routes join this blueprint
from outlet_audit.access import MAX_RECORD_ID, public
from outlet_audit.api import schemas
from outlet_audit.api.auth import Reader, api_error, api_read, unauthorised
from outlet_audit.api.blueprint import bp
from outlet_audit.api.docs import field_rows, response_schema
from outlet_audit.api.paging import BadParameter, after_id, naive_utc, page_limit
from outlet_audit.api.queries import (
    CertificateFilters,
    campaign_json,
    campaign_page,
    certificate_by_number,
    certificate_page,
    closed_campaign,
    outlet_by_id,
    outlet_page,
    published_checks_json,
)
from outlet_audit.api.scopes import SCOPE_LABELS, TokenScope
from outlet_audit.api.spec import Operation, documented, openapi_document
from outlet_audit.certificates.numbering import parse_certificate_number
from outlet_audit.certificates.state import CertificateState
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.text import N_
from outlet_audit.webhooks.events import EVENT_LABELS, SUBSCRIBABLE


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter):
    return api_error(400, "bad_request", _("The parameter %(name)s cannot be read.", name=error.name))


@bp.after_request
def no_shared_caching(response):
    """A token's answer is its own: no cache in between keeps it, nor hands it to another reader."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Authorization")
    return response


def read_query(schema: type[Schema]) -> dict:
    try:
        return schema().load(request.args)
    except ValidationError as error:
        raise BadParameter(sorted(error.messages)[0]) from None


CAMPAIGN_NUMBER_MAX_CHARS = 40  # the column's length: a longer one names nothing


def not_found():
    return api_error(404, "not_found", _("There is no such record, or it is not within this token's reach."))


@bp.get("/api/v1/certificates")
@public
@documented(
    Operation(
        summary=N_("List certificates"),
        description=N_(
            "Without a token: the certificates in force, as the public directory lists them. With a "
            "token of scope certificates:read: the certificates of the organisation's districts in every "
            "state, with their exact times. Ordered by issue (oldest first)."
        ),
        response=schemas.CertificatePageSchema,
        query=schemas.CertificateQuerySchema,
    )
)
@api_read(TokenScope.CERTIFICATES_READ)
def certificates(reader: Reader):
    args = read_query(schemas.CertificateQuerySchema)
    if reader.anonymous and args.get("status", CertificateState.VALID) != CertificateState.VALID:
        return unauthorised(
            _("Certificates not in force are listed to a token of scope certificates:read only.")
        )
    filters = CertificateFilters(
        district_code=args.get("district"),
        level=args.get("level"),
        status=args.get("status"),
        updated_since=naive_utc("updated_since", args.get("updated_since")),
    )
    items, next_cursor = certificate_page(
        reader,
        filters,
        after_id("certificates", args.get("after")),
        page_limit(args.get("limit")),
        today_in_shanghai(),
    )
    return schemas.CertificatePageSchema().dump({"items": items, "next": next_cursor})


@bp.get("/api/v1/certificates/<number>")
@public
@documented(
    Operation(
        summary=N_("One certificate by its number"),
        description=N_(
            "What the verification page shows of the certificate, in any state. A token reads the "
            "certificates of its districts only (404 for others) and adds their exact times."
        ),
        response=schemas.CertificateSchema,
        path_parameters={"number": N_("The certificate number, e.g. WFKD-2026-FX-Q-0001.")},
    )
)
@api_read(TokenScope.CERTIFICATES_READ)
def certificate(reader: Reader, number: str):
    parsed = parse_certificate_number(number)
    found = certificate_by_number(reader, str(parsed), today_in_shanghai()) if parsed else None
    return schemas.CertificateSchema().dump(found) if found else not_found()


@bp.get("/api/v1/outlets")
@public
@documented(
    Operation(
        summary=N_("List outlets"),
        description=N_(
            "Public fields only (name, address, brand, district, certificates in force). Without a "
            "token: the outlets holding a certificate in force. With a token of scope outlets:read: "
            "every verified outlet of the organisation's districts. Ordered by registration."
        ),
        response=schemas.OutletPageSchema,
        query=schemas.OutletQuerySchema,
    )
)
@api_read(TokenScope.OUTLETS_READ)
def outlets(reader: Reader):
    args = read_query(schemas.OutletQuerySchema)
    items, next_cursor = outlet_page(
        reader,
        args.get("district"),
        after_id("outlets", args.get("after")),
        page_limit(args.get("limit")),
        today_in_shanghai(),
    )
    return schemas.OutletPageSchema().dump({"items": items, "next": next_cursor})


@bp.get("/api/v1/outlets/<int:outlet_id>")
@public
@documented(
    Operation(
        summary=N_("One outlet"),
        description=N_("An outlet the list would show to the same reader; 404 for any other."),
        response=schemas.OutletSchema,
        path_parameters={"outlet_id": N_("The outlet's id.")},
    )
)
@api_read(TokenScope.OUTLETS_READ)
def outlet(reader: Reader, outlet_id: int):
    found = outlet_by_id(reader, outlet_id, today_in_shanghai()) if 0 < outlet_id <= MAX_RECORD_ID else None
    return schemas.OutletSchema().dump(found) if found else not_found()


@bp.get("/api/v1/campaigns")
@public
@documented(
    Operation(
        summary=N_("List published spot-check campaigns"),
        description=N_(
            "Closed campaigns, as /spot-checks publishes them; a token of scope campaigns:read reads "
            "the same. Ordered by planning (oldest first)."
        ),
        response=schemas.CampaignPageSchema,
        query=schemas.PageQuerySchema,
    )
)
@api_read(TokenScope.CAMPAIGNS_READ)
def campaigns(reader: Reader):
    args = read_query(schemas.PageQuerySchema)
    items, next_cursor = campaign_page(
        after_id("campaigns", args.get("after")), page_limit(args.get("limit"))
    )
    return schemas.CampaignPageSchema().dump({"items": items, "next": next_cursor})


@bp.get("/api/v1/campaigns/<number>")
@public
@documented(
    Operation(
        summary=N_("One published campaign and its results"),
        description=N_(
            "Its scope, seed, the outlets checked and each result, as its /spot-checks page shows them; "
            "404 before it closes."
        ),
        response=schemas.CampaignDetailSchema,
        path_parameters={"number": N_("The campaign number.")},
    )
)
@api_read(TokenScope.CAMPAIGNS_READ)
def campaign(reader: Reader, number: str):
    found = closed_campaign(number) if len(number) <= CAMPAIGN_NUMBER_MAX_CHARS else None
    if found is None:
        return not_found()
    checks = published_checks_json(found)
    body = campaign_json(found, len(checks)) | {
        "seed": found.seed,
        "draw_file": url_for("public_campaigns.draw_file", number=found.number, _external=True),
        "checks": checks,
    }
    return schemas.CampaignDetailSchema().dump(body)


@bp.get("/api/v1/openapi.json")
@public
@documented(
    Operation(
        summary=N_("This API's OpenAPI document"),
        description=N_("Generated from the code at start; no token needed."),
        response=None,
        errors=(429,),
    )
)
@api_read(None)
def openapi(reader: Reader):
    return openapi_document()


@bp.get("/api/v1/docs")
@public
@documented(
    Operation(
        summary=N_("This documentation"),
        description=N_("The OpenAPI document as a page, in the reader's language."),
        response=None,
        errors=(429,),
        media_type="text/html",
    )
)
@api_read(None)
def docs(reader: Reader):
    spec = openapi_document()

    def fields_of(operation: dict) -> list:
        schema = response_schema(operation)
        return field_rows(spec, schema) if schema else []

    events = [(event.value, EVENT_LABELS[event]) for event in SUBSCRIBABLE]
    return render_template(
        "api/docs.html", spec=spec, scope_labels=SCOPE_LABELS, fields_of=fields_of, webhook_events=events
    )
