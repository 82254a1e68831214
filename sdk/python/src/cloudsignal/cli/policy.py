"""Policy as code: ``cloudsignal acl pull|validate|push``.

The organization's rules and rule sets live in a YAML file in a repository; ``pull`` writes it,
``validate`` checks it without the API (exit 2 with ``FILE:LINE: where: problem`` lines),
``push --dry-run`` prints the plan the API computes, and ``push`` applies it in one call
(``POST /v2/acl/policy``): one commit, one actor and request id in the history, all or nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

import click
import yaml

from cloudsignal.cli._context import ExitStatus, state
from cloudsignal.cli._output import note, out, print_json

ACTIONS = ("publish", "subscribe", "both")
PERMISSIONS = ("allow", "deny")
RULE_KEYS = ("id", "topic", "action", "permission", "priority", "user")
SET_KEYS = ("name", "description", "rules")
TOP_KEYS = ("version", "rules", "rule_sets")
NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
USER_GLOB = re.compile(r"^[A-Za-z0-9._*?-]{1,64}$")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
KNOWN_PLACEHOLDERS = ("{username}", "{client_id}", "{org_id}")
CLAIM_PLACEHOLDER = re.compile(r"^\{claims\.[A-Za-z0-9_]{1,64}\}$")
HEADER = """\
# CloudSignal access policy of {org}, pulled {when}.
# Organization rules apply to every user; a user also gets its rule set's rules.
# Rules with an id change that rule; rules without one are created (or kept when identical);
# rules and rule sets left out are deleted. Check, plan and apply:
#   cloudsignal acl validate {file}
#   cloudsignal acl push {file} --dry-run
#   cloudsignal acl push {file}
"""


@dataclass
class Problem:
    line: int
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PolicyFileError(click.ClickException):
    """The file is not a valid policy: exit status 2, one line per problem."""

    exit_code = ExitStatus.USAGE

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path, self.problems = path, problems
        lines = [f"{path}:{p.line}: {p}" for p in problems]
        super().__init__(f"{path} is not a valid policy ({len(problems)} problem(s)):\n" + "\n".join(lines))
        self.code = "invalid_policy"
        self.detail = {"problems": [{"line": p.line, "where": p.where, "message": p.message} for p in problems]}

    def format_message(self) -> str:
        return self.message


def topic_problem(topic: str) -> Optional[str]:
    """Why a rule's topic filter is invalid (the service's rules, checked offline), or None."""
    if topic == "":
        return "must not be empty"
    if len(topic.encode("utf-8")) > 1024:
        return "must be at most 1024 bytes"
    if topic.startswith("$"):
        return "topics starting with '$' are reserved for the broker"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in topic):
        return "must not contain control characters"
    levels = topic.split("/")
    if len(levels) > 64:
        return "must have at most 64 levels"
    for position, level in enumerate(levels):
        if "#" in level and (level != "#" or position != len(levels) - 1):
            return "'#' must be a whole level and the last one"
        if "+" in level and level != "+":
            return "'+' must be a whole level"
    for name in PLACEHOLDER.findall(topic):
        if name not in KNOWN_PLACEHOLDERS and not CLAIM_PLACEHOLDER.match(name):
            return f"unknown placeholder {name}; use one of {', '.join(KNOWN_PLACEHOLDERS)} or {{claims.<name>}}"
    rest = PLACEHOLDER.sub("", topic)
    if "{" in rest or "}" in rest:
        return "unbalanced '{' or '}'"
    return None


class _Checker:
    """Walks the YAML node tree, so that each problem carries its line."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node, where: str, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1, where, message))

    def mapping(self, node: yaml.Node, where: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, where, "must be a mapping (name: value lines)")
            return {}
        found: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            if name in found:
                self.problem(key, where, f"{name!r} is given twice")
            elif name not in allowed:
                self.problem(key, where, f"unknown field {name!r}; known: {', '.join(allowed)}")
            found[name] = value
        return found

    def sequence(self, node: yaml.Node, where: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, where, "must be a list ('- ' items)")
            return []
        return list(node.value)

    def string(self, node: Optional[yaml.Node], where: str, required: bool = True) -> Optional[str]:
        if node is None:
            if required:
                self.problems.append(Problem(0, where, "is required"))
            return None
        if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":str"):
            if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and not required:
                return None
            self.problem(node, where, "must be text (quote it)")
            return None
        return str(node.value)

    def rule(self, node: yaml.Node, where: str, in_set: bool) -> None:
        fields = self.mapping(node, where, RULE_KEYS)
        if not fields and not isinstance(node, yaml.MappingNode):
            return
        line = node.start_mark.line + 1
        for required in ("topic", "action", "permission"):
            if required not in fields:
                self.problems.append(Problem(line, f"{where}.{required}", "is required"))
        topic = self.string(fields.get("topic"), f"{where}.topic", required=False) if "topic" in fields else None
        if topic is not None:
            error = topic_problem(topic)
            if error:
                self.problem(fields["topic"], f"{where}.topic", error)
        for name, choices in (("action", ACTIONS), ("permission", PERMISSIONS)):
            if name in fields:
                value = self.string(fields[name], f"{where}.{name}", required=False)
                if value is not None and value not in choices:
                    self.problem(fields[name], f"{where}.{name}", f"must be one of {', '.join(choices)}, not {value!r}")
        if "priority" in fields:
            node_ = fields["priority"]
            if not (isinstance(node_, yaml.ScalarNode) and node_.tag.endswith(":int")) or not (
                    0 <= int(node_.value) <= 1_000_000):
                self.problem(node_, f"{where}.priority", "must be a whole number from 0 to 1000000")
        if "user" in fields:
            user = self.string(fields["user"], f"{where}.user", required=False)
            if user is not None and not USER_GLOB.match(user):
                self.problem(fields["user"], f"{where}.user",
                             "must be a username glob of letters, digits, '-', '_', '.', '*', '?'")
        if "id" in fields and not in_set:
            rule_id = self.string(fields["id"], f"{where}.id", required=False)
            if rule_id is not None and not rule_id.startswith("rule_"):
                self.problem(fields["id"], f"{where}.id", "must be a rule id (rule_...), or be left out")


