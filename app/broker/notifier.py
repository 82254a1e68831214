"""Turns committed events into broker commands, so changes reach connected clients at once.

Password change, disable or delete -> kick the user's sessions and drop its cached credentials.
Rule, rule set or assignment changes -> new rules for the affected users' sessions.
"""

from typing import Any, Callable, Dict, Iterable, List
from uuid import UUID

from events.application import CloudSignal
from events.domainmodel import AclRule, AclRuleSet, MqttUser
from events.mqtt_access import broker_rules

REVOKING_USER_EVENTS = {"PasswordChanged", "Disabled", "Deleted"}


class BrokerNotifier:
    def __init__(self, domain: CloudSignal, send: Callable[[List[Dict[str, Any]]], None], tenancy: str):
        self.domain, self.send, self.tenancy = domain, send, tenancy

    def __call__(self, events: List[Any], aggregates: Dict[UUID, Any]) -> None:
        commands: List[Dict[str, Any]] = []
        rules_for: Dict[str, MqttUser] = {}
        for event in events:
            aggregate = aggregates.get(event.originator_id)
            kind = type(event).__name__
            if isinstance(aggregate, MqttUser):
                username = f"{aggregate.name}@{aggregate.org_id}"
                if kind in REVOKING_USER_EVENTS:
                    commands += [{"command": "kick_user", "username": username},
                                 {"command": "invalidate", "username": username}]
                elif kind == "RuleSetAssigned":
                    rules_for[aggregate.user_id] = aggregate
            elif isinstance(aggregate, AclRule):
                rules_for.update({u.user_id: u for u in self.domain.view.users_of(aggregate.org_id)})
            elif isinstance(aggregate, AclRuleSet) and kind == "RulesReplaced":
                rules_for.update({u.user_id: u for u in self._users_of_rule_set(aggregate)})
        commands += [self._set_rules(user) for user in rules_for.values() if not user.deleted]
        if commands:
            self.send(commands)

    def _users_of_rule_set(self, rule_set: AclRuleSet) -> Iterable[MqttUser]:
        return (u for u in self.domain.view.users_of(rule_set.org_id) if u.rule_set_id == rule_set.rule_set_id)

    def _set_rules(self, user: MqttUser) -> Dict[str, Any]:
        return {
            "command": "set_rules",
            "username": f"{user.name}@{user.org_id}",
            "acl": broker_rules(self.domain.view, user, self.tenancy),
        }
