"""Rules enforced inside the broker: publish, subscribe, delivery, namespaces."""

import uuid

import pytest

from tests.broker.conftest import allow, make_user
from tests.conftest import eventually
from tests.support.mqtt import MqttTestClient


@pytest.fixture
def prefix(org):
    return org["org_id"] + "/"


def client_for(stack, username, **options):
    client = MqttTestClient(stack.broker.port, username, "secure-password", **options)
    assert client.accepted, client.connect_reason
    return client


def test_publish_and_subscribe_follow_the_rules(stack, api, prefix):
    api.post("/v2/acl/rule-sets", json={"name": "agents", "rules": [
        {"topic": "agents/{username}/#", "action": "both", "permission": "allow", "priority": 10},
        {"topic": "agents/+/secrets", "action": "both", "permission": "deny", "priority": 5},
    ]})
    allow(api, "broadcast/#", action="subscribe", priority=50)
    allow(api, "devices/{client_id}/up", action="publish")
    agent = client_for(stack, make_user(api, "agent-01", acl_set="agents"), client_id="dev-7")
    try:
        assert not agent.publish(prefix + "agents/agent-01/state", b"x").is_failure
        assert agent.publish(prefix + "agents/agent-02/state", b"x").getName() == "Not authorized"
        assert agent.publish(prefix + "agents/agent-01/secrets", b"x").is_failure  # deny wins by priority
        assert not agent.publish(prefix + "devices/dev-7/up", b"x").is_failure
        assert agent.publish(prefix + "devices/dev-8/up", b"x").is_failure
        assert agent.publish(prefix + "broadcast/all", b"x").is_failure  # subscribe-only rule
        assert agent.subscribed(prefix + "broadcast/+")
        assert agent.subscribed(prefix + "agents/agent-01/inbox")
        assert agent.subscribed(prefix + "agents/agent-01/#")  # granted; .../secrets is withheld
        assert not agent.subscribed(prefix + "agents/agent-01/secrets")
        assert not agent.subscribed(prefix + "agents/+/inbox")  # not covered by agents/{username}/#
    finally:
        agent.close()


def test_messages_are_delivered_only_where_allowed(stack, api, prefix):
    allow(api, "chat/#", action="publish")
    allow(api, "chat/#", action="subscribe", user="reader-*")
    writer = client_for(stack, make_user(api, "writer"))
    reader = client_for(stack, make_user(api, "reader-1"))
    try:
        assert reader.subscribed(prefix + "chat/#")
        assert not writer.subscribed(prefix + "chat/#")
        assert not writer.publish(prefix + "chat/a", b"first").is_failure
        assert reader.receive() == (prefix + "chat/a", b"first")
        # a deny added later stops delivery of matching messages on the live subscription
        api.post("/v2/acl/rules", json={"topic": "chat/secret", "action": "subscribe", "permission": "deny",
                                        "priority": 1})
        deadline_marker = uuid.uuid4().hex.encode()
        assert eventually(lambda: _delivery_stopped(writer, reader, prefix), timeout=1.0)
        writer.publish(prefix + "chat/open", deadline_marker)
        assert reader.receive() == (prefix + "chat/open", deadline_marker)
    finally:
        writer.close(), reader.close()


def _delivery_stopped(writer, reader, prefix) -> bool:
    writer.publish(prefix + "chat/secret", b"hidden")
    received = reader.receive(timeout=0.2)
    while received is not None and received[0] != prefix + "chat/secret":
        received = reader.receive(timeout=0.2)
    return received is None


@pytest.mark.parametrize("topic", ["#", "+/#", "+/chat/x", "$share/g/#", "$SYS/#", "$SYS/broker/uptime",
                                   "$CONTROL/cloudsignal/v1", "$CONTROL/#"])
def test_tenants_cannot_subscribe_outside_their_namespace(stack, api, topic):
    allow(api, "#")  # everything, inside the namespace
    client = client_for(stack, make_user(api, "greedy"))
    try:
        assert not client.subscribed(topic), topic
    finally:
        client.close()


def test_another_organizations_topics_are_unreachable(stack, api, prefix):
    allow(api, "#")
    other_org = stack.new_org("Neighbour")
    from tests.conftest import Client

    neighbour_api = Client(stack.service.url, other_org["key"])
    allow(neighbour_api, "#")
    mine = client_for(stack, make_user(api, "mine"))
    theirs = client_for(stack, make_user(neighbour_api, "theirs"))
    their_prefix = other_org["org_id"] + "/"
    try:
        assert theirs.subscribed(their_prefix + "#")
        assert mine.subscribed(prefix + "#")
        assert not mine.subscribed(their_prefix + "#")
        assert mine.publish(their_prefix + "x", b"intrusion").is_failure
        assert mine.publish("$CONTROL/cloudsignal/v1", b'{"commands": []}').is_failure
        assert theirs.receive(timeout=0.5) is None
        assert not theirs.publish(their_prefix + "private", b"theirs").is_failure
        assert mine.receive(timeout=0.5) is None
    finally:
        mine.close(), theirs.close()
