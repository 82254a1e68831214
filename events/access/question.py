"""The access question, answered in one place: may this principal publish or subscribe on this
topic, now or at a past moment, and why.

Every asker calls `ask`: the simulator (`POST /v2/acl/check`), the broker's endpoints
(`/internal/broker/authorize`, go-auth's ACL check) and the audit history (`GET /v2/audit/access`).
The answer is decided in this order:

1. topics starting with '$' belong to the broker: denied, except a shared subscription
   `$share/GROUP/FILTER`, decided as FILTER;
2. a topic a person typed must be a topic name (publish) or filter (subscribe): else InvalidInput;
3. no principal, or a disabled one: denied;
4. a topic as the broker names it must lie in the principal's organization's namespace;
5. the principal's rules decide (`events.access.rules.evaluate`): its rule set's, then the
   organization's (`rules_of`).

Now is the read model (`Now`); a past moment is `events.audit.PointInTime`. Both are an
`AccessState`: where a principal's rules come from, and the events behind them.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Protocol, Sequence, Tuple

from events.access.rules import Rule, as_rule, evaluate
from events.errors import InvalidInput
from events.readmodel import ReadModel
from events.topics import topic_error

DOLLAR_TOPICS = "topics starting with '$' are closed to tenants"


class Principal(Protocol):
    """An MQTT user or temporary credentials (`tok_...`), as the read model or the store has them."""

    @property
    def name(self) -> str: ...

    @property
    def org_id(self) -> str: ...

    @property
    def rule_set_id(self) -> Optional[str]: ...

    @property
    def disabled(self) -> bool: ...


@dataclass(frozen=True)
class SourcedRule:
    rule: Rule
    source: str  # "organization", or the name of the rule set holding the rule
    events: Sequence[Any] = ()  # the events behind it, at a past moment


class AccessState(Protocol):
    """Where a principal's rules come from: the read model now, or the store at a past moment."""

    @property
    def at(self) -> Optional[datetime]:
        """The moment asked about; None: now."""

    def rule_set_rules(self, org_id: str, rule_set_id: str) -> List[SourcedRule]: ...

    def organization_rules(self, org_id: str) -> List[SourcedRule]: ...


class Now:
    """The access state now: the read model."""

    at: Optional[datetime] = None

    def __init__(self, view: ReadModel):
        self.view = view

    def rule_set_rules(self, org_id: str, rule_set_id: str) -> List[SourcedRule]:
        rule_set = self.view.find_rule_set(org_id, rule_set_id)
        return [SourcedRule(as_rule(body), rule_set.name) for body in rule_set.rules]

    def organization_rules(self, org_id: str) -> List[SourcedRule]:
        return [SourcedRule(as_rule(rule.rule), "organization") for rule in self.view.rules_of(org_id)]


@dataclass(frozen=True)
class Answer:
    allowed: bool
    reason: str
    rule: Optional[Rule] = None  # the rule that decided
    source: Optional[str] = None  # where that rule comes from
    withheld: Tuple[Rule, ...] = ()  # see events.access.rules.Decision
    events: Sequence[Any] = ()  # the events behind that rule, at a past moment

    def as_json(self) -> Dict[str, Any]:
        """The answer as the API shows it (AclDecisionSchema; AccessSchema adds the moment and events)."""
        return {"allowed": self.allowed, "reason": self.reason, "source": self.source,
                "matched_rule": self.rule.__dict__ if self.rule else None,
                "withheld": [rule.__dict__ for rule in self.withheld]}


def claims_of(principal: Any) -> Dict[str, str]:
    """The token claims of temporary credentials, for `{claims.<name>}` in rules; users have none."""
    claims: Dict[str, str] = getattr(principal, "claims", {})
    return claims


def namespace(principal: Principal, tenancy: str) -> str:
    """The prefix every topic of this principal's organization has on the broker."""
    return f"{principal.org_id}/" if tenancy == "multi" else ""


def shared_subscription(topic: str) -> Tuple[Optional[str], str]:
    """`$share/GROUP/FILTER` -> (GROUP, FILTER) when GROUP is one level without wildcards and
    FILTER does not start with '$' (as the broker plugin decides); else (None, topic)."""
    if topic.startswith("$share/"):
        group, _, rest = topic[len("$share/"):].partition("/")
        if group and not set(group) & {"+", "#"} and rest and not rest.startswith("$"):
            return group, rest
    return None, topic


def rules_of(state: AccessState, principal: Principal) -> List[SourcedRule]:
    """The principal's rules with where each comes from: its rule set's, then the organization's
    (`evaluate` tries them by priority; at equal priority and permission in this order)."""
    rules = state.rule_set_rules(principal.org_id, principal.rule_set_id) if principal.rule_set_id else []
    return rules + state.organization_rules(principal.org_id)


def ask(
    state: AccessState,
    principal: Optional[Principal],
    *,
    username: str,
    topic: str,
    action: str,
    client_id: Optional[str] = None,
    tenancy: Optional[str] = None,
) -> Answer:
    """May `principal` (asked for as `username`; None when there is no such principal) `action`
    ("publish" or "subscribe") on `topic`, in `state`?

    `tenancy` ("single" or "multi"): the topic is as the broker names it, absolute (`{org_id}/`
    in front in multi tenancy), and the broker has checked it already. None: the topic as a
    tenant names it, checked here (InvalidInput when it is not a topic name or filter)."""
    group, shared = shared_subscription(topic)
    if group is not None and action == "subscribe":
        topic = shared
    if topic.startswith("$"):
        return Answer(False, DOLLAR_TOPICS)
    if tenancy is None:
        error = topic_error(topic, wildcards=action == "subscribe")
        if error:
            raise InvalidInput(f"invalid topic: {error}", {"topic": [error]})
    if principal is None:
        return Answer(False, "unknown user" if state.at is None else f"no user {username!r} existed then")
    if principal.disabled:
        return Answer(False, "the user is disabled" if state.at is None else "the user was disabled")
    prefix = namespace(principal, tenancy) if tenancy else ""
    if not topic.startswith(prefix):
        return Answer(False, "outside the organization's namespace")
    rules = rules_of(state, principal)
    decision = evaluate([sourced.rule for sourced in rules], username=principal.name, client_id=client_id,
                        org_id=principal.org_id, topic=topic[len(prefix):], action=action,
                        claims=claims_of(principal))
    deciding = next((sourced for sourced in rules if sourced.rule is decision.rule), None)
    return Answer(decision.allowed, decision.reason, decision.rule, deciding.source if deciding else None,
                  decision.withheld, deciding.events if deciding else ())
