"""The broker's side of access: who may connect, and the rules the broker enforces for them.

Principals are MQTT users (`name@org`) and temporary credentials (`tok_...@org`). The broker
plugin decides publishes and subscribes from the rules rendered here (`broker_acl`); its HTTP
questions are answered by `events.access.question.ask`, with the same evaluation.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional

from events.access.question import SourcedRule, claims_of, namespace
from events.access.rules import BROKER_CLIENT_ID, broadened, for_user, ordered, render
from events.domainmodel import TemporaryCredential, split_mqtt_username
from events.errors import NotFound
from events.readmodel import ReadModel
from events import verified

EMQX_ACTIONS = {"publish": "publish", "subscribe": "subscribe", "both": "all"}
TEMPORARY_PREFIX = "tok_"


@dataclass(frozen=True)
class Login:
    allowed: bool
    reason: str
    principal: Any = None  # MqttUser or TemporaryCredential


def find_principal(view: ReadModel, mqtt_username: str) -> Any:
    parts = split_mqtt_username(mqtt_username)
    if parts is None:
        return None
    if parts[0].startswith(TEMPORARY_PREFIX):
        return view.find_credential(mqtt_username)
    try:
        return view.find_user(parts[1], parts[0])
    except NotFound:
        return None


def expires_at(principal: Any) -> Optional[datetime]:
    return getattr(principal, "expires_at", None)


def credential_version(principal: Any) -> str:
    """Changes whenever the password does (a new hash, salted): the broker keeps a verifier only
    while this stays the same. The read model's user records hold it (not the hash itself)."""
    known = getattr(principal, "credential_version", None)
    return known if known is not None else hashlib.sha256(principal.password_hash.encode()).hexdigest()[:16]


def login(view: ReadModel, mqtt_username: str, password: str, verifier_version: Optional[str] = None) -> Login:
    """Check an MQTT CONNECT's credentials. `verifier_version`: the broker held a verifier of
    that credential version and the password did not match it; while it is current the password
    is wrong without hashing it, so known and unknown users are refused alike, and fast."""
    if split_mqtt_username(mqtt_username) is None:
        return Login(False, "username lacks the @org_... suffix")
    principal = find_principal(view, mqtt_username)
    if principal is None:
        return Login(False, "unknown user")
    if principal.disabled:
        return Login(False, "user is disabled")
    if isinstance(principal, TemporaryCredential) and principal.has_expired():
        return Login(False, "credentials expired")
    if verifier_version is not None and hmac.compare_digest(verifier_version, credential_version(principal)):
        return Login(False, "wrong password")
    if not verified.check(principal, password):  # a returning client skips Argon2
        return Login(False, "wrong password")
    return Login(True, "ok", principal)


def broker_acl(rules: Iterable[SourcedRule], principal: Any, tenancy: str) -> List[Dict[str, Any]]:
    """The principal's rules (`events.access.question.rules_of`) in the order they are tried, in
    EMQX's `acl` shape, placeholders rendered except the client id (the broker renders that per
    session)."""
    prefix = namespace(principal, tenancy)
    acl = []
    for rule in ordered(sourced.rule for sourced in rules):
        if not for_user(rule, principal.name):
            continue
        topic = render(rule.topic, username=principal.name, client_id=BROKER_CLIENT_ID,
                       org_id=principal.org_id, claims=claims_of(principal))
        if topic is None:  # a claim the token lacks: an allow is void, a deny covers more
            if rule.permission == "allow":
                continue
            topic = broadened(rule.topic)
        acl.append({"permission": rule.permission, "action": EMQX_ACTIONS[rule.action], "topic": prefix + topic})
    return acl


def limits(quotas: Mapping[str, Optional[int]], org_id: str) -> Dict[str, Any]:
    """The organization limits the broker enforces itself (connections, messages per minute,
    retained topics, payload size)."""
    return {"org_id": org_id, "max_connections": quotas["max_connections"],
            "messages_per_minute": quotas["messages_per_minute"],
            "max_retained_messages": quotas.get("max_retained_messages"),
            "max_payload_bytes": quotas.get("max_payload_bytes")}
