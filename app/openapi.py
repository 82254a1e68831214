"""The public OpenAPI document, finished in one place so that an agent or a generator can drive
the API from it alone.

flask-smorest builds the document from the blueprints; `enrich()` then adds, for every operation:
an `operationId` (`users_create` style), the scope it needs, the `X-Request-Id` and
`Idempotency-Key` (POST) parameters, every error reply with its JSON shape and codes, the
rate-limit headers, and an example for every request and response body (`app.openapi_examples`).
It also drops the broker's `/internal/*` routes (served by the internal instance only) and adds
the document-level introduction, tag descriptions and `servers`. No route file needs to know.
"""

import copy
import http
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

from app.openapi_examples import REQUESTS, RESPONSES, T0, TEXT_RESPONSES

METHODS = ("get", "put", "post", "patch", "delete")
WRITES = ("post", "put", "patch", "delete")

# operationIds that the general rule (noun from the path, verb from the method) would name badly.
OPERATION_IDS = {
    ("post", "/v2/publish"): "publish_message",
    ("post", "/v2/publish/batch"): "publish_batch",
    ("get", "/v2/organization"): "organization_get",
    ("patch", "/v2/organization"): "organization_update",
    ("get", "/v2/organization/usage"): "organization_usage",
    ("post", "/v2/acl/check"): "acl_check",
    ("get", "/v2/acl/policy"): "acl_policy_get",
    ("post", "/v2/acl/policy"): "acl_policy_apply",
    ("delete", "/v2/sessions/{client_id}"): "sessions_disconnect",
    ("get", "/v2/sessions/history"): "sessions_history",
    ("post", "/v2/tokens"): "tokens_create",
    ("post", "/v2/tokens/exchange"): "tokens_exchange",
    ("post", "/v2/tokens/refresh"): "tokens_refresh",
    ("get", "/v2/events/stream"): "events_stream",
    ("get", "/v2/audit/access"): "audit_access",
    ("get", "/v2/audit/state"): "audit_state",
    ("get", "/v2/whoami"): "whoami",
}
ITEM_VERBS = {"get": "get", "put": "replace", "patch": "update", "delete": "delete", "post": "create"}
COLLECTION_VERBS = {"get": "list", "post": "create", "put": "replace", "patch": "update", "delete": "delete_all"}

# Every `error` code the public API answers with, by status: the contract clients switch on.
ERROR_CODES: Dict[int, Dict[str, str]] = {
    400: {
        "validation_error": "a field is invalid; `detail` maps each field to its problems",
        "invalid_json": "the body is not valid JSON",
        "invalid_content_type": "the body was not sent as `application/json`",
        "invalid_cursor": "`cursor` is not a `next_cursor` this API gave",
        "missing_claim": "token exchange: the identity token lacks a required claim",
        "provider_required": "token exchange: several providers exist; name one",
        "provider_ambiguous": "token exchange: several providers of the given type exist; name one",
    },
    401: {
        "missing_api_key": "no `Authorization: Bearer <key>` (or `X-Secret-Key`) header",
        "invalid_api_key": "the key is unknown",
        "api_key_revoked": "the key was revoked (or rotated)",
        "api_key_expired": "the key's `expires_at` has passed",
        "invalid_token": "token exchange: the identity token's signature or claims are wrong",
        "token_expired": "token exchange or refresh: the token or credentials have expired",
        "invalid_credentials": "token refresh: unknown temporary credentials or wrong password",
    },
    403: {
        "insufficient_scope": "a restricted key lacks the operation's scope (`detail.required_scope`)",
        "forbidden": "public keys may only exchange tokens and read the organization's id and name",
        "quota_exceeded": "the organization reached a quota (users, rules, rule sets, keys, providers)",
    },
    404: {
        "not_found": "no such user, rule, rule set, key, session or provider in this organization",
        "provider_not_found": "token exchange: no such auth provider",
    },
    405: {"method_not_allowed": "the path does not take this method"},
    409: {
        "conflict": "the name is taken, the resource is in use, or it changed meanwhile",
        "idempotency_key_reused": "this `Idempotency-Key` was used with a different request in the last 24 h",
        "idempotency_key_in_use": "a request with this `Idempotency-Key` is still being processed; retry",
    },
    413: {"request_too_large": "the body exceeds 1 MiB"},
    429: {
        "rate_limited": "the organization's requests per minute are used up; wait `Retry-After` seconds",
        "message_quota_exceeded": "HTTP publish: the organization's messages per minute are used up",
    },
    500: {"internal_error": "the service failed; quote `request_id`"},
    503: {
        "store_unavailable": "the event store is unreachable; nothing was changed, retry shortly",
        "broker_unavailable": "the broker is unreachable (publish, disconnect)",
        "broker_not_configured": "the deployment has no broker integration",
        "provider_unavailable": "token exchange: the provider's keys could not be fetched",
        "too_many_streams": "every event stream slot of this process is taken",
    },
    504: {"broker_timeout": "the broker did not acknowledge a QoS 1/2 publish within 5 s"},
}

