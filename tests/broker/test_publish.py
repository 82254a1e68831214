"""HTTP publish reaches real MQTT subscribers."""

import json
import subprocess

import pytest

from tests.broker.conftest import allow, make_user
from tests.conftest import Client
from tests.support.mqtt import MqttTestClient


@pytest.fixture
def subscriber(stack, api, org):
    allow(api, "agents/#", action="subscribe")
    client = MqttTestClient(stack.broker.port, make_user(api, "listener"), "secure-password")
    assert client.accepted
    yield client
    client.close()


def test_the_documented_curl_call_works_verbatim(stack, org, subscriber):
    prefix = org["org_id"] + "/"
    assert subscriber.subscribed(prefix + "agents/agent-01/inbox")
    documented = (
        'curl -X POST http://127.0.0.1:8080/v2/publish \\\n'
        '  -H "Authorization: Bearer sk_..." -H "Content-Type: application/json" \\\n'
        '  -d \'{"topic": "agents/agent-01/inbox", "payload": "{\\"task\\": \\"summarize-thread\\"}", "qos": 1}\''
    )
    command = documented.replace("http://127.0.0.1:8080", stack.service.url).replace("sk_...", org["key"])
    reply = json.loads(subprocess.run(["bash", "-c", command.replace("curl ", "curl -s ", 1)],
                                      capture_output=True, text=True, check=True).stdout)
    assert reply["acknowledged"] is True and reply["topic"] == "agents/agent-01/inbox"
    assert subscriber.receive() == (prefix + "agents/agent-01/inbox", b'{"task": "summarize-thread"}')


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_every_qos_delivers(api, org, subscriber, qos):
    topic = org["org_id"] + "/agents/q"
    assert subscriber.subscribed(topic, qos=2)
    reply = api.post("/v2/publish", json={"topic": "agents/q", "payload": f"qos {qos}", "qos": qos})
    assert reply.status_code == 200 and reply.json()["acknowledged"] is (qos > 0)
    assert subscriber.receive() == (topic, f"qos {qos}".encode())
    assert subscriber.received[-1].qos == qos


def test_json_payloads_retained_messages_and_properties(stack, api, org, subscriber):
    prefix = org["org_id"] + "/"
    assert subscriber.subscribed(prefix + "agents/json")
    api.post("/v2/publish", json={"topic": "agents/json", "payload": {"status": "idle", "load": 0.12}, "qos": 1,
                                  "properties": {"content_type": "application/json", "message_expiry_interval": 60,
                                                 "response_topic": "agents/replies", "correlation_data": "req-1",
                                                 "user_properties": {"source": "http"}}})
    topic, payload = subscriber.receive()
    assert json.loads(payload) == {"status": "idle", "load": 0.12}
    properties = subscriber.received[-1].properties
    assert properties.ContentType == "application/json"
    assert properties.ResponseTopic == prefix + "agents/replies"
    assert properties.CorrelationData == b"req-1"
    assert ("source", "http") in properties.UserProperty
    assert 0 < properties.MessageExpiryInterval <= 60

    api.post("/v2/publish", json={"topic": "agents/retained", "payload": [1, 2], "qos": 1, "retain": True})
    late = MqttTestClient(stack.broker.port, subscriber.client._username.decode(), "secure-password")
    try:
        assert late.subscribed(prefix + "agents/retained")
        assert late.receive() == (prefix + "agents/retained", b"[1,2]")
        assert late.received[-1].retain
    finally:
        late.close()


def test_batch_publishes_in_order_with_a_result_each(api, org, subscriber):
    topic = org["org_id"] + "/agents/batch"
    assert subscriber.subscribed(topic)
    messages = [{"topic": "agents/batch", "payload": str(n), "qos": 1} for n in range(50)]
    reply = api.post("/v2/publish/batch", json={"messages": messages})
    assert reply.status_code == 200
    body = reply.json()
    assert body["published"] == 50 and body["failed"] == 0
    assert [r["index"] for r in body["results"]] == list(range(50))
    assert [subscriber.receive()[1] for _ in range(50)] == [str(n).encode() for n in range(50)]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"topic": "agents/+", "payload": "x"}, "topic"),
        ({"topic": "agents/#", "payload": "x"}, "topic"),
        ({"topic": "", "payload": "x"}, "topic"),
        ({"topic": "$SYS/x", "payload": "x"}, "topic"),
        ({"topic": "a\u0000b", "payload": "x"}, "topic"),
        ({"topic": "a", "payload": "x", "qos": 3}, "qos"),
        ({"topic": "a"}, "payload"),
        ({"topic": "a", "payload": "x", "properties": {"message_expiry_interval": -1}}, "properties"),
        ({"topic": "a", "payload": "x", "properties": {"response_topic": "a/#"}}, "properties"),
    ],
)
def test_invalid_publishes_are_400_and_send_nothing(api, org, subscriber, body, field):
    assert subscriber.subscribed(org["org_id"] + "/agents/#")
    reply = api.post("/v2/publish", json=body)
    assert reply.status_code == 400 and field in reply.json()["detail"], reply.text
    assert subscriber.receive(timeout=0.3) is None


def test_batch_with_one_invalid_message_sends_none(api, org, subscriber):
    assert subscriber.subscribed(org["org_id"] + "/agents/#")
    reply = api.post("/v2/publish/batch", json={"messages": [{"topic": "agents/a", "payload": "1"},
                                                             {"topic": "agents/#", "payload": "2"}]})
    assert reply.status_code == 400 and "1" in reply.json()["detail"]["messages"]
    assert subscriber.receive(timeout=0.3) is None


def test_publish_needs_the_publish_scope(stack, api):
    reader = api.post("/v2/api-keys", json={"name": "r", "type": "restricted", "scopes": ["users:read"]}).json()
    publisher = api.post("/v2/api-keys", json={"name": "p", "type": "restricted", "scopes": ["publish"]}).json()
    public = api.post("/v2/api-keys", json={"name": "pk", "type": "public"}).json()
    message = {"topic": "agents/x", "payload": "x"}
    assert Client(stack.service.url, reader["key"]).post("/v2/publish", json=message).status_code == 403
    assert Client(stack.service.url, public["key"]).post("/v2/publish", json=message).status_code == 403
    assert Client(stack.service.url, publisher["key"]).post("/v2/publish", json=message).status_code == 200