def check(text: str, path: str) -> dict[str, Any]:
    """The policy in `text`, or PolicyFileError with every problem and its line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise PolicyFileError(path, [Problem(line, "file", f"not valid YAML: {getattr(error, 'problem', error)}")])
    checker = _Checker()
    if root is None:
        raise PolicyFileError(path, [Problem(1, "file", "is empty; expected 'rules:' and 'rule_sets:'")])
    top = checker.mapping(root, "file", TOP_KEYS)
    if "version" in top and not (isinstance(top["version"], yaml.ScalarNode) and top["version"].value == "1"):
        checker.problem(top["version"], "version", "must be 1")
    for required in ("rules", "rule_sets"):
        if required not in top and isinstance(root, yaml.MappingNode):
            checker.problems.append(Problem(root.start_mark.line + 1, required, "is required (an empty list: [])"))
    ids: dict[str, int] = {}
    for index, node in enumerate(checker.sequence(top["rules"], "rules") if "rules" in top else []):
        checker.rule(node, f"rules[{index}]", in_set=False)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "id" and isinstance(value, yaml.ScalarNode) and value.value:
                    if value.value in ids:
                        checker.problem(value, f"rules[{index}].id", f"{value.value} is also rules[{ids[value.value]}]")
                    ids.setdefault(value.value, index)
    names: dict[str, int] = {}
    for index, node in enumerate(checker.sequence(top["rule_sets"], "rule_sets") if "rule_sets" in top else []):
        where = f"rule_sets[{index}]"
        fields = checker.mapping(node, where, SET_KEYS)
        if isinstance(node, yaml.MappingNode) and "name" not in fields:
            checker.problems.append(Problem(node.start_mark.line + 1, f"{where}.name", "is required"))
        name = checker.string(fields.get("name"), f"{where}.name", required=False) if "name" in fields else None
        if name is not None:
            if not NAME.match(name):
                checker.problem(fields["name"], f"{where}.name", "must be 1-64 letters, digits, '-', '_' or '.'")
            elif name in names:
                checker.problem(fields["name"], f"{where}.name", f"{name!r} is also rule_sets[{names[name]}]")
            names.setdefault(name, index)
        if "description" in fields:
            description = checker.string(fields["description"], f"{where}.description", required=False)
            if description is not None and len(description) > 500:
                checker.problem(fields["description"], f"{where}.description", "must be at most 500 characters")
        for rule_index, rule_node in enumerate(checker.sequence(fields["rules"], f"{where}.rules")
                                               if "rules" in fields else []):
            checker.rule(rule_node, f"{where}.rules[{rule_index}]", in_set=True)
    if checker.problems:
        raise PolicyFileError(path, sorted(checker.problems, key=lambda p: p.line))
    data = yaml.safe_load(text)
    return {
        "rules": [_rule(rule) for rule in data.get("rules") or []],
        "rule_sets": [{"name": s["name"], "description": s.get("description") or "",
                       "rules": [_rule(rule, with_id=False) for rule in s.get("rules") or []]}
                      for s in data.get("rule_sets") or []],
    }


def _rule(rule: dict[str, Any], with_id: bool = True) -> dict[str, Any]:
    body = {"topic": rule["topic"], "action": rule["action"], "permission": rule["permission"],
            "priority": rule.get("priority", 100), "user": rule.get("user")}
    return {"id": rule["id"], **body} if with_id and rule.get("id") else body


def read(path: str) -> str:
    try:
        if path == "-":
            return str(state().env.stdin.read())
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise click.BadParameter(f"cannot read {path}: {getattr(error, 'strerror', None) or error}",
                                 param_hint="FILE") from None


def to_yaml(document: dict[str, Any], org: str, file: str) -> str:
    def rule(item: dict[str, Any], with_id: bool) -> dict[str, Any]:
        kept = {name: item.get(name) for name in RULE_KEYS if name != "id"}
        if kept.get("user") is None:
            kept.pop("user")
        return {"id": item["id"], **kept} if with_id and item.get("id") else kept

    body = {
        "version": 1,
        "rules": [rule(item, True) for item in document.get("rules", [])],
        "rule_sets": [{"name": s["name"], **({"description": s["description"]} if s.get("description") else {}),
                       "rules": [rule(item, False) for item in s.get("rules", [])]}
                      for s in document.get("rule_sets", [])],
    }
    when = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return HEADER.format(org=org, when=when, file=file) + yaml.safe_dump(
        body, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)


@click.command("pull")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of standard output.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON instead of YAML.")
def pull(output: Optional[str], as_json: bool) -> None:
    """Write the organization's rules and rule sets as a policy file (YAML).

    \b
    Examples:
      cloudsignal acl pull > access.yaml
      cloudsignal acl pull -o access.yaml
    """
    api = state().api()
    document = api._http.request("GET", "/v2/acl/policy")
    if as_json:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        org = "this organization"
        try:
            org = api.organization.get().get("id") or org
        except Exception:  # a key without organization:read still pulls
            pass
        text = to_yaml(document, org, output or "access.yaml")
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        note(f"Wrote {len(document['rules'])} rule(s) and {len(document['rule_sets'])} rule set(s) to {output}.")
    else:
        out(text.rstrip("\n"))


@click.command("validate")
@click.argument("file", metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the parsed policy as JSON.")
def validate(file: str, as_json: bool) -> None:
    """Check a policy file without the API: exit 0, or 2 with 'FILE:LINE: where: problem' lines.

    \b
    Example:
      cloudsignal acl validate access.yaml
    """
    document = check(read(file), file)
    if as_json:
        print_json(document)
    else:
        note(f"{file}: {len(document['rules'])} rule(s) and {len(document['rule_sets'])} rule set(s); valid.")


def describe_rule(rule: dict[str, Any]) -> str:
    user = f", users {rule['user']}" if rule.get("user") else ""
    return f"{rule.get('permission')} {rule.get('action')} {rule.get('topic')} (priority {rule.get('priority')}{user})"


def print_plan(plan: dict[str, Any]) -> None:
    for item in plan["created"]:
        if item["kind"] == "rule":
            out(f"+ rule {describe_rule(item['rule'])}")
        else:
            out(f"+ rule set {item['name']} ({len(item['rules'])} rule(s))")
    for item in plan["changed"]:
        label = f"rule {item['id']}" if item["kind"] == "rule" else f"rule set {item['name']}"
        for name, change in item["changes"].items():
            if name == "rules":
                before = [describe_rule(rule) for rule in change["from"]]
                after = [describe_rule(rule) for rule in change["to"]]
                parts = [f"+{rule}" for rule in after if rule not in before]
                parts += [f"-{rule}" for rule in before if rule not in after]
                out(f"~ {label}: rules " + ("; ".join(parts) if parts else "reordered"))
            else:
                out(f"~ {label}: {name} {change['from']!r} -> {change['to']!r}")
    for item in plan["deleted"]:
        if item["kind"] == "rule":
            out(f"- rule {item['id']} {describe_rule(item['rule'])}")
        else:
            out(f"- rule set {item['name']}")
    counts = {name: len(plan[name]) for name in ("created", "changed", "deleted")}
    note(f"{counts['created']} to create, {counts['changed']} to change, {counts['deleted']} to delete, "
         f"{plan['unchanged']} unchanged.")


@click.command("push")
@click.argument("file", metavar="FILE")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's plan as JSON.")
def push(file: str, dry_run: bool, as_json: bool) -> None:
    """Make the organization's rules and rule sets exactly those of FILE, in one atomic call.

    The plan lists what is created (+), changed (~) and deleted (-). Nothing is half-applied:
    if any part fails, nothing changes. Every event of a push carries the same request id.

    \b
    Examples:
      cloudsignal acl push access.yaml --dry-run
      cloudsignal acl push access.yaml
    """
    document = check(read(file), file)
    plan = state().api()._http.request("POST", "/v2/acl/policy", json={**document, "dry_run": dry_run})
    if as_json:
        print_json(plan)
        return
    print_plan(plan)
    if dry_run:
        note("Dry run: nothing changed.")
    elif plan.get("applied"):
        note(f"Applied in one commit (request {plan.get('request_id')}).")
    else:
        note("Nothing to change.")
