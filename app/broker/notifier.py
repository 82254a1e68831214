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

from app.broker import commands
from app.broker.commands import Command
from events.application import CloudSignal
from events.broker_state import principal_record, verifier
from events.domainmodel import AclRule, AclRuleSet, MqttUser, Organization, TemporaryCredential
from events.access.broker import broker_acl, limits
from events.access.question import Now, rules_of

PUSH_WAIT = 1.0  # seconds an API call waits for the broker to acknowledge a new principal
log = logging.getLogger("cloudsignal.broker")

REVOKING_USER_EVENTS = {"PasswordChanged", "Disabled", "Deleted"}


class BrokerNotifier:
    def __init__(self, domain: CloudSignal, send: Callable[[List[Command]], List[Any]], tenancy: str,
                 verifier_key: Optional[bytes] = None):
        self.domain, self.send, self.tenancy, self.verifier_key = domain, send, tenancy, verifier_key
        if verifier_key is not None:
            domain.password_listeners.append(self.password_set)

    def password_set(self, principal: Any, password: str) -> None:
        """Hand the broker the principal with a verifier of its new password, and wait until the
        broker has it (its PUBACK), so the client connects from the broker's memory at once."""
        assert self.verifier_key is not None
        record = self._record(principal)
        command = commands.set_principal(record, verifier(self.verifier_key, record["username"], password))
        for info in self._send([command]):
            try:
                info.wait_for_publish(PUSH_WAIT)
            except (RuntimeError, ValueError):  # not connected: the broker's sync or first CONNECT catches up
                log.info("broker unreachable; %s will be verified by the service at its first CONNECT",
                         command["username"])
                return

    def _record(self, principal: Any) -> Dict[str, Any]:
        return principal_record(self.domain.view, principal, self.domain.quotas(principal.org_id), self.tenancy)

    def _send(self, batch: List[Command]) -> List[Any]:
        """One publish (per broker) of the commands, each stamped with the log position."""
        position = self.domain.view.position
        return self.send([{**command, "position": position} for command in batch]) or []

    def __call__(self, events: List[Any], aggregates: Dict[UUID, Any]) -> None:
        batch: List[Command] = []
        rules_for: Dict[UUID, Any] = {}  # principals (users, temporary credentials) needing new rules
        for event in events:
            aggregate = aggregates.get(event.originator_id)
            kind = type(event).__name__
            if isinstance(aggregate, MqttUser):
                if kind in REVOKING_USER_EVENTS:
                    batch += commands.revoke(aggregate.mqtt_username)
                elif kind == "RuleSetAssigned":
                    rules_for[aggregate.id] = aggregate
            elif isinstance(aggregate, TemporaryCredential) and kind == "Refreshed":
                batch.append(commands.set_expiry(aggregate.mqtt_username,
                                                 math.ceil(aggregate.expires_at.timestamp())))
            elif isinstance(aggregate, Organization) and kind == "QuotasChanged":
                batch.append(commands.set_limits(limits(self.domain.quotas(aggregate.org_id), aggregate.org_id)))
            elif isinstance(aggregate, AclRule):
                rules_for.update({p.id: p for p in self._principals_of(aggregate.org_id)})
            elif isinstance(aggregate, AclRuleSet) and kind == "RulesReplaced":
                rules_for.update({p.id: p for p in self._principals_of(aggregate.org_id)
                                  if p.rule_set_id == aggregate.rule_set_id})
        batch += [self._set_rules(principal) for principal in rules_for.values() if not principal.deleted]
        if batch:
            self._send(batch)

    def _principals_of(self, org_id: str) -> Iterable[Any]:
        view = self.domain.view
        return [*view.users_of(org_id), *view.credentials_of(org_id)]

    def _set_rules(self, principal: Any) -> Command:
        """New rules for a user (aggregate or read-model record) or temporary credentials."""
        return commands.set_rules(principal.mqtt_username,
                                  broker_acl(rules_of(Now(self.domain.view), principal), principal, self.tenancy))
