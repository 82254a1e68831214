"""``cloudsignal mcp``: a Model Context Protocol server over stdio (the official ``mcp`` SDK).

At start it reads the service's OpenAPI document and asks `GET /v2/whoami` what the key may do;
it then offers one tool per management operation the key's scopes allow (cloudsignal.mcp.tools),
annotated read-only, destructive and idempotent as the operation is, and read-only resources:
the organization, its usage against quotas, and the access policy. Arguments are checked against
each tool's schema before any request; every failure is a tool error whose structured content is
the API's error object: ``{"error", "message", "detail", "request_id", "status"}``.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import anyio
import anyio.to_thread
import jsonschema
import mcp.types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from cloudsignal._http import HttpClient
from cloudsignal._version import __version__
from cloudsignal.errors import APIError, PermissionDeniedError
from cloudsignal.mcp.tools import ToolSpec, build_tools, request_of

INSTRUCTIONS = """\
CloudSignal manages an MQTT platform: MQTT users (devices and services connect as
<username>@<org_id>), access rules (ACL) and rule sets, HTTP publish, sessions (who is connected),
API keys, and an audit history of every change. No rule means no access: after creating a user,
add a rule (acl_rules_create) and check it with acl_check before publishing. Prefer acl_policy_apply
with dry_run=true to preview wholesale rule changes. Tools marked DESTRUCTIVE remove or replace
things: confirm with the user first. Errors come back as JSON with a machine-readable `error` code.
"""

# Read-only resources: URI -> (name, description, scope, path, what to keep of the reply).
RESOURCES: dict[str, tuple[str, str, Optional[str], str, Optional[tuple[str, ...]]]] = {
    "cloudsignal://organization": ("organization", "The organization: id, name, tenancy, settings",
                                   "organization:read", "/v2/organization", ("id", "name", "tenancy", "created_at",
                                                                              "settings")),
    "cloudsignal://usage": ("usage", "Usage against the organization's quotas (null quota: unlimited)",
                            "organization:read", "/v2/organization", ("id", "usage", "quotas")),
    "cloudsignal://policy": ("policy", "Every access rule and rule set, as one policy document",
                             "acl:read", "/v2/acl/policy", None),
}


def error_content(error: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(error))],
                                structured_content=error, is_error=True)


def api_error(error: APIError) -> dict[str, Any]:
    code = error.code or ("api_connection_error" if error.status is None else "api_error")
    return {"error": code, "message": error.message, "detail": error.detail, "request_id": error.request_id,
            "status": error.status}


def build_server(http: HttpClient, tools: list[ToolSpec], scopes: Optional[set[str]]) -> Server[Any]:
    by_name = {tool.name: tool for tool in tools}
    validators = {tool.name: jsonschema.Draft202012Validator(tool.input_schema) for tool in tools}
    resources = {uri: spec for uri, spec in RESOURCES.items() if scopes is None or spec[2] in scopes}

    async def list_tools(ctx: ServerRequestContext[Any], params: Optional[types.PaginatedRequestParams]
                         ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[
            types.Tool(name=tool.name, title=tool.title, description=tool.description, input_schema=tool.input_schema,
                       annotations=types.ToolAnnotations(
                           title=tool.title, read_only_hint=tool.read_only, destructive_hint=tool.destructive,
                           idempotent_hint=tool.idempotent, open_world_hint=False))
            for tool in tools])

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
                        ) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            return error_content({"error": "unknown_tool", "message": f"no tool named {params.name!r} for this key",
                                  "detail": {"tools": sorted(by_name)}, "request_id": None, "status": None})
        arguments = dict(params.arguments or {})
        problems: dict[str, list[str]] = {}
        for problem in validators[tool.name].iter_errors(arguments):
            where = ".".join(str(part) for part in problem.absolute_path) or "arguments"
            problems.setdefault(where, []).append(problem.message)
        if problems:
            return error_content({"error": "invalid_arguments",
                                  "message": f"the arguments do not match {tool.name}'s input schema; see detail",
                                  "detail": problems, "request_id": None, "status": None})
        path, query, body = request_of(tool, arguments)
        try:
            result = await anyio.to_thread.run_sync(
                lambda: http.request(tool.method, path, params=query, json=body))
        except APIError as error:
            return error_content(api_error(error))
        structured = result if isinstance(result, dict) else {"ok": True} if result is None else {"result": result}
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(structured))],
                                    structured_content=structured)

    async def list_resources(ctx: ServerRequestContext[Any], params: Optional[types.PaginatedRequestParams]
                             ) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[
            types.Resource(uri=uri, name=name, description=description, mime_type="application/json")
            for uri, (name, description, _, _, _) in resources.items()])

    async def read_resource(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
                            ) -> types.ReadResourceResult:
        uri = str(params.uri)
        if uri not in resources:
            raise ValueError(f"no resource {uri!r} for this key")
        _, _, _, path, keep = resources[uri]
        reply = await anyio.to_thread.run_sync(lambda: http.request("GET", path))
        value = {name: reply.get(name) for name in keep} if keep else reply
        return types.ReadResourceResult(contents=[
            types.TextResourceContents(uri=uri, mime_type="application/json", text=json.dumps(value, indent=2))])

    return Server("cloudsignal", version=__version__, title="CloudSignal", instructions=INSTRUCTIONS,
                  on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
                  on_read_resource=read_resource)


def key_scopes(http: HttpClient, api_key: str) -> Optional[set[str]]:
    """The key's scopes (None: all, a secret key), from GET /v2/whoami."""
    try:
        who = http.request("GET", "/v2/whoami")
    except PermissionDeniedError:  # a public key
        return set()
    if who.get("type") == "secret":
        return None
    return set(who.get("scopes") or ())


async def _main(api_key: str, api_url: str) -> None:
    http = HttpClient(api_key, api_url, max_retries=1)
    document = await anyio.to_thread.run_sync(lambda: http.request("GET", "/v2/openapi.json"))
    scopes = await anyio.to_thread.run_sync(lambda: key_scopes(http, api_key))
    server = build_server(http, build_tools(document, scopes), scopes)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve(api_key: str, api_url: str) -> None:
    """Serve on this process's stdin and stdout until the client closes them."""
    anyio.run(_main, api_key, api_url)
