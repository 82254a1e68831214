"""Aggregates of the CloudSignal domain. Every change is an event; nothing is updated in place.

Each event records the actor (API key id or `system`) and the request id from `events.context`.
"""

from dataclasses import field
from datetime import datetime
from typing import Any, Dict, List, Optional
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events.context import actor_var, request_id_var
from events.ids import NAMESPACE, aggregate_id


class CloudSignalAggregate(Aggregate):
    """Base of every aggregate here: its events say who made them and in which request."""

    class Event(Aggregate.Event):
        actor: str = field(default_factory=actor_var.get, init=False)
        request_id: Optional[str] = field(default_factory=request_id_var.get, init=False)

    class Created(Event, Aggregate.Created):
        pass

    deleted = False
    kind = "aggregate"  # what the audit history calls it
    _public_id_attribute = "id"
    _label_attribute = "id"

    @property
    def public_id(self) -> str:
        return str(getattr(self, self._public_id_attribute))

    @property
    def label(self) -> str:
        """A readable name for the audit history."""
        return str(getattr(self, self._label_attribute))

    @event("Deleted")
    def delete(self) -> None:
        self.deleted = True


class Organization(CloudSignalAggregate):
    kind, _public_id_attribute, _label_attribute = "organization", "org_id", "name"
    broker: Optional[str] = None  # the broker serving it, when there are several (events/brokers.py)

    def __init__(self, org_id: str, name: str, settings: Dict[str, Any], quotas: Dict[str, int]):
        self.org_id = org_id
        self.name = name
        self.settings = settings
        self.quotas = quotas  # overrides of the deployment's default quotas

    @classmethod
    def create_id(cls, org_id: str, **_: Any) -> UUID:
        return aggregate_id(org_id)

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name

    @event("SettingsChanged")
    def change_settings(self, settings: Dict[str, Any]) -> None:
        self.settings = settings

    @event("QuotasChanged")
    def change_quotas(self, quotas: Dict[str, Optional[int]]) -> None:
        self.quotas = quotas

    @event("BrokerAssigned")
    def assign_broker(self, broker: str) -> None:
        self.broker = broker


class NameClaim(CloudSignalAggregate):
    """Holds one name (a username, a rule set name) for one owner, so two claims collide."""

    kind, _public_id_attribute, _label_attribute = "name_claim", "name", "name"

    def __init__(self, kind: str, org_id: str, name: str, owner: Optional[str]):
        self.kind = kind
        self.org_id = org_id
        self.name = name
        self.owner = owner

    @classmethod
    def create_id(cls, kind: str, org_id: str, name: str) -> UUID:
        return uuid5(NAMESPACE, f"{kind}/{org_id}/{name}")

    @event("Claimed")
    def claim(self, owner: str) -> None:
        self.owner = owner

    @event("Released")
    def release(self) -> None:
        self.owner = None


class MqttUser(CloudSignalAggregate):
    kind, _public_id_attribute, _label_attribute = "user", "user_id", "name"

    def __init__(
        self,
        user_id: str,
        org_id: str,
        name: str,
        password_hash: str,
        rule_set_id: Optional[str],
        metadata: Dict[str, Any],
    ):
        self.user_id = user_id
        self.org_id = org_id
        self.name = name
        self.password_hash = password_hash
        self.rule_set_id = rule_set_id
        self.metadata = metadata
        self.disabled = False

    @classmethod
    def create_id(cls, user_id: str, **_: Any) -> UUID:
        return aggregate_id(user_id)

    @event("PasswordChanged")
    def change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash

    @event("RuleSetAssigned")
    def assign_rule_set(self, rule_set_id: Optional[str]) -> None:
        self.rule_set_id = rule_set_id

    @event("Disabled")
    def disable(self) -> None:
        self.disabled = True

    @event("Enabled")
    def enable(self) -> None:
        self.disabled = False

    @event("MetadataChanged")
    def change_metadata(self, metadata: Dict[str, Any]) -> None:
        self.metadata = metadata


