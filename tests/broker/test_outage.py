"""Fail closed: with the service down, new CONNECTs are refused and connected clients go on."""

from tests.broker.conftest import allow, make_user
from tests.support.mqtt import MqttTestClient


def test_service_down_then_back(stack, api, org):
    allow(api, "live/#")
    online = make_user(api, "online")
    newcomer = make_user(api, "newcomer")
    topic = org["org_id"] + "/live/x"
    client = MqttTestClient(stack.broker.port, online, "secure-password")
    assert client.accepted and client.subscribed(topic)
    stack.service.stop()
    try:
        refused = MqttTestClient(stack.broker.port, newcomer, "secure-password")
        assert not refused.accepted
        refused.close()
        assert "newcomer" in stack.broker.log() and "refus" in stack.broker.log()
        assert not client.publish(topic, b"still here").is_failure
        assert client.receive() == (topic, b"still here")
    finally:
        stack.service.start()
    welcome = MqttTestClient(stack.broker.port, newcomer, "secure-password")
    assert welcome.accepted
    welcome.close(), client.close()
