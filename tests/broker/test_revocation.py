"""Changes made through the API reach connected clients within a second."""

import time

import pytest

from tests.broker.conftest import allow, make_user
from tests.support.mqtt import MqttTestClient


def connected(stack, username, password="secure-password"):
    client = MqttTestClient(stack.broker.port, username, password)
    assert client.accepted
    return client


@pytest.mark.parametrize(
    "change",
    [
        ("DELETE", None),
        ("PATCH", {"disabled": True}),
        ("PATCH", {"password": "a-new-password"}),
    ],
    ids=["deleted", "disabled", "password-changed"],
)
def test_revoking_a_user_disconnects_it_and_its_password_stops_working(stack, api, change):
    username = make_user(api, "agent-01")
    client = connected(stack, username)
    method, body = change
    started = time.monotonic()
    reply = api.request(method, "/v2/users/agent-01", json=body)
    assert reply.status_code in (200, 204)
    assert client.disconnected.wait(1.0), "still connected a second after the change"
    assert time.monotonic() - started < 1.0
    again = MqttTestClient(stack.broker.port, username, "secure-password")
    assert not again.accepted  # the broker's credential cache was invalidated too
    again.close()


def test_removing_a_rule_restricts_the_live_client(stack, api, org):
    rule_id = allow(api, "telemetry/#")
    client = connected(stack, make_user(api, "sensor"))
    topic = org["org_id"] + "/telemetry/t1"
    try:
        assert not client.publish(topic, b"1").is_failure
        assert api.delete(f"/v2/acl/rules/{rule_id}").status_code == 204
        deadline = time.monotonic() + 1.0
        while not client.publish(topic, b"2").is_failure:
            assert time.monotonic() < deadline, "the publish was still allowed a second later"
            time.sleep(0.05)
        assert client.disconnected.is_set() is False  # restricted, not kicked
    finally:
        client.close()


def test_assigning_a_rule_set_extends_the_live_client(stack, api, org):
    client = connected(stack, make_user(api, "svc"))
    api.post("/v2/acl/rule-sets", json={"name": "svc", "rules": [
        {"topic": "svc/#", "action": "publish", "permission": "allow"}]})
    topic = org["org_id"] + "/svc/x"
    try:
        assert client.publish(topic, b"1").is_failure
        api.patch("/v2/users/svc", json={"acl_set": "svc"})
        deadline = time.monotonic() + 1.0
        while client.publish(topic, b"2").is_failure:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        client.close()
