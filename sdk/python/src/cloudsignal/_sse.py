"""Server-Sent Events (the ``text/event-stream`` format) read from a streamed HTTP body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional


@dataclass(frozen=True)
class ServerSentEvent:
    """One dispatched event: ``id`` (None when the block had no ``id:`` line), ``event`` (the
    type, ``message`` by default) and ``data`` (its ``data:`` lines joined by newlines)."""

    id: Optional[str]
    event: str
    data: str


def parse(lines: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Events from the body's lines (without their line ends), as the HTML standard reads them.

    Comment lines (``: heartbeat``) are skipped, a blank line dispatches the event gathered so
    far, and a block without ``data:`` dispatches nothing. Example::

        for sse in parse(response.iter_lines()):
            print(sse.id, sse.event, sse.data)
    """
    event_id: Optional[str] = None
    event_type = ""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", errors="replace")
        if not line:
            if data:
                yield ServerSentEvent(event_id, event_type or "message", "\n".join(data))
            event_type, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event_type = value
        elif name == "id" and "\0" not in value:
            event_id = value
        # "retry" and unknown fields are ignored: reconnection is the caller's business
