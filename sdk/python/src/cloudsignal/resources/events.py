from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any, Generator, Mapping, Optional, Union, cast

import requests

from cloudsignal._http import backoff, reason_of
from cloudsignal._sse import parse
from cloudsignal.errors import APIConnectionError
from cloudsignal.pagination import Page
from cloudsignal.resources._base import Resource
from cloudsignal.types import Event

log = logging.getLogger("cloudsignal")

Moment = Union[str, datetime]
"""An ISO 8601 time with a zone (``2025-01-31T12:00:00+00:00``), or an aware datetime."""

# The service sends a heartbeat comment after 15 s without events; a read that waits much longer
# means the connection is gone.
STREAM_READ_TIMEOUT = 45.0


def moment(value: Optional[Moment]) -> Optional[str]:
    """A time as the API takes it: ISO 8601 (a datetime's ``isoformat()``)."""
    return value.isoformat() if isinstance(value, datetime) else value


def normalized(event: dict[str, Any]) -> Event:
    """The event with ``time`` in ISO 8601 (``T``-separated), as ``GET /v2/events`` gives it."""
    when = event.get("time")
    if isinstance(when, str) and len(when) > 10 and when[10] == " ":
        try:
            event["time"] = datetime.fromisoformat(when).isoformat()
        except ValueError:
            pass
    return cast(Event, event)


