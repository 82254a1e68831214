"""Endpoints the broker calls, in EMQX's HTTP auth shapes (our plugin speaks them); the blueprint
also carries mosquitto-go-auth's HTTP backend (go_auth.py). Who may call them: shared.py.
"""

import math
import logging
from typing import Any, Dict

from flask import current_app, request
from flask.views import MethodView

from app.broker.retained_scan import after_broker_start
from app.current import current_domain
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
from app.resources.internal.shared import blp, broker_only, decide, internal_login
from events.presence import PRESENCE_REPORTS, RETAINED_REPORTS, record_presence, record_retained
from events.access.broker import broker_acl, credential_version, expires_at, limits, login
from events.access.question import Now, rules_of
from events.readmodel import digest

__all__ = ["blp"]  # with every internal endpoint registered (app/__init__.py registers it)
log = logging.getLogger("cloudsignal.broker")


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
        if internal_login(body["username"], body["password"]):
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
            "acl": broker_acl(rules_of(Now(view), principal), principal, current_app.config["TENANCY"]),
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
        allowed, reason = decide(body["username"], body["clientid"], body["topic"], (body["action"],))
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
        if any(report["type"] == "broker_started" for report in sessions):
            after_broker_start(current_app._get_current_object(), body.get("broker"))  # type: ignore[attr-defined]  # werkzeug's proxy
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


# mosquitto-go-auth's HTTP backend lives in its own module, on the same blueprint (after these).
from app.resources.internal import go_auth  # noqa: E402,F401  (registers its routes)
