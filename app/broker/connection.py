"""The service's own MQTT connection to the broker, one per service process.

It publishes for `POST /v2/publish` and sends commands to the broker plugin over $CONTROL (one
method per command, from `app.broker.commands`). It connects as the internal user (a superuser; the API checks topics before publishing) with MQTT 5,
and paho reconnects by itself with backoff.
"""

import json
import logging
import os
import socket
import threading
from typing import Any, Dict, List, Optional

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from app.broker.commands import Command, CommandSender

CONTROL_TOPIC = "$CONTROL/cloudsignal/v1"
COMMANDS_PER_MESSAGE = 500
log = logging.getLogger("cloudsignal.broker")


class BrokerUnavailable(Exception):
    """Not connected to the broker."""


class BrokerTimeout(Exception):
    """The broker did not acknowledge in time."""


class BrokerRefused(Exception):
    """The broker acknowledged with a failure: the plugin refuses the service's publishes only by an
    organization's quota (messages per minute, retained messages, payload size)."""


class BrokerConnection(CommandSender):
    def __init__(self, host: str, port: int, username: str, secret: str):
        client_id = f"{username}-{socket.gethostname()}-{os.getpid()}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, secret)
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=2)  # type: ignore[arg-type]  # paho takes seconds as float
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self._refused: Dict[int, Any] = {}  # mid -> failure reason code of its PUBACK/PUBREC
        self._refused_lock = threading.Lock()
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()

    @staticmethod
    def _on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the service's connection: %s", reason)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        if reason.is_failure:  # paho calls this before the message counts as published
            with self._refused_lock:
                self._refused[mid] = reason

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int,
        retain: bool = False,
        properties: Optional[Properties] = None,
        timeout: float = 5.0,
    ) -> int:
        """Publish and, for QoS 1 and 2, wait for the broker's acknowledgement; returns the mid."""
        return self.wait(self.start_publish(topic, payload, qos, retain, properties), timeout)

    def start_publish(
        self, topic: str, payload: bytes, qos: int, retain: bool = False, properties: Optional[Properties] = None
    ) -> mqtt.MQTTMessageInfo:
        """Hand a message to the connection without waiting (see `wait`)."""
        if not self.connected:
            raise BrokerUnavailable("the broker is not reachable")
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            raise BrokerUnavailable("the connection to the broker was lost")
        return info

    def wait(self, info: mqtt.MQTTMessageInfo, timeout: float) -> int:
        """Wait up to `timeout` seconds until the message is out: acknowledged by the broker at
        QoS 1 and 2, written to the socket at QoS 0. Returns the mid; BrokerRefused when the
        broker acknowledged with a failure."""
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as error:
            raise BrokerUnavailable(str(error)) from None
        if not info.is_published():
            raise BrokerTimeout(f"no acknowledgement from the broker within {timeout:g} s")
        with self._refused_lock:
            refused = self._refused.pop(info.mid, None)
        if refused is not None:
            raise BrokerRefused(str(refused))
        return info.mid

    def send_commands(self, commands: List[Command]) -> List[Any]:
        """Queue commands for the plugin (QoS 1; kept and resent while reconnecting)."""
        return [self.client.publish(CONTROL_TOPIC, payload, qos=1) for payload in control_payloads(commands)]

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def control_payloads(commands: List[Command]) -> List[str]:
    """The $CONTROL messages that carry `commands` (at most COMMANDS_PER_MESSAGE each)."""
    return [json.dumps({"commands": commands[start:start + COMMANDS_PER_MESSAGE]})
            for start in range(0, len(commands), COMMANDS_PER_MESSAGE)]


def publish_properties(fields: Dict[str, Any]) -> Optional[Properties]:
    """MQTT 5 PUBLISH properties from the API's `properties` object."""
    if not fields:
        return None
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]  # paho leaves __init__ unannotated
    if "content_type" in fields:
        properties.ContentType = fields["content_type"]
    if "message_expiry_interval" in fields:
        properties.MessageExpiryInterval = fields["message_expiry_interval"]
    if "response_topic" in fields:
        properties.ResponseTopic = fields["response_topic"]
    if "correlation_data" in fields:
        properties.CorrelationData = fields["correlation_data"].encode()
    if fields.get("user_properties"):
        properties.UserProperty = list(fields["user_properties"].items())
    return properties
