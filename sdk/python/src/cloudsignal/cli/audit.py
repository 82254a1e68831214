"""``cloudsignal audit access|state``: point-in-time questions answered from the history."""

from __future__ import annotations

from typing import Any, Literal, Mapping, Optional, Sequence, cast

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._options import moment
from cloudsignal.cli._output import (
    Column,
    field,
    json_option,
    out,
    print_json,
    print_record,
    print_table,
)
from cloudsignal.cli.acl import RULE_COLUMNS
from cloudsignal.cli.events import COLUMNS as EVENT_COLUMNS

Action = Literal["publish", "subscribe"]

USER_COLUMNS = [
    ("USERNAME", field("username")),
    ("ID", field("id")),
    ("RULE SET", field("rule_set_id")),
    ("DISABLED", field("disabled")),
    ("CREATED", field("created_at")),
]
RULE_SET_COLUMNS = [
    ("ID", field("id")),
    ("NAME", field("name")),
    ("RULES", lambda item: len(item.get("rules") or [])),
]
KEY_COLUMNS = [
    ("ID", field("id")),
    ("NAME", field("name")),
    ("TYPE", field("type")),
    ("SCOPES", field("scopes")),
    ("REVOKED", field("revoked")),
    ("CREATED", field("created_at")),
]


def section(title: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> None:
    """A titled table on stdout; '(none)' when empty."""
    out()
    out(click.style(f"{title} ({len(rows)})", bold=True, underline=True))
    if rows:
        print_table(rows, columns)
    else:
        out("(none)")


@click.group()
def audit() -> None:
    """Point-in-time questions, answered by replaying the history (scope 'events:read').

    \b
    Examples:
      cloudsignal audit access --username agent-01 --topic agents/agent-01/state --action publish --at 2025-01-31T12:00:00Z
      cloudsignal audit state --at 2025-01-31T12:00:00Z
    """


@audit.command("access")
@click.option("--username", required=True, help="Name part of the MQTT username.")
@click.option("--topic", required=True, help="Topic (publish) or subscription filter (subscribe).")
@click.option("--action", required=True, type=click.Choice(["publish", "subscribe"]))
@click.option("--at", "at", required=True, metavar="TIME", callback=moment,
              help="ISO 8601 time with a zone (2025-01-31T12:00:00Z).")
@click.option("--client-id", help="For rules that use {client_id}.")
@json_option
def access(username: str, topic: str, action: str, at: str, client_id: Optional[str], as_json: bool) -> None:
    """Could a user publish or subscribe to a topic at that moment? With the rule that decided
    and the events that made it so.

    Exits 0 whether access was allowed or denied; read 'allowed' (or the JSON).

    \b
    Examples:
      cloudsignal audit access --username agent-01 --topic agents/agent-01/state --action publish --at 2025-01-31T12:00:00Z
      cloudsignal audit access --username sensor-7 --topic "sensors/#" --action subscribe --at 2025-01-31T12:00:00+01:00 --json
    """
    answer = state().api().audit.access(username, topic, cast(Action, action), at, client_id=client_id)
    if as_json:
        print_json(answer)
        return
    rule = answer.get("matched_rule")
    print_record({
        "at": answer.get("at"),
        "allowed": answer.get("allowed"),
        "reason": answer.get("reason"),
        "rule": (f"{rule.get('permission')} {rule.get('action')} {rule.get('topic')} ({rule.get('id')})"
                 if rule else None),
        "source": answer.get("source"),
    })
    section("Events behind the answer", answer.get("events") or [], EVENT_COLUMNS)


@audit.command("state")
@click.option("--at", "at", required=True, metavar="TIME", callback=moment,
              help="ISO 8601 time with a zone (2025-01-31T12:00:00Z).")
@json_option
def state_at(at: str, as_json: bool) -> None:
    """Users, ACL rules, rule sets and API keys as they were at that moment (no secrets).

    \b
    Examples:
      cloudsignal audit state --at 2025-01-31T12:00:00Z
      cloudsignal audit state --at "$(date -u -d '1 hour ago' +%Y-%m-%dT%H:%M:%SZ)" --json
    """
    then = state().api().audit.state(at)
    if as_json:
        print_json(then)
        return
    out(f"State at {then.get('at', at)}")
    section("Users", then.get("users") or [], USER_COLUMNS)
    section("Rules", then.get("rules") or [], RULE_COLUMNS)
    section("Rule sets", then.get("rule_sets") or [], RULE_SET_COLUMNS)
    section("API keys", then.get("api_keys") or [], KEY_COLUMNS)
