"""What the MQTT client hands to handlers and keeps per subscription and queued publish."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from cloudsignal._handles import PublishHandle, SubscribeHandle
from cloudsignal._payload import JSON_CONTENT_TYPE
from cloudsignal._topics import Namespace
from cloudsignal.types import MessageProperties

Handler = Callable[..., Any]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True)
class Message:
    """A received message, for handlers that take a third argument.

    ``topic`` is the topic as your code writes it (without the organization prefix),
    ``payload`` the decoded payload, ``raw`` the bytes as sent.
    """

    topic: str
    payload: Any
    raw: bytes
    qos: int
    retain: bool
    properties: Optional[Properties] = None

    @property
    def content_type(self) -> Optional[str]:
        return getattr(self.properties, "ContentType", None)


@dataclass
class Subscription:
    topic_filter: str
    qos: int
    identifier: int
    handlers: list[Callable[[Message], None]] = field(default_factory=list)
    waiting: list[SubscribeHandle] = field(default_factory=list)
    granted: Optional[ReasonCode] = None


@dataclass
class Queued:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    properties: Optional[Properties]
    handle: PublishHandle


def new_properties(packet_type: int) -> Properties:
    return Properties(packet_type)  # type: ignore[no-untyped-call]


def as_message_handler(handler: Handler) -> Callable[[Message], Any]:
    """Call ``handler(topic, payload)``, or ``handler(topic, payload, message)`` when it takes three."""
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    wants_message = len(positional) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in parameters)
    if wants_message:
        return lambda message: handler(message.topic, message.payload, message)
    return lambda message: handler(message.topic, message.payload)


def publish_properties(namespace: Namespace, content_type: Optional[str],
                       given: Optional[MessageProperties]) -> Optional[Properties]:
    """MQTT 5 PUBLISH properties from the payload's content type and the caller's ``properties``
    (the response topic gets the organization prefix, as topics do)."""
    if not (content_type or given):
        return None
    properties = new_properties(PacketTypes.PUBLISH)
    given = given or {}
    if given.get("content_type") or content_type:
        properties.ContentType = given.get("content_type") or content_type or JSON_CONTENT_TYPE
    if "message_expiry_interval" in given:
        properties.MessageExpiryInterval = int(given["message_expiry_interval"])
    if given.get("response_topic"):
        properties.ResponseTopic = namespace.topic(given["response_topic"])
    if given.get("correlation_data"):
        correlation = given["correlation_data"]
        properties.CorrelationData = correlation.encode() if isinstance(correlation, str) else bytes(correlation)
    if given.get("user_properties"):
        properties.UserProperty = [(str(k), str(v)) for k, v in given["user_properties"].items()]
    return properties