class Events(Resource):
    """The organization's history (``/v2/events``), oldest first; scope ``events:read``.

    Every change made through the API (and the broker's session events) is an event with a
    ``position`` in the log, a ``type`` such as ``MqttUser.Created``, the ``aggregate`` it
    changed, the ``actor`` (API key) and the ``request_id``. Example::

        for event in api.events.list(type="MqttUser", since="2025-01-01T00:00:00Z"):
            print(event["position"], event["type"], event["aggregate"]["name"], event["actor"]["name"])

        for event in api.events.stream(type="AclRule"):    # new events, until you stop iterating
            print(event["type"], event["change"])
    """

    def list(
        self,
        *,
        type: Optional[str] = None,
        aggregate: Optional[str] = None,
        actor: Optional[str] = None,
        since: Optional[Moment] = None,
        until: Optional[Moment] = None,
        after: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> Page[Event]:
        """One page of events after position ``after`` (default: from the first); iterate it to
        walk every event recorded so far.

        ``type`` is an event type (``MqttUser.Created``) or an aggregate's (``MqttUser``, every
        event of users); ``aggregate`` a public id (``usr_...``, ``rule_...``); ``actor`` an API key
        id, ``system`` or ``broker``; ``since`` (inclusive) and ``until`` (exclusive) ISO 8601 times
        with a zone or aware datetimes. The page's ``next_cursor`` continues the listing (pass it as
        ``after``); it is None on the last page, where the last event's ``position`` is the place
        to continue from later.

        Example::

            page = api.events.list(type="MqttUser.Created", limit=100)
            for event in page.data:
                print(event["aggregate"]["name"], "created by", event["actor"]["name"])
            newer = api.events.list(after=int(page.next_cursor)) if page.next_cursor else None
        """
        params = self._filters(type, aggregate, actor, since, until)

        def fetch(cursor: Optional[str]) -> Page[Any]:
            body = self._http.request("GET", "/v2/events", params={**params, "after": cursor, "limit": limit})
            return Page(body, fetch)

        return fetch(str(after) if after is not None else None)

    def last_position(self) -> int:
        """The position of the organization's latest event (0 when there is none).

        Found with a few one-event requests (a binary search over positions), however long the
        history. Example::

            mark = api.events.last_position()
            ...  # changes
            for event in api.events.list(after=mark):
                print(event["type"])
        """
        def first_after(position: int) -> Optional[int]:
            body = self._http.request("GET", "/v2/events", params={"after": position, "limit": 1})
            data = body.get("data") if isinstance(body, dict) else None
            return int(data[0]["position"]) if data else None

        low = first_after(0)  # invariant: an event exists at low, and none after high
        if low is None:
            return 0
        high: Optional[int] = None
        while high is None:  # gallop: positions are global, so probe twice as far each time
            further = first_after(2 * low)
            if further is None:
                high = 2 * low
            else:
                low = further
        while low < high:
            middle = (low + high) // 2
            found = first_after(middle)
            if found is None:
                high = middle
            else:
                low = found
        return low

    def stream(
        self,
        *,
        after: Optional[int] = None,
        type: Optional[str] = None,
        aggregate: Optional[str] = None,
        actor: Optional[str] = None,
        since: Optional[Moment] = None,
        until: Optional[Moment] = None,
        timeout: Optional[int] = None,
    ) -> Generator[Event, None, None]:
        """Follow events live (``GET /v2/events/stream``, Server-Sent Events), oldest first.

        Yields the events recorded after position ``after``; by default (None) only those
        recorded after this call, ``after=0`` replays the whole history first. Filters as in
        :meth:`list`. The service ends each connection after ``timeout`` seconds (1-3600, its
        default 300); the iterator then reconnects with ``Last-Event-ID`` at once, and after a
        broken connection with backoff (``max_retries`` failures in a row raise
        :class:`cloudsignal.APIConnectionError`), so nothing is skipped or repeated. It runs until
        you stop iterating (``break``, or ``close()`` it). The first connection is made before
        this returns, so API errors (a key without ``events:read``: PermissionDeniedError) raise
        here and no event recorded after the call is missed.

        Example::

            for event in api.events.stream(type="MqttUser"):
                print(event["position"], event["type"], event["aggregate"]["name"])
                if event["type"] == "MqttUser.Deleted":
                    break
        """
        start = self.last_position() if after is None else after
        query = {name: value for name, value in self._filters(type, aggregate, actor, since, until).items()
                 if value is not None}
        if timeout is not None:
            query["timeout"] = timeout
        return self._follow(self._open(start, query), start, query)

    def _open(self, after: int, query: Mapping[str, Any]) -> requests.Response:
        """Connect to the stream after position ``after``, with the HTTP client's retries."""
        http = self._http
        return http.send("GET", "/v2/events/stream", params={**query, "after": after}, stream=True,
                         headers={"Accept": "text/event-stream", "Last-Event-ID": str(after)},
                         timeout=(http.timeout, max(http.timeout, STREAM_READ_TIMEOUT)))

    def _follow(self, response: requests.Response, after: int,
                query: Mapping[str, Any]) -> Generator[Event, None, None]:
        last, breaks = after, 0
        while True:
            opened, received = time.monotonic(), 0
            try:
                with response:
                    for sse in parse(response.iter_lines()):
                        try:
                            event = json.loads(sse.data)
                        except ValueError:
                            log.warning("skipping an event stream entry that is not JSON: %.200s", sse.data)
                            continue
                        if sse.id and sse.id.isdigit():
                            last = int(sse.id)
                        received += 1
                        yield normalized(event)
            except requests.RequestException as error:  # the connection broke: back off, then resume
                breaks = 0 if received else breaks
                if breaks >= self._http.max_retries:
                    raise APIConnectionError(f"the event stream from {self._http.base_url} broke: "
                                             f"{reason_of(error)}") from error
                delay = backoff(breaks)
                log.info("event stream broke (%s); resuming after position %s in %.2fs", reason_of(error), last, delay)
                time.sleep(delay)
                breaks += 1
            else:  # the service ended the stream (its timeout): resume at once
                breaks = 0
                if not received and time.monotonic() - opened < 1.0:
                    time.sleep(1.0)  # something ends streams at once: do not spin
            response = self._open(last, query)

    @staticmethod
    def _filters(type: Optional[str], aggregate: Optional[str], actor: Optional[str], since: Optional[Moment],
                 until: Optional[Moment]) -> dict[str, Any]:
        return {"type": type, "aggregate": aggregate, "actor": actor, "since": moment(since), "until": moment(until)}
