"""The documentation page's reading of the OpenAPI document: pure, from the dict spec.py builds."""

from dataclasses import dataclass

REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class FieldRow:
    name: str  # dotted for nested objects, [] for lists: outlet.name, checks[].result
    kind: str  # string, integer, date, ... ; "null" allowed is said by `nullable`
    description: str
    required: bool
    nullable: bool
    choices: tuple[str, ...] = ()


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].removeprefix(REF_PREFIX)]
    return schema


def _kinds(schema: dict) -> tuple[str, bool]:
    declared = schema.get("type", "object")
    kinds = [declared] if isinstance(declared, str) else list(declared)
    nullable = "null" in kinds
    kinds = [k for k in kinds if k != "null"] or ["object"]
    kind = kinds[0]
    if schema.get("format") in ("date", "date-time", "url"):
        kind = schema["format"]
    return kind, nullable


def field_rows(spec: dict, schema: dict, prefix: str = "") -> list[FieldRow]:
    """Every field of a response, nested ones under their parent's name, in the schema's order."""
    schema = _resolve(spec, schema)
    rows = []
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        nullable_ref = None
        if "anyOf" in prop or "oneOf" in prop:  # a nested object that may be null
            options = prop.get("anyOf") or prop.get("oneOf")
            nullable_ref = next((o for o in options if "$ref" in o), None)
        target = _resolve(spec, nullable_ref or prop)
        kind, nullable = _kinds(target if nullable_ref is None else {"type": ["object", "null"]})
        nullable = nullable or "null" in str(prop.get("type", ""))
        description = prop.get("description") or target.get("description", "")
        full = f"{prefix}{name}"
        if kind == "array":
            item = _resolve(spec, target.get("items", {}))
            rows.append(FieldRow(full, "array", description, name in required, nullable))
            if item.get("properties"):
                rows += field_rows(spec, item, f"{full}[].")
            continue
        rows.append(
            FieldRow(full, kind, description, name in required, nullable, tuple(target.get("enum", ())))
        )
        if target.get("properties"):
            rows += field_rows(spec, target, f"{full}.")
    return rows


def response_schema(operation: dict) -> dict | None:
    content = operation["responses"]["200"].get("content", {})
    return next((media.get("schema") for media in content.values() if media.get("schema")), None)
