"""`CLOUDSIGNAL_TENANCY=single`: topics as the user writes them, no organization prefix."""

import json

import pytest

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client
from tests.support.mqtt import MqttTestClient


@pytest.fixture(scope="module")
def single(postgres, tmp_path_factory):
    stack = start_stack(postgres, "single", tmp_path_factory.mktemp("single-logs"))
    init = stack.service.admin("init", "--json")
    assert init.returncode == 0, init.stderr
    yield stack, Client(stack.service.url, json.loads(init.stdout)["key"])
    stack.service.stop()
    stack.broker.remove()


def test_topics_have_no_prefix(single):
    stack, api = single
    allow(api, "agents/{username}/#")
    username = make_user(api, "agent-01")
    client = MqttTestClient(stack.broker.port, username, "secure-password")
    try:
        assert client.accepted
        assert client.subscribed("agents/agent-01/inbox")
        assert not client.publish("agents/agent-01/inbox", b"hi").is_failure
        assert client.receive() == ("agents/agent-01/inbox", b"hi")
        assert client.publish("agents/agent-02/inbox", b"no").is_failure
        assert not client.subscribed("$SYS/#")
    finally:
        client.close()
