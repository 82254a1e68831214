"""Request/response over MQTT 5, the same on the wire as the JavaScript SDK's.

A request is a publish with a ``ResponseTopic`` (``replies/<client_id>/<correlation>`` by default,
under the one response subscription ``replies/<client_id>/#`` each client makes) and random
``CorrelationData``. The responder publishes the handler's return value to that topic with the
same correlation data. A handler that raises answers with an *error reply*: the user property
``cs-error`` holds an error code (``handler_error``, or the ``code`` of a :class:`RequestError`
the handler raised) and the payload is ``{"error": code, "message": text}``; the requester raises
it as :class:`RequestError`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Optional

from cloudsignal._handles import PublishHandle, SubscribeHandle
from cloudsignal._messages import Handler, Message, as_message_handler
from cloudsignal.errors import MQTTError, SubscribeError
from cloudsignal.types import MessageProperties

if TYPE_CHECKING:
    from cloudsignal.mqtt import CloudSignalClient

log = logging.getLogger("cloudsignal.mqtt")

ERROR_PROPERTY = "cs-error"
"""The user property that marks an error reply; its value is the error code."""
HANDLER_ERROR = "handler_error"
REPLY_TOPIC = "replies/{client_id}"


class RequestError(MQTTError):
    """A request got an error reply (the responder's handler raised), or no reply.

    ``code`` is the responder's error code (``handler_error`` when its handler raised an
    ordinary exception), ``request_timeout`` (:class:`RequestTimeout`), ``request_refused``
    (the broker refused the request's publish) or ``reply_topic_refused`` (the rules do not let
    this client subscribe to its reply topic). A responder may raise it to choose the code::

        @client.on_request("svc/+/get")
        def get(topic, payload):
            raise RequestError("no such item", code="not_found")
    """

    def __init__(self, message: str, *, code: str = HANDLER_ERROR, topic: Optional[str] = None) -> None:
        super().__init__(message)
        self.message, self.code, self.topic = message, code, topic


class RequestTimeout(RequestError, TimeoutError):
    """No reply came within the request's timeout (code ``request_timeout``)."""


class _Pending:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.reply: Optional[Message] = None


def _user_property(message: Message, name: str) -> Optional[str]:
    for key, value in getattr(message.properties, "UserProperty", None) or []:
        if key == name:
            return str(value)
    return None


class Requester:
    """The requesting side of one client: its response subscription and the requests in flight."""

    def __init__(self, client: "CloudSignalClient", reply_topic: str) -> None:
        self._client = client
        self.reply_topic = reply_topic
        self._lock = threading.Lock()
        self._pending: dict[bytes, _Pending] = {}
        self._subscription: Optional[SubscribeHandle] = None

    @property
    def reply_filter(self) -> str:
        return self.reply_topic + "/#"

    def _subscribed(self) -> SubscribeHandle:
        with self._lock:
            if self._subscription is None:
                self._subscription = self._client.subscribe(self.reply_filter, self._arrived, qos=1)
            return self._subscription

    def request(self, topic: str, payload: Any, timeout: float, qos: int,
                properties: Optional[MessageProperties]) -> Any:
        deadline = time.monotonic() + timeout
        subscription = self._subscribed()
        try:
            if not subscription.wait(timeout):
                raise RequestTimeout(f"no reply to {topic!r} within {timeout:g}s (not connected)",
                                     code="request_timeout", topic=topic)
        except SubscribeError as error:
            with self._lock:
                self._subscription = None
            self._client.unsubscribe(self.reply_filter)  # so that a later request asks again
            raise RequestError(
                f"cannot receive replies on {self.reply_filter!r} ({error.reason}); add the rule "
                '{"topic": "replies/{client_id}/#", "action": "subscribe", "permission": "allow"}',
                code="reply_topic_refused", topic=topic) from error
        correlation = uuid.uuid4().hex
        pending = _Pending()
        with self._lock:
            self._pending[correlation.encode()] = pending
        try:
            sent: MessageProperties = {**(properties or {}), "response_topic": f"{self.reply_topic}/{correlation}",
                                       "correlation_data": correlation,
                                       "message_expiry_interval": max(1, math.ceil(timeout))}
            handle = self._client.publish(topic, payload, qos=qos, properties=sent)
            self._wait(pending, handle, deadline, topic, timeout)
        finally:
            with self._lock:
                self._pending.pop(correlation.encode(), None)
        assert pending.reply is not None
        return _result(pending.reply, topic)

    @staticmethod
    def _wait(pending: _Pending, handle: PublishHandle, deadline: float, topic: str, timeout: float) -> None:
        while not pending.done.wait(max(0.0, min(0.25, deadline - time.monotonic()))):
            if handle.is_done() and not handle.is_published():
                try:
                    handle.wait(0)
                except MQTTError as error:
                    raise RequestError(f"the request to {topic!r} was refused: {error}",
                                       code="request_refused", topic=topic) from error
            if time.monotonic() >= deadline:
                raise RequestTimeout(f"no reply to the request on {topic!r} within {timeout:g}s",
                                     code="request_timeout", topic=topic)

    def _arrived(self, topic: str, payload: Any, message: Message) -> None:
        correlation = getattr(message.properties, "CorrelationData", None)
        with self._lock:
            pending = self._pending.get(bytes(correlation)) if correlation else None
        if pending is None:
            log.debug("a reply on %r matches no request in flight (late, or not ours)", topic)
            return
        pending.reply = message
        pending.done.set()


def _result(reply: Message, topic: str) -> Any:
    code = _user_property(reply, ERROR_PROPERTY)
    if code is None:
        return reply.payload
    text = reply.payload.get("message") if isinstance(reply.payload, dict) else None
    raise RequestError(str(text or f"the responder answered with {code}"), code=code, topic=topic)


def responder(client: "CloudSignalClient", handler: Handler) -> Callable[[str, Any, Message], None]:
    """A message handler that calls ``handler`` and publishes its return value (or the error it
    raised) to the request's response topic."""
    call = as_message_handler(handler)

    def serve(topic: str, payload: Any, message: Message) -> None:
        response_topic = getattr(message.properties, "ResponseTopic", None)
        correlation = getattr(message.properties, "CorrelationData", None)
        properties: MessageProperties = {}
        if correlation:
            properties["correlation_data"] = bytes(correlation)  # type: ignore[typeddict-item]  # bytes go as they are
        try:
            result = call(message)
        except Exception as error:
            code = error.code if isinstance(error, RequestError) else HANDLER_ERROR
            text = error.message if isinstance(error, RequestError) else f"{type(error).__name__}: {error}"
            log.warning("request handler for %r failed: %s", topic, text, exc_info=not isinstance(error, RequestError))
            result = {"error": code, "message": text}
            properties["user_properties"] = {ERROR_PROPERTY: code}
        if not response_topic:
            log.debug("a message on %r without a response topic: nothing to answer", topic)
            return
        client.publish(client._namespace.strip(response_topic), result, qos=min(1, message.qos),
                       properties=properties)

    return serve

