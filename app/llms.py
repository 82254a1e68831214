"""`/llms.txt` and `/llms-full.txt`: where an agent starts.

Both are generated from the finished OpenAPI document (app/openapi.py) and the repository's
READMEs, once per process and base URL (at its first request, then kept): what the platform is, how to authenticate, the main tasks with one
curl line each (taken from the operations' examples), and links to the OpenAPI document and the
documentation page. `llms-full.txt` adds every operation in detail and the READMEs themselves.
"""

import json
import re
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from flask import Blueprint, Response, current_app, request

ROOT = Path(__file__).resolve().parents[1]
READMES = (("README.md", "The platform (README.md)"), ("sdk/python/README.md", "Python SDK and CLI (sdk/python/README.md)"))

# The main tasks: (what an agent wants, operationId).
TASKS: Tuple[Tuple[str, str], ...] = (
    ("Create an MQTT user (it can connect at once as `<username>@<org_id>`)", "users_create"),
    ("List MQTT users", "users_list"),
    ("Allow topics with an access rule", "acl_rules_create"),
    ("Ask the access simulator whether a user may publish or subscribe", "acl_check"),
    ("Group rules into a rule set that users are assigned to", "acl_rule_sets_create"),
    ("Apply the whole access policy at once (dry run first)", "acl_policy_apply"),
    ("Publish a message over HTTP", "publish_message"),
    ("See who is connected", "sessions_list"),
    ("Force a client off", "sessions_disconnect"),
    ("Mint temporary MQTT credentials", "tokens_create"),
    ("Create a restricted API key for CI", "api_keys_create"),
    ("Describe the calling key and its scopes", "whoami"),
    ("Read the organization, its quotas and usage", "organization_get"),
    ("Read the audit history", "events_list"),
    ("Ask whether a user could publish to a topic at a past moment", "audit_access"),
)
PATH_EXAMPLES = {
    "username": "agent-01", "rule_id": "rule_4fTq9ZkQ2mWx7bYc", "id_or_name": "backend-services",
    "key_id": "key_7mN3pQ5rS7tU9vW1", "client_id": "agent-01-main",
}
QUERY_EXAMPLES = {
    "audit_access": "username=agent-01&topic=agents/agent-01/state&action=publish&at=2025-01-31T12:00:00Z",
    "sessions_list": "status=active",
    "events_list": "type=MqttUser&limit=20",
}

blp = Blueprint("llms", __name__)
_cache: Dict[Tuple[str, bool], str] = {}
_lock = threading.Lock()


@blp.get("/llms.txt")
def llms_txt() -> Response:
    return Response(_text(full=False), mimetype="text/plain", headers={"Cache-Control": "max-age=300"})


@blp.get("/llms-full.txt")
def llms_full_txt() -> Response:
    return Response(_text(full=True), mimetype="text/plain", headers={"Cache-Control": "max-age=300"})


def _text(full: bool) -> str:
    base = request.url_root.rstrip("/")
    with _lock:
        if (base, full) not in _cache:
            document = current_app.extensions["cloudsignal.openapi"].document()
            _cache[(base, full)] = render(document, base, full)
        return _cache[(base, full)]


