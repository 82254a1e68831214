"""Turns committed events into broker commands, so changes reach connected clients at once.

Password change, disable or delete -> kick the user's sessions and drop its cached credentials.
Rule, rule set or assignment changes -> new rules for the affected users' sessions.
Refreshed temporary credentials -> a new expiry; changed quotas -> new organization limits.
"""

import math
from typing import Any, Callable, Dict, Iterable, List
from uuid import UUID

from events.application import CloudSignal
from events.domainmodel import AclRule, AclRuleSet, MqttUser, Organization, TemporaryCredential
from events.mqtt_access import broker_rules, limits

REVOKING_USER_EVENTS = {"PasswordChanged", "Disabled", "Deleted"}


class BrokerNotifier:
    def __init__(self, domain: CloudSignal, send: Callable[[List[Dict[str, Any]]], None], tenancy: str):
        self.domain, self.send, self.tenancy = domain, send, tenancy

    def __call__(self, events: List[Any], aggregates: Dict[UUID, Any]) -> None:
        commands: List[Dict[str, Any]] = []
        rules_for: Dict[str, Any] = {}  # principals (users, temporary credentials) needing new rules
        for event in events:
            aggregate = aggregates.get(event.originator_id)
            kind = type(event).__name__
            if isinstance(aggregate, MqttUser):
                username = f"{aggregate.name}@{aggregate.org_id}"
                if kind in REVOKING_USER_EVENTS:
                    commands += [{"command": "kick_user", "username": username},
                                 {"command": "invalidate", "username": username}]
                elif kind == "RuleSetAssigned":
                    rules_for[aggregate.id] = aggregate
            elif isinstance(aggregate, TemporaryCredential) and kind == "Refreshed":
                commands.append({"command": "set_expiry", "username": f"{aggregate.name}@{aggregate.org_id}",
                                 "expire_at": math.ceil(aggregate.expires_at.timestamp())})
            elif isinstance(aggregate, Organization) and kind == "QuotasChanged":
                commands.append({"command": "set_limits", **limits(self.domain.quotas(aggregate.org_id),
                                                                   aggregate.org_id)})
            elif isinstance(aggregate, AclRule):
                rules_for.update({p.id: p for p in self._principals_of(aggregate.org_id)})
            elif isinstance(aggregate, AclRuleSet) and kind == "RulesReplaced":
                rules_for.update({p.id: p for p in self._principals_of(aggregate.org_id)
                                  if p.rule_set_id == aggregate.rule_set_id})
        commands += [self._set_rules(principal) for principal in rules_for.values() if not principal.deleted]
        if commands:
            self.send(commands)

    def _principals_of(self, org_id: str) -> Iterable[Any]:
        view = self.domain.view
        return [*view.users_of(org_id), *view.credentials_of(org_id)]

    def _set_rules(self, principal: Any) -> Dict[str, Any]:
        return {
            "command": "set_rules",
            "username": f"{principal.name}@{principal.org_id}",
            "acl": broker_rules(self.domain.view, principal, self.tenancy),
        }
