"""Operator tasks on the event store: verify projections by replay, export and import the log."""

import base64
import json
from typing import IO, Any, Dict, Iterator, List, Protocol, Tuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from events.application import CloudSignal
from events.readmodel import ReadModel, digest

BATCH = 1000


def replayed_digest(domain: CloudSignal, until: int) -> Dict[str, Dict[str, str]]:
    """Rebuild every projection from the first event up to `until` and fingerprint it."""
    model = ReadModel(domain.recorder, domain.mapper, domain.repository, domain.env)
    model.catch_up(until=until)
    return digest(model)


def differences(live: Dict[str, Dict[str, str]], replayed: Dict[str, Dict[str, str]]) -> List[Tuple[str, int, int, List[str]]]:
    """Per kind: (kind, live count, replayed count, ids that differ), for every kind."""
    rows = []
    for kind in sorted(set(live) | set(replayed)):
        mine, theirs = live.get(kind, {}), replayed.get(kind, {})
        differing = sorted(i for i in set(mine) | set(theirs) if mine.get(i) != theirs.get(i))
        rows.append((kind, len(mine), len(theirs), differing))
    return rows


class LineWriter(Protocol):
    """Where export_log writes: a text file, or anything with its write()."""

    def write(self, text: str, /) -> object: ...


def export_log(domain: CloudSignal, out: LineWriter) -> int:
    """Write every stored event as one JSON line, oldest first; returns how many."""
    count, position = 0, 0
    while True:
        page = domain.recorder.select_notifications(position + 1, BATCH)
        for notification in page:
            out.write(json.dumps({
                "position": notification.id,
                "originator_id": str(notification.originator_id),
                "originator_version": notification.originator_version,
                "topic": notification.topic,
                "state": base64.b64encode(notification.state).decode(),
            }) + "\n")
            position = notification.id
        count += len(page)
        if len(page) < BATCH:
            return count


def _stored_events(lines: IO[str]) -> Iterator[StoredEvent]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record: Dict[str, Any] = json.loads(line)
            yield StoredEvent(originator_id=UUID(record["originator_id"]),
                              originator_version=int(record["originator_version"]), topic=record["topic"],
                              state=base64.b64decode(record["state"], validate=True))
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"line {number} is not an exported event: {error}") from None


def import_log(domain: CloudSignal, lines: IO[str]) -> int:
    """Load an export into an empty store, in its order; returns how many events."""
    if domain.recorder.max_notification_id():
        raise ValueError("the target store is not empty; import only into a new database")
    batch: List[StoredEvent] = []
    count = 0
    for stored in _stored_events(lines):
        batch.append(stored)
        if len(batch) == BATCH:
            domain.recorder.insert_events(batch)
            count, batch = count + len(batch), []
    if batch:
        domain.recorder.insert_events(batch)
        count += len(batch)
    return count
