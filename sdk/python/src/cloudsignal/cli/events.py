"""``cloudsignal events list|tail``: the organization's history, and following it live."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any, Mapping, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._options import moment
from cloudsignal.cli._output import json_option, note, out, print_json, print_table

DEFAULT_LIMIT = 50  # the API's page size when none is given


def actor_of(event: Mapping[str, Any]) -> Any:
    actor = event.get("actor") or {}
    return actor.get("name") or actor.get("id")


COLUMNS = [
    ("POSITION", lambda event: event.get("position")),
    ("TIME", lambda event: event.get("time")),
    ("TYPE", lambda event: event.get("type")),
    ("AGGREGATE", lambda event: (event.get("aggregate") or {}).get("name")),
    ("ID", lambda event: (event.get("aggregate") or {}).get("id")),
    ("ACTOR", actor_of),
    ("REQUEST ID", lambda event: event.get("request_id")),
]


def line(event: Mapping[str, Any]) -> str:
    """``POSITION TIME TYPE AGGREGATE-KIND NAME (ID) by ACTOR (KEY ID)`` on one line."""
    aggregate, actor = event.get("aggregate") or {}, event.get("actor") or {}
    target = " ".join(str(part) for part in (aggregate.get("type"), aggregate.get("name")) if part)
    if aggregate.get("id"):
        target = f"{target} ({aggregate['id']})" if target else str(aggregate["id"])
    who = actor.get("id") or "-"
    if actor.get("name"):
        who = f"{actor['name']} ({who})"
    return f"{event.get('position')}  {event.get('time')}  {event.get('type')}  {target}  by {who}"


def filter_options(function: Any) -> Any:
    function = click.option("--actor", help="API key id (key_...), 'system' or 'broker'.")(function)
    function = click.option("--aggregate", help="Public id of what changed (usr_..., rule_..., key_...).")(function)
    function = click.option("--type", "event_type", metavar="TYPE",
                            help="Event type (MqttUser.Created), or all of one kind (MqttUser).")(function)
    return function


@click.group()
def events() -> None:
    """The organization's history: who changed what, and when (scope 'events:read').

    \b
    Examples:
      cloudsignal events list --type MqttUser --since 2025-01-01T00:00:00Z
      cloudsignal events tail --type AclRule
    """


@events.command("list")
@filter_options
@click.option("--since", metavar="TIME", callback=moment, help="Events at or after this ISO 8601 time (with a zone).")
@click.option("--until", metavar="TIME", callback=moment, help="Events before this ISO 8601 time (with a zone).")
@click.option("--after", type=click.IntRange(0), metavar="POSITION",
              help="Start after this position (printed after a full page).")
@click.option("--limit", type=click.IntRange(1, 500), help="Events per page (1-500, default 50).")
@click.option("--all", "fetch_all", is_flag=True, help="Fetch every page.")
@json_option
def list_events(event_type: Optional[str], aggregate: Optional[str], actor: Optional[str], since: Optional[str],
                until: Optional[str], after: Optional[int], limit: Optional[int], fetch_all: bool,
                as_json: bool) -> None:
    """List events, oldest first: position, time, type, what changed, and who did it.

    With --json and --all, 'next_cursor' is the last event's position: pass it as --after later to get
    only newer events.

    \b
    Examples:
      cloudsignal events list
      cloudsignal events list --type MqttUser.Created --actor key_... --since 2025-01-01T00:00:00Z
      cloudsignal events list --aggregate usr_... --all --json
    """
    page = state().api().events.list(type=event_type, aggregate=aggregate, actor=actor, since=since, until=until,
                                      after=after, limit=limit)
    if fetch_all:
        data: list[Any] = []
        for each in page.iter_pages():
            data.extend(each.data)
        # where to resume later: the last event listed (the server's cursor is null on its last page)
        body: dict[str, Any] = {"data": data, "next_cursor": str(data[-1]["position"]) if data else None}
    else:
        body = page.to_dict()
    if as_json:
        print_json(body)
        return
    print_table(body["data"], COLUMNS, "No events.")
    if not fetch_all and body["next_cursor"] and len(body["data"]) >= (limit or DEFAULT_LIMIT):
        note(f"More events may follow: add --after {body['next_cursor']} (or --all).")


@events.command("tail")
@filter_options
@click.option("--after", type=click.IntRange(0), metavar="POSITION",
              help="Start after this position (0: the whole history first). Default: new events only.")
@click.option("--count", type=click.IntRange(1), help="Exit after this many events.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per event and line.")
def tail(event_type: Optional[str], aggregate: Optional[str], actor: Optional[str], after: Optional[int],
         count: Optional[int], as_json: bool) -> None:
    """Print new events as they are recorded, until Ctrl-C (or --count events).

    One line per event: 'POSITION TIME TYPE KIND NAME (ID) by ACTOR', or one JSON object per
    line with --json. Follows GET /v2/events/stream, reconnecting where it left off when the
    connection ends. Ctrl-C or SIGTERM stops it with exit status 0.

    \b
    Examples:
      cloudsignal events tail
      cloudsignal events tail --type MqttUser --json
      cloudsignal events tail --after 0 --count 10
    """
    api = state().api()
    start = api.events.last_position() if after is None else after
    stream = api.events.stream(after=start, type=event_type, aggregate=aggregate, actor=actor)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGTERM) if in_main_thread else None
    if in_main_thread:  # SIGTERM ends the command like Ctrl-C
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    note(f"Following events after position {start} (Ctrl-C to stop).")
    seen = 0
    try:
        for event in stream:
            out(json.dumps(event, ensure_ascii=False, default=str) if as_json else line(event))
            state().env.stdout.flush()
            seen += 1
            if count is not None and seen >= count:
                break
    except KeyboardInterrupt:
        pass
    finally:
        stream.close()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
