"""Endpoints the broker calls: EMQX's HTTP auth shapes and mosquitto-go-auth's HTTP backend.

They answer loopback peers only, and only with the broker secret: `Authorization: Bearer <secret>`
(our plugin), HTTP Basic with the secret as password (go-auth, from the URL's userinfo), or the
deprecated `?broker_secret=` (go-auth would log it).
"""

import functools
import math
import hmac
import ipaddress
import logging
from typing import Any, Callable, Dict, Tuple

from flask import current_app, request
from flask.views import MethodView

from app.current import current_domain
from app.errors import ApiError
from app.extensions.smorest import Blueprint
from app.resources.internal.schemas import (
    SESSION_EVENTS,
    AuthenticateReplySchema,
    AuthenticateSchema,
    AuthorizeReplySchema,
    AuthorizeSchema,
    BrokerEventsReplySchema,
    BrokerEventsSchema,
    ReadModelDigestSchema,
    SyncReplySchema,
    SyncSchema,
)
from app.observability import AUTH_DECISIONS, AUTH_LATENCY, BROKER_CONNECTS, record_quota_refusal
from events.context import acting_as
from events.broker_state import changes
from events.presence import PRESENCE_REPORTS, RETAINED_REPORTS, record_presence, record_retained
from events.readmodel import digest
from events.mqtt_access import authorize, broker_rules, credential_version, expires_at, find_principal, limits, login

log = logging.getLogger("cloudsignal.broker")
blp = Blueprint("internal", __name__, url_prefix="/internal",
                description="Broker integration: loopback only, broker secret required")


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return address.startswith("/") or address == ""  # a unix socket has no IP peer


def broker_only(view: Callable) -> Callable:
    """Refuse anyone but the broker: a loopback peer holding the broker secret."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        secret = current_app.config["BROKER_SECRET"]
        if not secret:
            raise ApiError(503, "broker integration is not configured: set CLOUDSIGNAL_BROKER_SECRET",
                           "broker_not_configured")
        if not _is_loopback(request.remote_addr or ""):
            raise ApiError(403, "internal endpoints answer loopback peers only", "forbidden")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else go_auth.presented_secret()
        if not hmac.compare_digest(presented.encode(), secret.encode()):
            raise ApiError(401, "missing or wrong broker secret", "unauthorized")
        return view(*args, **kwargs)

    documented = blp.doc(security=[{"brokerSecret": []}])(wrapper)
    return blp.alt_response(401, response="UNAUTHORIZED")(documented)


def _internal_login(username: str, password: str) -> bool:
    """The service's own broker user: a superuser whose password is the broker secret."""
    return username == current_app.config["INTERNAL_USERNAME"] and hmac.compare_digest(
        password.encode(), current_app.config["BROKER_SECRET"].encode())


