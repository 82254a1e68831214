"""What the broker plugin holds about each principal, and how it catches up by log position.

The plugin decides a returning client's CONNECT from its own memory: per principal a keyed
verifier of the password, the rules and the expiry (docs/broker-protocol.md). This module builds
those records and answers the plugin's sync: every principal changed since a log position.
"""

import hashlib
import hmac
import math
from typing import Any, Callable, Dict, Iterable, List, Optional

from events.domainmodel import AclRule, AclRuleSet, MqttUser, Organization, TemporaryCredential, mqtt_username
from events.errors import NotFound
from events.access.broker import broker_acl, credential_version, expires_at, find_principal, limits
from events.access.question import Now, rules_of

VERIFIER_CONTEXT = b"cloudsignal-verifier-v1"
PAGE_EVENTS = 10000  # log positions examined per sync reply
PAGE_PRINCIPALS = 20000  # a reply stops after the event that passes this many principals


def verifier_key(broker_secret: str) -> bytes:
    """K: derived from the broker secret, which the event store never holds."""
    return hmac.new(broker_secret.encode(), VERIFIER_CONTEXT, hashlib.sha256).digest()


def verifier(key: bytes, username: str, password: str) -> str:
    """HMAC-SHA256(K, username || 0x00 || password), hex: what the plugin compares a CONNECT with."""
    message = username.encode("utf-8", "surrogatepass") + b"\x00" + password.encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def principal_record(view: Any, principal: Any, quotas: Dict[str, Any], tenancy: str) -> Dict[str, Any]:
    """The principal as the plugin stores it (no verifier: the service keeps no plain text)."""
    expiry = expires_at(principal)
    return {
        "username": principal.mqtt_username,
        "credential_version": credential_version(principal),
        "is_superuser": False,
        "expire_at": math.ceil(expiry.timestamp()) if expiry is not None else None,
        "acl": broker_acl(rules_of(Now(view), principal), principal, tenancy),
        "limits": limits(quotas, principal.org_id),
    }


def store_id(app: Any) -> Optional[str]:
    """Names this event store: the originator of its first event (the first organization).
    None while the store is empty."""
    first = app.recorder.select_notifications(1, 1)
    return str(first[0].originator_id) if first else None


def _usable(principal: Any) -> bool:
    return principal is not None and not principal.deleted and not principal.disabled


def changes(app: Any, after: int, store: Optional[str], tenancy: str,
            quotas_of: Callable[[str], Dict[str, Any]], broker: Optional[str] = None) -> Dict[str, Any]:
    """The sync reply for a plugin that holds the log up to position `after` of store `store`.
    `broker`: the plugin's name when there are several brokers; principals of organizations
    another broker serves are sent as removed (so a moved organization leaves its old broker)."""
    view = app.view
    view.catch_up()  # every event up to `latest` is in the read model, labels included
    current_store = store_id(app)
    latest = view.position
    reply: Dict[str, Any] = {"store": current_store, "position": latest, "reset": False, "more": False,
                             "principals": [], "removed": [], "tenancy": tenancy,
                             "default_org": default_org(view) if tenancy == "single" else None}
    if store is None and after == 0:  # a plugin that holds nothing needs only where the log is
        return reply
    if store != current_store or after > latest:  # another store, or a position it never had
        reply["reset"] = True
        return reply

    touched: Dict[str, Any] = {}  # username -> principal, or None when it is gone
    position = after
    notifications = app.recorder.select_notifications(after + 1, PAGE_EVENTS, stop=latest) if after < latest else []
    for notification in notifications:
        event = app.mapper.to_domain_event(notification)
        for username, principal in _affected(view, event):
            touched[username] = principal
        position = notification.id
        if len(touched) >= PAGE_PRINCIPALS:
            break
    reply["position"] = position
    reply["more"] = position < latest
    mine = (lambda org_id: app.broker_of(org_id) == broker) if broker and getattr(app, "brokers", None) \
        else (lambda org_id: True)
    for username, principal in touched.items():
        if _usable(principal) and mine(principal.org_id):
            reply["principals"].append(principal_record(view, principal, quotas_of(principal.org_id), tenancy))
        else:
            reply["removed"].append(username)
    return reply


def default_org(view: Any) -> Optional[str]:
    organizations = view.organizations()
    return organizations[0].org_id if len(organizations) == 1 else None


def _affected(view: Any, event: Any) -> Iterable[Any]:
    """(username, current principal or None) of every principal an event may change."""
    try:
        class_name, _, public_id, name = view.label(event.originator_id)
    except KeyError:  # name claims: the read model skips them
        return []
    org_id = view.org_of(event.originator_id)
    kind = type(event).__name__
    if class_name in (MqttUser.__name__, TemporaryCredential.__name__):  # names never change
        username = mqtt_username(name, org_id)
        return [(username, find_principal(view, username))]
    if class_name == AclRule.__name__:
        return _principals_of(view, org_id)
    if class_name == AclRuleSet.__name__ and kind in ("RulesReplaced", "Deleted"):
        return [(u, p) for u, p in _principals_of(view, org_id) if p.rule_set_id == public_id]
    if class_name == Organization.__name__ and kind in ("QuotasChanged", "BrokerAssigned"):
        return _principals_of(view, org_id)
    return []


def _principals_of(view: Any, org_id: str) -> List[Any]:
    try:
        view.organization(org_id)
    except NotFound:
        return []
    return [(p.mqtt_username, p) for p in [*view.users_of(org_id), *view.credentials_of(org_id)]]
