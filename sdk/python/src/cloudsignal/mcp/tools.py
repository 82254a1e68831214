"""Tools from the OpenAPI document: one per management operation, named by its operationId, whose
input schema merges the operation's path and query parameters with its JSON body's fields (every
`$ref` inlined, read-only fields left out, OpenAPI's `nullable` spelled as JSON Schema types)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import quote

# The operations offered as tools, by operationId (others, e.g. auth providers or event streams,
# stay with the CLI and SDK).
TOOL_OPERATIONS = (
    "users_list", "users_get", "users_create", "users_update", "users_delete", "users_terminate",
    "acl_rules_list", "acl_rules_get", "acl_rules_create", "acl_rules_update", "acl_rules_delete",
    "acl_rule_sets_list", "acl_rule_sets_get", "acl_rule_sets_create", "acl_rule_sets_update",
    "acl_rule_sets_delete", "acl_check", "acl_policy_get", "acl_policy_apply",
    "publish_message", "publish_batch",
    "sessions_list", "sessions_history", "sessions_get", "sessions_disconnect",
    "api_keys_list", "api_keys_get", "api_keys_create", "api_keys_update", "api_keys_rotate", "api_keys_delete",
    "tokens_create", "organization_get", "organization_update", "organization_usage",
    "events_list", "audit_access", "audit_state",
)
# POSTs that change nothing, and operations that remove or replace something.
READ_ONLY_POSTS = {"acl_check"}
DESTRUCTIVE = {"users_terminate", "sessions_disconnect", "api_keys_rotate", "acl_policy_apply"}
# What each tool is for when an agent has to choose, beyond the operation's summary.
HINTS = {
    "sessions_list": "Presence: who is connected now (status=active) or has a persistent session.",
    "sessions_get": "Presence of one client: whether it is connected, since when, from where.",
    "acl_check": "Ask before changing rules: would this user be allowed to publish or subscribe to this topic?",
    "audit_access": "Audit question: could this user publish or subscribe to this topic at that moment, and why?",
    "audit_state": "Audit question: the users, rules, rule sets and keys as they were at a moment.",
    "events_list": "Audit question: who changed what, when, in which request.",
    "acl_policy_apply": "Replaces ALL rules and rule sets with the given policy; use dry_run=true first and "
                        "show the plan.",
}
NULL = {"type": "null"}


@dataclass
class ToolSpec:
    name: str
    method: str
    path: str
    title: str
    description: str
    scope: Optional[str]
    input_schema: dict[str, Any]
    read_only: bool
    destructive: bool
    idempotent: bool
    path_params: list[str] = field(default_factory=list)
    query_params: list[str] = field(default_factory=list)
    body_fields: Optional[list[str]] = None  # None: no body; the fields taken from the arguments otherwise


def build_tools(document: dict[str, Any], scopes: Optional[set[str]]) -> list[ToolSpec]:
    """The tools for a key with `scopes` (None: every scope, a secret key)."""
    tools = []
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or operation.get("operationId") not in TOOL_OPERATIONS:
                continue
            scope = operation.get("x-required-scope")
            if scopes is not None and scope is not None and scope not in scopes:
                continue
            tools.append(_tool(document, path, method, operation, item.get("parameters", [])))
    order = {name: index for index, name in enumerate(TOOL_OPERATIONS)}
    return sorted(tools, key=lambda tool: order[tool.name])


def _tool(document: dict[str, Any], path: str, method: str, operation: dict[str, Any],
          shared: list[dict[str, Any]]) -> ToolSpec:
    name = operation["operationId"]
    properties: dict[str, Any] = {}
    required: list[str] = []
    path_params, query_params = [], []
    for parameter in [*shared, *operation.get("parameters", [])]:
        parameter = _resolve(document, parameter)
        if parameter.get("in") not in ("path", "query"):
            continue  # headers (request id, idempotency key) are the server's business
        schema = json_schema(document, parameter.get("schema", {"type": "string"}))
        if parameter.get("description"):
            schema["description"] = parameter["description"]
        properties[parameter["name"]] = schema
        if parameter["in"] == "path":
            path_params.append(parameter["name"])
            required.append(parameter["name"])
        else:
            query_params.append(parameter["name"])
            if parameter.get("required"):
                required.append(parameter["name"])
    body_fields = None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content:
        body = json_schema(document, content.get("schema", {}), writing=True)
        body_fields = list(body.get("properties", {}))
        for field_name, schema in body.get("properties", {}).items():
            properties[field_name] = schema
        required += [name_ for name_ in body.get("required", []) if name_ in properties]
    read_only = method == "get" or name in READ_ONLY_POSTS
    destructive = not read_only and (method in ("delete", "patch", "put") or name in DESTRUCTIVE)
    summary = operation.get("summary", name)
    parts = [summary + ".", HINTS.get(name, ""), (operation.get("description") or "").split("\n\n**Scope")[0]]
    if destructive:
        parts.insert(0, "DESTRUCTIVE:")
    if operation.get("x-required-scope"):
        parts.append(f"Needs the {operation['x-required-scope']} scope.")
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = sorted(set(required), key=required.index)
    return ToolSpec(
        name=name, method=method.upper(), path=path, title=summary,
        description=" ".join(part.strip() for part in parts if part and part.strip()),
        scope=operation.get("x-required-scope"), input_schema=schema, read_only=read_only,
        destructive=destructive, idempotent=method in ("get", "put", "delete") or name in READ_ONLY_POSTS,
        path_params=path_params, query_params=query_params, body_fields=body_fields,
    )


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def json_schema(document: dict[str, Any], schema: dict[str, Any], writing: bool = False, depth: int = 0) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as a self-contained JSON Schema (refs inlined, readOnly fields dropped
    when `writing`, `nullable` as a type union, OpenAPI-only keywords removed)."""
    if depth > 20:
        return {}
    schema = _resolve(document, schema)
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("readOnly", "writeOnly", "example", "nullable", "discriminator", "xml", "externalDocs") \
                or key.startswith("x-"):
            continue
        if key == "properties":
            result[key] = {name: json_schema(document, sub, writing, depth + 1) for name, sub in value.items()
                           if not (writing and _resolve(document, sub).get("readOnly"))}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            result[key] = json_schema(document, value, writing, depth + 1)
        elif key in ("allOf", "anyOf", "oneOf"):
            result[key] = [json_schema(document, sub, writing, depth + 1) for sub in value]
        else:
            result[key] = copy.deepcopy(value)
    if writing and "required" in result:
        result["required"] = [name for name in result["required"] if name in result.get("properties", {})]
        if not result["required"]:
            del result["required"]
    if schema.get("nullable"):
        if "type" in result:
            result["type"] = [result["type"], "null"] if isinstance(result["type"], str) else [*result["type"], "null"]
        if "enum" in result and None not in result["enum"]:
            result["enum"] = [*result["enum"], None]
        if "allOf" in result:
            result = {"anyOf": [result, NULL]}
    return result


def request_of(tool: ToolSpec, arguments: dict[str, Any]) -> tuple[str, Optional[dict[str, Any]], Optional[dict[str, Any]]]:
    """(path, query, body) for calling `tool` with `arguments` (already validated)."""
    path = tool.path
    for name in tool.path_params:
        path = path.replace("{" + name + "}", quote(str(arguments[name]), safe=""))
    query = {name: arguments[name] for name in tool.query_params if arguments.get(name) is not None}
    body = None
    if tool.body_fields is not None:
        body = {name: arguments[name] for name in tool.body_fields if name in arguments}
    return path, query or None, body
