"""Presence, retained messages and shared subscriptions against the real broker (issue 16, items 1-3)."""

import threading
import time

from tests.broker.conftest import allow, make_user
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient


def connect(stack, username, **options):
    client = MqttTestClient(stack.broker.port, username, "secure-password", **options)
    assert client.accepted
    return client


def presence(api, **params):
    reply = api.get("/v2/utilities/presence", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def retained(api, **params):
    reply = api.get("/v2/utilities/retained", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_presence_follows_subscriptions_disconnects_and_kicks(stack, org, api):
    allow(api, "room/#")
    username = make_user(api, "alice")
    other_org = stack.new_org("Other")
    other_api = Client(stack.service.url, other_org["key"])
    allow(other_api, "room/#")
    stranger = connect(stack, make_user(other_api, "alice"), client_id="phone")
    assert stranger.subscribed(f"{other_org['org_id']}/room/1")

    phone = connect(stack, username, client_id="phone")
    laptop = connect(stack, username, client_id="laptop")
    prefix = org["org_id"] + "/"
    assert phone.subscribed(prefix + "room/1") and phone.subscribed(prefix + "room/+")
    assert not phone.subscribed(prefix + "secret/x")  # refused: not a filter
    assert laptop.subscribed(f"$share/g/{prefix}room/#")

    def filters_of(client_id, **params):
        rows = presence(api, **params)["users"]
        return {row["client_id"]: row["filters"] for row in rows}.get(client_id)

    assert eventually(lambda: filters_of("phone") == ["room/+", "room/1"])
    page = presence(api)
    assert page["online_count"] == 2 and page["next_cursor"] is None
    row = next(r for r in page["users"] if r["client_id"] == "phone")
    assert row["username"] == "alice" and row["peer_address"] == "127.0.0.1" and row["connected_at"]
    assert filters_of("laptop") == ["$share/g/room/#"]
    # topic selects sessions with an overlapping filter
    assert {r["client_id"] for r in presence(api, topic="room/1")["users"]} == {"phone", "laptop"}
    assert {r["client_id"] for r in presence(api, topic="room/2/x")["users"]} == {"laptop"}
    assert presence(api, topic="hall/#")["online_count"] == 0
    first = presence(api, limit=1)
    assert len(first["users"]) == 1 and first["next_cursor"] and first["online_count"] == 2

    phone.client.unsubscribe(prefix + "room/1")
    assert eventually(lambda: filters_of("phone") == ["room/+"])
    user = api.get("/v2/utilities/presence/alice").json()
    assert user["username"] == "alice" and user["online"] is True
    assert sorted(s["client_id"] for s in user["sessions"]) == ["laptop", "phone"]

    phone.close()
    assert eventually(lambda: [r["client_id"] for r in presence(api)["users"]] == ["laptop"])
    assert api.delete("/v2/sessions/laptop").status_code == 204  # kick
    assert eventually(lambda: presence(api)["online_count"] == 0)
    assert api.get("/v2/utilities/presence/alice").json() == {"username": "alice", "online": False, "sessions": []}
    # the other organization's session never appeared; its own presence shows it
    assert [r["client_id"] for r in presence(other_api)["users"]] == ["phone"]
    stranger.close()


def test_retained_list_delete_and_quota(stack, org, api):
    allow(api, "status/#")
    prefix = org["org_id"] + "/"
    device = connect(stack, make_user(api, "device"), client_id="dev-1")
    assert device.publish(prefix + "status/a", b"on", qos=1, retain=True).is_failure is False
    assert device.publish(prefix + "status/b", b"off", qos=0, retain=True) is not None
    assert device.publish(prefix + "status/plain", b"x", qos=1).is_failure is False  # not retained
    reply = api.post("/v2/publish", json={"topic": "status/http/1", "payload": "hello", "qos": 1, "retain": True})
    assert reply.status_code == 200, reply.text

    listed = eventually(lambda: (r := retained(api)) and r["count"] == 3 and r)
    assert [m["topic"] for m in listed["data"]] == ["status/a", "status/b", "status/http/1"]
    assert listed["data"][0]["size"] == 2 and listed["data"][0]["qos"] == 1 and listed["data"][0]["updated_at"]
    with_payload = retained(api, topic="status/+", include_payload="true")
    assert {m["topic"]: m["payload"] for m in with_payload["data"]} == {"status/a": "on", "status/b": "off"}

    assert api.delete("/v2/utilities/retained/status/a").json() == {"deleted": True, "topic": "status/a"}
    assert api.delete("/v2/utilities/retained/status/a").status_code == 404
    dry = api.delete("/v2/utilities/retained", params={"topic": "status/#", "dry_run": "true"}).json()
    assert dry == {"topic": "status/#", "dry_run": True, "count": 2, "topics": ["status/b", "status/http/1"]}
    assert retained(api)["count"] == 2
    done = api.delete("/v2/utilities/retained", params={"topic": "status/#"}).json()
    assert done["count"] == 2 and not done["dry_run"]
    assert retained(api)["count"] == 0
    late = connect(stack, make_user(api, "late"), client_id="late")
    assert late.subscribed(prefix + "status/#")
    assert late.receive(timeout=0.5) is None  # a new subscriber gets nothing
    late.close()

    # the quota: counted and enforced in the broker
    result = stack.service.admin("orgs", "quotas", "--org", org["org_id"], "--set", "max_retained_messages=2")
    assert result.returncode == 0, result.stderr
    device.close()
    device = connect(stack, make_user(api, "device2"), client_id="dev-2")  # its CONNECT carries the limits
    assert device.publish(prefix + "status/q1", b"1", qos=1, retain=True).is_failure is False
    assert device.publish(prefix + "status/q2", b"2", qos=1, retain=True).is_failure is False
    refused = device.publish(prefix + "status/q3", b"3", qos=1, retain=True)
    assert refused.is_failure
    assert device.publish(prefix + "status/q1", b"11", qos=1, retain=True).is_failure is False  # replacing is fine
    assert eventually(lambda: retained(api)["count"] == 2)
    assert "retained message quota" in stack.broker.log()
    device.close()


def test_shared_subscriptions_split_and_stay_within_the_organization(stack, org, api):
    allow(api, "jobs/#")
    prefix = org["org_id"] + "/"
    username = make_user(api, "worker")
    workers = [connect(stack, username, client_id=f"w{i}") for i in range(2)]
    for worker in workers:
        assert worker.subscribed(f"$share/workers/{prefix}jobs/#")
    other = stack.new_org("Other")
    other_api = Client(stack.service.url, other["key"])
    allow(other_api, "jobs/#")
    outsider = connect(stack, make_user(other_api, "worker"), client_id="w0")
    assert not outsider.subscribed(f"$share/workers/{prefix}jobs/#")  # another organization's filter
    assert outsider.subscribed(f"$share/workers/{other['org_id']}/jobs/#")
    assert not outsider.subscribed("$SYS/#")

    producer = connect(stack, make_user(api, "producer"), client_id="producer")
    for n in range(1000):
        producer.client.publish(f"{prefix}jobs/{n % 7}", str(n).encode(), qos=1)
    got = []

    def drained():
        for worker in workers:
            while not worker.messages.empty():
                got.append(worker.messages.get())
        return len(got) >= 1000

    assert eventually(drained, timeout=15)
    time.sleep(0.3)
    drained()
    payloads = sorted(int(p) for _, p in got)
    assert payloads == list(range(1000))  # none lost, none duplicated
    assert all(len(w.received) > 0 for w in workers)  # split between both
    assert outsider.receive(timeout=0.3) is None
    for client in workers + [outsider, producer]:
        client.close()
