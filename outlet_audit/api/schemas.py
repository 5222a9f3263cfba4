"""What the API answers, as marshmallow schemas: the views dump through them and the OpenAPI
document is generated from them (spec.py), so the two cannot drift apart.

Descriptions are English and marked with N_: the documentation page shows them translated.
"""

from datetime import UTC

from marshmallow import EXCLUDE, Schema, fields, validate

from outlet_audit.api.paging import MAX_CURSOR_CHARS
from outlet_audit.certificates.numbering import DISTRICT_CODES
from outlet_audit.certificates.state import CertificateState
from outlet_audit.supervision.kinds import CampaignChecklist, CheckStatus
from outlet_audit.text import N_
from outlet_audit.workflow.states import Level

LEVELS = [level.value for level in Level]
STATES = [state.value for state in CertificateState]


def _text(description: str, **kwargs):
    return fields.String(metadata={"description": description}, **kwargs)


class BilingualSchema(Schema):
    zh = _text(N_("In Chinese."), required=True)
    en = _text(N_("In English."), required=True)


class DistrictSchema(Schema):
    code = _text(N_("The district's two-letter code (FX: Fengxian)."), required=True)
    name_zh = _text(N_("Its official Chinese name."), required=True)
    name_en = _text(N_("Its English name."), required=True)


class OrganisationSchema(Schema):
    code = _text(N_("The organisation's stable code."), required=True)
    name_zh = _text(N_("Its Chinese name."), required=True)
    name_en = _text(N_("Its English name."), required=True)


class CertificateOutletSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": N_("The outlet's id in /api/v1/outlets.")})
    name = _text(N_("The outlet's name."), required=True)
    address = _text(N_("Its address, so the certificate can be matched to the shop."), required=True)
    brand = _text(N_("Its brand."), required=True)


class RevocationSchema(Schema):
    on = fields.Date(required=True, metadata={"description": N_("The day it was revoked (Shanghai time).")})
    reason = fields.Nested(
        BilingualSchema,
        required=True,
        metadata={"description": N_("The ground, as the public page shows it.")},
    )
    decided_by = fields.Nested(
        BilingualSchema,
        allow_none=True,
        required=True,
        metadata={"description": N_("The organisation that revoked it (none for revocations before cases).")},
    )


class SupersessionSchema(Schema):
    by = _text(N_("The number of the certificate that replaced it."), required=True)
    on = fields.Date(required=True, metadata={"description": N_("The day the replacement was issued.")})


class EditionSchema(Schema):
    id = _text(N_("The criteria edition it was assessed against."), required=True)
    hash = _text(N_("The SHA-256 of that edition's exact text."), required=True)


class CertificateSchema(Schema):
    number = _text(N_("The certificate number."), required=True)
    level = _text(N_("district or city."), required=True, validate=validate.OneOf(LEVELS))
    status = _text(
        N_("Its standing today: valid, expired, revoked or superseded."),
        required=True,
        validate=validate.OneOf(STATES),
    )
    score = fields.Float(required=True, metadata={"description": N_("The score it was awarded.")})
    issued_on = fields.Date(required=True, metadata={"description": N_("The day it was issued.")})
    valid_until = fields.Date(required=True, metadata={"description": N_("Its last valid day.")})
    issuing_bureau = _text(N_("The issuer's name as printed on the certificate."), required=True)
    issuer = fields.Nested(OrganisationSchema, required=True, metadata={"description": N_("The issuer.")})
    outlet = fields.Nested(CertificateOutletSchema, required=True)
    district = fields.Nested(DistrictSchema, required=True)
    edition = fields.Nested(EditionSchema, required=True)
    revocation = fields.Nested(RevocationSchema, allow_none=True, required=True)
    superseded = fields.Nested(SupersessionSchema, allow_none=True, required=True)
    # With a token only: the exact times, which the public pages do not show.
    created_at = fields.DateTime(
        metadata={"description": N_("Token only: when it was issued (UTC).")}, format="iso"
    )
    revoked_at = fields.DateTime(
        allow_none=True, metadata={"description": N_("Token only: when it was revoked (UTC).")}, format="iso"
    )
    updated_at = fields.DateTime(
        metadata={"description": N_("Token only: its last change: issue, revocation or replacement (UTC).")},
        format="iso",
    )


class CertificateInForceSchema(Schema):
    number = _text(N_("The certificate number."), required=True)
    level = _text(N_("district or city."), required=True, validate=validate.OneOf(LEVELS))
    valid_until = fields.Date(required=True, metadata={"description": N_("Its last valid day.")})


class OutletSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": N_("The outlet's id.")})
    name = _text(N_("The outlet's name."), required=True)
    address = _text(N_("Its address."), required=True)
    brand = _text(N_("Its brand."), required=True)
    district = fields.Nested(DistrictSchema, required=True)
    certificates_in_force = fields.List(
        fields.Nested(CertificateInForceSchema),
        required=True,
        metadata={"description": N_("Its certificates valid today.")},
    )


class PublishedCheckSchema(Schema):
    outlet_name = _text(N_("The outlet checked."), required=True)
    certificate_number = _text(N_("Its certificate."), required=True)
    district = fields.Nested(DistrictSchema, required=True)
    result = _text(
        N_("The check's result."), required=True, validate=validate.OneOf([s.value for s in CheckStatus])
    )


class CampaignSchema(Schema):
    number = _text(N_("The campaign number."), required=True)
    title = _text(N_("Its title."), required=True)
    districts = fields.List(fields.Nested(DistrictSchema), required=True)
    levels = fields.List(
        fields.String(validate=validate.OneOf(LEVELS)),
        required=True,
        metadata={"description": N_("The certificate levels drawn from.")},
    )
    brands = fields.List(fields.String(), required=True, metadata={"description": N_("Empty: every brand.")})
    share_percent = fields.Integer(
        allow_none=True,
        required=True,
        metadata={
            "description": N_("Each district gives this share of its eligible certificates, in per cent.")
        },
    )
    per_district = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": N_("Or: each district gives this many outlets.")},
    )
    window_from = fields.Date(required=True, metadata={"description": N_("The first day of visits.")})
    window_until = fields.Date(required=True, metadata={"description": N_("The last day of visits.")})
    checklist = _text(
        N_("The checklist the visits used."),
        required=True,
        validate=validate.OneOf([c.value for c in CampaignChecklist]),
    )
    recusal_months = fields.Integer(
        required=True,
        metadata={"description": N_("Inspectors who visited an outlet within these months do not check it.")},
    )
    team_size = fields.Integer(required=True, metadata={"description": N_("Inspectors a team.")})
    quota_per_inspector = fields.Integer(
        required=True, metadata={"description": N_("Visits an inspector makes at most.")}
    )
    outlets_checked = fields.Integer(
        required=True, metadata={"description": N_("Outlets drawn and checked.")}
    )


class CampaignDetailSchema(CampaignSchema):
    seed = _text(N_("The draw's seed."), required=True)
    draw_file = fields.Url(
        required=True, metadata={"description": N_("The seed and inputs, to re-run the draw.")}
    )
    checks = fields.List(fields.Nested(PublishedCheckSchema), required=True)


def _page_schema(name: str, item) -> type[Schema]:
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next": fields.String(
                allow_none=True,
                required=True,
                metadata={
                    "description": N_("The cursor of the next page (pass it as after); null on the last.")
                },
            ),
        },
        name=name,
    )


CertificatePageSchema = _page_schema("CertificatePage", CertificateSchema)
OutletPageSchema = _page_schema("OutletPage", OutletSchema)
CampaignPageSchema = _page_schema("CampaignPage", CampaignSchema)


class ErrorSchema(Schema):
    status = _text(N_("bad_request, unauthorized, forbidden, not_found or too_many_requests."), required=True)
    message = _text(N_("What went wrong, in words."), required=True)


# --- query parameters: the views read them through these, the document lists them from them ---


class PageQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # a parameter of a later version is ignored, not refused

    after = fields.String(
        validate=validate.Length(max=MAX_CURSOR_CHARS),
        metadata={"description": N_("The cursor from the previous page's next; none for the first page.")},
    )
    limit = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": N_("Items a page (default 50; larger values are capped at 200).")},
    )


class OutletQuerySchema(PageQuerySchema):
    district = fields.String(
        validate=validate.OneOf(sorted(DISTRICT_CODES)),
        metadata={"description": N_("A district's two-letter code.")},
    )


class CertificateQuerySchema(OutletQuerySchema):
    level = fields.String(validate=validate.OneOf(LEVELS), metadata={"description": N_("district or city.")})
    status = fields.String(
        validate=validate.OneOf(STATES),
        metadata={"description": N_("valid, expired, revoked or superseded (without a token: valid only).")},
    )
    updated_since = fields.AwareDateTime(
        default_timezone=UTC,
        metadata={
            "description": N_("Only certificates changed at or after this time (ISO 8601; no zone: UTC).")
        },
    )