def render(document: Dict[str, Any], base: str, full: bool = False) -> str:
    operations = _operations(document)
    lines = [
        "# CloudSignal",
        "",
        "> A self-hosted MQTT platform: a Mosquitto broker whose MQTT users, access rules (ACL), API keys and "
        "sessions are managed through a REST API at /v2. Devices and services connect over MQTT as "
        "`<username>@<org_id>`; every change is an event that records who made it and in which request.",
        "",
        f"Base URL: {base}/v2. Every request needs an API key: `Authorization: Bearer $CLOUDSIGNAL_API_KEY` "
        "(`sk_` secret keys may do everything; `rk_` restricted keys only their scopes, named per operation as "
        "`x-required-scope`; `pk_` public keys only exchange tokens). Bodies are JSON. Errors are "
        '`{"error": "<code>", "message", "detail", "request_id"}` with 400, 401, 403, 404, 409, 413, 429, 5xx. '
        "Lists take `?limit=&cursor=` and answer `{data, next_cursor}`. Send an `Idempotency-Key` header on a POST "
        "to make a retry safe. Rate-limit headers: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`; "
        "429 adds `Retry-After`.",
        "",
        "## Main tasks",
        "",
    ]
    for title, operation_id in TASKS:
        if operation_id in operations:
            lines.append(f"- {title} (`{operation_id}`): `{curl(operations[operation_id], base)}`")
    lines += [
        "",
        "## Documentation",
        "",
        f"- [OpenAPI document]({base}/v2/openapi.json): every operation with its operationId, scope, parameters, "
        "error codes and examples",
        f"- [API reference page]({base}/v2/docs): the same document, rendered",
        f"- [Full text for agents]({base}/llms-full.txt): every operation in detail, and the READMEs",
        "",
        "## Tools",
        "",
        "- CLI: `pip install ./sdk/python`, then `cloudsignal users create --username agent-01 --password pw "
        "--if-not-exists --json` (every command takes `--json`; errors are one JSON object; exit 0 ok, 1 failure, "
        "2 usage, 4 not authenticated). Policy as code: `cloudsignal acl pull > access.yaml`, "
        "`cloudsignal acl validate access.yaml`, `cloudsignal acl push access.yaml --dry-run`.",
        "- MCP server for agents: `cloudsignal mcp` (stdio; `pip install './sdk/python[mcp]'`), authenticated "
        "by `CLOUDSIGNAL_API_KEY` and `CLOUDSIGNAL_API_URL`; a restricted key exposes only the tools its scopes allow.",
        "",
        "## Optional",
        "",
    ]
    for operation in operations.values():
        scope = f" (scope `{operation['scope']}`)" if operation["scope"] else ""
        lines.append(f"- `{operation['id']}`: {operation['method']} {operation['path']}: {operation['summary']}{scope}")
    if full:
        lines += ["", "# Operations in detail", ""]
        for operation in operations.values():
            lines += _detail(operation, base)
        for path, title in READMES:
            text = _read(ROOT / path)
            if text:
                lines += ["", f"# {title}", "", text.strip()]
    return "\n".join(lines).rstrip() + "\n"


def _operations(document: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    found: Dict[str, Dict[str, Any]] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            success: Dict[str, Any] = next((r for s, r in sorted(operation.get("responses", {}).items())
                            if s.isdigit() and int(s) < 300), {})
            reply: Dict[str, Any] = next(iter(success.get("content", {}).values()), {})
            found[operation["operationId"]] = {
                "id": operation["operationId"], "method": method.upper(), "path": path,
                "summary": operation.get("summary", ""), "description": operation.get("description", ""),
                "scope": operation.get("x-required-scope"), "body": body.get("example"),
                "parameters": [p for p in operation.get("parameters", []) if "$ref" not in p]
                + [p for p in item.get("parameters", []) if isinstance(p, dict) and "$ref" not in p],
                "reply": reply.get("example"),
                "errors": sorted(s for s in operation.get("responses", {}) if s.isdigit() and int(s) >= 400),
            }
    return found


def curl(operation: Dict[str, Any], base: str) -> str:
    path = re.sub(r"\{(\w+)\}", lambda m: PATH_EXAMPLES.get(m.group(1), m.group(1)), operation["path"])
    query = QUERY_EXAMPLES.get(operation["id"])
    url = f"{base}{path}" + (f"?{query}" if query else "")
    parts = ["curl"] + ([f"-X {operation['method']}"] if operation["method"] not in ("GET",) else [])
    parts.append(f"'{url}'" if query else url)
    parts.append('-H "Authorization: Bearer $CLOUDSIGNAL_API_KEY"')
    if operation["body"] is not None:
        parts.append('-H "Content-Type: application/json"')
        parts.append("-d '" + json.dumps(operation["body"], separators=(", ", ": ")).replace("'", "'\\''") + "'")
    return " ".join(parts)


def _detail(operation: Dict[str, Any], base: str) -> List[str]:
    lines = [f"## {operation['id']}: {operation['method']} {operation['path']}", "", operation["summary"]]
    if operation["description"]:
        lines += ["", operation["description"]]
    if operation["parameters"]:
        lines += ["", "Parameters:"]
        for parameter in operation["parameters"]:
            required = ", required" if parameter.get("required") else ""
            text = parameter.get("description", "")
            lines.append(f"- `{parameter['name']}` ({parameter.get('in')}{required}) {text}".rstrip())
    lines += ["", f"    {curl(operation, base)}"]
    if operation["reply"] is not None:
        lines += ["", "Reply example:", "", "    " + json.dumps(operation["reply"])]
    if operation["errors"]:
        lines += ["", f"Errors: {', '.join(operation['errors'])} (see the OpenAPI document for their codes)"]
    return lines + [""]


def _read(path: Path) -> Optional[str]:
    try:
        return path.read_text()
    except OSError:
        return None
