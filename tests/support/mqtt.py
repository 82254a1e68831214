"""A paho-mqtt test client that records what a user of the broker would see."""

import queue
import ssl
import threading
import uuid
from typing import Any, List, Optional, Tuple

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

WAIT = 5.0


def org_of(username: Optional[str]) -> Optional[str]:
    """The organization id a `name@org_...` username ends with."""
    _, at, org_id = (username or "").rpartition("@")
    return org_id if at and org_id.startswith("org_") else None


class MqttTestClient:
    """A raw paho client. Its client id (given or generated) goes to the broker with the username's
    organization prefix, `{org_id}/{client_id}`, which multi tenancy requires of raw clients (and
    single tenancy lets pass); `client_id` stays as given. `raw_client_id=True` sends it as is."""

    def __init__(
        self,
        port: int,
        username: Optional[str],
        password: Optional[str],
        client_id: Optional[str] = None,
        transport: str = "tcp",
        ca_file: Optional[str] = None,
        clean_start: bool = True,
        reconnect: bool = False,
        raw_client_id: bool = False,
    ):
        self.client_id = client_id if client_id is not None else f"test-{uuid.uuid4().hex[:10]}"
        org_id = None if raw_client_id else org_of(username)
        self.wire_client_id = f"{org_id}/{self.client_id}" if org_id else self.client_id
        self.messages: "queue.Queue[Tuple[str, bytes]]" = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connect_reason: Optional[ReasonCode] = None
        self._acks: dict = {}
        self._ack_events: dict = {}
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.wire_client_id,
                                  protocol=mqtt.MQTTv5, transport=transport)
        if username is not None:
            self.client.username_pw_set(username, password)
        if ca_file:
            self.client.tls_set(ca_certs=ca_file, cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.received: List[mqtt.MQTTMessage] = []  # every message, with its properties
        self.client.on_subscribe = lambda c, u, mid, codes, props: self._ack(mid, codes)
        self.client.on_publish = lambda c, u, mid, code, props: self._ack(mid, code)
        self._reconnect = reconnect
        properties = None
        if not clean_start:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", port, keepalive=30, clean_start=clean_start, properties=properties)
        self.client.loop_start()
        self.connected.wait(WAIT)

    # -- callbacks -------------------------------------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        self.connect_reason = reason
        self.connected.set()
        if reason.is_failure and not self._reconnect:
            client.disconnect()

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        self.disconnect_reason = reason
        self.disconnected.set()
        if not self._reconnect:
            client.disconnect()  # stops paho's loop from reconnecting

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.received.append(message)
        self.messages.put((message.topic, message.payload))

    def _ack(self, mid: int, result: Any) -> None:
        with self._lock:
            self._acks[mid] = result
            event = self._ack_events.setdefault(mid, threading.Event())
        event.set()

    def _wait_ack(self, mid: int) -> Any:
        with self._lock:
            event = self._ack_events.setdefault(mid, threading.Event())
        if not event.wait(WAIT):
            raise TimeoutError(f"no acknowledgement for message id {mid}")
        return self._acks.pop(mid)

    # -- what tests call --------------------------------------------------------------------

    @property
    def accepted(self) -> bool:
        return self.connect_reason is not None and not self.connect_reason.is_failure

    def subscribe(self, topic: str, qos: int = 1) -> List[ReasonCode]:
        result, mid = self.client.subscribe(topic, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS, result
        return self._wait_ack(mid)

    def subscribed(self, topic: str, qos: int = 1) -> bool:
        return not self.subscribe(topic, qos)[0].is_failure

    def publish(self, topic: str, payload: Any, qos: int = 1, retain: bool = False) -> ReasonCode:
        """Publish; for QoS 1 the PUBACK's reason code (Not authorized when the ACL refuses)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos == 0:
            return ReasonCode(mqtt.PacketTypes.PUBACK, "Success")
        return self._wait_ack(info.mid)

    def receive(self, timeout: float = WAIT) -> Optional[Tuple[str, bytes]]:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
