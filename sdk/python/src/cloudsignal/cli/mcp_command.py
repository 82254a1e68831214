"""``cloudsignal mcp``: the Model Context Protocol server over stdio (see cloudsignal.mcp)."""

from __future__ import annotations

import click

from cloudsignal.cli._context import Failure, NotAuthenticated, state


@click.command("mcp")
@click.option("--json", "as_json", is_flag=True, help="Errors at start as one JSON object.")
def mcp(as_json: bool) -> None:
    """Run an MCP server on standard input and output, for AI agents and desktop assistants.

    It exposes the management API as tools (users, access rules and the simulator, policy,
    publish, sessions, keys, audit) and the organization and its usage as resources, for the
    key in force (as for every command: --api-key, CLOUDSIGNAL_API_KEY, or 'cloudsignal auth
    login'). A restricted key gets only the tools its scopes allow. Needs the 'mcp' extra:
    pip install 'cloudsignal[mcp]'.

    \b
    Example:
      CLOUDSIGNAL_API_KEY=rk_... cloudsignal mcp

    \b
    Desktop configuration (e.g. claude_desktop_config.json):
      {"mcpServers": {"cloudsignal": {"command": "cloudsignal", "args": ["mcp"],
        "env": {"CLOUDSIGNAL_API_KEY": "sk_...", "CLOUDSIGNAL_API_URL": "http://127.0.0.1:8080"}}}}
    """
    credentials = state().credentials()
    if not credentials.api_key:
        raise NotAuthenticated("not logged in: run 'cloudsignal auth login' or set CLOUDSIGNAL_API_KEY")
    try:
        from cloudsignal.mcp.server import serve
    except ImportError as error:
        raise Failure(f"the MCP server needs the 'mcp' package ({error}): pip install 'cloudsignal[mcp]'",
                      code="mcp_not_installed") from None
    serve(credentials.api_key, credentials.api_url)
