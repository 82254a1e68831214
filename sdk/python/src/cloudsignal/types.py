"""Typed shapes of the API's replies, as :class:`typing.TypedDict`: the JSON itself, typed.

Results are plain dicts, so ``user["mqtt_username"]`` works, ``json.dumps(user)`` prints the
API's JSON, and fields a newer service adds are kept.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict, Union

Action = Literal["publish", "subscribe", "both"]
Permission = Literal["allow", "deny"]
KeyType = Literal["secret", "public", "restricted"]
ProviderType = Literal["supabase", "firebase", "auth0", "clerk", "oidc", "jwt"]
SessionStatus = Literal["active", "disconnected", "all"]
Payload = Union[str, bytes, bytearray, dict[str, Any], list[Any], int, float, bool, None]


class User(TypedDict, total=False):
    id: str
    username: str
    mqtt_username: str
    org_id: str
    acl_set: Optional[str]
    metadata: dict[str, Any]
    disabled: bool
    created_at: str
    updated_at: str


class Rule(TypedDict, total=False):
    id: str
    topic: str
    action: Action
    permission: Permission
    priority: int
    user: Optional[str]


class AclRule(Rule, total=False):
    created_at: str
    updated_at: str


class RuleSet(TypedDict, total=False):
    id: str
    name: str
    description: str
    rules: list[Rule]
    users: int
    created_at: str
    updated_at: str


class AclDecision(TypedDict, total=False):
    allowed: bool
    reason: str
    matched_rule: Optional[Rule]
    source: Optional[str]


class ApiKey(TypedDict, total=False):
    id: str
    name: str
    type: KeyType
    scopes: list[str]
    expires_at: Optional[str]
    masked_key: str
    status: str
    last_used_at: Optional[str]
    created_at: str
    updated_at: str


class NewApiKey(ApiKey, total=False):
    key: str
    """The full key, shown only this once."""


class OrganizationSettings(TypedDict, total=False):
    default_rule_set: Optional[str]


class Organization(TypedDict, total=False):
    id: str
    name: str
    created_at: str
    tenancy: str
    settings: OrganizationSettings
    quotas: dict[str, int]
    usage: dict[str, int]


class Session(TypedDict, total=False):
    session_id: str
    client_id: str
    username: str
    mqtt_username: str
    status: str
    connected_at: str
    disconnected_at: Optional[str]
    disconnect_reason: Optional[str]
    duration_seconds: Optional[float]
    peer_address: Optional[str]
    protocol_version: Optional[int]
    clean_start: bool


class TerminateResult(TypedDict):
    username: str
    sessions_terminated: int


class MessageProperties(TypedDict, total=False):
    content_type: str
    message_expiry_interval: int
    response_topic: str
    correlation_data: str
    user_properties: dict[str, str]


class OutgoingMessage(TypedDict, total=False):
    topic: str
    payload: Any
    qos: int
    retain: bool
    properties: MessageProperties


class PublishResult(TypedDict):
    topic: str
    qos: int
    retain: bool
    message_id: int
    acknowledged: bool


class BatchItemResult(TypedDict, total=False):
    index: int
    ok: bool
    message_id: int
    error: str


class BatchResult(TypedDict):
    published: int
    failed: int
    results: list[BatchItemResult]


class AuthProvider(TypedDict, total=False):
    id: str
    name: str
    type: ProviderType
    issuer: str
    issuers: list[str]
    audience: str
    jwks_url: str
    project_id: str
    project_url: str
    domain: str
    public_key: str
    user_claim: str
    required_claims: list[str]
    acl_set: Optional[str]
    default_ttl: int
    max_ttl: int
    has_secret: bool
    created_at: str
    updated_at: str


class Credentials(TypedDict, total=False):
    """Temporary MQTT credentials (``tok_...@org_...``); the password is shown once."""

    mqtt_username: str
    mqtt_password: str
    expires_at: str
    expires_in: int
    provider: Optional[str]
    user_id: str
    tenancy: str


class EventAggregate(TypedDict, total=False):
    """What an event happened to: ``type`` (``user``, ``acl_rule``, ``rule_set``, ``api_key``,
    ``session``, ``organization``, ...), public ``id``, ``name`` and ``version`` after the event."""

    type: str
    id: str
    name: Optional[str]
    version: int


class EventActor(TypedDict, total=False):
    """Who caused an event: an API key (``id`` ``key_...`` and its ``name``), or ``system`` /
    ``broker`` (``name`` None)."""

    id: str
    name: Optional[str]


class Event(TypedDict, total=False):
    """One entry of the organization's history (``GET /v2/events``, ``/v2/events/stream``).

    ``position`` orders the log (pass the last one seen as ``after``); ``type`` is
    ``<Aggregate>.<Event>`` such as ``MqttUser.Created``; ``change`` holds the event's fields,
    never a password, key hash or secret.
    """

    position: int
    time: str
    type: str
    aggregate: EventAggregate
    actor: EventActor
    request_id: Optional[str]
    change: dict[str, Any]


class AccessAnswer(TypedDict, total=False):
    """``GET /v2/audit/access``: could the user publish or subscribe to the topic ``at`` then,
    decided by ``matched_rule`` from ``source`` (``organization`` or a rule set's name), with the
    ``events`` that made it so."""

    at: str
    allowed: bool
    reason: str
    matched_rule: Optional[Rule]
    source: Optional[str]
    events: list[Event]


class StateUser(TypedDict, total=False):
    id: str
    username: str
    rule_set_id: Optional[str]
    disabled: bool
    metadata: dict[str, Any]
    created_at: str


class StateRuleSet(TypedDict, total=False):
    id: str
    name: str
    rules: list[Rule]


class StateApiKey(TypedDict, total=False):
    id: str
    name: str
    type: KeyType
    scopes: list[str]
    revoked: bool
    created_at: str


class AuditState(TypedDict, total=False):
    """``GET /v2/audit/state``: users, rules, rule sets and API keys as they were ``at``."""

    at: str
    users: list[StateUser]
    rules: list[Rule]
    rule_sets: list[StateRuleSet]
    api_keys: list[StateApiKey]
