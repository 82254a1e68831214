"""Presence of persistent sessions across reconnects (docs/broker-protocol.md, Presence).

A client whose session outlives its connection (MQTT 5 with a session expiry, MQTT 3.1.1 with
clean_session=0) and comes back without a clean start gets sessionPresent=1 and keeps its
subscriptions inside Mosquitto without subscribing again: presence shows them for the new session.
A clean start discards them in the broker, and presence shows none.
"""

import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.broker.conftest import allow, make_user
from tests.support.mqtt import WAIT, MqttTestClient
from tests.conftest import eventually


class Resuming(MqttTestClient):
    """An MQTT 5 test client that records the CONNACK's session present flag."""

    session_present = None

    def _on_connect(self, client, userdata, flags, reason, props) -> None:
        self.session_present = flags.session_present
        super()._on_connect(client, userdata, flags, reason, props)


def connect(stack, username, clean_start):
    client = Resuming(stack.broker.port, username, "secure-password", client_id="reader", clean_start=clean_start)
    assert client.accepted
    return client


def filters_of(api, client_id, **params):
    reply = api.get("/v2/utilities/presence", params=params)
    assert reply.status_code == 200, reply.text
    return {row["client_id"]: row["filters"] for row in reply.json()["users"]}.get(client_id)


def test_a_resumed_mqtt5_session_shows_its_filters_and_a_clean_start_none(stack, org, api):
    allow(api, "news/#")
    username = make_user(api, "reader")
    prefix = org["org_id"] + "/"

    first = connect(stack, username, clean_start=False)  # session expiry 3600 s
    assert first.subscribed(prefix + "news/#")
    assert eventually(lambda: filters_of(api, "reader") == ["news/#"], timeout=5)
    first.close()
    assert eventually(lambda: filters_of(api, "reader") is None, timeout=5)

    again = connect(stack, username, clean_start=False)
    assert again.session_present  # the broker kept the session, and with it the subscription
    assert eventually(lambda: filters_of(api, "reader") == ["news/#"], timeout=5)  # no SUBSCRIBE sent
    assert filters_of(api, "reader", topic="news/x") == ["news/#"]
    user = api.get("/v2/utilities/presence/reader").json()
    assert user["online"] and [s["filters"] for s in user["sessions"]] == [["news/#"]]
    reply = api.post("/v2/publish", json={"topic": "news/x", "payload": "resumed", "qos": 1})
    assert reply.status_code == 200, reply.text
    assert again.receive() == (prefix + "news/x", b"resumed")  # the broker delivers to it
    again.close()
    assert eventually(lambda: filters_of(api, "reader") is None, timeout=5)

    fresh = connect(stack, username, clean_start=True)
    assert not fresh.session_present  # a clean start discards the subscriptions
    assert eventually(lambda: filters_of(api, "reader") == [], timeout=5)
    time.sleep(0.5)  # reports are batched (~100 ms): none follows
    assert filters_of(api, "reader") == [] and filters_of(api, "reader", topic="news/x") is None
    reply = api.post("/v2/publish", json={"topic": "news/x", "payload": "gone", "qos": 1})
    assert reply.status_code == 200 and fresh.receive(timeout=0.5) is None
    fresh.close()


class V311:
    """An MQTT 3.1.1 client with clean_session as given."""

    def __init__(self, port, username, client_id, clean_session):
        self.connected, self.subscribed_ack = threading.Event(), threading.Event()
        self.session_present = None
        self.rc = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311,
                                  clean_session=clean_session)
        self.client.username_pw_set(username, "secure-password")
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda c, u, mid, codes, props: self.subscribed_ack.set()
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()
        assert self.connected.wait(WAIT) and not self.rc.is_failure

    def _on_connect(self, client, userdata, flags, rc, props) -> None:
        self.session_present, self.rc = flags.session_present, rc
        self.connected.set()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_an_mqtt311_persistent_session_shows_its_filters_after_a_reconnect(stack, org, api):
    allow(api, "alerts/#")
    username = make_user(api, "legacy")
    client_id = f"{org['org_id']}/legacy"

    first = V311(stack.broker.port, username, client_id, clean_session=False)
    first.client.subscribe(org["org_id"] + "/alerts/#", 1)
    assert first.subscribed_ack.wait(WAIT)
    assert eventually(lambda: filters_of(api, "legacy") == ["alerts/#"], timeout=5)
    first.close()
    assert eventually(lambda: filters_of(api, "legacy") is None, timeout=5)

    again = V311(stack.broker.port, username, client_id, clean_session=False)
    assert again.session_present
    assert eventually(lambda: filters_of(api, "legacy") == ["alerts/#"], timeout=5)
    again.close()
    assert eventually(lambda: filters_of(api, "legacy") is None, timeout=5)

    clean = V311(stack.broker.port, username, client_id, clean_session=True)
    assert not clean.session_present
    assert eventually(lambda: filters_of(api, "legacy") == [], timeout=5)
    time.sleep(0.5)
    assert filters_of(api, "legacy") == []
    clean.close()
