"""The OpenAPI document covers every /api/v1 route and says what the endpoints answer (their real
answers validate against it); the documentation page renders it in Chinese and English, with
nothing from a CDN; every API address answers JSON, errors too."""

import pytest
from jsonschema import Draft202012Validator

from outlet_audit.access import rule_for_endpoint
from outlet_audit.api.auth import API_SCOPE_ATTRIBUTE
from outlet_audit.api.spec import API_PREFIX, openapi_path
from tests.api.helpers import bearer, make_token
from tests.certificate_helpers import make_certified


@pytest.fixture
def spec(client, ctx):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def api_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIX + "/")]


def test_every_api_route_is_in_the_document(app, spec):
    rules = api_rules(app)
    assert len(rules) >= 8
    missing = [rule.rule for rule in rules if openapi_path(rule.rule) not in spec["paths"]]
    assert missing == [], f"/api/v1 routes missing from the OpenAPI document (add @documented): {missing}"
    assert len(spec["paths"]) == len(rules)


def test_every_api_route_is_public_and_declares_its_token_scope(app):
    """The one rule: @public for the deny-by-default check, then @api_read says the scope."""
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        assert rule_for_endpoint(app, rule.endpoint).public, rule.endpoint
        assert hasattr(view, API_SCOPE_ATTRIBUTE), f"{rule.endpoint} lacks @api_read"
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.endpoint  # a read API


def test_the_document_is_well_formed(spec):
    assert spec["openapi"] == "3.1.0" and spec["info"]["version"]
    assert spec["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["token"]["description"],
    }
    assert spec["x-scopes"] == ["certificates:read", "outlets:read", "campaigns:read"]
    schemas = spec["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(spec):
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in spec["components"][kind], ref
    for path, item in spec["paths"].items():
        operation = item["get"]
        assert operation["summary"] and operation["operationId"] and "200" in operation["responses"], path
        declared = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert declared == {part[1:-1] for part in path.split("/") if part.startswith("{")}, path


def conforms(spec, component: str, body) -> None:
    validator = Draft202012Validator(
        {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    )
    errors = [f"{list(error.path)}: {error.message}" for error in validator.iter_errors(body)]
    assert errors == [], errors


def test_real_answers_follow_the_document(client, ctx, spec):
    certified = make_certified()
    token = make_token("FX")
    for headers in ({}, bearer(token)):
        conforms(spec, "CertificatePage", client.get("/api/v1/certificates", headers=headers).get_json())
        number = certified.certificate.number
        conforms(
            spec, "Certificate", client.get(f"/api/v1/certificates/{number}", headers=headers).get_json()
        )
        conforms(spec, "OutletPage", client.get("/api/v1/outlets", headers=headers).get_json())
        outlet = client.get(f"/api/v1/outlets/{certified.outlet.id}", headers=headers).get_json()
        conforms(spec, "Outlet", outlet)
        conforms(spec, "CampaignPage", client.get("/api/v1/campaigns", headers=headers).get_json())
    conforms(spec, "Error", client.get("/api/v1/certificates/WFKD-2026-FX-Q-9999").get_json())


@pytest.mark.parametrize(
    "method, url, code",
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v1/certificates/not-a-number", 404),
        ("GET", "/api/v1/campaigns/" + "x" * 50, 404),
        ("POST", "/api/v1/certificates", 405),
        ("DELETE", "/api/v1/outlets/1", 405),
    ],
)
def test_every_api_answer_is_json(client, ctx, method, url, code):
    response = client.open(url, method=method, headers={"Accept": "text/html"})
    assert response.status_code == code and response.mimetype == "application/json"
    assert set(response.get_json()) == {"status", "message"}


def test_the_documentation_page_in_chinese_and_english(client, ctx, spec):
    chinese = client.get("/api/v1/docs")
    page = chinese.get_data(as_text=True)
    assert chinese.status_code == 200 and chinese.mimetype == "text/html"
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page, path
    for shown in (
        "API 文档",
        "分页",
        "请求频率限制",
        "certificates:read",
        "Authorization: Bearer",
        "updated_since",
        "X-OA-Signature",  # the webhooks' section: how a delivery is signed and checked
        "certificate.revoked",
    ):
        assert shown in page, shown
    assert "swagger" not in page.lower() and "redoc" not in page.lower()
    assert all(src.startswith("/") for src in _script_sources(page))  # nothing from another site
    assert 'href="http' not in page.replace('href="http://localhost', "")
    client.post("/language", data={"locale": "en"})
    english = client.get("/api/v1/docs").get_data(as_text=True)
    for shown in (
        "API documentation",
        "Paging",
        "Rate limits",
        "List certificates",
        "Response fields",
        "Webhooks",
        "Certificate superseded",
    ):
        assert shown in english, shown


def _script_sources(page: str) -> list[str]:
    import re

    return re.findall(r'<script[^>]+src="([^"]+)"', page)