@blp.route("/broker/authenticate")
class BrokerAuthenticateViews(MethodView):
    @broker_only
    @blp.arguments(AuthenticateSchema)
    @blp.response(200, AuthenticateReplySchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Decide an MQTT CONNECT (EMQX HTTP authentication shape)"""
        with AUTH_LATENCY.time():
            reply = self.decide(body)
        AUTH_DECISIONS.labels(reply["result"]).inc()
        return reply

    @staticmethod
    def decide(body: Dict[str, Any]) -> Dict[str, Any]:
        if _internal_login(body["username"], body["password"]):
            return {"result": "allow", "is_superuser": True, "acl": [], "reason": "internal user"}
        view = current_domain().view
        # Another process may have just created, changed or revoked these credentials (and the
        # broker missed its push): decide on fresh state. One cheap query per CONNECT the broker
        # could not decide from memory; returning clients never get here.
        view.catch_up()
        decision = login(view, body["username"], body["password"], body["verifier_version"])
        if decision.allowed and body.get("broker") and current_domain().brokers:
            serving = current_domain().broker_of(decision.principal.org_id)
            if serving != body["broker"]:  # several brokers: a device at the wrong one
                decision = type(decision)(False, f"the organization is served by broker {serving!r}")
        if not decision.allowed:
            log.info("CONNECT refused for %r (client %r from %s): %s", body["username"][:200],
                     (body["clientid"] or "")[:200], body["peerhost"], decision.reason)
            return {"result": "deny", "is_superuser": False, "acl": [], "reason": decision.reason}
        principal = decision.principal
        reply = {
            "result": "allow", "is_superuser": False, "reason": "ok",
            "acl": broker_rules(view, principal, current_app.config["TENANCY"]),
            "limits": limits(current_domain().quotas(principal.org_id), principal.org_id),
            "credential_version": credential_version(principal),
        }
        expiry = expires_at(principal)
        if expiry is not None:
            reply["expire_at"] = math.ceil(expiry.timestamp())  # never before the real expiry
        return reply


@blp.route("/broker/authorize")
class BrokerAuthorizeViews(MethodView):
    @broker_only
    @blp.arguments(AuthorizeSchema)
    @blp.response(200, AuthorizeReplySchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Decide one publish or subscribe (EMQX HTTP authorization shape)"""
        allowed, reason = _decide(body["username"], body["clientid"], body["topic"], (body["action"],))
        return {"result": "allow" if allowed else "deny", "reason": reason}


@blp.route("/broker/events")
class BrokerEventsViews(MethodView):
    @broker_only
    @blp.arguments(BrokerEventsSchema)
    @blp.response(200, BrokerEventsReplySchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Session reports from the broker plugin: broker started, client connected, disconnected"""
        sessions = [event for event in body["events"] if event["type"] in SESSION_EVENTS]
        for report in body["events"]:
            _count_report(report)
        presence = [event for event in body["events"] if event["type"] in PRESENCE_REPORTS]
        retained = [event for event in body["events"] if event["type"] in RETAINED_REPORTS]
        with acting_as("broker", request.headers.get("X-Request-Id")):
            domain = current_domain()
            changed = domain.record_broker_events(body["broker_id"], sessions, body.get("broker")) if sessions else 0
            # After the session events of the batch: its sessions exist, closed ones stay closed.
            changed += record_presence(domain, presence) if presence else 0
            changed += record_retained(domain, retained) if retained else 0
        return {"accepted": len(body["events"]), "changed": changed}


def _count_report(report: Dict[str, Any]) -> None:
    """The plugin's own counts: CONNECTs it decided, and refusals by the quotas it enforces."""
    if report["type"] == "stats":
        for outcome in ("local_admits", "local_refusals", "http_calls", "throttled"):
            BROKER_CONNECTS.labels(outcome).inc(report.get(outcome, 0))
    elif report["type"] == "quota_refused":
        record_quota_refusal(report["org_id"], report["quota"], report["count"])


@blp.route("/broker/sync")
class BrokerSyncViews(MethodView):
    @broker_only
    @blp.arguments(SyncSchema)
    @blp.response(200, SyncReplySchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Principals changed since a log position, so the broker's own copy stays current"""
        domain = current_domain()
        broker = body.get("broker")
        reply = changes(domain, body["after"], body["store"], current_app.config["TENANCY"], domain.quotas, broker)
        if body["retained"]:  # the broker's first sync of a run: the retained topics it counts
            reply["retained"] = domain.view.retained_everywhere()
            if broker and domain.brokers:
                reply["retained"] = {org: topics for org, topics in reply["retained"].items()
                                     if domain.broker_of(org) == broker}
        return reply


@blp.route("/read-model")
class ReadModelViews(MethodView):
    @broker_only
    @blp.response(200, ReadModelDigestSchema)
    def get(self) -> Dict[str, Any]:
        """This process's read model: its log position and a fingerprint of every live aggregate"""
        view = current_domain().view
        with view.paused():
            return {"position": view.position, "aggregates": digest(view)}


def _decide(username: str, client_id: Any, topic: str, actions: Tuple[str, ...]) -> Tuple[bool, str]:
    if username == current_app.config["INTERNAL_USERNAME"]:
        return True, "internal user"
    view = current_domain().view
    principal = find_principal(view, username)
    if principal is None or principal.disabled:
        return False, "unknown or disabled user"
    for action in actions:
        decision = authorize(view, principal, client_id, topic, action, current_app.config["TENANCY"])
        if not decision.allowed:
            return False, decision.reason
    return True, "allowed"


# mosquitto-go-auth's HTTP backend lives in its own module, on this blueprint.
from app.resources.internal import go_auth  # noqa: E402,F401  (registers its routes)
