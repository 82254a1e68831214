"""``cloudsignal presence list|get`` and ``cloudsignal retained list|delete``."""

from __future__ import annotations

from typing import Any, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._output import done, field, json_option, list_options, print_json, print_list, print_table

PRESENCE_COLUMNS = [
    ("USERNAME", field("username")),
    ("CLIENT ID", field("client_id")),
    ("PEER", field("peer_address")),
    ("CONNECTED AT", field("connected_at")),
    ("FILTERS", lambda row: " ".join(row.get("filters") or [])),
]
RETAINED_COLUMNS = [
    ("TOPIC", field("topic")),
    ("SIZE", field("size")),
    ("QOS", field("qos")),
    ("UPDATED AT", field("updated_at")),
]


@click.group()
def presence() -> None:
    """Who is online, and subscribed to what.

    \b
    Examples:
      cloudsignal presence list --topic 'rooms/+/chat'
      cloudsignal presence get alice
    """


@presence.command("list")
@click.option("--topic", help="Only sessions subscribed to an overlapping filter (+ and # allowed).")
@click.option("--limit", type=int, help="Rows per page (max 500).")
@click.option("--cursor", help="Page to start at (next_cursor of the previous page).")
@json_option
def presence_list(topic: Optional[str], limit: Optional[int], cursor: Optional[str], as_json: bool) -> None:
    """One row per connected session: username, client id, peer, since when, filters.

    \b
    Example:
      cloudsignal presence list --topic 'sensors/#' --json
    """
    reply: Any = state().api().presence(topic, limit=limit, cursor=cursor)
    if as_json:
        print_json(reply)
        return
    click.echo(f"{reply['online_count']} online")
    if reply["users"]:
        print_table(reply["users"], PRESENCE_COLUMNS)
    if reply.get("next_cursor"):
        click.echo(f"More: --cursor {reply['next_cursor']}")


@presence.command("get")
@click.argument("username")
@json_option
def presence_get(username: str, as_json: bool) -> None:
    """Is USERNAME (without @org_...) online, and with which sessions.

    \b
    Example:
      cloudsignal presence get agent-01
    """
    reply: Any = state().api().presence.get(username)
    if as_json:
        print_json(reply)
        return
    click.echo(f"{reply['username']}: {'online' if reply['online'] else 'offline'}")
    if reply["sessions"]:
        print_table(reply["sessions"], PRESENCE_COLUMNS)


@click.group()
def retained() -> None:
    """Retained messages: list them, delete one or every one a filter matches.

    \b
    Examples:
      cloudsignal retained list --topic 'status/#'
      cloudsignal retained delete status/device-1
      cloudsignal retained delete 'status/#' --dry-run
    """


@retained.command("list")
@click.option("--topic", help="Only topics this filter matches (+ and # allowed).")
@click.option("--payload", "include_payload", is_flag=True, help="Fetch the payloads too.")
@list_options
def retained_list(topic: Optional[str], include_payload: bool, limit: Optional[int], cursor: Optional[str],
                  fetch_all: bool, as_json: bool) -> None:
    """Topic, payload size, QoS and when set.

    \b
    Example:
      cloudsignal retained list --topic 'status/#' --payload
    """
    columns = RETAINED_COLUMNS + ([("PAYLOAD", field("payload"))] if include_payload else [])
    page = state().api().retained.list(topic=topic, include_payload=include_payload, limit=limit, cursor=cursor)
    print_list(page, columns, as_json, fetch_all, "No retained messages.")


@retained.command("delete")
@click.argument("topic")
@click.option("--dry-run", is_flag=True, help="With a filter: only count what would be deleted.")
@json_option
def retained_delete(topic: str, dry_run: bool, as_json: bool) -> None:
    """Delete the retained message of TOPIC, or of every topic a filter (+, #) matches.

    \b
    Example:
      cloudsignal retained delete 'status/#' --dry-run
    """
    api = state().api()
    if "+" in topic or "#" in topic or dry_run:
        reply: Any = api.retained.delete_matching(topic, dry_run=dry_run)
        if as_json:
            print_json(reply)
        else:
            verb = "would delete" if reply["dry_run"] else "deleted"
            click.echo(f"{verb} {reply['count']} retained messages")
        return
    done(as_json, f"Deleted the retained message of {topic}", api.retained.delete(topic))
