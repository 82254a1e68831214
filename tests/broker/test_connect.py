"""CONNECT through the plugin: who gets in, and with which CONNACK."""

import uuid

from tests.broker.conftest import make_user
from tests.support.mqtt import MqttTestClient


def connect(stack, username, password, **options):
    client = MqttTestClient(stack.broker.port, username, password, **options)
    client.close() if not client.accepted else None
    return client


def test_a_user_created_through_the_api_connects_at_once(stack, api):
    username = make_user(api, "agent-01")
    client = MqttTestClient(stack.broker.port, username, "secure-password")
    try:
        assert client.accepted, client.connect_reason
    finally:
        client.close()


def test_refusals_say_not_authorized(stack, api, org):
    username = make_user(api, "agent-01")
    make_user(api, "disabled-one")
    api.patch("/v2/users/disabled-one", json={"disabled": True})
    other = stack.new_org("Other")
    refused = {
        "wrong password": (username, "wrong-password"),
        "unknown user": (f"ghost@{org['org_id']}", "secure-password"),
        "disabled user": (f"disabled-one@{org['org_id']}", "secure-password"),
        "no org suffix": ("agent-01", "secure-password"),
        "another org's suffix": (f"agent-01@{other['org_id']}", "secure-password"),
        "no username": (None, None),
        "empty username": ("", "secure-password"),
    }
    for case, (user, password) in refused.items():
        client = connect(stack, user, password)
        assert client.connect_reason is not None, case
        assert client.connect_reason.is_failure, case
        assert client.connect_reason.getName() in ("Not authorized", "Bad user name or password"), case


def test_hostile_connect_fields_are_refused_and_the_broker_keeps_serving(stack, api):
    username = make_user(api, "agent-01")
    for user, password in (("x" * 65000, "p"), (username, "p" * 65000), (username, "secure\x00password"),
                           ("\u0000@org_x", "secure-password")):
        client = connect(stack, user, password)
        assert not client.accepted
    survivor = MqttTestClient(stack.broker.port, username, "secure-password", client_id="c" * 1000)
    try:
        assert survivor.accepted
    finally:
        survivor.close()


def test_websockets_and_tls_clients_connect_and_exchange_messages(stack, api, tls_dir):
    username = make_user(api, "agent-01")
    api.post("/v2/acl/rules", json={"topic": "chat/#", "action": "both", "permission": "allow"})
    org_prefix = username.split("@")[1] + "/"
    ws = MqttTestClient(stack.broker.settings.ws_port, username, "secure-password", transport="websockets")
    tls = MqttTestClient(stack.broker.settings.tls_port, username, "secure-password",
                         ca_file=str(tls_dir / "ca.crt"))
    try:
        assert ws.accepted and tls.accepted
        assert ws.subscribed(org_prefix + "chat/+")
        assert tls.subscribed(org_prefix + "chat/+")
        marker = uuid.uuid4().hex.encode()
        assert not tls.publish(org_prefix + "chat/a", marker).is_failure
        assert ws.receive() == (org_prefix + "chat/a", marker)
        assert not ws.publish(org_prefix + "chat/b", marker).is_failure
        assert tls.receive() in ((org_prefix + "chat/a", marker), (org_prefix + "chat/b", marker))
    finally:
        ws.close(), tls.close()
