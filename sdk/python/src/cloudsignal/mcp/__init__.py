"""The CloudSignal MCP server (``cloudsignal mcp``): the management API as Model Context Protocol
tools, built from the service's OpenAPI document, for the scopes of the key in force.

``cloudsignal.mcp.tools`` turns operations into tool definitions and calls (no ``mcp`` import);
``cloudsignal.mcp.server`` serves them over stdio with the official ``mcp`` SDK (the ``mcp`` extra).
"""
