"""Decisions for MQTT clients: who may connect, and the rules the broker enforces for them.

The same ACL evaluation as the simulator (`events.acl`); only the shapes differ.
"""

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from events.acl import Decision, evaluate, for_user, ordered
from events.domainmodel import MqttUser
from events.errors import NotFound
from events.readmodel import ReadModel
from events.secrets import verify_password

# How the broker plugin (and EMQX) spell the client id placeholder; rendered per session there.
BROKER_CLIENT_ID = "${clientid}"
EMQX_ACTIONS = {"publish": "publish", "subscribe": "subscribe", "both": "all"}


@dataclass(frozen=True)
class Login:
    allowed: bool
    reason: str
    user: Optional[MqttUser] = None


def split_username(mqtt_username: str) -> Optional[Tuple[str, str]]:
    """`name@org_id` -> (name, org_id); None when there is no organization suffix."""
    name, at, org_id = mqtt_username.rpartition("@")
    return (name, org_id) if at and name and org_id.startswith("org_") else None


def find_user(view: ReadModel, mqtt_username: str) -> Optional[MqttUser]:
    parts = split_username(mqtt_username)
    if parts is None:
        return None
    try:
        return view.find_user(parts[1], parts[0])
    except NotFound:
        return None


def login(view: ReadModel, mqtt_username: str, password: str) -> Login:
    """Check an MQTT CONNECT's credentials."""
    if split_username(mqtt_username) is None:
        return Login(False, "username lacks the @org_... suffix")
    user = find_user(view, mqtt_username)
    if user is None:
        return Login(False, "unknown user")
    if user.disabled:
        return Login(False, "user is disabled")
    if not verify_password(user.password_hash, password):
        return Login(False, "wrong password")
    return Login(True, "ok", user)


def namespace(user: MqttUser, tenancy: str) -> str:
    """The prefix every topic of this user's organization has on the broker."""
    return f"{user.org_id}/" if tenancy == "multi" else ""


def broker_rules(view: ReadModel, user: MqttUser, tenancy: str) -> List[Dict[str, Any]]:
    """The user's rules in the order they are tried, in EMQX's `acl` shape, placeholders rendered
    except the client id (the broker renders that per session)."""
    prefix = namespace(user, tenancy)
    rules = []
    for rule in ordered(rule for rule, _ in view.effective_rules(user)):
        if not for_user(rule, user.name):
            continue
        topic = rule.topic.replace("{username}", user.name).replace("{org_id}", user.org_id)
        rules.append({
            "permission": rule.permission,
            "action": EMQX_ACTIONS[rule.action],
            "topic": prefix + topic.replace("{client_id}", BROKER_CLIENT_ID),
        })
    return rules


def authorize(
    view: ReadModel, user: MqttUser, client_id: Optional[str], topic: str, action: str, tenancy: str
) -> Decision:
    """Decide a broker-side check on an absolute topic (with the namespace prefix in `multi`)."""
    if topic.startswith("$"):
        return Decision(False, None, "topics starting with '$' are closed to tenants")
    prefix = namespace(user, tenancy)
    if not topic.startswith(prefix):
        return Decision(False, None, "outside the organization's namespace")
    rules = [rule for rule, _ in view.effective_rules(user)]
    return evaluate(rules, username=user.name, client_id=client_id, org_id=user.org_id,
                    topic=topic[len(prefix):], action=action)
