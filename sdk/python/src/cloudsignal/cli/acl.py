"""``cloudsignal acl list|get|create|update|delete|check`` and ``cloudsignal acl sets ...``."""

from __future__ import annotations

from typing import Any, Optional, Sequence, cast

import click

from cloudsignal.cli._context import state
from cloudsignal.cli._if_not_exists import if_not_exists_option, same_or_fail
from cloudsignal.cli._options import json_value
from cloudsignal.cli._output import done, field, json_option, list_options, note, print_json, print_list, print_record
from cloudsignal.errors import ConflictError
from cloudsignal.resources import NOT_GIVEN
from cloudsignal.types import Rule

ACTIONS = click.Choice(["publish", "subscribe", "both"])
PERMISSIONS = click.Choice(["allow", "deny"])
RULE_COLUMNS = [
    ("ID", field("id")),
    ("TOPIC", field("topic")),
    ("ACTION", field("action")),
    ("PERMISSION", field("permission")),
    ("PRIORITY", field("priority")),
    ("USER", field("user")),
]
RULE_FIELDS = ["id", "topic", "action", "permission", "priority", "user", "created_at", "updated_at"]
SET_COLUMNS = [
    ("ID", field("id")),
    ("NAME", field("name")),
    ("RULES", lambda item: len(item.get("rules") or [])),
    ("USERS", field("users")),
    ("DESCRIPTION", field("description")),
]


def show(item: Any, as_json: bool, fields: Optional[Sequence[str]] = None) -> None:
    if as_json:
        print_json(item)
    else:
        print_record(item, fields)


@click.group()
def acl() -> None:
    """ACL rules of the organization (they apply to every user), rule sets, and the simulator.

    Topics may use + and # and the placeholders {username}, {client_id}, {org_id}. The lowest
    priority is tried first; the first match decides; no match denies.

    \b
    Examples:
      cloudsignal acl list
      cloudsignal acl create --topic "agents/{username}/#" --action publish --permission allow
      cloudsignal acl check --username agent-01 --topic agents/agent-01/state --action publish
      cloudsignal acl sets create --name backend-services --rule allow:both:services/#
    """