class AclRule(CloudSignalAggregate):
    """An organization-level rule; rule sets keep theirs inside the set."""

    kind, _public_id_attribute, _label_attribute = "acl_rule", "rule_id", "rule_id"

    def __init__(self, rule_id: str, org_id: str, rule: Dict[str, Any]):
        self.rule_id = rule_id
        self.org_id = org_id
        self.rule = rule

    @classmethod
    def create_id(cls, rule_id: str, **_: Any) -> UUID:
        return aggregate_id(rule_id)

    @event("Changed")
    def change(self, rule: Dict[str, Any]) -> None:
        self.rule = rule


class AclRuleSet(CloudSignalAggregate):
    kind, _public_id_attribute, _label_attribute = "rule_set", "rule_set_id", "name"

    def __init__(
        self, rule_set_id: str, org_id: str, name: str, description: str, rules: List[Dict[str, Any]]
    ):
        self.rule_set_id = rule_set_id
        self.org_id = org_id
        self.name = name
        self.description = description
        self.rules = rules

    @classmethod
    def create_id(cls, rule_set_id: str, **_: Any) -> UUID:
        return aggregate_id(rule_set_id)

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name

    @event("DescriptionChanged")
    def describe(self, description: str) -> None:
        self.description = description

    @event("RulesReplaced")
    def replace_rules(self, rules: List[Dict[str, Any]]) -> None:
        self.rules = rules


class ApiKey(CloudSignalAggregate):
    kind, _public_id_attribute, _label_attribute = "api_key", "key_id", "name"

    def __init__(
        self,
        key_id: str,
        org_id: str,
        name: str,
        key_type: str,
        scopes: List[str],
        key_hash: str,
        hint: str,
        expires_at: Optional[datetime],
    ):
        self.key_id = key_id
        self.org_id = org_id
        self.name = name
        self.key_type = key_type
        self.scopes = scopes
        self.key_hash = key_hash
        self.hint = hint  # the type prefix and last four characters, safe to show
        self.expires_at = expires_at
        self.revoked = False
        self.last_used_at: Optional[datetime] = None

    @classmethod
    def create_id(cls, key_id: str, **_: Any) -> UUID:
        return aggregate_id(key_id)

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name

    @event("ScopesChanged")
    def change_scopes(self, scopes: List[str]) -> None:
        self.scopes = scopes

    def holds_power_of(self, key_type: str, scopes: Optional[List[str]]) -> bool:
        """Whether this key may do everything a `key_type` key with `scopes` may do: the test for
        creating, changing, rotating or revoking such a key. A secret key holds every power; a
        restricted key only that of restricted keys within its own scopes; a public key none (it
        can exchange tokens without any scope, which no restricted key can)."""
        if self.key_type == "secret":
            return True
        if self.key_type == "restricted":
            return key_type == "restricted" and set(scopes or ()) <= set(self.scopes)
        return False

    @event("Revoked")
    def revoke(self) -> None:
        self.revoked = True

    @event("Used")
    def record_use(self, at: datetime) -> None:
        self.last_used_at = at