RESPONSE_NAMES = {status: http.HTTPStatus(status).name for status in ERROR_CODES}

HEADERS = {
    "X-Request-Id": {"description": "The request's id (the one sent, or a new `req_...`); recorded on every "
                                    "event the request causes", "schema": {"type": "string"},
                     "example": "req_Zx8Kq2LmP4rT7vW1zAbC"},
    "X-RateLimit-Limit": {"description": "Requests per minute the organization may make (sent only when a "
                                         "limit applies)", "schema": {"type": "integer"}, "example": 6000},
    "X-RateLimit-Remaining": {"description": "Requests left in the current minute (sent only when a limit "
                                             "applies)", "schema": {"type": "integer"}, "example": 5983},
    "X-RateLimit-Reset": {"description": "When the window resets, in epoch seconds (sent only when a limit "
                                         "applies)", "schema": {"type": "integer"}, "example": 1738324860},
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}, "example": 12},
    "Idempotent-Replayed": {"description": "`true` when this reply is the stored reply of an earlier request "
                                           "with the same `Idempotency-Key`", "schema": {"type": "string"},
                            "example": "true"},
}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")

PARAMETERS = {
    "RequestId": {
        "in": "header", "name": "X-Request-Id", "required": False,
        "description": "Choose the request id (1-64 letters, digits, `.`, `_`, `-`); echoed back and recorded on "
                       "the events this request causes",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}, "example": "deploy-2025-01-31-01",
    },
    "IdempotencyKey": {
        "in": "header", "name": "Idempotency-Key", "required": False,
        "description": "Makes a POST safe to retry: for 24 hours, the same key with the same body (from the same "
                       "API key) gets the first reply again, with `Idempotent-Replayed: true`, and changes nothing; "
                       "the same key with a different body is 409 `idempotency_key_reused`. Use a random UUID per "
                       "operation. Replies with status 500 or more are not stored.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "example": "6f1c2b7e-3a94-4d0c-9a1e-5b2f8c7d4e10",
    },
}

TAGS = {
    "users": "MQTT users: the credentials devices and services connect with (`<username>@<org_id>`).",
    "acl": "Access rules of the organization, named rule sets, the access simulator, and the whole policy "
           "as one document (policy as code).",
    "api_keys": "API keys: secret (`sk_`), public (`pk_`) and restricted (`rk_`, with scopes).",
    "organization": "The caller's organization: name, settings, quotas and usage.",
    "sessions": "Who is connected (as the broker reports it), session history, and forcing clients off.",
    "publish": "HTTP publish: send MQTT messages without an MQTT connection.",
    "auth_providers": "Identity providers whose tokens can be exchanged for temporary MQTT credentials.",
    "tokens": "Token exchange and temporary MQTT credentials (`tok_...@org_...`).",
    "audit": "The event history: every change with its actor and request, and point-in-time questions.",
}

