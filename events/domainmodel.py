"""Aggregates of the CloudSignal domain. Every change is an event; nothing is updated in place.

Each event records the actor (API key id or `system`) and the request id from `events.context`.
Aggregates guard their invariants: a public command checks and raises a domain error (see
`events.errors`) before it triggers its event, whose method (`_name`) only records the change, as
it also runs when the aggregate is rebuilt from the store.
"""

from dataclasses import field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from events import ids
from events.context import actor_var, request_id_var
from events.errors import Conflict, Forbidden, InvalidInput
from events.ids import NAMESPACE, aggregate_id
from events.secrets import hash_api_key

KEY_TYPES = ("secret", "public", "restricted")
SCOPES = (
    "users:read", "users:write", "acl:read", "acl:write", "sessions:read", "sessions:write",
    "publish", "keys:read", "keys:write", "organization:read", "organization:write",
    "tokens:create", "events:read",
)
TOKEN_MAX_TTL = 86400  # seconds temporary credentials may live, at issue and at each refresh


class KeyEscalation(Forbidden):
    """A key asked to act on a key with more power than its own."""

    code = "insufficient_scope"


class ProviderInactive(Forbidden):
    """Credentials of a deleted or disabled auth provider are not extended."""

    code = "provider_inactive"


def mqtt_username(name: str, org_id: str) -> str:
    """The MQTT username of a user, temporary credentials or a session: `name@org_id`. The one
    place the format is written; `split_mqtt_username` reads it."""
    return f"{name}@{org_id}"


