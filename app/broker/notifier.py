"""Turns committed events into broker commands, so changes reach connected clients at once.

Password change, disable or delete -> kick the user's sessions and drop its cached credentials.
Rule, rule set or assignment changes -> new rules for the affected users' sessions.
Refreshed temporary credentials -> a new expiry; changed quotas -> new organization limits.
A password set (user created, password changed, temporary credentials issued) -> the principal with
its verifier, so the broker decides that principal's CONNECTs from memory; the API call waits (up
to a second) until the broker has it. Every command carries the log position it brings the broker
to (docs/broker-protocol.md).
"""

import logging
import math
from typing import Any, Callable, Dict, Iterable, List, Optional
from uuid import UUID

from events.application import CloudSignal
from events.broker_state import mqtt_username, principal_record, verifier
from events.domainmodel import AclRule, AclRuleSet, MqttUser, Organization, TemporaryCredential
from events.mqtt_access import broker_rules, limits

PUSH_WAIT = 1.0  # seconds an API call waits for the broker to acknowledge a new principal
log = logging.getLogger("cloudsignal.broker")

REVOKING_USER_EVENTS = {"PasswordChanged", "Disabled", "Deleted"}


class BrokerNotifier:
    def __init__(self, domain: CloudSignal, send: Callable[[List[Dict[str, Any]]], List[Any]], tenancy: str,
                 verifier_key: Optional[bytes] = None):
        self.domain, self.send, self.tenancy, self.verifier_key = domain, send, tenancy, verifier_key
        if verifier_key is not None:
            domain.password_listeners.append(self.password_set)

    def password_set(self, principal: Any, password: str) -> None:
        """Hand the broker the principal with a verifier of its new password, and wait until the
        broker has it (its PUBACK), so the client connects from the broker's memory at once."""
        assert self.verifier_key is not None
        command = {"command": "set_principal", **self._record(principal),
                   "verifier": verifier(self.verifier_key, mqtt_username(principal), password)}
        for info in self._send([command]):
            try:
                info.wait_for_publish(PUSH_WAIT)
            except (RuntimeError, ValueError):  # not connected: the broker's sync or first CONNECT catches up
                log.info("broker unreachable; %s will be verified by the service at its first CONNECT",
                         command["username"])
                return

    def _record(self, principal: Any) -> Dict[str, Any]:
        return principal_record(self.domain.view, principal, self.domain.quotas(principal.org_id), self.tenancy)

    def _send(self, commands: List[Dict[str, Any]]) -> List[Any]:
        position = self.domain.view.position
        return self.send([{**command, "position": position} for command in commands]) or []

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
            self._send(commands)

    def _principals_of(self, org_id: str) -> Iterable[Any]:
        view = self.domain.view
        return [*view.users_of(org_id), *view.credentials_of(org_id)]

    def _set_rules(self, principal: Any) -> Dict[str, Any]:
        return {
            "command": "set_rules",
            "username": f"{principal.name}@{principal.org_id}",
            "acl": broker_rules(self.domain.view, principal, self.tenancy),
        }
