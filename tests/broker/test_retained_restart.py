"""Retained messages across broker restarts: the list (`GET /v2/utilities/retained`) and the
retained-message quota stay true to what the broker holds, after a clean restart (Mosquitto's
persistence keeps everything) and after a crash (it loses what changed since its last autosave).
"""

import pytest

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient


@pytest.fixture(scope="module")
def own_stack(postgres, tmp_path_factory):
    stack = start_stack(postgres, "multi", tmp_path_factory.mktemp("retained-restart-logs"),
                        database="retained_restart")
    yield stack
    stack.service.stop()
    stack.broker.remove()


def connect(stack, username, name):
    client = MqttTestClient(stack.broker.port, username, "secure-password", client_id=f"{username.split('@')[1]}/{name}")
    assert client.accepted
    return client


def listed(api):
    reply = api.get("/v2/utilities/retained", params={"include_payload": "true"})
    assert reply.status_code == 200, reply.text
    return {m["topic"]: m["payload"] for m in reply.json()["data"]}


def held_by_broker(stack, username, prefix):
    """What a new subscriber to status/# receives: the broker's retained messages."""
    reader = connect(stack, username, "reader")
    assert reader.subscribed(prefix + "status/#")
    held = {}
    while (message := reader.receive(timeout=1.0)) is not None:
        held[message[0][len(prefix):]] = message[1].decode()
    reader.close()
    return held


def test_the_list_and_the_quota_survive_a_restart_and_follow_a_crash(own_stack):
    stack = own_stack
    org = stack.new_org()
    api, prefix = Client(stack.service.url, org["key"]), org["org_id"] + "/"
    allow(api, "status/#")
    username = make_user(api, "device")
    device = connect(stack, username, "device")
    for name in ("a", "b"):
        assert not device.publish(prefix + f"status/{name}", name.encode(), qos=1, retain=True).is_failure
    assert eventually(lambda: listed(api) == {"status/a": "a", "status/b": "b"}, timeout=5)
    device.close()

    # A clean restart: the broker saves its messages, the list stays, the quota counts them.
    stack.broker.stop()
    stack.broker.start()
    assert held_by_broker(stack, username, prefix) == {"status/a": "a", "status/b": "b"}
    assert listed(api) == {"status/a": "a", "status/b": "b"}
    stack.service.admin("orgs", "quotas", "--org", org["org_id"], "--set", "max_retained_messages=3")
    device = connect(stack, username, "device")
    assert not device.publish(prefix + "status/c", b"c", qos=1, retain=True).is_failure  # the third
    assert device.publish(prefix + "status/d", b"d", qos=1, retain=True).is_failure  # a fourth: over the quota
    assert eventually(lambda: listed(api) == {"status/a": "a", "status/b": "b", "status/c": "c"}, timeout=5)
    device.close()

    # A crash right after status/c: the broker's persistence file has a and b only (saved at the
    # clean shutdown; autosave comes once a minute).
    stack.broker.kill()
    stack.broker.start()
    held = held_by_broker(stack, username, prefix)
    assert held in ({"status/a": "a", "status/b": "b"}, {"status/a": "a", "status/b": "b", "status/c": "c"})
    assert eventually(lambda: listed(api) == held, timeout=10), (listed(api), held)
    # ... and the quota counts what the broker holds: with c lost there is room for one more.
    device = connect(stack, username, "device")
    if "status/c" not in held:
        assert eventually(lambda: not device.publish(prefix + "status/e", b"e", qos=1, retain=True).is_failure,
                          timeout=5)
        assert device.publish(prefix + "status/f", b"f", qos=1, retain=True).is_failure
    device.close()
