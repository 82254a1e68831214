"""Decisions for MQTT clients: who may connect, and the rules the broker enforces for them.

Principals are MQTT users (`name@org`) and temporary credentials (`tok_...@org`). The same ACL
evaluation as the simulator (`events.acl`); only the shapes differ.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from events.acl import Decision, broadened, evaluate, for_user, ordered, render
from events.errors import NotFound
from events.readmodel import ReadModel
from events import verified

# How the broker plugin (and EMQX) spell the client id placeholder; rendered per session there.
BROKER_CLIENT_ID = "${clientid}"
EMQX_ACTIONS = {"publish": "publish", "subscribe": "subscribe", "both": "all"}
TEMPORARY_PREFIX = "tok_"


@dataclass(frozen=True)
class Login:
    allowed: bool
    reason: str
    principal: Any = None  # MqttUser or TemporaryCredential


def split_username(mqtt_username: str) -> Optional[Tuple[str, str]]:
    """`name@org_id` -> (name, org_id); None when there is no organization suffix."""
    name, at, org_id = mqtt_username.rpartition("@")
    return (name, org_id) if at and name and org_id.startswith("org_") else None


def find_principal(view: ReadModel, mqtt_username: str) -> Any:
    parts = split_username(mqtt_username)
    if parts is None:
        return None
    if parts[0].startswith(TEMPORARY_PREFIX):
        return view.find_credential(mqtt_username)
    try:
        return view.find_user(parts[1], parts[0])
    except NotFound:
        return None


def claims_of(principal: Any) -> Dict[str, str]:
    return getattr(principal, "claims", {})


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
    if split_username(mqtt_username) is None:
        return Login(False, "username lacks the @org_... suffix")
    principal = find_principal(view, mqtt_username)
    if principal is None:
        return Login(False, "unknown user")
    if principal.disabled:
        return Login(False, "user is disabled")
    expiry = expires_at(principal)
    if expiry is not None and expiry <= datetime.now(timezone.utc):
        return Login(False, "credentials expired")
    if verifier_version is not None and hmac.compare_digest(verifier_version, credential_version(principal)):
        return Login(False, "wrong password")
    if not verified.check(principal, password):  # a returning client skips Argon2
        return Login(False, "wrong password")
    return Login(True, "ok", principal)


def namespace(principal: Any, tenancy: str) -> str:
    """The prefix every topic of this principal's organization has on the broker."""
    return f"{principal.org_id}/" if tenancy == "multi" else ""


def broker_rules(view: ReadModel, principal: Any, tenancy: str) -> List[Dict[str, Any]]:
    """The principal's rules in the order they are tried, in EMQX's `acl` shape, placeholders
    rendered except the client id (the broker renders that per session)."""
    prefix = namespace(principal, tenancy)
    rules = []
    for rule in ordered(rule for rule, _ in view.effective_rules(principal)):
        if not for_user(rule, principal.name):
            continue
        topic = render(rule.topic, username=principal.name, client_id=BROKER_CLIENT_ID,
                       org_id=principal.org_id, claims=claims_of(principal))
        if topic is None:  # a claim the token lacks: an allow is void, a deny covers more
            if rule.permission == "allow":
                continue
            topic = broadened(rule.topic)
        rules.append({"permission": rule.permission, "action": EMQX_ACTIONS[rule.action], "topic": prefix + topic})
    return rules


def limits(quotas: Dict[str, int], org_id: str) -> Dict[str, Any]:
    """The organization limits the broker enforces itself (connections, messages per minute,
    retained topics, payload size)."""
    return {"org_id": org_id, "max_connections": quotas["max_connections"],
            "messages_per_minute": quotas["messages_per_minute"],
            "max_retained_messages": quotas.get("max_retained_messages"),
            "max_payload_bytes": quotas.get("max_payload_bytes")}


def shared_subscription(topic: str) -> Tuple[Optional[str], str]:
    """`$share/GROUP/FILTER` -> (GROUP, FILTER) when GROUP is one level without wildcards and
    FILTER does not start with '$' (as the broker plugin decides); else (None, topic)."""
    if topic.startswith("$share/"):
        group, _, rest = topic[len("$share/"):].partition("/")
        if group and not set(group) & {"+", "#"} and rest and not rest.startswith("$"):
            return group, rest
    return None, topic


def authorize(
    view: ReadModel, principal: Any, client_id: Optional[str], topic: str, action: str, tenancy: str
) -> Decision:
    """Decide a broker-side check on an absolute topic (with the namespace prefix in `multi`)."""
    if topic.startswith("$"):
        # `$share/GROUP/FILTER` (subscriptions only) is decided as FILTER; nothing else of '$'.
        group, shared = shared_subscription(topic)
        if group is None or action != "subscribe":
            return Decision(False, None, "topics starting with '$' are closed to tenants")
        topic = shared
    prefix = namespace(principal, tenancy)
    if not topic.startswith(prefix):
        return Decision(False, None, "outside the organization's namespace")
    rules = [rule for rule, _ in view.effective_rules(principal)]
    return evaluate(rules, username=principal.name, client_id=client_id, org_id=principal.org_id,
                    topic=topic[len(prefix):], action=action, claims=claims_of(principal))
