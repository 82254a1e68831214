"""``cloudsignal org show|update|usage``."""

from __future__ import annotations

from typing import Any, Optional

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._output import json_option, print_json, print_record, print_table
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


@org.command("usage")
@json_option
def usage(as_json: bool) -> None:
    """Show usage against quotas.

    \b
    Example:
      cloudsignal org usage
    """
    organization = state().api().organization.get()
    used, quotas = organization.get("usage") or {}, organization.get("quotas") or {}
    if as_json:
        print_json({"id": organization.get("id"), "usage": used, "quotas": quotas})
        return
    rows = [{"name": name, "used": value, "limit": quotas.get(USAGE_QUOTAS.get(name, ""))} for name, value in used.items()]
    print_table(rows, [("RESOURCE", lambda r: r["name"]), ("USED", lambda r: r["used"]), ("LIMIT", lambda r: r["limit"])],
                "No usage figures (this key may not read them).")
