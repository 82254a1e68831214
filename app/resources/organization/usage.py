"""`GET /v2/organization/usage`: the organization's activity over time, for charts.

Computed from the read model's sessions (every CONNECT and disconnect the broker reported is an
event), so every service process answers the same and the figures survive restarts. Per bucket:
connections open at its end and at its peak, CONNECTs, and disconnects by reason (`client`,
`kicked`, `takeover`, `credentials_expired`, `broker_restart`). Messages are counted inside the
broker and are not recorded in the event store, so they are not part of this history; the
organization's `usage` holds the current minute's HTTP publishes.
"""

import bisect
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Tuple

import marshmallow as ma
from flask import g
from flask.views import MethodView

from app.current import current_domain
from app.errors import ApiError
from app.resources.organization.routes import blp

MAX_BUCKETS = 1440
MAX_RANGE = timedelta(days=31)
DISCONNECT_REASONS = ("client", "kicked", "takeover", "credentials_expired", "broker_restart")


class UsageQueryArgsSchema(ma.Schema):
    start = ma.fields.AwareDateTime(data_key="from", load_default=None,
                                    metadata={"description": "Start (ISO 8601 with a time zone); default `to` minus one hour"})
    end = ma.fields.AwareDateTime(data_key="to", load_default=None,
                                  metadata={"description": "End (ISO 8601 with a time zone); default now"})
    interval = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(min=1, max=86400),
        metadata={"description": f"Bucket width in seconds; default the range over 60 (at most {MAX_BUCKETS} buckets)"},
    )


class UsageBucketSchema(ma.Schema):
    start = ma.fields.DateTime(required=True)
    connections = ma.fields.Integer(required=True, metadata={"description": "Connected at the bucket's end (or now)"})
    peak_connections = ma.fields.Integer(required=True, metadata={"description": "Most connected at once in the bucket"})
    connects = ma.fields.Integer(required=True, metadata={"description": "CONNECTs admitted in the bucket"})
    disconnects = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
        metadata={"description": "Disconnects in the bucket by reason: " + ", ".join(DISCONNECT_REASONS)},
    )


class OrganizationUsageSchema(ma.Schema):
    start = ma.fields.DateTime(data_key="from", required=True)
    end = ma.fields.DateTime(data_key="to", required=True)
    interval = ma.fields.Integer(required=True, metadata={"description": "Bucket width in seconds"})
    buckets = ma.fields.List(ma.fields.Nested(UsageBucketSchema), required=True)
    totals = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
        metadata={"description": "Over the whole range: connects, disconnects, peak_connections, and one "
                                 "`disconnects_<reason>` per reason"},
    )


def bounds(start: Optional[datetime], end: Optional[datetime], interval: Optional[int]) -> Tuple[datetime, datetime, int]:
    """The range and bucket width asked for, with defaults, checked."""
    now = datetime.now(timezone.utc)
    end = end or now
    start = start or end - timedelta(hours=1)
    span = (end - start).total_seconds()
    if span <= 0:
        raise ApiError(400, "`from` must be before `to`", "validation_error", {"from": ["must be before `to`"]})
    if end - start > MAX_RANGE:
        raise ApiError(400, "the range may cover at most 31 days", "validation_error", {"from": ["range too long"]})
    interval = interval or max(1, int(span // 60))
    if span / interval > MAX_BUCKETS:
        raise ApiError(400, f"at most {MAX_BUCKETS} buckets: widen `interval`", "validation_error",
                       {"interval": [f"gives more than {MAX_BUCKETS} buckets"]})
    return start, end, interval


def series(sessions: List[Any], start: datetime, end: datetime, interval: int, now: datetime) -> Dict[str, Any]:
    """Buckets of `interval` seconds from `start` to `end` over sessions (connected_at, disconnected_at, reason)."""
    width = timedelta(seconds=interval)
    count = max(1, -(-int((end - start).total_seconds()) // interval))
    buckets: List[Dict[str, Any]] = [
        {"start": start + i * width, "connections": 0, "peak_connections": 0, "connects": 0,
         "disconnects": {reason: 0 for reason in DISCONNECT_REASONS}}
        for i in range(count)
    ]
    # A sweep over the changes inside the range, from the number connected at `start`.
    open_at_start = 0
    changes: List[Tuple[datetime, int, Optional[str]]] = []  # (when, +1/-1, reason); closes sort first
    for session in sessions:
        opened, closed = session.connected_at, session.disconnected_at
        if opened < start:
            if closed is None or closed > start:
                open_at_start += 1
        elif opened < end:
            changes.append((opened, 1, None))
        if closed is not None and start < closed < end and closed >= opened:
            changes.append((closed, -1, session.disconnect_reason or "client"))
    changes.sort(key=lambda change: (change[0], change[1]))
    times = [change[0] for change in changes]
    current = open_at_start
    position = 0
    for index, bucket in enumerate(buckets):
        bucket_end = min(bucket["start"] + width, end)
        peak = current
        stop = bisect.bisect_left(times, bucket_end, lo=position)
        for when, delta, reason in changes[position:stop]:
            current += delta
            if delta > 0:
                bucket["connects"] += 1
                peak = max(peak, current)
            else:
                bucket["disconnects"][reason] = bucket["disconnects"].get(reason, 0) + 1
        position = stop
        if bucket["start"] > now:  # the future has nobody connected
            current = peak = 0
        bucket["connections"], bucket["peak_connections"] = current, peak
    totals: Dict[str, int] = {
        "connects": sum(b["connects"] for b in buckets),
        "disconnects": sum(sum(b["disconnects"].values()) for b in buckets),
        "peak_connections": max((b["peak_connections"] for b in buckets), default=0),
    }
    for reason in DISCONNECT_REASONS:
        totals[f"disconnects_{reason}"] = sum(b["disconnects"].get(reason, 0) for b in buckets)
    return {"start": start, "end": end, "interval": interval, "buckets": buckets, "totals": totals}


@blp.route("/usage")
class OrganizationUsageViews(MethodView):
    @blp.auth("organization:read")
    @blp.arguments(UsageQueryArgsSchema, location="query")
    @blp.response(200, OrganizationUsageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Connections, CONNECTs and disconnects by reason over time, in buckets (for charts)"""
        start, end, interval = bounds(args["start"], args["end"], args["interval"])
        view = current_domain().view
        view.index_history()
        sessions = view.history.sessions_overlapping(g.org_id, start, end)
        return series(sessions, start, end, interval, datetime.now(timezone.utc))