@acl.command("list")
@list_options
def list_rules(limit: Optional[int], cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """List the organization's rules.

    \b
    Example:
      cloudsignal acl list
    """
    page = state().api().acl.rules.list(limit=limit, cursor=cursor)
    print_list(page, RULE_COLUMNS, as_json, fetch_all, "No rules: no user may publish or subscribe anywhere yet.")


@acl.command("get")
@click.argument("rule_id")
@json_option
def get_rule(rule_id: str, as_json: bool) -> None:
    """Show one rule.

    \b
    Example:
      cloudsignal acl get rule_...
    """
    show(state().api().acl.rules.get(rule_id), as_json, RULE_FIELDS)


@acl.command("create")
@click.option("--topic", required=True, help="Topic filter; + # {username} {client_id} {org_id} allowed.")
@click.option("--action", required=True, type=ACTIONS, help="What the rule covers.")
@click.option("--permission", required=True, type=PERMISSIONS, help="allow or deny.")
@click.option("--priority", type=click.IntRange(0, 1_000_000), help="Lowest first (default 100).")
@click.option("--user", help="Only users whose name matches this glob (e.g. 'sensor-*').")
@if_not_exists_option
@json_option
def create_rule(topic: str, action: str, permission: str, priority: Optional[int], user: Optional[str],
                if_not_exists: bool, as_json: bool) -> None:
    """Create an organization rule.

    With --if-not-exists, a rule with the same topic, action and user is success when its
    permission and priority are the ones given too.

    \b
    Examples:
      cloudsignal acl create --topic "agents/{username}/#" --action publish --permission allow
      cloudsignal acl create --topic "admin/#" --action both --permission deny --priority 10
    """
    api = state().api()
    if if_not_exists:
        existing = next((rule for rule in api.acl.rules.list(limit=500)
                         if (rule.get("topic"), rule.get("action"), rule.get("user")) == (topic, action, user)), None)
        if existing is not None:
            show(same_or_fail(f"A rule for {action} {topic}", existing,
                              {"permission": permission, "priority": priority}), as_json, RULE_FIELDS)
            return
    rule = api.acl.rules.create(topic, action=cast(Any, action), permission=cast(Any, permission),
                                priority=priority, user=user)
    show(rule, as_json, RULE_FIELDS)
    if not as_json:
        note(f"Created rule {rule.get('id')}.")


@acl.command("update")
@click.argument("rule_id")
@click.option("--topic", help="New topic filter.")
@click.option("--action", type=ACTIONS)
@click.option("--permission", type=PERMISSIONS)
@click.option("--priority", type=click.IntRange(0, 1_000_000))
@click.option("--user", help="New user glob.")
@click.option("--all-users", is_flag=True, help="Apply the rule to every user again.")
@json_option
def update_rule(rule_id: str, topic: Optional[str], action: Optional[str], permission: Optional[str],
                priority: Optional[int], user: Optional[str], all_users: bool, as_json: bool) -> None:
    """Change some fields of a rule.

    \b
    Example:
      cloudsignal acl update rule_... --priority 50
    """
    if user and all_users:
        raise click.UsageError("--user and --all-users exclude each other")
    given = {"topic": topic, "action": action, "permission": permission, "priority": priority, "user": user}
    if all(value is None for value in given.values()) and not all_users:
        raise click.UsageError("nothing to change: pass --topic, --action, --permission, --priority, --user or --all-users")
    rule = state().api().acl.rules.update(
        rule_id,
        topic=topic if topic is not None else NOT_GIVEN,
        action=cast(Any, action) if action is not None else NOT_GIVEN,
        permission=cast(Any, permission) if permission is not None else NOT_GIVEN,
        priority=priority if priority is not None else NOT_GIVEN,
        user=None if all_users else (user if user is not None else NOT_GIVEN),
    )
    show(rule, as_json, RULE_FIELDS)


@acl.command("delete")
@click.argument("rule_id")
@json_option
def delete_rule(rule_id: str, as_json: bool) -> None:
    """Delete a rule.

    \b
    Example:
      cloudsignal acl delete rule_...
    """
    state().api().acl.rules.delete(rule_id)
    done(as_json, f"Deleted rule {rule_id}.", {"deleted": True, "id": rule_id})


@acl.command("check")
@click.option("--username", required=True, help="Name part of the MQTT username.")
@click.option("--topic", required=True, help="Topic (publish) or subscription filter (subscribe).")
@click.option("--action", required=True, type=click.Choice(["publish", "subscribe"]))
@click.option("--client-id", help="For rules that use {client_id}.")
@json_option
def check(username: str, topic: str, action: str, client_id: Optional[str], as_json: bool) -> None:
    """Simulate the broker's decision for a user, with the rule that decided.

    Exits 0 whether access is allowed or denied; read 'allowed' (or the JSON).

    \b
    Example:
      cloudsignal acl check --username agent-01 --topic agents/agent-01/state --action publish
    """
    decision = state().api().acl.check(username, topic, action, client_id=client_id)
    if as_json:
        print_json(decision)
        return
    rule = decision.get("matched_rule")
    print_record({
        "allowed": decision.get("allowed"),
        "reason": decision.get("reason"),
        "rule": f"{rule.get('permission')} {rule.get('action')} {rule.get('topic')}" if rule else None,
        "source": decision.get("source"),
    })


# -- rule sets ------------------------------------------------------------------------------


def comparable_rule(rule: Any) -> dict[str, Any]:
    """A rule's fields with the API's defaults, without its id."""
    return {"topic": rule.get("topic"), "action": rule.get("action"), "permission": rule.get("permission"),
            "priority": rule.get("priority", 100) if rule.get("priority") is not None else 100,
            "user": rule.get("user")}


def parse_rules(rule_options: Sequence[str], rules_json: Optional[str]) -> Optional[list[Rule]]:
    """Rules from ``--rule PERMISSION:ACTION:TOPIC`` options and/or ``--rules JSON``."""
    if not rule_options and rules_json is None:
        return None
    rules: list[Rule] = []
    if rules_json is not None:
        value = json_value(rules_json, "--rules")
        if not isinstance(value, list):
            raise click.BadParameter("expected a JSON list of rules", param_hint="--rules")
        rules.extend(value)
    for text in rule_options:
        parts = text.split(":", 2)
        if len(parts) != 3 or parts[0] not in PERMISSIONS.choices or parts[1] not in ACTIONS.choices:
            raise click.BadParameter(f"{text!r} is not PERMISSION:ACTION:TOPIC (e.g. allow:both:sensors/#)",
                                     param_hint="--rule")
        rules.append(cast(Rule, {"permission": parts[0], "action": parts[1], "topic": parts[2]}))
    return rules


rule_option = click.option("--rule", "rule_options", multiple=True, metavar="PERMISSION:ACTION:TOPIC",
                           help="A rule, e.g. allow:both:services/# (repeatable).")
rules_option = click.option("--rules", "rules_json", metavar="JSON",
                            help="Rules as a JSON list (inline or @file) of {topic, action, permission, priority, user}.")


@acl.group("sets")
def sets() -> None:
    """Rule sets: named groups of rules that users are assigned to.

    \b
    Examples:
      cloudsignal acl sets create --name backend-services --rule allow:both:services/#
      cloudsignal acl sets list
      cloudsignal users create --username svc --password pw --acl-set backend-services
    """


@sets.command("list")
@list_options
def list_sets(limit: Optional[int], cursor: Optional[str], fetch_all: bool, as_json: bool) -> None:
    """List rule sets.

    \b
    Example:
      cloudsignal acl sets list
    """
    page = state().api().acl.rule_sets.list(limit=limit, cursor=cursor)
    print_list(page, SET_COLUMNS, as_json, fetch_all, "No rule sets yet.")


def show_set(rule_set: Any, as_json: bool) -> None:
    if as_json:
        print_json(rule_set)
        return
    print_record(rule_set, ["id", "name", "description", "users", "created_at", "updated_at"])
    rules = rule_set.get("rules") or []
    if rules:
        from cloudsignal.cli._output import out, print_table

        out()
        print_table(rules, RULE_COLUMNS[1:])


@sets.command("get")
@click.argument("id_or_name")
@json_option
def get_set(id_or_name: str, as_json: bool) -> None:
    """Show a rule set and its rules.

    \b
    Example:
      cloudsignal acl sets get backend-services
    """
    show_set(state().api().acl.rule_sets.get(id_or_name), as_json)


@sets.command("create")
@click.option("--name", required=True, help="Letters, digits, - _ . (1-64).")
@click.option("--description", help="What the set is for.")
@rule_option
@rules_option
@if_not_exists_option
@json_option
def create_set(name: str, description: Optional[str], rule_options: Sequence[str], rules_json: Optional[str],
               if_not_exists: bool, as_json: bool) -> None:
    """Create a rule set.

    With --if-not-exists, a set of that name is success when its description and rules are the
    ones given (those given).

    \b
    Examples:
      cloudsignal acl sets create --name backend-services --rule allow:both:services/#
      cloudsignal acl sets create --name sensors --rules @sensor-rules.json
      cloudsignal acl sets create --name backend-services --rule allow:both:services/# --if-not-exists
    """
    api = state().api()
    rules = parse_rules(rule_options, rules_json)
    try:
        rule_set = api.acl.rule_sets.create(name, description=description, rules=rules)
    except ConflictError:
        if not if_not_exists:
            raise
        existing: Any = api.acl.rule_sets.get(name)
        comparable = {**existing, "rules": [comparable_rule(rule) for rule in existing.get("rules") or []]}
        wanted = {"description": description,
                  "rules": [comparable_rule(cast(Any, rule)) for rule in rules] if rules is not None else None}
        same_or_fail(f"Rule set {name}", comparable, wanted)
        show_set(existing, as_json)
        return
    show_set(rule_set, as_json)
    if not as_json:
        note(f"Created rule set {name}.")


@sets.command("update")
@click.argument("id_or_name")
@click.option("--name", help="Rename the set.")
@click.option("--description")
@rule_option
@rules_option
@json_option
def update_set(id_or_name: str, name: Optional[str], description: Optional[str], rule_options: Sequence[str],
               rules_json: Optional[str], as_json: bool) -> None:
    """Rename a rule set, change its description, or replace all its rules.

    \b
    Example:
      cloudsignal acl sets update backend-services --rule allow:both:services/# --rule deny:both:services/secret
    """
    rules = parse_rules(rule_options, rules_json)
    if name is None and description is None and rules is None:
        raise click.UsageError("nothing to change: pass --name, --description, --rule or --rules")
    rule_set = state().api().acl.rule_sets.update(
        id_or_name,
        name=name if name is not None else NOT_GIVEN,
        description=description if description is not None else NOT_GIVEN,
        rules=rules if rules is not None else NOT_GIVEN,
    )
    show_set(rule_set, as_json)


@sets.command("delete")
@click.argument("id_or_name")
@json_option
def delete_set(id_or_name: str, as_json: bool) -> None:
    """Delete a rule set (refused while users or the organization's default use it).

    \b
    Example:
      cloudsignal acl sets delete backend-services
    """
    state().api().acl.rule_sets.delete(id_or_name)
    done(as_json, f"Deleted rule set {id_or_name}.", {"deleted": True, "id": id_or_name})
