"""Fail closed: with the service down, what the broker must ask about is refused; what it already
holds (pushed verifiers) is decided from its memory; connected clients go on."""

from tests.broker.conftest import allow, make_user
from tests.support.mqtt import MqttTestClient


def test_service_down_then_back(stack, api, org):
    allow(api, "live/#")
    online = make_user(api, "online")
    newcomer = make_user(api, "newcomer")  # the broker got its verifier before the API answered
    topic = org["org_id"] + "/live/x"
    client = MqttTestClient(stack.broker.port, online, "secure-password")
    assert client.accepted and client.subscribed(topic)
    stack.service.stop()
    try:
        known = MqttTestClient(stack.broker.port, newcomer, "secure-password")
        assert known.accepted  # decided in the broker: no HTTP call
        known.close()
        for username, password in ((newcomer, "wrong-password"), (f"stranger@{org['org_id']}", "secure-password")):
            refused = MqttTestClient(stack.broker.port, username, password)
            assert not refused.accepted  # a miss needs the service: refused
            refused.close()
        assert "stranger" in stack.broker.log() and "service unreachable" in stack.broker.log()
        assert not client.publish(topic, b"still here").is_failure
        assert client.receive() == (topic, b"still here")
    finally:
        stack.service.start()
    welcome = MqttTestClient(stack.broker.port, newcomer, "secure-password")
    assert welcome.accepted
    welcome.close(), client.close()
