"""The OpenAPI document as clients are generated from it.

FastAPI writes most of it from the routes and the models; this module adds what it cannot
know: the bearer schemes, an example on every request and 2xx body (built from the
examples its fields carry), and the removal of the 422 FastAPI declares on every operation
that takes parameters, which Relance never sends (a request it cannot read is a 400 in the
dialect's error body, declared by each route).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic.alias_generators import to_camel

# Values for what a field's type and format say enough about.
_FORMAT_EXAMPLES = {
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "date-time": "2024-01-15T10:30:00.000Z",
    "email": "john.doe@example.com",
}
# Values for fields whose type says too little, by wire name ("Model.field" first), in the
# vendor's spirit; a field's own example wins.
_FIELD_EXAMPLES: dict[str, Any] = {
    "CreateSequenceDto.name": "Q4 outreach",
    "UpdateSequenceDto.name": "Q4 outreach",
    "SequenceDto.name": "Q4 outreach",
    "CreateOrganizationDto.name": "Acme",
    "OrganizationDto.name": "Acme",
    "CreateApiKeyDto.name": "CRM sync",
    "ApiKeyDto.name": "CRM sync",
    "name": "Sales",
    "firstName": "John",
    "lastName": "Doe",
    "email": "john.doe@example.com",
    "company": "Acme Corp",
    "CreateContactDto.phoneNumbers": ["06 12 34 56 78"],
    "UpdateContactDto.phoneNumbers": ["06 12 34 56 78"],
    "number": "+33612345678",
    "label": "hot-lead",
    "recordingUrl": "https://recordings.example.com/calls/42.mp3",
    "key": "sk_live_0123456789abcdef0123456789abcdef",
    "mode": "live",
    "filter": {"field": "phoneCountry", "op": "in", "value": ["FR", "BE"]},
    "durationSeconds": 150,
    "contactCount": 150,
}
_COMPONENTS = "#/components/schemas/"
_UNUSED_BY_RELANCE = ("HTTPValidationError", "ValidationError")


def operation_id(route: APIRoute) -> str:
    """Operations without a vendor operationId: their function's name in camelCase."""
    return to_camel(route.name)


def install(app: FastAPI) -> None:
    """Serve the document completed by this module (built once, on first request)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if not app.openapi_schema:
            document = build()
            _name_components_by_title(document)
            _declare_bearer_security(document)
            _drop_validation_error_responses(document)
            _add_examples(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, operation)
        for path, operations in document["paths"].items()
        for operation in operations.values()
    ]


def _name_components_by_title(document: dict[str, Any]) -> None:
    """Components under their model's title: ``Page[CallDto]`` is ``CallPageDto`` (its
    ``model_parametrized_name``), not ``Page_CallDto_``."""
    schemas = document.get("components", {}).get("schemas", {})
    renamed = {
        name: schema["title"]
        for name, schema in schemas.items()
        if schema.get("title") not in (None, name) and schema["title"] not in schemas
    }
    if not renamed:
        return
    document["components"]["schemas"] = {renamed.get(k, k): v for k, v in schemas.items()}

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_COMPONENTS):
                node["$ref"] = _COMPONENTS + renamed.get(
                    ref[len(_COMPONENTS) :], ref[len(_COMPONENTS) :]
                )
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    rewrite(document)


def _declare_bearer_security(document: dict[str, Any]) -> None:
    """The API key as a bearer scheme on every /v1 and /opencx operation, as the vendor's
    spec has it; the admin token on /admin."""
    document.setdefault("components", {})["securitySchemes"] = {
        "ApiKey": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "API Key",
            "description": "Enter your API Key (sk_live_xxx or sk_test_xxx)",
        },
        "AdminToken": {"type": "http", "scheme": "bearer"},
    }
    for path, operation in _operations(document):
        if path.startswith(("/v1", "/opencx")):
            operation["security"] = [{"ApiKey": []}]
        elif path.startswith("/admin"):
            operation["security"] = [{"AdminToken": []}]


def _drop_validation_error_responses(document: dict[str, Any]) -> None:
    for _, operation in _operations(document):
        operation["responses"].pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    for name in _UNUSED_BY_RELANCE:
        schemas.pop(name, None)


def _add_examples(document: dict[str, Any]) -> None:
    """An example on every JSON request body and 2xx response that has none."""
    schemas = document.get("components", {}).get("schemas", {})
    for _, operation in _operations(document):
        bodies = [operation.get("requestBody", {})] + [
            response for status, response in operation["responses"].items() if status[0] == "2"
        ]
        for body in bodies:
            media = body.get("content", {}).get("application/json")
            if media is not None and "example" not in media and "schema" in media:
                media["example"] = example_of(media["schema"], schemas)


def example_of(
    schema: dict[str, Any], schemas: dict[str, Any], *, name: str = "", owner: str = ""
) -> Any:
    """A value of ``schema`` (field ``name`` of component ``owner``): its own example, else
    the one the table gives its name, else one its type and format determine. The filter
    grammar, recursive, stops at its first alternative."""
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    for known in (f"{owner}.{name}", name):
        if known in _FIELD_EXAMPLES:
            return _FIELD_EXAMPLES[known]
    if "$ref" in schema:
        component = schema["$ref"].rsplit("/", 1)[1]
        return example_of(schemas[component], schemas, name=name, owner=component)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [o for o in schema[combined] if o.get("type") != "null"]
            return example_of(options[0], schemas, name=name, owner=owner) if options else None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            field: example_of(value, schemas, name=field, owner=owner)
            for field, value in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [example_of(schema.get("items", {}), schemas, owner=owner)]
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if kind == "string":
        return _FORMAT_EXAMPLES.get(schema.get("format", ""), "string")
    return None
