"""Presence (who is online, subscribed to what) and retained messages (list, fetch, delete).

Both are known to the service without asking the broker per request: the plugin reports each
subscription, unsubscribe and retained publish it allowed, and the service records them
(`events.presence`). Topics and filters are shown relative to the organization (its `{org_id}/`
prefix stripped in multi tenancy, also after `$share/GROUP/`), client ids as their user knows them.
"""

import base64
import threading
import time
import uuid
from typing import Any, Dict, List, Optional

import paho.mqtt.client as mqtt
from flask import current_app, g
from flask.views import MethodView
from paho.mqtt.enums import CallbackAPIVersion

from app.current import broker_topic, current_broker, current_domain
from app.extensions.smorest import Blueprint
from app.pagination import paginate
from app.resources.sessions.routes import shown_client_id
from app.resources.utilities.schemas import (
    PresenceListSchema,
    PresenceQueryArgsSchema,
    PresenceUserSchema,
    RetainedBulkDeleteReplySchema,
    RetainedDeleteArgsSchema,
    RetainedDeleteReplySchema,
    RetainedPageSchema,
    RetainedQueryArgsSchema,
)
from events.domainmodel import RetainedMessage, Session
from events.errors import InvalidInput, NotFound
from events.presence import filter_matches_topic, filters_overlap, shared_parts
from events.topics import topic_error

blp = Blueprint("utilities", __name__, url_prefix="/v2/utilities", description="Presence and retained messages")
FETCH_TIMEOUT = 2.0
CLEAR_WAIT = 3.0
BULK_LIMIT = 10000


def _relative(topic: str) -> str:
    """A broker topic or filter as the organization writes it."""
    if current_app.config["TENANCY"] != "multi":
        return topic
    group, rest = shared_parts(topic)
    prefix = f"{g.org_id}/"
    rest = rest[len(prefix):] if rest.startswith(prefix) else rest
    return f"$share/{group}/{rest}" if group is not None else rest


def _check_filter(topic: str) -> None:
    error = topic_error(topic, wildcards=True)
    if error:
        raise InvalidInput(f"invalid topic filter: {error}", {"topic": [error]})


# -- presence -----------------------------------------------------------------------------------

def _row(session: Session) -> Dict[str, Any]:
    return {
        "session_id": session.session_id, "username": session.username,
        "mqtt_username": session.mqtt_username, "client_id": shown_client_id(session),
        "peer_address": session.peer_address, "connected_at": session.connected_at,
        "filters": sorted(_relative(f) for f in getattr(session, "filters", [])),
    }


def _subscribed_to(row: Dict[str, Any], topic: str) -> bool:
    return any(filters_overlap(shared_parts(f)[1], topic) for f in row["filters"])


