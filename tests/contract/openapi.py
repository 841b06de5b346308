"""Validate JSON instances against Xero's official OpenAPI files (tests/contract/xero-openapi).

Generic on purpose: tests of the sandbox's answers and of the requests the client sends both use
it. OpenAPI 3.0 schemas are validated as JSON Schema draft 4 (which 3.0's "Schema Object" is
based on: ``$ref`` siblings are ignored, ``exclusiveMinimum`` is a boolean), plus:

- ``nullable: true`` lets ``null`` through;
- ``x-*`` keys, ``example``, ``readOnly`` ... are unknown keywords and so ignored;
- formats are checked: ``uuid`` strictly (8-4-4-4-12 hex), ``date``, ``int32``/``int64`` ranges,
  and ``date-time`` as RFC 3339 **or** Xero's zone-less UTC form ``YYYY-MM-DDTHH:MM:SS(.fff...)``:
  Xero's own /Connections example (``2019-12-07T18:46:19.5165400``) has no zone;
- ``forbid_additional=True`` also rejects properties a schema does not declare (unless the schema
  says ``additionalProperties``): catches misspelt field names. It does not combine with allOf.

``$ref`` s (``#/components/schemas/X``, ``#/components/responses/X`` ...) resolve lazily through a
``referencing`` registry holding the whole document; parsed files are cached per process.

Paths are matched case-insensitively (Xero's URL is /connections, the spec says /Connections),
with ``{param}`` templates, and with or without the server's base path (``/api.xro/2.0``).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ENV_DIR = "MAICA_XERO_OPENAPI_DIR"
IDENTITY = "xero-identity.yaml"
ACCOUNTING = "xero_accounting.yaml"
WEBHOOKS = "xero-webhooks.yaml"

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?"
)


def spec_dir() -> Path:
    """``$MAICA_XERO_OPENAPI_DIR``, else the project's own copy beside this module."""
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent / "xero-openapi"


def load_spec(name: str) -> dict[str, Any]:
    """The parsed YAML file ``name`` (e.g. ``xero-identity.yaml``), cached per folder."""
    return _load(str(spec_dir()), name)


@functools.cache
def _load(folder: str, name: str) -> dict[str, Any]:
    with open(Path(folder) / name, encoding="utf-8") as fh:
        # The C loader when PyYAML has it: the accounting file is 900 KB.
        if hasattr(yaml, "CSafeLoader"):
            data = yaml.load(fh, Loader=yaml.CSafeLoader)
        else:
            data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{name} is not an OpenAPI document")
    return data


def _uri(name: str) -> str:
    return f"urn:xero-openapi:{name}"


def _registry(name: str) -> Registry[Any]:
    return _registry_for(str(spec_dir()), name)


@functools.cache
def _registry_for(folder: str, name: str) -> Registry[Any]:
    resource: Resource[Any] = DRAFT4.create_resource(_load(folder, name))
    registry: Registry[Any] = Registry().with_resource(_uri(name), resource)
    return registry


# -- formats -----------------------------------------------------------------------------------

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uuid")
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or _UUID.fullmatch(value) is not None


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    found = _DATE_TIME.fullmatch(value)
    if found is None:
        return False
    datetime.fromisoformat(f"{found.group(1)}T{found.group(2)}")  # real date and time?
    return True


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None and bool(date.fromisoformat(value))


@FORMATS.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


# -- validator classes -------------------------------------------------------------------------

_draft4_type = Draft4Validator.VALIDATORS["type"]
_draft4_properties = Draft4Validator.VALIDATORS["properties"]