class Session(CloudSignalAggregate):
    """One MQTT connection as the broker reported it: opened at CONNECT, closed at disconnect."""

    kind, _public_id_attribute, _label_attribute = "session", "session_id", "client_id"

    def __init__(
        self,
        session_id: str,
        broker_id: str,
        org_id: str,
        client_id: str,
        username: str,
        peer_address: Optional[str],
        protocol_version: Optional[int],
        clean_start: bool,
        connected_at: datetime,
    ):
        self.session_id = session_id
        self.broker_id = broker_id
        self.org_id = org_id
        self.client_id = client_id
        self.username = username
        self.peer_address = peer_address
        self.protocol_version = protocol_version
        self.clean_start = clean_start
        self.connected_at = connected_at
        self.disconnected_at: Optional[datetime] = None
        self.disconnect_reason: Optional[str] = None
        self.filters: List[str] = []  # current subscription filters, as the broker knows them

    @classmethod
    def create_id(cls, session_id: str, **_: Any) -> UUID:
        return aggregate_id(session_id)

    @event("Closed")
    def close(self, reason: str, at: datetime) -> None:
        self.disconnect_reason = reason
        self.disconnected_at = at
        self.filters = []

    @event("FiltersChanged")
    def change_filters(self, subscribed: List[str], unsubscribed: List[str], at: datetime) -> None:
        """Subscriptions the broker allowed and ended, one batch of its reports (presence)."""
        current = [f for f in getattr(self, "filters", []) if f not in unsubscribed]
        self.filters = current + [f for f in subscribed if f not in current]


class RetainedMessage(CloudSignalAggregate):
    """The retained message of one topic, as the broker reported it (no payload: the broker keeps
    that). Set again and again; Cleared when an empty retained payload removes it."""

    kind, _public_id_attribute, _label_attribute = "retained_message", "key", "topic"

    def __init__(self, org_id: str, topic: str, size: int, qos: int, at: datetime):
        self.org_id = org_id
        self.topic = topic  # as the broker knows it (with the organization's prefix in multi tenancy)
        self.key = f"{org_id}:{topic}"
        self.size, self.qos, self.updated_at, self.present = size, qos, at, True

    @classmethod
    def create_id(cls, org_id: str, topic: str, **_: Any) -> UUID:
        return aggregate_id(f"retained:{org_id}:{topic}")

    @event("Set")
    def set(self, size: int, qos: int, at: datetime) -> None:
        self.size, self.qos, self.updated_at, self.present = size, qos, at, True

    @event("Cleared")
    def clear(self, at: datetime) -> None:
        self.size, self.updated_at, self.present = 0, at, False


class AuthProvider(CloudSignalAggregate):
    """How an organization trusts an identity provider's tokens for token exchange."""

    kind, _public_id_attribute, _label_attribute = "auth_provider", "provider_id", "name"

    def __init__(self, provider_id: str, org_id: str, name: str, provider_type: str, settings: Dict[str, Any]):
        self.provider_id = provider_id
        self.org_id = org_id
        self.name = name
        self.provider_type = provider_type
        self.settings = settings  # type-specific (issuer, audience, secret, ...) plus the common fields

    @classmethod
    def create_id(cls, provider_id: str, **_: Any) -> UUID:
        return aggregate_id(provider_id)

    @event("Changed")
    def change(self, name: str, settings: Dict[str, Any]) -> None:
        self.name = name
        self.settings = settings


class TemporaryCredential(CloudSignalAggregate):
    """MQTT credentials `tok_...@org` minted from a verified token or by a secret key."""

    kind, _public_id_attribute, _label_attribute = "temporary_credential", "credential_id", "name"

    def __init__(
        self,
        credential_id: str,
        org_id: str,
        name: str,
        password_hash: str,
        user_id: str,
        provider_id: Optional[str],
        rule_set_id: Optional[str],
        claims: Dict[str, str],
        ttl: int,
        expires_at: datetime,
    ):
        self.credential_id = credential_id
        self.org_id = org_id
        self.name = name
        self.password_hash = password_hash  # sha256: the password is 32 random characters
        self.user_id = user_id
        self.provider_id = provider_id
        self.rule_set_id = rule_set_id
        self.claims = claims  # string claims, for {claims.<name>} in rules
        self.ttl = ttl
        self.expires_at = expires_at

    @classmethod
    def create_id(cls, credential_id: str, **_: Any) -> UUID:
        return aggregate_id(credential_id)

    @property
    def disabled(self) -> bool:
        return False

    @event("Refreshed")
    def refresh(self, expires_at: datetime) -> None:
        self.expires_at = expires_at