@blp.route("/presence")
class PresenceViews(MethodView):
    @blp.auth("sessions:read")
    @blp.arguments(PresenceQueryArgsSchema, location="query")
    @blp.response(200, PresenceListSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Who is online: one row per connected session, with its current subscription filters"""
        rows = [_row(s) for s in current_domain().view.open_sessions_of(g.org_id)]
        if args["topic"] is not None:
            _check_filter(args["topic"])
            rows = [row for row in rows if _subscribed_to(row, args["topic"])]
        page = paginate(rows, lambda r: [r["connected_at"].isoformat(), r["session_id"]], args["limit"],
                        args["cursor"])
        return {"online_count": len(rows), "users": page["data"], "next_cursor": page["next_cursor"]}


@blp.route("/presence/<string:username>")
class PresenceUserViews(MethodView):
    @blp.auth("sessions:read")
    @blp.response(200, PresenceUserSchema)
    def get(self, username: str) -> Dict[str, Any]:
        """Is this MQTT user online, and with which sessions (name without the @org suffix)"""
        sessions = [_row(s) for s in current_domain().view.open_sessions_of(g.org_id) if s.username == username]
        sessions.sort(key=lambda r: (r["connected_at"], r["session_id"]))
        return {"username": username, "online": bool(sessions), "sessions": sessions}


# -- retained messages --------------------------------------------------------------------------

def _retained(topic_filter: Optional[str]) -> List[RetainedMessage]:
    held = current_domain().view.retained_of(g.org_id)
    if topic_filter is None:
        return held
    return [m for m in held if filter_matches_topic(topic_filter, _relative(m.topic))]


def fetch_payloads(topics: List[str], timeout: float = FETCH_TIMEOUT) -> Dict[str, bytes]:
    """The retained payloads of broker `topics`, fetched by subscribing to them as the service's
    internal user (a short-lived connection of its own; the broker sends retained messages at once)."""
    if not topics:
        return {}
    config = current_app.config
    wanted = set(topics)
    got: Dict[str, bytes] = {}
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
                         client_id=f"{config['INTERNAL_USERNAME']}-retained-{uuid.uuid4().hex[:12]}")
    client.username_pw_set(config["INTERNAL_USERNAME"], config["BROKER_SECRET"])

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            done.set()
            return
        names = sorted(wanted)
        for start in range(0, len(names), 100):
            client.subscribe([(name, 0) for name in names[start:start + 100]])

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.retain and message.topic in wanted:
            got[message.topic] = bytes(message.payload)
            if len(got) == len(wanted):
                done.set()

    client.on_connect, client.on_message = on_connect, on_message
    try:
        client.connect(config["BROKER_HOST"], config["BROKER_PORT"], keepalive=10)
    except OSError:
        return {}
    client.loop_start()
    try:
        done.wait(timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    return dict(got)


def _present(message: RetainedMessage, payloads: Optional[Dict[str, bytes]]) -> Dict[str, Any]:
    item = {"topic": _relative(message.topic), "size": message.size, "qos": message.qos,
            "updated_at": message.updated_at}
    if payloads is not None:
        payload = payloads.get(message.topic)
        if payload is None:
            item.update(payload=None, payload_encoding="utf-8")
        else:
            try:
                item.update(payload=payload.decode("utf-8"), payload_encoding="utf-8")
            except UnicodeDecodeError:
                item.update(payload=base64.b64encode(payload).decode(), payload_encoding="base64")
    return item


def _clear(topics: List[str]) -> None:
    """Publish an empty retained message to each broker topic (the broker deletes its retained
    message and the plugin reports it), then wait until the list shows it, so a reply's reader
    sees its write."""
    broker = current_broker()
    infos = [broker.start_publish(topic, b"", 1, retain=True) for topic in topics]
    for info in infos:
        broker.wait(info, 5.0)
    view = current_domain().view
    deadline = time.monotonic() + CLEAR_WAIT
    while time.monotonic() < deadline:
        view.catch_up()
        if all(not (m := view.retained_message(g.org_id, t)) or not m.present for t in topics):
            return
        time.sleep(0.05)


@blp.route("/retained")
class RetainedViews(MethodView):
    @blp.auth("publish")
    @blp.arguments(RetainedQueryArgsSchema, location="query")
    @blp.response(200, RetainedPageSchema)
    @blp.errors(400)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List retained messages: topic, payload size, QoS, when set; payloads on request"""
        if args["topic"] is not None:
            _check_filter(args["topic"])
        held = _retained(args["topic"])
        page = paginate(held, lambda m: [_relative(m.topic)], args["limit"], args["cursor"])
        payloads = fetch_payloads([m.topic for m in page["data"]]) if args["include_payload"] else None
        return {"data": [_present(m, payloads) for m in page["data"]], "next_cursor": page["next_cursor"],
                "count": len(held)}

    @blp.auth("publish")
    @blp.arguments(RetainedDeleteArgsSchema, location="query")
    @blp.response(200, RetainedBulkDeleteReplySchema)
    @blp.errors(400, 503)
    def delete(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Delete every retained message a filter matches (`dry_run=true` only counts them)"""
        _check_filter(args["topic"])
        held = _retained(args["topic"])[:BULK_LIMIT]
        if not args["dry_run"] and held:
            _clear([m.topic for m in held])
        return {"topic": args["topic"], "dry_run": args["dry_run"], "count": len(held),
                "topics": [_relative(m.topic) for m in held[:500]]}


@blp.route("/retained/<path:topic>")
class RetainedTopicViews(MethodView):
    @blp.auth("publish")
    @blp.response(200, RetainedDeleteReplySchema)
    @blp.errors(404, 503)
    def delete(self, topic: str) -> Dict[str, Any]:
        """Delete the retained message of one topic (the topic may contain `/`)"""
        error = topic_error(topic, wildcards=False)
        if error:
            raise InvalidInput(f"invalid topic: {error}", {"topic": [error]})
        absolute = broker_topic(g.org_id, topic)
        message = current_domain().view.retained_message(g.org_id, absolute)
        if message is None or not message.present:
            raise NotFound(f"no retained message on {topic!r}")
        _clear([absolute])
        return {"deleted": True, "topic": topic}