INTRODUCTION = """\
CloudSignal is a self-hosted MQTT platform: a Mosquitto broker whose users, access rules and keys
are managed through this API, and whose every change is an event with its actor and request id.

**Authentication.** Send `Authorization: Bearer <key>` (or `X-Secret-Key: <key>`). Secret keys
(`sk_`) may do everything; restricted keys (`rk_`) only what their scopes allow (each operation
names its scope in `x-required-scope`); public keys (`pk_`) may only exchange tokens and read the
organization's id and name.

**Errors** are JSON: `{"error": "<code>", "message": "...", "detail": ..., "request_id": "..."}`.
Each operation lists the statuses it can answer; each status lists its codes.

**Rate limits.** All keys of an organization share one pool of requests per minute. When a limit
applies, every reply carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`;
past it the reply is 429 with `Retry-After`.

**Retries.** Every POST takes an `Idempotency-Key` header: the same key and body within 24 hours
get the first reply again and change nothing.

**Lists** take `?limit=` (1-500, default 50) and `?cursor=` and answer
`{"data": [...], "next_cursor": null | "..."}`.

Documentation page: [/v2/docs](/v2/docs). For agents: [/llms.txt](/llms.txt).
"""


def enrich(document: Dict[str, Any], role: str = "public") -> Dict[str, Any]:
    """The document as served: a finished copy of what flask-smorest built."""
    spec = copy.deepcopy(document)
    if role == "public":
        spec["paths"] = {path: item for path, item in spec["paths"].items() if not path.startswith("/internal")}
    components = spec.setdefault("components", {})
    components.setdefault("parameters", {}).update(copy.deepcopy(PARAMETERS))
    components.setdefault("headers", {}).update(copy.deepcopy(HEADERS))
    _error_schema(components)
    _error_responses(components)
    spec["info"]["description"] = INTRODUCTION
    taken: Dict[str, str] = {}
    for path, method, operation in operations(spec):
        _finish_operation(spec, path, method, operation, taken)
    used_tags = {tag for _, _, operation in operations(spec) for tag in operation.get("tags", ())}
    spec["tags"] = [{**tag, "description": TAGS.get(tag["name"], tag.get("description", ""))}
                    for tag in spec.get("tags", []) if tag["name"] in used_tags]
    spec["servers"] = [{"url": "/", "description": "The deployment serving this document"}]
    return spec