def split_mqtt_username(username: str) -> Optional[Tuple[str, str]]:
    """`name@org_id` -> (name, org_id); None when there is no organization suffix."""
    name, at, org_id = username.rpartition("@")
    return (name, org_id) if at and name and org_id.startswith("org_") else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


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

    def __init__(self, org_id: str, name: str, settings: Dict[str, Any], quotas: Dict[str, Optional[int]]):
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

    @property
    def mqtt_username(self) -> str:
        return mqtt_username(self.name, self.org_id)

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

    @classmethod
    def checked_scopes(cls, key_type: str, scopes: Optional[List[str]]) -> List[str]:
        """The scopes a `key_type` key takes, sorted and without repeats: a restricted key needs
        at least one, the other types none (InvalidInput otherwise)."""
        if key_type not in KEY_TYPES:
            raise InvalidInput(f"unknown key type {key_type!r}", {"type": [f"one of {KEY_TYPES}"]})
        unknown = sorted(set(scopes or ()) - set(SCOPES))
        if unknown:
            raise InvalidInput(f"unknown scopes: {', '.join(unknown)}", {"scopes": unknown})
        if key_type == "restricted" and not scopes:
            raise InvalidInput("a restricted key needs at least one scope", {"scopes": ["required"]})
        if key_type != "restricted" and scopes:
            raise InvalidInput(f"a {key_type} key takes no scopes", {"scopes": ["not allowed"]})
        return sorted(set(scopes or ()))

    @classmethod
    def issue(
        cls, org_id: str, name: str, key_type: str, scopes: Optional[List[str]] = None,
        expires_at: Optional[datetime] = None, by: Optional["ApiKey"] = None,
    ) -> Tuple["ApiKey", str]:
        """A new key and its plain text (shown once; the key keeps only its hash). `by` is the key
        asking (None: the operator): it may not mint a key more powerful than itself."""
        scopes = cls.checked_scopes(key_type, scopes)
        if by is not None:
            by.check_power_over(key_type, scopes)
        if expires_at is not None and expires_at <= _now():
            raise InvalidInput("expires_at must be in the future", {"expires_at": ["in the past"]})
        return cls._minted(org_id, name, key_type, scopes, expires_at)

    @classmethod
    def _minted(
        cls, org_id: str, name: str, key_type: str, scopes: List[str], expires_at: Optional[datetime]
    ) -> Tuple["ApiKey", str]:
        secret = ids.new_api_key(key_type)
        key = cls(key_id=ids.new_id("key"), org_id=org_id, name=name, key_type=key_type, scopes=scopes,
                  key_hash=hash_api_key(secret), hint=f"{secret[:3]}...{secret[-4:]}", expires_at=expires_at)
        return key, secret

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

    def check_power_over(self, key_type: str, scopes: Optional[List[str]]) -> None:
        """No key creates, changes, rotates or revokes a key with more power than its own."""
        if not self.holds_power_of(key_type, scopes):
            raise KeyEscalation(
                "a key may only create, change, rotate or revoke keys with no more power than its own "
                "(a restricted key: restricted keys within its scopes)", {"allowed_scopes": self.scopes})

    def grants(self, scope: str, public_operation: bool = False) -> bool:
        """Whether this key may call an operation that needs `scope`: a secret key any, a restricted
        key those of its scopes, a public key only the operations open to public keys."""
        if self.key_type == "public":
            return public_operation
        return self.key_type == "secret" or scope in self.scopes

    def has_expired(self, at: Optional[datetime] = None) -> bool:
        """Past its `expires_at` at `at` (default: now); a key without one never expires."""
        return self.expires_at is not None and self.expires_at <= (at or _now())

    def check_changeable_by(self, by: Optional["ApiKey"]) -> None:
        """A change needs a key at least as powerful as this one (`by`; None: the operator), and
        a key that is not revoked."""
        if by is not None:
            by.check_power_over(self.key_type, self.scopes)
        if self.revoked:
            raise Conflict(f"API key {self.key_id!r} is revoked")

    def rename(self, name: str, by: Optional["ApiKey"] = None) -> None:
        self.check_changeable_by(by)
        if name != self.name:
            self._rename(name)

    @event("Renamed")
    def _rename(self, name: str) -> None:
        self.name = name

    def change_scopes(self, scopes: List[str], by: Optional["ApiKey"] = None) -> None:
        """New scopes, valid for the key's type and within the power of `by`."""
        self.check_changeable_by(by)
        scopes = self.checked_scopes(self.key_type, scopes)
        if by is not None:
            by.check_power_over(self.key_type, scopes)
        if scopes != self.scopes:
            self._change_scopes(scopes)

    @event("ScopesChanged")
    def _change_scopes(self, scopes: List[str]) -> None:
        self.scopes = scopes

    def revoke(self, by: Optional["ApiKey"] = None) -> None:
        """Revoke, once (revoking a revoked key changes nothing)."""
        if by is not None:
            by.check_power_over(self.key_type, self.scopes)
        if not self.revoked:
            self._revoke()

    @event("Revoked")
    def _revoke(self) -> None:
        self.revoked = True

    def rotate(self, by: Optional["ApiKey"] = None) -> Tuple["ApiKey", str]:
        """A new key with the same name, type, scopes and expiry, and its plain text; this one is
        revoked. A revoked key is not rotated (a new one is created instead)."""
        if by is not None:
            by.check_power_over(self.key_type, self.scopes)
        if self.revoked:
            raise Conflict(f"API key {self.key_id!r} is revoked; create a new one instead")
        new = self._minted(self.org_id, self.name, self.key_type, self.scopes, self.expires_at)
        self._revoke()
        return new

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

    @property
    def mqtt_username(self) -> str:
        return mqtt_username(self.username, self.org_id)

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

    @classmethod
    def issue(
        cls, org_id: str, user_id: str, ttl: int, rule_set_id: Optional[str] = None,
        claims: Optional[Dict[str, str]] = None, provider_id: Optional[str] = None,
    ) -> Tuple["TemporaryCredential", str]:
        """New credentials valid for `ttl` seconds (1 to TOKEN_MAX_TTL) and their password,
        returned once (the credentials keep only its hash)."""
        cls.check_ttl(ttl)
        password = ids.random_string(ids.BASE62, 32)
        credential = cls(
            credential_id=ids.new_id("cred"), org_id=org_id, name="tok_" + ids.random_string(ids.BASE62, 16).lower(),
            password_hash=hash_api_key(password), user_id=user_id, provider_id=provider_id,
            rule_set_id=rule_set_id, claims=claims or {}, ttl=ttl, expires_at=_now() + timedelta(seconds=ttl),
        )
        return credential, password

    @staticmethod
    def check_ttl(ttl: int) -> None:
        if not 1 <= ttl <= TOKEN_MAX_TTL:
            raise InvalidInput(f"ttl must be 1 to {TOKEN_MAX_TTL} seconds", {"ttl": ["out of range"]})

    @property
    def mqtt_username(self) -> str:
        return mqtt_username(self.name, self.org_id)

    @property
    def disabled(self) -> bool:
        return False

    def has_expired(self, at: Optional[datetime] = None) -> bool:
        """Past `expires_at` at `at` (default: now): refused at login and not refreshed."""
        return self.expires_at <= (at or _now())

    def extend(self, provider_active: bool = True, at: Optional[datetime] = None) -> None:
        """Extend by the original lifetime from `at` (default: now): only credentials that have not
        expired, and, for credentials exchanged from a provider's token, only while that provider
        exists and is enabled (`provider_active`, which the caller reads from the read model)."""
        at = at or _now()
        if self.has_expired(at):
            raise InvalidInput("these credentials have expired; exchange a token again", None)
        if not provider_active:
            raise ProviderInactive("the auth provider that issued these credentials was deleted or disabled; "
                                   "they run until they expire and cannot be refreshed")
        self._refresh(at + timedelta(seconds=self.ttl))

    @event("Refreshed")
    def _refresh(self, expires_at: datetime) -> None:
        """The event `extend` triggers once its checks pass (call `extend`)."""
        self.expires_at = expires_at
