"""Rules and their evaluation: what a rule is, which rules are valid, and which rule decides.

Rules are tried lowest priority number first (deny before allow at equal priority, then in the
order given); the first rule whose rendered topic covers the whole requested topic or filter
decides; no match denies. A deny rule that only overlaps a subscription filter does not refuse the
subscription: the broker checks every delivery, where that rule covers the topics it names, so
those are withheld while the rest of the filter is delivered (as Mosquitto's own ACL file does).
"""

from dataclasses import dataclass
from fnmatch import fnmatchcase
import re
from typing import Any, Dict, Iterable, List, Optional, Tuple

from events.errors import InvalidInput
from events.topics import covers, overlaps, topic_error

ACTIONS = ("publish", "subscribe")
RULE_ACTIONS = ("publish", "subscribe", "both")
PERMISSIONS = ("allow", "deny")
DEFAULT_PRIORITY = 100


@dataclass(frozen=True)
class Rule:
    id: str
    topic: str
    action: str
    permission: str
    priority: int = DEFAULT_PRIORITY
    user: Optional[str] = None  # a glob over the user's name, such as "sensor-*"


def as_rule(body: Dict[str, Any]) -> Rule:
    """A rule as stored (the JSON body of a rule or a rule set's entry) as a `Rule`."""
    return Rule(
        id=body["id"], topic=body["topic"], action=body["action"], permission=body["permission"],
        priority=body.get("priority", DEFAULT_PRIORITY), user=body.get("user"),
    )


def check_rule(rule: Dict[str, Any]) -> None:
    """Invariants every rule keeps, wherever it is stored (InvalidInput when it does not)."""
    error = topic_error(rule["topic"], wildcards=True, placeholders=True)
    if error:
        raise InvalidInput(f"invalid topic filter: {error}", {"topic": [error]})
    if rule["action"] not in RULE_ACTIONS or rule["permission"] not in PERMISSIONS:
        raise InvalidInput("invalid action or permission")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: Optional[Rule]
    reason: str
    # Deny rules tried before the granting rule that overlap a granted subscription filter: the
    # topics they name are withheld from its deliveries.
    withheld: Tuple[Rule, ...] = ()


def ordered(rules: Iterable[Rule]) -> List[Rule]:
    """Rules in the order they are tried."""
    return sorted(rules, key=lambda rule: (rule.priority, rule.permission != "deny"))


_PLACEHOLDER_OR_VALUE = re.compile(r"\{(?:client_id|username|org_id|claims\.[A-Za-z0-9_]+)\}")
# How the broker plugin spells the client id it renders per session (events.access.broker passes
# it as the client id): the only place a rendered rule may hold '$', '{' or '}'.
BROKER_CLIENT_ID = "${clientid}"
# Values from outside (claims, usernames) are data: none of these may reach a rendered rule, where
# they would be wildcards, levels, or placeholders the broker renders again ('${clientid}').
_SYNTAX = re.compile(r"[/+#${}\x00-\x1f\x7f-\x9f]")


def _usable(value: Any, *, strict: bool = True) -> bool:
    """Whether `value` may stand for a placeholder. Claims and usernames are `strict`; client ids
    are checked for '/', '+' and '#' only, as the broker plugin checks the ids it renders itself."""
    if not isinstance(value, str) or value == "":
        return False
    if strict:
        return _SYNTAX.search(value) is None
    return not any(char in value for char in "/+#")


def render(
    topic: str, *, username: str, client_id: Optional[str], org_id: str, claims: Optional[Dict[str, Any]] = None
) -> Optional[str]:
    """The rule topic with placeholders filled in once; None when a value cannot stand in a topic
    (the caller treats an allow as void and broadens a deny). Values are substituted in one pass,
    so a value can never introduce a placeholder, a wildcard or a level."""
    client_id = local_client_id(client_id, org_id)
    values: Dict[str, str] = {"{org_id}": org_id}
    for placeholder in set(_PLACEHOLDER_OR_VALUE.findall(topic)):
        if placeholder == "{client_id}":
            if client_id is None or (client_id != BROKER_CLIENT_ID and not _usable(client_id, strict=False)):
                return None
            values[placeholder] = client_id
        elif placeholder == "{username}":
            if not _usable(username):
                return None
            values[placeholder] = username
        elif placeholder.startswith("{claims."):
            value = (claims or {}).get(placeholder[len("{claims."):-1])
            if not isinstance(value, str) or not _usable(value):
                return None
            values[placeholder] = value
    return _PLACEHOLDER_OR_VALUE.sub(lambda match: values[match.group(0)], topic)


def for_user(rule: Rule, username: str) -> bool:
    """Whether the rule's optional username glob admits `username`."""
    return rule.user is None or fnmatchcase(username, rule.user)


def local_client_id(client_id: Optional[str], org_id: str) -> Optional[str]:
    """The client id as its user knows it: without the `{org_id}/` prefix that multi tenancy puts
    in front of every client id on the broker (the SDKs add and strip it, as for topics), so that
    `{client_id}` in a rule means the same id whether the broker or a user names it. Any other id
    (no prefix, another organization's) is returned as it is."""
    prefix = f"{org_id}/"
    if isinstance(client_id, str) and client_id.startswith(prefix):
        return client_id[len(prefix):]
    return client_id


def broadened(topic: str) -> str:
    """The rule's topic cut at the first level holding a value-dependent placeholder, ended with '#'."""
    levels = topic.split("/")
    cut = next(position for position, level in enumerate(levels)
               if "{client_id}" in level or "{claims." in level or "{username}" in level)
    return "/".join(levels[:cut] + ["#"])


def applies_to(rule: Rule, *, username: str, action: str) -> bool:
    return rule.action in (action, "both") and for_user(rule, username)


def evaluate(
    rules: Iterable[Rule],
    *,
    username: str,
    client_id: Optional[str],
    org_id: str,
    topic: str,
    action: str,
    claims: Optional[Dict[str, Any]] = None,
) -> Decision:
    """Decide whether `username` may `action` on `topic` (a topic name or subscription filter)."""
    withheld: List[Rule] = []
    for rule in ordered(rules):
        if not applies_to(rule, username=username, action=action):
            continue
        pattern = render(rule.topic, username=username, client_id=client_id, org_id=org_id, claims=claims)
        if pattern is None:
            if rule.permission == "allow":
                continue
            pattern = broadened(rule.topic)  # a deny never narrows for want of a client id
        if covers(pattern, topic):
            if rule.permission == "allow":
                reason = f"allowed by rule {rule.id}"
                if withheld:
                    reason += "; deliveries on topics of " + ", ".join(r.id for r in withheld) + " are withheld"
                return Decision(True, rule, reason, tuple(withheld))
            return Decision(False, rule, f"denied by rule {rule.id}")
        if rule.permission == "deny" and overlaps(pattern, topic):
            withheld.append(rule)
    return Decision(False, None, "no rule matched; the default is deny")