def operations(spec: Dict[str, Any]) -> Iterator[Tuple[str, str, Dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def operation_id(method: str, path: str) -> str:
    """`users_create`, `acl_rules_get`, `api_keys_rotate`: the noun from the path's literal
    segments, the verb from the method (or the path's last segment after an id)."""
    if (method, path) in OPERATION_IDS:
        return OPERATION_IDS[(method, path)]
    parts = [part for part in path.split("/") if part and part != "v2"]
    literals = [part.replace("-", "_") for part in parts if not part.startswith("{")]
    if parts and parts[-1].startswith("{"):
        return "_".join(literals + [ITEM_VERBS[method]])
    if len(parts) >= 2 and parts[-2].startswith("{"):
        return "_".join(literals)
    return "_".join(literals + [COLLECTION_VERBS[method]])


def _finish_operation(spec: Dict[str, Any], path: str, method: str, operation: Dict[str, Any],
                      taken: Dict[str, str]) -> None:
    identifier = operation.get("operationId") or operation_id(method, path)
    while identifier in taken:  # a path the rule did not foresee: stay unique
        identifier += "_"
    taken[identifier] = path
    operation["operationId"] = identifier

    scope = operation.get("x-required-scope")
    authenticated = bool(operation.get("security"))
    if authenticated:
        keys = "Secret keys, or restricted keys with this scope"
        if operation.get("x-public-key"):
            keys += "; public keys too"
        note = f"**Scope:** `{scope}` ({keys})." if scope else "**Scope:** none (any secret or restricted key)."
        operation["description"] = "\n\n".join(filter(None, [operation.get("description"), note]))

    parameters = operation.setdefault("parameters", [])
    parameters.append({"$ref": "#/components/parameters/RequestId"})
    if method == "post":
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})

    responses = operation.setdefault("responses", {})
    errors = set()
    if authenticated:
        errors |= {401, 403, 429}
    if "requestBody" in operation:
        errors |= {400, 413}
    if any(p.get("in") == "query" for p in parameters if "$ref" not in p):
        errors.add(400)
    if method in WRITES:
        errors.add(503)
    if method == "post":
        errors |= {400, 409}  # a malformed Idempotency-Key; a reused one
    for status in sorted(errors):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/{RESPONSE_NAMES[status]}"})
    responses["default"] = {"$ref": "#/components/responses/DEFAULT_ERROR"}
    for status, response in responses.items():
        if status.isdigit() and int(status) < 400 and "$ref" not in response:
            _success_response(spec, operation, response, authenticated)
    operation["responses"] = dict(sorted(responses.items(), key=lambda item: (item[0] == "default", item[0])))

    body = operation.get("requestBody", {}).get("content", {})
    for media_type, content in body.items():
        if "example" not in content and "examples" not in content:
            example = REQUESTS.get(identifier)
            content["example"] = copy.deepcopy(example) if example is not None else sample(
                spec, content.get("schema", {}), writing=True)


def _success_response(spec: Dict[str, Any], operation: Dict[str, Any], response: Dict[str, Any],
                      authenticated: bool) -> None:
    headers = response.setdefault("headers", {})
    for name in ("X-Request-Id", *(RATE_HEADERS if authenticated else ())):
        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
    if operation.get("parameters") and any(p.get("$ref", "").endswith("/IdempotencyKey")
                                           for p in operation["parameters"]):
        headers.setdefault("Idempotent-Replayed", {"$ref": "#/components/headers/Idempotent-Replayed"})
    content = response.get("content")
    if content is None and "stream" in operation.get("operationId", ""):
        content = response["content"] = {"text/event-stream": {"schema": {"type": "string"}}}
    for media_type, media in (content or {}).items():
        if "example" in media or "examples" in media:
            continue
        if media_type in TEXT_RESPONSES:
            media["example"] = TEXT_RESPONSES[media_type]
        else:
            media["example"] = response_example(spec, media.get("schema", {}))


def response_example(spec: Dict[str, Any], schema: Dict[str, Any]) -> Any:
    name = _ref_name(schema)
    if name in RESPONSES:
        return copy.deepcopy(RESPONSES[name])
    if name and name.endswith("Page") and name[:-4] in RESPONSES:
        return {"data": [copy.deepcopy(RESPONSES[name[:-4]])], "next_cursor": None}
    return sample(spec, schema, writing=False)


def _ref_name(schema: Dict[str, Any]) -> Optional[str]:
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def _error_schema(components: Dict[str, Any]) -> None:
    schema = components.get("schemas", {}).get("Error")
    if schema is None:
        return
    codes = ", ".join(f"`{code}`" for table in ERROR_CODES.values() for code in table)
    schema["properties"]["error"]["description"] = f"Machine-readable code, one of: {codes}"
    schema["example"] = copy.deepcopy(RESPONSES["Error"])


