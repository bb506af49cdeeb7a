"""The discovery documents bundled with google-api-python-client, and a validator.

``validate_response(method_id, body)`` checks a JSON response against the schema
the method's discovery entry names as its ``response.$ref``: JSON types
(``format: int64`` values are strings of digits, ``date-time`` is RFC 3339,
``date`` is YYYY-MM-DD), enums, ``items``, ``additionalProperties`` and nested
``$ref``. A property the schema does not define is an error: that is what keeps
the emulator from drifting away from what Google can send.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from googleapiclient.discovery_cache import get_static_doc

APIS = {"calendar": "v3", "drive": "v3", "docs": "v1"}
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT64 = re.compile(r"^-?\d+$")


@functools.cache
def discovery(api: str, version: str) -> dict[str, Any]:
    """The bundled discovery document of ``api`` ``version``."""
    text = get_static_doc(api, version)
    if text is None:
        raise LookupError(f"no bundled discovery document for {api} {version}")
    return dict(json.loads(text))


@functools.cache
def methods(api: str) -> dict[str, dict[str, Any]]:
    """Every method of ``api`` by its id (``calendar.events.list``)."""
    found: dict[str, dict[str, Any]] = {}

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                found[method["id"]] = method
            walk(resource.get("resources", {}))

    walk(discovery(api, APIS[api]).get("resources", {}))
    return found


def method(method_id: str) -> dict[str, Any]:
    """The discovery entry of ``method_id``; KeyError if the API has no such method."""
    return methods(method_id.split(".")[0])[method_id]


def validate_response(method_id: str, body: Any) -> list[str]:
    """Where ``body`` breaks the schema of ``method_id``'s response (empty if nowhere)."""
    api = method_id.split(".")[0]
    ref = method(method_id).get("response", {}).get("$ref")
    if ref is None:
        return [] if body in (None, b"", "") else [f"{method_id} has no JSON response"]
    return validate(body, api, ref)


def validate(value: Any, api: str, ref: str) -> list[str]:
    """Where ``value`` breaks the schema named ``ref`` of ``api``."""
    errors: list[str] = []
    _check(value, {"$ref": ref}, discovery(api, APIS[api])["schemas"], ref, errors)
    return errors


def _check(
    value: Any, schema: dict[str, Any], schemas: dict[str, Any], path: str, errors: list[str]
) -> None:
    if "$ref" in schema:
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        _check_object(value, schema, schemas, path, errors)
    elif kind == "array":
        if not isinstance(value, list):
            errors.append(f"{path}: expected an array, got {value!r}")
            return
        for number, item in enumerate(value):
            _check(item, schema.get("items", {}), schemas, f"{path}[{number}]", errors)
    elif kind == "string":
        _check_string(value, schema, path, errors)
    elif kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "number":
        if not isinstance(value, int | float) or isinstance(value, bool):
            errors.append(f"{path}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
    elif kind not in (None, "any"):
        errors.append(f"{path}: unknown schema type {kind}")


def _check_object(
    value: Any, schema: dict[str, Any], schemas: dict[str, Any], path: str, errors: list[str]
) -> None:
    if not isinstance(value, dict):
        errors.append(f"{path}: expected an object, got {value!r}")
        return
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        if key in properties:
            _check(item, properties[key], schemas, f"{path}.{key}", errors)
        elif extra is not None:
            _check(item, extra, schemas, f"{path}[{key!r}]", errors)
        else:
            errors.append(f"{path}: unknown property {key!r}")


def _check_string(value: Any, schema: dict[str, Any], path: str, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append(f"{path}: expected a string, got {value!r}")
        return
    form = schema.get("format")
    patterns = {"int64": _INT64, "uint64": _INT64, "date-time": _DATE_TIME, "date": _DATE}
    pattern = patterns.get(str(form))
    if pattern is not None and not pattern.match(value):
        errors.append(f"{path}: {value!r} is not a valid {form}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} is not one of {schema['enum']}")
