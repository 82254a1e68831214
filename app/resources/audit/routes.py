"""The organization's event history, a live stream of it, and point-in-time questions."""

import json
import os
import threading
import time
from collections import Counter
from typing import Any, Callable, Dict, Iterator, Tuple

from flask import Response, g, request, stream_with_context
from flask.views import MethodView

from app.current import current_domain
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
from events.access.question import ask
from events.audit import PointInTime, present_event, read_events, redact
from events.domainmodel import AclRule, AclRuleSet, ApiKey, MqttUser

blp = Blueprint("audit", __name__, url_prefix="/v2", description="Audit history")
HEARTBEAT_SECONDS = 5  # also how soon a departed client's thread is noticed and freed


def stream_limits(environ: Any = os.environ) -> Tuple[int, int]:
    """(streams per process, streams per organization per process). Each live stream holds a
    thread of the process serving it. The `stream` role (the edge sends every stream to it) has
    threads for little else: 8 fewer streams than CLOUDSIGNAL_STREAM_THREADS (256), at most 100
    per organization. Anywhere else (the API's own threads: a service without the edge) 2, as
    before the edge.
    CLOUDSIGNAL_STREAMS_PER_PROCESS and CLOUDSIGNAL_STREAMS_PER_ORG override them."""
    if environ.get("CLOUDSIGNAL_ROLE") == "stream":
        total = max(1, int(environ.get("CLOUDSIGNAL_STREAM_THREADS") or 256) - 8)
        per_org = min(total, 100)
    else:
        total, per_org = 2, 2
    total = int(environ.get("CLOUDSIGNAL_STREAMS_PER_PROCESS") or total)
    per_org = min(total, int(environ.get("CLOUDSIGNAL_STREAMS_PER_ORG") or per_org))
    return total, per_org


class StreamSlots:
    """The process's live stream slots: at most `total`, at most `per_org` for one organization,
    so one tenant can never take every slot from the others."""

    def __init__(self, total: int, per_org: int):
        self.total, self.per_org = total, per_org
        self._lock = threading.Lock()
        self._open: Counter[str] = Counter()

    def acquire(self, org_id: str) -> None:
        with self._lock:
            if self._open[org_id] >= self.per_org:
                raise ApiError(503, f"the organization already has {self.per_org} live streams open on this server "
                                    "process; close one, retry shortly or poll GET /v2/events", "too_many_streams",
                               {"limit": self.per_org, "scope": "organization"}, headers={"Retry-After": "5"})
            if sum(self._open.values()) >= self.total:
                raise ApiError(503, f"this server process already serves {self.total} live streams; retry shortly or "
                                    "poll GET /v2/events", "too_many_streams", {"limit": self.total, "scope": "process"},
                               headers={"Retry-After": "5"})
            self._open[org_id] += 1

    def release(self, org_id: str) -> None:
        with self._lock:
            self._open[org_id] -= 1
            if self._open[org_id] <= 0:
                del self._open[org_id]


STREAMS_PER_PROCESS, STREAMS_PER_ORG = stream_limits()
_stream_slots = StreamSlots(STREAMS_PER_PROCESS, STREAMS_PER_ORG)
# Streams read the store a few at a time: 200 streams must not need 200 database connections
# (each thread would take its own; PostgreSQL allows 100 by default).
_store_readers = threading.BoundedSemaphore(int(os.environ.get("CLOUDSIGNAL_STREAM_READERS") or 4))


def event_filter(args: Dict[str, Any]) -> Callable[[Dict[str, Any]], bool]:
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
    position: int = args["cursor"] if args["cursor"] is not None else args["after"]
    return position


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
        _stream_slots.acquire(org_id)
        released = threading.Event()

        def release() -> None:  # once: at the stream's end, or at close() if it never started
            if not released.is_set():
                released.set()
                _stream_slots.release(org_id)

        def stream() -> Iterator[str]:
            try:
                yield from follow()
            finally:
                release()

        def follow() -> Iterator[str]:
            nonlocal after
            quiet_since = time.monotonic()
            yield ": connected\n\n"
            while time.monotonic() < deadline:
                with _store_readers:
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

        response = Response(stream_with_context(stream()), mimetype="text/event-stream",
                            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        response.call_on_close(release)
        return response


@blp.route("/audit/access")
class AuditAccessViews(MethodView):
    @blp.auth("events:read")
    @blp.arguments(AccessQueryArgsSchema, location="query")
    @blp.response(200, AccessSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Could this user publish or subscribe to this topic at that moment? With the rule and events"""
        domain = current_domain()
        moment = PointInTime(domain, g.org_id, args["at"])
        user, user_events = moment.user(args["username"])
        answer = ask(moment, user, username=args["username"], topic=args["topic"], action=args["action"],
                     client_id=args["client_id"])
        key_names = {key.key_id: key.name for key in domain.view.keys_of(g.org_id)}
        events = [present_event(e, None, domain.view.label(e.originator_id), key_names)
                  for e in [*user_events, *answer.events]]
        return {"at": args["at"], **answer.as_json(), "events": events}


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