def _error_responses(components: Dict[str, Any]) -> None:
    responses = components.setdefault("responses", {})
    for status, codes in ERROR_CODES.items():
        table = "\n".join(f"- `{code}`: {meaning}" for code, meaning in codes.items())
        first = next(iter(codes))
        headers: Dict[str, Any] = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
        if status in (401, 403, 404, 409, 429):
            headers.update({name: {"$ref": f"#/components/headers/{name}"} for name in RATE_HEADERS})
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        detail: Any = {"username": ["must be 1-64 letters, digits, '-', '_' or '.'"]} if status == 400 else None
        if status == 403:
            detail = {"required_scope": "users:write"}
        responses[RESPONSE_NAMES[status]] = {
            "description": f"{http.HTTPStatus(status).phrase}. `error` is one of:\n\n{table}",
            "headers": headers,
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Error"},
                "example": {"error": first, "message": _ERROR_MESSAGES.get(first, codes[first]), "detail": detail,
                            "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC"},
            }},
        }
    responses["DEFAULT_ERROR"] = {
        "description": "Any other error, in the same shape",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"},
                                         "example": copy.deepcopy(RESPONSES["Error"])}},
    }


_ERROR_MESSAGES = {
    "validation_error": "the request is invalid; see detail",
    "missing_api_key": "missing API key: send 'Authorization: Bearer <key>'",
    "insufficient_scope": "this key lacks the 'users:write' scope",
    "not_found": "user 'agent-01' not found",
    "conflict": "user 'agent-01' already exists",
    "rate_limited": "the organization's limit of 6000 requests per minute is used up; retry in 12 s",
    "store_unavailable": "the event store is unavailable; retry shortly",
}

# -- examples synthesized from a schema, for bodies app.openapi_examples does not cover ------------

_SAMPLE_STRINGS = {
    "username": "agent-01", "mqtt_username": "agent-01@org_k7xm4pqr2n5t", "org_id": "org_k7xm4pqr2n5t",
    "topic": "agents/agent-01/state", "name": "backend-services", "client_id": "agent-01-main",
    "acl_set": "backend-services", "password": "secure-password", "description": "Services of the backend",
    "action": "publish", "permission": "allow", "request_id": "req_Zx8Kq2LmP4rT7vW1zAbC",
}


def sample(spec: Dict[str, Any], schema: Dict[str, Any], writing: bool, name: str = "", depth: int = 0) -> Any:
    """A value that satisfies `schema` (requests skip readOnly fields, responses writeOnly ones)."""
    if depth > 8:
        return None
    if "$ref" in schema:
        ref_name = _ref_name(schema)
        if not writing and ref_name in RESPONSES:
            return copy.deepcopy(RESPONSES[ref_name])
        target = _resolve(spec, schema["$ref"])
        return sample(spec, target, writing, name, depth + 1)
    for combined in ("allOf", "oneOf", "anyOf"):
        if schema.get(combined):
            return sample(spec, schema[combined][0], writing, name, depth + 1)
    if "example" in schema:
        return copy.deepcopy(schema["example"])
    if "default" in schema and schema["default"] is not None:
        return copy.deepcopy(schema["default"])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        result = {}
        for prop, sub in schema.get("properties", {}).items():
            if (writing and sub.get("readOnly")) or (not writing and sub.get("writeOnly")):
                continue
            result[prop] = sample(spec, sub, writing, prop, depth + 1)
        return result
    if kind == "array":
        return [sample(spec, schema.get("items", {}), writing, name, depth + 1)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        if schema.get("format") == "date-time":
            return T0
        if name in _SAMPLE_STRINGS:
            return _SAMPLE_STRINGS[name]
        pattern = schema.get("pattern")
        if pattern and not re.match(pattern, "example"):
            return None if schema.get("nullable") else "a"
        return "example"
    return None


def _resolve(spec: Dict[str, Any], ref: str) -> Dict[str, Any]:
    node: Any = spec
    for part in ref.lstrip("#/").split("/"):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def operation_index(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """Every operation as `{id, method, path, summary, scope, tag}`, in document order (llms.txt, MCP)."""
    return [{"id": operation["operationId"], "method": method.upper(), "path": path,
             "summary": operation.get("summary", ""), "scope": operation.get("x-required-scope"),
             "tag": (operation.get("tags") or [""])[0]}
            for path, method, operation in operations(spec)]
