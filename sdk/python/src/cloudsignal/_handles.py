"""Acknowledgement handles: what a publish or a subscription returns, resolved by the broker's
PUBACK/PUBCOMP or SUBACK (matched by packet id in an :class:`AckTable`)."""

from __future__ import annotations

import collections
import threading
from typing import Any, Callable, Optional

from paho.mqtt.reasoncodes import ReasonCode

from cloudsignal.errors import PublishError, SubscribeError


class _Ack:
    """Something a packet id will resolve: a reason code, or a failure before it was sent."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._failure: Optional[Exception] = None

    def _succeed(self) -> None:
        self._done.set()

    def _fail(self, failure: Exception) -> None:
        self._failure = failure
        self._done.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until done: True once the broker took it, False when ``timeout`` passed first.

        Raises the broker's refusal (:class:`PublishError`, :class:`SubscribeError`).
        """
        if not self._done.wait(timeout):
            return False
        if self._failure is not None:
            raise self._failure
        return True

    def is_done(self) -> bool:
        return self._done.is_set()


class PublishHandle(_Ack):
    """Returned by :meth:`CloudSignalClient.publish`; ``wait(timeout)`` blocks until the message
    was sent (QoS 0) or acknowledged by the broker (QoS 1 and 2).

    Example::

        handle = client.publish("agents/agent-01/state", {"status": "idle"}, qos=1)
        handle.wait(5)   # True, False on timeout; raises PublishError if the broker refused it
    """

    def __init__(self, topic: str, qos: int) -> None:
        super().__init__()
        self.topic, self.qos = topic, qos
        self.mid: Optional[int] = None

    def _resolve(self, reason: ReasonCode) -> None:
        if reason.is_failure:
            self._fail(PublishError(self.topic, str(reason)))
        else:
            self._succeed()

    def is_published(self) -> bool:
        return self.is_done() and self._failure is None


class SubscribeHandle(_Ack):
    """Returned by :meth:`CloudSignalClient.subscribe`; ``wait(timeout)`` blocks until the broker
    granted the subscription (raises :class:`SubscribeError` when it refused it)."""

    def __init__(self, topic_filter: str) -> None:
        super().__init__()
        self.topic_filter = topic_filter
        self.granted_qos: Optional[int] = None

    def _resolve(self, reason: ReasonCode) -> None:
        if reason.is_failure:
            self._fail(SubscribeError(self.topic_filter, str(reason)))
        else:
            self.granted_qos = reason.value
            self._succeed()


class AckTable:
    """Packet ids waiting for their acknowledgement. An acknowledgement may arrive before the
    thread that sent the packet registered it; it is kept until then."""

    EARLY_LIMIT = 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, Callable[[Any], None]] = {}
        self._early: collections.OrderedDict[int, Any] = collections.OrderedDict()

    def expect(self, mid: int, resolve: Callable[[Any], None]) -> None:
        with self._lock:
            if mid not in self._early:
                self._waiting[mid] = resolve
                return
            value = self._early.pop(mid)
        resolve(value)

    def arrived(self, mid: int, value: Any) -> None:
        with self._lock:
            resolve = self._waiting.pop(mid, None)
            if resolve is None:
                self._early[mid] = value
                while len(self._early) > self.EARLY_LIMIT:
                    self._early.popitem(last=False)
                return
        resolve(value)