def _type(validator: Any, types: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if instance is None and schema.get("nullable") is True:
        return
    yield from _draft4_type(validator, types, instance, schema)


def _strict_properties(
    validator: Any, properties: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    yield from _draft4_properties(validator, properties, instance, schema)
    if not validator.is_type(instance, "object"):
        return
    if "additionalProperties" in schema or "patternProperties" in schema:
        return
    extra = sorted(set(instance) - set(properties))
    if extra:
        yield ValidationError(f"undeclared properties: {', '.join(extra)}")


OpenApi30Validator: type[Validator] = extend(Draft4Validator, {"type": _type})
StrictOpenApi30Validator: type[Validator] = extend(
    OpenApi30Validator, {"properties": _strict_properties}
)


def _absolute_refs(node: Any, name: str) -> Any:
    """A copy of an inline schema whose local ``$ref`` s point into the document ``name``."""
    if isinstance(node, dict):
        out = {k: _absolute_refs(v, name) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = _uri(name) + ref
        return out
    if isinstance(node, list):
        return [_absolute_refs(v, name) for v in node]
    return node


def validator_for(
    spec: str, schema: Mapping[str, Any], *, forbid_additional: bool = False
) -> Validator:
    """A validator for ``schema`` of ``spec``: inline, or ``{"$ref": "#/components/..."}``."""
    cls = StrictOpenApi30Validator if forbid_additional else OpenApi30Validator
    return cls(_absolute_refs(dict(schema), spec), registry=_registry(spec), format_checker=FORMATS)


def errors(
    spec: str, schema: Mapping[str, Any], instance: Any, *, forbid_additional: bool = False
) -> list[str]:
    """Every validation error as ``path: message`` (empty when the instance is valid)."""
    validator = validator_for(spec, schema, forbid_additional=forbid_additional)
    found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def assert_valid(
    spec: str, schema: Mapping[str, Any], instance: Any, *, forbid_additional: bool = False
) -> None:
    problems = errors(spec, schema, instance, forbid_additional=forbid_additional)
    if problems:
        raise AssertionError(f"not valid against {spec}:\n  " + "\n  ".join(problems))


def component(spec: str, name: str) -> dict[str, Any]:
    """``{"$ref": ...}`` to ``#/components/schemas/<name>`` (KeyError if there is none)."""
    schemas = load_spec(spec).get("components", {}).get("schemas", {})
    if name not in schemas:
        raise KeyError(f"{spec} has no schema {name!r}")
    return {"$ref": f"#/components/schemas/{name}"}


def validate(
    spec: str, instance: Any, schema_name: str, *, forbid_additional: bool = False
) -> None:
    """Assert ``instance`` is a valid ``components/schemas/<schema_name>`` of ``spec``."""
    assert_valid(spec, component(spec, schema_name), instance, forbid_additional=forbid_additional)


# -- operations --------------------------------------------------------------------------------


def _resolve_local(spec: str, node: Any) -> Any:
    """Follow a ``$ref`` to another part of the same document (responses, requestBodies ...)."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        target: Any = load_spec(spec)
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _base_path(spec: str) -> str:
    servers = load_spec(spec).get("servers") or [{}]
    return urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")


def find_path(spec: str, path: str) -> str:
    """The spec's path key for ``path``: a template (``/Connections/{id}``) or a concrete path
    (``/connections/7cb5...``), case-insensitive, with or without the server base path."""
    paths: dict[str, Any] = load_spec(spec).get("paths", {})
    wanted = urlsplit(path).path.rstrip("/") or "/"
    base = _base_path(spec)
    candidates = [wanted]
    if base and wanted.lower().startswith(base.lower() + "/"):
        candidates.append(wanted[len(base) :])
    for candidate in candidates:
        for key in paths:
            if key.lower() == candidate.lower():
                return key
        for key in paths:
            pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(key))
            if re.fullmatch(pattern, candidate, re.IGNORECASE):
                return key
    raise KeyError(f"{spec} describes no path {path!r}")


def operation(spec: str, path: str, method: str) -> dict[str, Any]:
    item = load_spec(spec)["paths"][find_path(spec, path)]
    op = item.get(method.lower())
    if method.lower() not in _METHODS or not isinstance(op, dict):
        raise KeyError(f"{spec} describes no {method.upper()} {path}")
    return op


def response_statuses(spec: str, path: str, method: str) -> set[str]:
    return {str(code) for code in operation(spec, path, method).get("responses", {})}


def response_schema(
    spec: str, path: str, method: str, status: int | str, content_type: str = "application/json"
) -> dict[str, Any] | None:
    """The schema of a listed response (None when it has no body). KeyError if the spec does
    not list ``status`` (nor a ``default``) for the operation."""
    responses = operation(spec, path, method).get("responses", {})
    found = responses.get(
        str(status), responses.get(int(status)) if str(status).isdigit() else None
    )
    if found is None:
        found = responses.get("default")
    if found is None:
        raise KeyError(f"{spec}: {method.upper()} {path} lists no response {status}")
    content = _resolve_local(spec, found).get("content") or {}
    media = content.get(content_type)
    return None if media is None else media.get("schema")


def request_body_schema(
    spec: str, path: str, method: str, content_type: str = "application/json"
) -> dict[str, Any] | None:
    body = _resolve_local(spec, operation(spec, path, method).get("requestBody"))
    if not body:
        return None
    media = (body.get("content") or {}).get(content_type)
    return None if media is None else media.get("schema")


def validate_response(
    spec: str,
    path: str,
    method: str,
    status: int,
    instance: Any,
    *,
    forbid_additional: bool = False,
) -> None:
    """Assert a response body is what the spec lists for ``status``."""
    schema = response_schema(spec, path, method, status)
    if schema is None:
        raise AssertionError(f"{spec}: {method.upper()} {path} {status} has no JSON body")
    assert_valid(spec, schema, instance, forbid_additional=forbid_additional)
