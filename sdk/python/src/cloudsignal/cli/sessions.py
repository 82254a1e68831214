"""``cloudsignal sessions list|get|disconnect|history``."""

from __future__ import annotations

from typing import Any, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._output import done, field, json_option, list_options, print_json, print_list, print_record

COLUMNS = [
    ("CLIENT ID", field("client_id")),
    ("USERNAME", field("username")),
    ("STATUS", field("status")),
    ("CONNECTED AT", field("connected_at")),
    ("PEER", field("peer_address")),
]
HISTORY_COLUMNS = [
    ("CLIENT ID", field("client_id")),
    ("USERNAME", field("username")),
    ("CONNECTED AT", field("connected_at")),
    ("DISCONNECTED AT", field("disconnected_at")),
    ("REASON", field("disconnect_reason")),
    ("SECONDS", field("duration_seconds")),
]


@click.group()
def sessions() -> None:
    """MQTT sessions: who is connected, and forcing clients off.

    \b
    Examples:
      cloudsignal sessions list
      cloudsignal sessions get sensor-17
      cloudsignal sessions disconnect sensor-17
    """


@sessions.command("list")
@click.option("--status", type=click.Choice(["active", "disconnected", "all"]), help="Default: active.")
@click.option("--username", help="Only this user's sessions.")
@click.option("--client-id", help="Only this client id.")
@list_options
def list_sessions(status: Optional[str], username: Optional[str], client_id: Optional[str], limit: Optional[int],
                  cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """List connected clients (and persistent sessions whose client is offline).

    \b
    Examples:
      cloudsignal sessions list
      cloudsignal sessions list --status all --username agent-01
    """
    page = state().api().sessions.list(status=status, username=username, client_id=client_id,  # type: ignore[arg-type]
                                       limit=limit, cursor=cursor)
    print_list(page, COLUMNS, as_json, fetch_all, "No sessions.")


@sessions.command("history")
@click.option("--username", help="Only this user's sessions.")
@click.option("--client-id", help="Only this client id.")
@click.option("--since", help="ISO 8601 time.")
@click.option("--until", help="ISO 8601 time.")
@list_options
def history(username: Optional[str], client_id: Optional[str], since: Optional[str], until: Optional[str],
            limit: Optional[int], cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """Every session opened and closed, with durations.

    \b
    Example:
      cloudsignal sessions history --username agent-01
    """
    page = state().api().sessions.history(username=username, client_id=client_id, since=since, until=until,
                                          limit=limit, cursor=cursor)
    print_list(page, HISTORY_COLUMNS, as_json, fetch_all, "No sessions.")


@sessions.command("get")
@click.argument("client_id")
@json_option
def get_session(client_id: str, as_json: bool) -> None:
    """Show the current session of a client id.

    \b
    Example:
      cloudsignal sessions get sensor-17
    """
    session: Any = state().api().sessions.get(client_id)
    if as_json:
        print_json(session)
    else:
        print_record(session)


@sessions.command("disconnect")
@click.argument("client_id")
@json_option
def disconnect(client_id: str, as_json: bool) -> None:
    """Force a connected client off the broker (it may connect again).

    \b
    Example:
      cloudsignal sessions disconnect sensor-17
    """
    state().api().sessions.disconnect(client_id)
    done(as_json, f"Disconnected {client_id}.", {"disconnected": True, "client_id": client_id})
