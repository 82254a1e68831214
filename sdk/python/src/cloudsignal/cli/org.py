"""``cloudsignal org show|update|usage``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._output import json_option, out, print_json, print_record, print_table
from cloudsignal.resources import NOT_GIVEN
from cloudsignal.types import OrganizationSettings

# usage counter -> quota that bounds it
USAGE_QUOTAS = {
    "users": "max_users",
    "acl_rules": "max_acl_rules",
    "rule_sets": "max_rule_sets",
    "api_keys": "max_api_keys",
    "auth_providers": "max_auth_providers",
    "connections": "max_connections",
    "requests_this_minute": "rate_limit_per_minute",
    "http_messages_this_minute": "messages_per_minute",
}


def show(organization: Any, as_json: bool) -> None:
    if as_json:
        print_json(organization)
        return
    settings = organization.get("settings") or {}
    print_record({**{k: organization.get(k) for k in ("id", "name", "tenancy", "created_at") if k in organization},
                  **({"default_rule_set": settings.get("default_rule_set")} if "settings" in organization else {})})


@click.group()
def org() -> None:
    """Your organization: name, settings, quotas and usage.

    \b
    Examples:
      cloudsignal org show
      cloudsignal org update --default-rule-set backend-services
      cloudsignal org usage
    """


@org.command("show")
@json_option
def show_org(as_json: bool) -> None:
    """Show the organization.

    \b
    Example:
      cloudsignal org show --json
    """
    show(state().api().organization.get(), as_json)


@org.command("update")
@click.option("--name", help="New name.")
@click.option("--default-rule-set", help="Rule set new users get when created without --acl-set.")
@click.option("--no-default-rule-set", is_flag=True, help="New users get no rule set.")
@json_option
def update_org(name: Optional[str], default_rule_set: Optional[str], no_default_rule_set: bool, as_json: bool) -> None:
    """Rename the organization or change its default rule set.

    \b
    Example:
      cloudsignal org update --name "Acme" --default-rule-set backend-services
    """
    if default_rule_set and no_default_rule_set:
        raise click.UsageError("--default-rule-set and --no-default-rule-set exclude each other")
    if name is None and default_rule_set is None and not no_default_rule_set:
        raise click.UsageError("nothing to change: pass --name, --default-rule-set or --no-default-rule-set")
    settings: Any = NOT_GIVEN
    if default_rule_set is not None or no_default_rule_set:
        settings = OrganizationSettings(default_rule_set=None if no_default_rule_set else default_rule_set)
    show(state().api().organization.update(name=name if name is not None else NOT_GIVEN, settings=settings), as_json)


LAST = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400}


@org.command("usage")
@click.option("--last", type=click.Choice(list(LAST)), help="Also show activity over this last period.")
@click.option("--from", "start", metavar="TIME", help="Activity from this ISO 8601 time (with a time zone).")
@click.option("--to", "end", metavar="TIME", help="Activity until this ISO 8601 time (default now).")
@click.option("--interval", type=click.IntRange(1, 86400), help="Bucket width in seconds (default: the range over 60).")
@json_option
def usage(last: Optional[str], start: Optional[str], end: Optional[str], interval: Optional[int],
          as_json: bool) -> None:
    """Show usage against quotas, and activity over time with --last or --from.

    \b
    Examples:
      cloudsignal org usage
      cloudsignal org usage --last 24h --interval 3600
      cloudsignal org usage --from 2026-01-01T00:00:00Z --to 2026-01-02T00:00:00Z --json
    """
    if last and start:
        raise click.UsageError("--last and --from exclude each other")
    api = state().api()
    organization = api.organization.get()
    used, quotas = organization.get("usage") or {}, organization.get("quotas") or {}
    history = None
    if last or start or end or interval:
        if last:
            start = (datetime.now(timezone.utc) - timedelta(seconds=LAST[last])).isoformat()
        history = api.organization.usage(start=start, end=end, interval=interval)
    if as_json:
        print_json({"id": organization.get("id"), "usage": used, "quotas": quotas,
                    **({"history": history} if history is not None else {})})
        return
    rows = [{"name": name, "used": value, "limit": quotas.get(USAGE_QUOTAS.get(name, ""))} for name, value in used.items()]
    print_table(rows, [("RESOURCE", lambda r: r["name"]), ("USED", lambda r: r["used"]), ("LIMIT", lambda r: r["limit"])],
                "No usage figures (this key may not read them).")
    if history is not None:
        out("")
        print_table(history["buckets"], [
            ("START", lambda b: b["start"]), ("CONNECTIONS", lambda b: b["connections"]),
            ("PEAK", lambda b: b["peak_connections"]), ("CONNECTS", lambda b: b["connects"]),
            ("DISCONNECTS", lambda b: sum(b["disconnects"].values())),
            ("BY REASON", lambda b: ", ".join(f"{k}={v}" for k, v in b["disconnects"].items() if v) or "-"),
        ], "No activity in that range.")
