"""The organization's event history, a live stream of it, and point-in-time questions."""

import json
import threading
import time
from typing import Any, Dict, Iterator

from flask import Response, g, request, stream_with_context
from flask.views import MethodView

from app.domain import current_domain
from app.errors import ApiError
from app.extensions.smorest import Blueprint
from app.resources.audit.schemas import (
    AccessQueryArgsSchema,
    AccessSchema,
    EventPageSchema,
    EventQueryArgsSchema,
    EventSchema,
    StateQueryArgsSchema,
    StateSchema,
    StreamQueryArgsSchema,
)
from events.audit import PointInTime, present_event, read_events, redact
from events.domainmodel import AclRule, AclRuleSet, ApiKey, MqttUser
from events.errors import InvalidInput
from events.topics import topic_error

blp = Blueprint("audit", __name__, url_prefix="/v2", description="Audit history")
HEARTBEAT_SECONDS = 5  # also how soon a departed client's thread is noticed and freed
# Each live stream holds one of the process's request threads; keep most of them for the API.
STREAMS_PER_PROCESS = 2
_stream_slots = threading.BoundedSemaphore(STREAMS_PER_PROCESS)


def event_filter(args: Dict[str, Any]):
    def wanted(item: Dict[str, Any]) -> bool:
        kind = args["type"]
        return ((kind is None or item["type"] == kind or item["type"].startswith(kind + "."))
                and (args["aggregate"] is None or item["aggregate"]["id"] == args["aggregate"])
                and (args["actor"] is None or item["actor"]["id"] == args["actor"])
                and (args["since"] is None or item["time"] >= args["since"])
                and (args["until"] is None or item["time"] < args["until"]))
    return wanted


def start_position(args: Dict[str, Any]) -> int:
    last_event_id = request.headers.get("Last-Event-ID", "")
    if last_event_id.isdigit():
        return int(last_event_id)
    return args["cursor"] if args["cursor"] is not None else args["after"]


@blp.route("/events")
class EventViews(MethodView):
    @blp.auth("events:read")
    @blp.arguments(EventQueryArgsSchema, location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """The organization's events, oldest first, by position in the log"""
        items, last, more = read_events(current_domain(), g.org_id, start_position(args), args["limit"],
                                        event_filter(args))
        return {"data": items, "next_cursor": str(last) if more else None}


@blp.route("/events/stream")
class EventStreamViews(MethodView):
    @blp.auth("events:read")
    @blp.arguments(StreamQueryArgsSchema, location="query")
    @blp.response(200, description="Server-Sent Events: `id` is the position, `event` the type, `data` the event")
    @blp.errors(503)
    def get(self, args: Dict[str, Any]) -> Response:
        """Follow the organization's new events live (Server-Sent Events)"""
        domain, org_id, wanted = current_domain(), g.org_id, event_filter(args)
        after, deadline = start_position(args), time.monotonic() + args["timeout"]
        if not _stream_slots.acquire(blocking=False):
            raise ApiError(503, f"this server process already serves {STREAMS_PER_PROCESS} live streams; retry "
                                "shortly or poll GET /v2/events", "too_many_streams", headers={"Retry-After": "5"})

        def stream() -> Iterator[str]:
            try:
                yield from follow()
            finally:
                _stream_slots.release()

        def follow() -> Iterator[str]:
            nonlocal after
            quiet_since = time.monotonic()
            yield ": connected\n\n"
            while time.monotonic() < deadline:
                items, last, _ = read_events(domain, org_id, after, 100, wanted)
                after = max(after, last)
                for item in items:
                    data = json.dumps(EventSchema().dump(item))  # the same shape as GET /v2/events
                    yield f"id: {item['position']}\nevent: {item['type']}\ndata: {data}\n\n"
                if items:
                    quiet_since = time.monotonic()
                else:
                    if time.monotonic() - quiet_since > HEARTBEAT_SECONDS:
                        yield ": heartbeat\n\n"
                        quiet_since = time.monotonic()
                    time.sleep(0.25)

        return Response(stream_with_context(stream()), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@blp.route("/audit/access")
class AuditAccessViews(MethodView):
    @blp.auth("events:read")
    @blp.arguments(AccessQueryArgsSchema, location="query")
    @blp.response(200, AccessSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Could this user publish or subscribe to this topic at that moment? With the rule and events"""
        error = topic_error(args["topic"], wildcards=args["action"] == "subscribe")
        if error:
            raise InvalidInput(f"invalid topic: {error}", {"topic": [error]})
        domain = current_domain()
        moment = PointInTime(domain, g.org_id, args["at"])
        answer = moment.access(args["username"], args["client_id"], args["topic"], args["action"])
        key_names = {key.key_id: key.name for key in domain.view.keys_of(g.org_id)}
        answer["events"] = [present_event(e, None, domain.view.label(e.originator_id), key_names)
                            for e in answer["events"]]
        return {"at": args["at"], **answer}


@blp.route("/audit/state")
class AuditStateViews(MethodView):
    @blp.auth("events:read")
    @blp.arguments(StateQueryArgsSchema, location="query")
    @blp.response(200, StateSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Users, rules, rule sets and API keys as they were at that moment"""
        moment = PointInTime(current_domain(), g.org_id, args["at"])
        return {
            "at": args["at"],
            "users": [{"id": u.user_id, "username": u.name, "rule_set_id": u.rule_set_id, "disabled": u.disabled,
                       "metadata": redact(u.metadata), "created_at": u.created_on.isoformat()} for u in moment.all(MqttUser)],
            "rules": [rule.rule for rule in moment.all(AclRule)],
            "rule_sets": [{"id": s.rule_set_id, "name": s.name, "rules": s.rules} for s in moment.all(AclRuleSet)],
            "api_keys": [redact({"id": k.key_id, "name": k.name, "type": k.key_type, "scopes": k.scopes,
                                 "revoked": k.revoked, "created_at": k.created_on.isoformat()})
                        for k in moment.all(ApiKey)],
        }
