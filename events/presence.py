"""Presence and retained messages, as the broker plugin reports them.

Presence: the plugin reports every subscription its rules allowed (`subscribed`) and every
unsubscribe of a held filter (`unsubscribed`) with the session id. They are recorded as
`Session.FiltersChanged` events, one per session per report batch (a client subscribing to ten
filters after its CONNECT costs one event, not ten). Why events and not a read model fed from the
reports alone: the reports reach the `internal` processes, while the presence queries are answered
by the `public` ones; the event store is the only state they share (as for the sessions
themselves), and it makes presence replayable and auditable ("what was this device subscribed to
at 14:02?"). Subscriptions churn about as much as CONNECTs do, which the store already records.
A session's filters end with it (closed, kicked, taken over, broker restart).

Retained messages: the plugin reports every retained publish it allowed (`retained` with the
topic, size and QoS; size 0: cleared). Each organization's list is kept as `RetainedMessage`
aggregates (one per topic: Set, Cleared), so it survives restarts of the service and of the
broker (whose persistence keeps the messages) and the broker gets it back at its first sync. A
crash loses the broker's latest changes: after each broker start the list is checked against
what the broker holds (app/broker/retained_scan.py).
Reports for the same topic in one batch are coalesced (the last wins), so a device rewriting its
retained status costs at most one event per batch (100 ms linger in the plugin). Payloads stay in
the broker: the service fetches them on request by subscribing as its internal user.
"""

import copy
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from events.domainmodel import RetainedMessage, Session

PRESENCE_REPORTS = ("subscribed", "unsubscribed")
RETAINED_REPORTS = ("retained",)
SHARE = "$share/"


def _at(report: Dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(report["at"] / 1000, timezone.utc)


def _writable(app: Any, aggregate: Any) -> Any:
    """A copy of the read model's aggregate to record new events on (its version is current: the
    read model caught up first, and the broker's reports are the only writers of these)."""
    with app.view.paused():
        return copy.deepcopy(aggregate)


def record_presence(app: Any, reports: List[Dict[str, Any]]) -> int:
    """Apply `subscribed`/`unsubscribed` reports (in order); returns how many sessions changed."""
    app.view.catch_up()
    changes: Dict[str, Tuple[List[str], List[str], datetime]] = {}
    for report in reports:
        if report["type"] not in PRESENCE_REPORTS:
            continue
        subscribed, unsubscribed, _ = changes.get(report["session_id"], ([], [], None))
        changes[report["session_id"]] = (subscribed, unsubscribed, _at(report))
        topic = report["filter"]
        if report["type"] == "subscribed":
            if topic in unsubscribed:
                unsubscribed.remove(topic)
            if topic not in subscribed:
                subscribed.append(topic)
        else:
            if topic in subscribed:
                subscribed.remove(topic)
            if topic not in unsubscribed:
                unsubscribed.append(topic)
    changed: List[Session] = []
    for session_id, (subscribed, unsubscribed, at) in changes.items():
        session = app.view.session(session_id)
        if session is None or session.disconnected_at is not None:
            continue  # a session that ended meanwhile has no filters
        held = list(getattr(session, "filters", []))
        after = [f for f in held if f not in unsubscribed] + [f for f in subscribed if f not in held]
        if after == held:
            continue  # a report sent twice
        writable = _writable(app, session)
        writable.change_filters(subscribed, unsubscribed, at)
        changed.append(writable)
    if changed:
        app._commit(*changed)
    return len(changed)


def record_retained(app: Any, reports: List[Dict[str, Any]]) -> int:
    """Apply `retained` reports; returns how many topics changed."""
    app.view.catch_up()
    latest: Dict[Tuple[str, str], Dict[str, Any]] = {}
    for report in reports:
        if report["type"] in RETAINED_REPORTS:
            latest[(report["org_id"], report["topic"])] = report
    changed: List[RetainedMessage] = []
    for (org_id, topic), report in latest.items():
        existing = app.view.retained_message(org_id, topic)
        at, size, qos = _at(report), report["size"], report.get("qos", 0)
        if size > 0:
            if existing is None:
                changed.append(RetainedMessage(org_id=org_id, topic=topic, size=size, qos=qos, at=at))
            else:
                writable = _writable(app, existing)
                writable.set(size, qos, at)
                changed.append(writable)
        elif existing is not None and existing.present:
            writable = _writable(app, existing)
            writable.clear(at)
            changed.append(writable)
    if changed:
        app._commit(*changed)
    return len(changed)


# -- matching -----------------------------------------------------------------------------------

def shared_parts(topic: str) -> Tuple[Optional[str], str]:
    """`$share/GROUP/FILTER` -> (GROUP, FILTER); anything else -> (None, topic)."""
    if topic.startswith(SHARE):
        group, _, rest = topic[len(SHARE):].partition("/")
        if group and rest:
            return group, rest
    return None, topic


def filters_overlap(a: str, b: str) -> bool:
    """Is there a topic both filters match? (`+` one level, `#` the rest, the parent included.)"""
    left, right = a.split("/"), b.split("/")
    for i in range(max(len(left), len(right))):
        x = left[i] if i < len(left) else None
        y = right[i] if i < len(right) else None
        if x == "#" or y == "#":
            return True
        if x is None or y is None:
            return False
        if x != y and x != "+" and y != "+":
            return False
    return True


def filter_matches_topic(filter_: str, topic: str) -> bool:
    """Does `filter_` match the topic name `topic`? (`topic` has no wildcards.)"""
    levels, names = filter_.split("/"), topic.split("/")
    for i, level in enumerate(levels):
        if level == "#":
            return True
        if i >= len(names) or (level != "+" and level != names[i]):
            return False
    return len(levels) == len(names)


def filter_covers(outer: str, inner: str) -> bool:
    """Does `outer` match every topic `inner` can (so that deleting by `outer` takes `inner`)?"""
    if "+" not in inner and "#" not in inner:
        return filter_matches_topic(outer, inner)
    o, i = outer.split("/"), inner.split("/")
    for n, level in enumerate(o):
        if level == "#":
            return True
        if n >= len(i) or i[n] == "#" or (level != "+" and level != i[n]):
            return False
    return len(o) == len(i)
