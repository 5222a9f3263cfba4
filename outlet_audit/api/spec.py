"""The OpenAPI document, generated from the code: each API view's `@documented` operation, its
scope (`auth.api_read`), its URL rule and the marshmallow schemas. Nothing here is kept by hand
but the prose; tests/api/test_openapi.py fails when an /api/v1 route is missing from it.
"""

import re
from dataclasses import dataclass, field

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app
from marshmallow import Schema

from outlet_audit.api import schemas
from outlet_audit.api.auth import API_SCOPE_ATTRIBUTE
from outlet_audit.api.paging import DEFAULT_LIMIT, MAX_LIMIT
from outlet_audit.api.scopes import TokenScope
from outlet_audit.text import N_

API_PREFIX = "/api/v1"
OPERATION_ATTRIBUTE = "_api_operation"
ERROR_TEXTS = {
    400: N_("A query parameter cannot be read (its name is in the message)."),
    401: N_("The token is missing where one is needed, or unknown, expired or revoked."),
    403: N_("The token does not have the scope this endpoint needs."),
    404: N_("No such record, or not within the token's reach."),
    429: N_("Too many requests: wait the seconds Retry-After says."),
}
COMPONENTS = {
    "Certificate": schemas.CertificateSchema,
    "CertificatePage": schemas.CertificatePageSchema,
    "Outlet": schemas.OutletSchema,
    "OutletPage": schemas.OutletPageSchema,
    "Campaign": schemas.CampaignSchema,
    "CampaignDetail": schemas.CampaignDetailSchema,
    "CampaignPage": schemas.CampaignPageSchema,
    "Error": schemas.ErrorSchema,
}


@dataclass(frozen=True)
class Operation:
    summary: str  # marked with N_: English here, translated on the documentation page
    description: str
    response: type[Schema] | None  # None: not JSON (the documentation page)
    query: type[Schema] | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)  # name -> description
    errors: tuple[int, ...] = (401, 403, 429)
    media_type: str = "application/json"


def documented(operation: Operation):
    def decorate(view):
        setattr(view, OPERATION_ATTRIBUTE, operation)
        return view

    return decorate


def openapi_path(rule: str) -> str:
    """/api/v1/certificates/<number> → /api/v1/certificates/{number} (converters dropped)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def build_spec(app) -> dict:
    spec = APISpec(
        title="outlet-audit API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": N_(
                "Certificates, outlets and published spot-check campaigns of Shanghai's zero-waste "
                "express outlet scheme, for other government systems."
            )
        },
    )
    spec.components.security_scheme(
        "token",
        {
            "type": "http",
            "scheme": "bearer",
            "description": N_("An organisation's API token: Authorization: Bearer oa_…"),
        },
    )
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, schema=schema)
    for status, text in ERROR_TEXTS.items():
        spec.components.response(
            str(status), {"description": text, "content": {"application/json": {"schema": "Error"}}}
        )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        operation = getattr(view, OPERATION_ATTRIBUTE, None)
        if operation is None:
            continue  # the test names it: every API route must be documented
        spec.path(path=openapi_path(rule.rule), operations={"get": _operation(operation, view, rule)})
    document = spec.to_dict()
    document["x-rate-limits"] = {
        "token": app.config["RATELIMIT_API"],
        "anonymous": app.config["RATELIMIT_API_ANONYMOUS"],
    }
    document["x-paging"] = {"default_limit": DEFAULT_LIMIT, "max_limit": MAX_LIMIT}
    document["x-scopes"] = [scope.value for scope in TokenScope]
    return document


def _operation(operation: Operation, view, rule) -> dict:
    scope = getattr(view, API_SCOPE_ATTRIBUTE, None)
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": {"type": "string"}, "description": text}
        for name, text in operation.path_parameters.items()
    ]
    if operation.query is not None:
        parameters.append({"in": "query", "schema": operation.query})
    content = {"schema": operation.response} if operation.response is not None else {}
    errors = (400, *operation.errors) if operation.query is not None else operation.errors
    if rule.arguments and 404 not in errors:
        errors = (*errors, 404)
    result = {
        "operationId": rule.endpoint.removeprefix("api."),
        "summary": operation.summary,
        "description": operation.description,
        "parameters": parameters,
        "responses": {
            "200": {"description": N_("Success."), "content": {operation.media_type: content}},
            **{str(code): str(code) for code in sorted(errors)},
        },
        # Anonymous reads what the public pages show; a token with the scope reads its reach.
        "security": [{}, {"token": [scope.value]}] if scope else [{}],
    }
    if scope is not None:
        result["x-scope"] = scope.value
    return result


def openapi_document() -> dict:
    """The document, built once per application (its routes do not change while it runs)."""
    extensions = current_app.extensions
    if "api_openapi" not in extensions:
        extensions["api_openapi"] = build_spec(current_app)
    return extensions["api_openapi"]
