"""Organization quotas enforced by the broker and the API, without touching other organizations."""

import pytest

from tests.broker.conftest import allow, make_user
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient


def set_quotas(stack, org_id, **quotas):
    args = [item for name, value in quotas.items() for item in ("--set", f"{name}={value}")]
    result = stack.service.admin("orgs", "quotas", "--org", org_id, *args)
    assert result.returncode == 0, result.stderr


def connected_or_closed(stack, username):
    """A connected client, or None (after closing the refused one)."""
    client = MqttTestClient(stack.broker.port, username, "secure-password")
    if client.accepted:
        return client
    client.close()
    return None


@pytest.fixture
def neighbour(stack):
    other = stack.new_org("Neighbour")
    api = Client(stack.service.url, other["key"])
    allow(api, "#")
    return other, api


def test_the_connection_quota_refuses_the_next_connection_only(stack, api, org, neighbour):
    set_quotas(stack, org["org_id"], max_connections=2)
    username = make_user(api, "device")
    first = MqttTestClient(stack.broker.port, username, "secure-password")
    second = MqttTestClient(stack.broker.port, username, "secure-password")
    third = MqttTestClient(stack.broker.port, username, "secure-password")
    other_org, other_api = neighbour
    elsewhere = MqttTestClient(stack.broker.port, make_user(other_api, "device"), "secure-password")
    try:
        assert first.accepted and second.accepted
        assert not third.accepted
        assert third.connect_reason.getName() in ("Quota exceeded", "Not authorized")
        assert elsewhere.accepted
        assert "connection quota" in stack.broker.log()
        second.close()
        again = eventually(lambda: connected_or_closed(stack, username))
        assert again is not None and again.accepted  # the disconnect freed a slot
        again.close()
    finally:
        first.close(), elsewhere.close()


def test_the_message_quota_stops_a_flooding_client(stack, api, org, neighbour):
    set_quotas(stack, org["org_id"], messages_per_minute=5)
    allow(api, "flood/#")
    flooder = MqttTestClient(stack.broker.port, make_user(api, "flooder"), "secure-password")
    other_org, other_api = neighbour
    bystander = MqttTestClient(stack.broker.port, make_user(other_api, "calm"), "secure-password")
    prefix, other_prefix = org["org_id"] + "/", other_org["org_id"] + "/"
    try:
        results = [flooder.publish(prefix + "flood/x", b"%d" % n) for n in range(8)]
        assert [r.is_failure for r in results] == [False] * 5 + [True] * 3
        assert results[-1].getName() in ("Quota exceeded", "Not authorized")
        assert all(not bystander.publish(other_prefix + "calm/x", b"ok").is_failure for _ in range(8))
    finally:
        flooder.close(), bystander.close()


def test_http_publish_has_its_message_quota(stack, api, org):
    set_quotas(stack, org["org_id"], messages_per_minute=3)
    replies = [api.post("/v2/publish", json={"topic": "a", "payload": str(n)}) for n in range(4)]
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[-1].json()["error"] == "message_quota_exceeded" and "Retry-After" in replies[-1].headers
    batch = api.post("/v2/publish/batch", json={"messages": [{"topic": "a", "payload": "x"}]})
    assert batch.status_code == 429


def test_mqtt_and_http_publishes_share_one_budget(stack, api, org):
    """The broker counts the organization's MQTT publishes and the service's HTTP ones together."""
    set_quotas(stack, org["org_id"], messages_per_minute=3)
    allow(api, "shared/#")
    device = MqttTestClient(stack.broker.port, make_user(api, "device"), "secure-password")
    try:
        assert all(not device.publish(org["org_id"] + "/shared/x", b"m").is_failure for _ in range(3))
        refused = api.post("/v2/publish", json={"topic": "shared/x", "payload": "over", "qos": 1})
        assert refused.status_code == 429 and refused.json()["error"] == "message_quota_exceeded"
        batch = api.post("/v2/publish/batch", json={"messages": [{"topic": "shared/x", "payload": "y", "qos": 1}]})
        assert batch.status_code == 200 and batch.json()["results"][0]["error"] == "message_quota_exceeded"
    finally:
        device.close()
