"""A broker restart: sessions of the old run close, clients come back, HTTP publish resumes."""

import time

import pytest

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient


@pytest.fixture(scope="module")
def own_stack(postgres, tmp_path_factory):
    stack = start_stack(postgres, "multi", tmp_path_factory.mktemp("restart-logs"), database="broker_restart")
    yield stack
    stack.service.stop()
    stack.broker.remove()


def test_broker_restart(own_stack):
    stack = own_stack
    org = stack.new_org()
    api = Client(stack.service.url, org["key"])
    allow(api, "news/#")
    topic = org["org_id"] + "/news/today"
    client = MqttTestClient(stack.broker.port, make_user(api, "reader"), "secure-password", client_id="reader-1",
                            reconnect=True)
    assert client.accepted
    first = eventually(lambda: api.get("/v2/sessions").json()["data"])
    assert first

    stack.broker.stop()
    started = time.monotonic()
    down = api.post("/v2/publish", json={"topic": "news/today", "payload": "lost", "qos": 1})
    assert down.status_code == 503 and down.json()["error"] == "broker_unavailable"
    assert time.monotonic() - started < 6

    stack.broker.start()
    assert eventually(lambda: client.client.is_connected(), timeout=10)
    assert client.subscribed(topic)
    assert eventually(lambda: api.post("/v2/publish", json={"topic": "news/today", "payload": "back",
                                                            "qos": 1}).status_code == 200, timeout=10)
    assert client.receive() == (topic, b"back")

    closed = eventually(lambda: [s for s in api.get("/v2/sessions/history").json()["data"]
                                 if s["session_id"] == first[0]["session_id"] and s["disconnected_at"]], timeout=5)
    assert closed[0]["disconnect_reason"] == "broker_restart"
    active = eventually(lambda: api.get("/v2/sessions").json()["data"], timeout=5)
    assert [s["client_id"] for s in active] == ["reader-1"] and active[0]["session_id"] != first[0]["session_id"]
    client.close()
