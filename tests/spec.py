"""The vendor specs in ../shared/spec, read as JSON Schema.

Their OpenAPI 3.0 generator writes a nullable string (``string | null`` in the vendor's
code) as ``type: object, nullable: true`` with a string example, e.g. ``firstName: John``.
Taken literally, that would require the vendor's own example responses to send objects.
``vendor_schema`` reads such a field's type from its example, and ``nullable`` as a union
with null; nothing else is loosened.
"""

import copy
import os
from functools import cache
from pathlib import Path

import yaml

# The vendor documents live in shared/, beside the project's root.
SPEC_DIR = Path(
    os.environ.get("RELANCE_SPEC_DIR", Path(__file__).resolve().parents[2] / "shared" / "spec")
)

_TYPE_OF_EXAMPLE = {str: "string", bool: "boolean", int: "number", float: "number", list: "array"}


@cache
def load(name: str) -> dict:
    return yaml.safe_load((SPEC_DIR / name).read_text())


def normalized(name: str) -> dict:
    """The whole spec with the generator's nullable fields read as described above."""
    spec = copy.deepcopy(load(name))
    _normalize(spec)
    return spec


def _normalize(node: object) -> None:
    if isinstance(node, dict):
        example = node.get("example")
        if node.get("type") == "object" and example is not None and type(example) in _TYPE_OF_EXAMPLE:
            node["type"] = _TYPE_OF_EXAMPLE[type(example)]
        for value in node.values():
            _normalize(value)
    elif isinstance(node, list):
        for value in node:
            _normalize(value)


def response_schema(name: str, path: str, method: str, status: int) -> dict:
    """A documented response body schema as a self-contained JSON Schema (draft 4 style)."""
    spec = normalized(name)
    operation = spec["paths"][path][method]
    schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**_to_json_schema(schema, spec), "definitions": {}}


def _to_json_schema(node: object, spec: dict) -> object:
    if isinstance(node, list):
        return [_to_json_schema(v, spec) for v in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _to_json_schema(target, spec)
    result = {k: _to_json_schema(v, spec) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        result = {"anyOf": [result, {"type": "null"}]}
    return result
