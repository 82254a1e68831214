"""MQTT semantics that a bare Mosquitto keeps must survive the plugin.

Each scenario of the Eclipse Paho interoperability suite that touches what the plugin decides
(offline queueing, will delay, message expiry, retained messages, redelivery on reconnect,
overlapping subscriptions, a deny rule under a wider subscription) runs twice with real paho-mqtt
clients: against Mosquitto without the plugin (anonymous, an ACL file where a scenario needs one)
and against the stack (Mosquitto with the plugin, a user whose rules allow everything). Both must
show the same thing. Written for this project after the suite's scenarios, not copied from it.
"""

import queue
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, List, Optional, Tuple

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.broker.conftest import allow, make_user
from tests.support.processes import free_port

WAIT = 5.0
BARE_ACL = "topic readwrite #\ntopic deny secret/#\n"


class Target:
    """Where a scenario runs: a port, credentials and the topic namespace."""

    def __init__(self, name: str, port: int, username: Optional[str], password: Optional[str], prefix: str):
        self.name, self.port, self.username, self.password, self.prefix = name, port, username, password, prefix

    def topic(self, topic: str) -> str:
        return self.prefix + topic


class Client:
    """A paho MQTT 5 client that records what arrives; no automatic reconnect."""

    def __init__(self, target: Target, client_id: Optional[str] = None, clean_start: bool = True,
                 session_expiry: Optional[int] = None, will: Optional[Tuple[str, bytes, int]] = None,
                 manual_ack: bool = False):
        self.target = target
        self.client_id = client_id or f"sem-{uuid.uuid4().hex[:10]}"
        self.messages: "queue.Queue[mqtt.MQTTMessage]" = queue.Queue()
        self.connack: "queue.Queue[Any]" = queue.Queue()
        # the target's namespace covers client ids too (multi tenancy: `{org_id}/` in front)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=target.prefix + self.client_id,
                                  protocol=mqtt.MQTTv5,
                                  reconnect_on_failure=False, manual_ack=manual_ack)
        if target.username:
            self.client.username_pw_set(target.username, target.password)
        if will:
            topic, delay, expiry = will
            properties = Properties(PacketTypes.WILLMESSAGE)
            properties.WillDelayInterval = delay
            self.client.will_set(target.topic(topic), b"gone", qos=1, properties=properties)
        self.client.on_connect = lambda c, u, flags, reason, props: self.connack.put((flags, reason))
        self.client.on_message = lambda c, u, message: self.messages.put(message)
        properties = None
        if session_expiry is not None:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = session_expiry
        self.client.connect("127.0.0.1", target.port, keepalive=30, clean_start=clean_start, properties=properties)
        self.client.loop_start()
        flags, reason = self.connack.get(timeout=WAIT)
        assert not reason.is_failure, f"{target.name}: CONNECT refused: {reason}"
        self.session_present = flags.session_present

    def subscribe(self, topic: str, qos: int = 1) -> Any:
        done: "queue.Queue[Any]" = queue.Queue()
        self.client.on_subscribe = lambda c, u, mid, codes, props: done.put(codes)
        self.client.subscribe(self.target.topic(topic), qos)
        return done.get(timeout=WAIT)[0]

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False,
                properties: Optional[Properties] = None) -> None:
        self.client.publish(self.target.topic(topic), payload, qos=qos, retain=retain,
                            properties=properties).wait_for_publish(WAIT)

    def received(self, count: int, timeout: float = WAIT) -> List[mqtt.MQTTMessage]:
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            try:
                got.append(self.messages.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                break
        return got

    def nothing_more(self, within: float = 1.0) -> bool:
        try:
            message = self.messages.get(timeout=within)
        except queue.Empty:
            return True
        raise AssertionError(f"{self.target.name}: unexpected message on {message.topic}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def drop(self) -> None:
        """The network goes away: no DISCONNECT packet, so the broker treats it as lost."""
        self.client.loop_stop()
        self.client.socket().close()


def local(topic: str, target: Target) -> str:
    return topic[len(target.prefix):]


@pytest.fixture(scope="module")
def bare() -> Iterator[Target]:
    directory = Path(tempfile.mkdtemp(prefix="cloudsignal-bare-"))
    directory.chmod(0o755)
    (directory / "acl").write_text(BARE_ACL)
    port = free_port()
    (directory / "mosquitto.conf").write_text(
        f"per_listener_settings false\nallow_anonymous true\nacl_file {directory / 'acl'}\n"
        f"log_dest none\nlistener {port} 127.0.0.1\nsocket_domain ipv4\n")
    process = subprocess.Popen(["mosquitto", "-c", str(directory / "mosquitto.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    yield Target("bare Mosquitto", port, None, None, "")
    process.terminate()
    process.wait(10)


@pytest.fixture
def ours(stack, api, org) -> Target:
    allow(api, "#", action="both", priority=100)
    api.post("/v2/acl/rules", json={"topic": "secret/#", "action": "subscribe", "permission": "deny", "priority": 10})
    username = make_user(api, "device")
    return Target("Mosquitto with the plugin", stack.broker.port, username, "secure-password", org["org_id"] + "/")


@pytest.fixture(params=["bare", "ours"])
def target(request) -> Target:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("qos", [1, 2])
def test_clean_start_with_session_expiry_keeps_offline_messages(target, qos):
    topic = f"offline/{uuid.uuid4().hex[:8]}"
    subscriber = Client(target, clean_start=True, session_expiry=60)
    assert not subscriber.subscribe(topic, qos).is_failure
    subscriber.close()
    publisher = Client(target)
    for number in range(3):
        publisher.publish(topic, f"m{number}".encode(), qos=qos)
    publisher.close()

    back = Client(target, client_id=subscriber.client_id, clean_start=False, session_expiry=60)
    try:
        assert back.session_present
        assert [m.payload for m in back.received(3)] == [b"m0", b"m1", b"m2"], target.name
    finally:
        back.close()


def test_offline_messages_are_dropped_once_the_session_expired(target):
    topic = f"expired/{uuid.uuid4().hex[:8]}"
    subscriber = Client(target, clean_start=True, session_expiry=1)
    subscriber.subscribe(topic, 1)
    subscriber.close()
    publisher = Client(target)
    publisher.publish(topic, b"late", qos=1)
    publisher.close()
    time.sleep(2.5)
    back = Client(target, client_id=subscriber.client_id, clean_start=False, session_expiry=60)
    try:
        assert not back.session_present
        assert back.nothing_more(within=1.0)
    finally:
        back.close()


def test_a_delayed_will_is_sent_after_its_delay(target):
    topic = f"wills/{uuid.uuid4().hex[:8]}"
    watcher = Client(target)
    watcher.subscribe(topic)
    leaving = Client(target, clean_start=True, session_expiry=10, will=(topic, 2, 10))
    started = time.monotonic()
    leaving.drop()
    try:
        arrived = watcher.received(1, timeout=6)
        assert [m.payload for m in arrived] == [b"gone"], target.name
        assert time.monotonic() - started >= 1.5  # not before its delay
    finally:
        watcher.close()


def test_a_delayed_will_is_not_sent_when_the_client_returns_in_time(target):
    topic = f"wills/{uuid.uuid4().hex[:8]}"
    watcher = Client(target)
    watcher.subscribe(topic)
    leaving = Client(target, clean_start=True, session_expiry=10, will=(topic, 3, 10))
    leaving.drop()
    time.sleep(0.5)
    back = Client(target, client_id=leaving.client_id, clean_start=False, session_expiry=10)
    try:
        assert watcher.nothing_more(within=4.0)
    finally:
        back.close()
        watcher.close()


def test_message_expiry_drops_a_queued_message_after_its_interval(target):
    topic = f"msgexpiry/{uuid.uuid4().hex[:8]}"
    subscriber = Client(target, clean_start=True, session_expiry=60)
    subscriber.subscribe(topic, 1)
    subscriber.close()
    publisher = Client(target)
    short = Properties(PacketTypes.PUBLISH)
    short.MessageExpiryInterval = 1
    publisher.publish(topic, b"short-lived", qos=1, properties=short)
    publisher.publish(topic, b"lasting", qos=1)
    publisher.close()
    time.sleep(2.2)
    back = Client(target, client_id=subscriber.client_id, clean_start=False, session_expiry=60)
    try:
        assert [m.payload for m in back.received(1)] == [b"lasting"]
        assert back.nothing_more(within=0.5)
    finally:
        back.close()


def test_retained_messages_reach_new_subscribers_and_are_cleared_by_an_empty_payload(target):
    topic = f"retained/{uuid.uuid4().hex[:8]}"
    publisher = Client(target)
    publisher.publish(topic, b"last-known", qos=1, retain=True)
    first = Client(target)
    try:
        first.subscribe(topic)
        message = first.received(1)[0]
        assert message.payload == b"last-known" and message.retain
        publisher.publish(topic, b"", qos=1, retain=True)
        first.received(1)  # the clearing publish itself, delivered live
    finally:
        first.close()
    second = Client(target)
    try:
        second.subscribe(topic)
        assert second.nothing_more(within=1.0)
    finally:
        second.close()
        publisher.close()


def test_an_unacknowledged_message_is_redelivered_on_reconnect(target):
    topic = f"redeliver/{uuid.uuid4().hex[:8]}"
    subscriber = Client(target, clean_start=True, session_expiry=60, manual_ack=True)
    subscriber.subscribe(topic, 1)
    publisher = Client(target)
    publisher.publish(topic, b"ack-me", qos=1)
    publisher.close()
    first = subscriber.received(1)
    assert [m.payload for m in first] == [b"ack-me"]  # received, never acknowledged
    subscriber.drop()
    back = Client(target, client_id=subscriber.client_id, clean_start=False, session_expiry=60)
    try:
        again = back.received(1)
        assert [m.payload for m in again] == [b"ack-me"] and again[0].dup, target.name
    finally:
        back.close()


def test_overlapping_subscriptions_deliver_as_the_bare_broker_does(target):
    topic = f"overlap/{uuid.uuid4().hex[:8]}"
    subscriber = Client(target)
    subscriber.subscribe(topic + "/#", 1)
    subscriber.subscribe(topic + "/+", 1)
    publisher = Client(target)
    publisher.publish(topic + "/x", b"once?", qos=1)
    try:
        copies = subscriber.received(2, timeout=1.5)
        # Mosquitto 2.0 sends one copy per matching subscription; the plugin must not change that.
        assert len(copies) == 2 and all(m.payload == b"once?" for m in copies), target.name
    finally:
        subscriber.close()
        publisher.close()


def test_a_deny_rule_narrower_than_a_subscription_withholds_only_its_topics(target):
    # Rules: allow both '#', deny subscribe 'secret/#' (the ACL file says the same for bare Mosquitto).
    tag = uuid.uuid4().hex[:8]
    subscriber = Client(target)
    assert not subscriber.subscribe("#", 1).is_failure
    if target.username:  # ours refuses a filter the deny covers whole; bare Mosquitto grants it, delivers nothing
        assert subscriber.subscribe("secret/#", 1).is_failure
    publisher = Client(target)
    publisher.publish(f"secret/{tag}", b"hidden", qos=1)
    publisher.publish(f"public/{tag}", b"shown", qos=1)
    try:
        mine = [m for m in subscriber.received(5, timeout=1.5) if tag in m.topic]
        assert [(local(m.topic, target), m.payload) for m in mine] == [(f"public/{tag}", b"shown")], target.name
    finally:
        subscriber.close()
        publisher.close()
