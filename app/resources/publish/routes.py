"""Publish to MQTT subscribers with one HTTP call, through the service's broker connection."""

import json
import time
from typing import Any, Dict, List

from flask import current_app, g
from flask.views import MethodView

from app.broker.connection import BrokerConnection, BrokerRefused, BrokerTimeout, BrokerUnavailable, publish_properties
from app.current import broker_topic, current_broker, current_domain
from app.errors import ApiError
from app.observability import PUBLISHED, record_quota_refusal
from app.extensions.smorest import Blueprint
from app.resources.publish.schemas import BatchReplySchema, BatchSchema, PublishReplySchema, PublishSchema

blp = Blueprint("publish", __name__, url_prefix="/v2/publish", description="HTTP publish")
ACK_TIMEOUT = 5.0


def encode(payload: Any) -> bytes:
    return payload.encode() if isinstance(payload, str) else json.dumps(payload, separators=(",", ":")).encode()


def charge(count: int) -> None:
    """Count HTTP publishes against the organization's messages-per-minute quota; 429 past it."""
    per_minute = current_domain().quotas(g.org_id)["messages_per_minute"]
    window = current_app.extensions["cloudsignal.ratelimit"].hit("messages", g.org_id, per_minute, cost=count)
    if window is not None and not window.allowed:
        raise ApiError(429, f"the organization's quota of {per_minute} messages per minute is used up; retry in "
                            f"{window.retry_after} s", "message_quota_exceeded", {"limit": per_minute},
                       headers={"Retry-After": str(window.retry_after)})


def check_payloads(messages: List[Dict[str, Any]]) -> None:
    """403 quota_exceeded (nothing published) when a payload is longer than the organization's
    max_payload_bytes quota, the limit the broker applies to its MQTT publishes too."""
    limit = current_domain().quotas(g.org_id).get("max_payload_bytes")
    if limit is None:
        return
    for index, message in enumerate(messages):
        size = len(encode(message["payload"]))
        if size > limit:
            record_quota_refusal(g.org_id, "max_payload_bytes")
            raise ApiError(403, f"message {index}: the payload of {size} bytes is over the organization's limit: "
                                f"its max_payload_bytes quota is {limit}", "quota_exceeded",
                           {"quota": "max_payload_bytes", "limit": limit, "size": size, "index": index})


def start(broker: BrokerConnection, message: Dict[str, Any]) -> Any:
    properties = dict(message["properties"])
    if "response_topic" in properties:  # replies come back through the same namespace
        properties["response_topic"] = broker_topic(g.org_id, properties["response_topic"])
    return broker.start_publish(
        broker_topic(g.org_id, message["topic"]), encode(message["payload"]), message["qos"],
        retain=message["retain"], properties=publish_properties(properties),
    )


@blp.route("")
class PublishViews(MethodView):
    @blp.auth("publish")
    @blp.arguments(PublishSchema)
    @blp.response(200, PublishReplySchema)
    @blp.errors(503, 504)
    def post(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """Publish one message; QoS 1 and 2 answer once the broker acknowledged it

        503 when the broker is unreachable, 504 when it does not acknowledge within 5 s.
        """
        broker = current_broker()
        check_payloads([message])
        charge(1)
        message_id = broker.wait(start(broker, message), ACK_TIMEOUT)
        PUBLISHED.labels(str(message["qos"])).inc()
        return {"topic": message["topic"], "qos": message["qos"], "retain": message["retain"],
                "message_id": message_id, "acknowledged": message["qos"] > 0}


@blp.route("/batch")
class PublishBatchViews(MethodView):
    @blp.auth("publish")
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchReplySchema)
    @blp.errors(503)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Publish up to 1000 messages in order, with a result for each"""
        broker = current_broker()
        if not broker.connected:
            raise BrokerUnavailable("the broker is not reachable")
        check_payloads(body["messages"])
        charge(len(body["messages"]))
        pending: List[Any] = []
        for message in body["messages"]:  # hand all over first, then wait: one round trip, not N
            try:
                pending.append(start(broker, message))
            except BrokerUnavailable as error:
                pending.append(error)
        deadline = time.monotonic() + ACK_TIMEOUT
        results: List[Dict[str, Any]] = []
        for index, info in enumerate(pending):
            try:
                if isinstance(info, Exception):
                    raise info
                message_id = broker.wait(info, max(0.0, deadline - time.monotonic()))
                results.append({"index": index, "ok": True, "message_id": message_id})
                PUBLISHED.labels(str(body["messages"][index]["qos"])).inc()
            except BrokerUnavailable:
                results.append({"index": index, "ok": False, "error": "broker_unavailable"})
            except BrokerTimeout:
                results.append({"index": index, "ok": False, "error": "broker_timeout"})
            except BrokerRefused:
                results.append({"index": index, "ok": False, "error": "message_quota_exceeded"})
        published = sum(1 for result in results if result["ok"])
        return {"published": published, "failed": len(results) - published, "results": results}
