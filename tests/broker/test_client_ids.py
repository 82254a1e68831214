"""Client ids belong to an organization (multi tenancy): on the broker every client id starts with
`{org_id}/`, so no organization can hold, block or take over another's ids, across broker restarts
too; the REST API shows and takes ids without the prefix; a kick names the organization and the
broker checks that the client holding the id is that organization's.

MqttTestClient sends `{org_id}/{client_id}` as the SDKs do; `raw_client_id=True` sends the id as
written, as a raw MQTT client would."""

import json
import time
import uuid

import pytest

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient

INTERNAL = "cloudsignal-internal"


def tenant(stack, name):
    org = stack.new_org(name)
    api = Client(stack.service.url, org["key"])
    return org, api, make_user(api, "agent-01")


def connect(stack, username, client_id, **options):
    return MqttTestClient(stack.broker.port, username, "secure-password", client_id=client_id, **options)


def sessions(api, **params):
    reply = api.get("/v2/sessions", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def still_connected(client, seconds=1.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not client.client.is_connected():
            return False
        time.sleep(0.05)
    return True


def test_an_id_another_organization_used_persistently_blocks_nobody(stack):
    org_a, api_a, user_a = tenant(stack, "A")
    org_b, api_b, user_b = tenant(stack, "B")

    # The attack: B takes the bare id "dashboard" with a persistent session and leaves.
    squatter = connect(stack, user_b, "dashboard", clean_start=False, raw_client_id=True)
    try:
        assert not squatter.accepted, "a client id without the organization's prefix was accepted"
        assert squatter.connect_reason.getName() == "Not authorized"
    finally:
        squatter.close()
    assert f'refusing {user_b} (client dashboard): client id must start with "{org_b["org_id"]}/"' \
        in stack.broker.log()

    # B's own "dashboard" (the SDK form) is B's; A's "dashboard" is another id and stays usable.
    b_dash = connect(stack, user_b, "dashboard", clean_start=False)
    assert b_dash.accepted
    b_dash.close()
    a_dash = connect(stack, user_a, "dashboard", clean_start=False)
    try:
        assert a_dash.accepted, a_dash.connect_reason
        assert eventually(lambda: [(s["client_id"], s["username"]) for s in sessions(api_a)]
                          == [("dashboard", "agent-01")])
        # Each organization sees and deletes its own "dashboard" only.
        assert api_a.get("/v2/sessions/dashboard").json()["mqtt_username"] == user_a
        offline_b = eventually(lambda: sessions(api_b, status="disconnected"))
        assert [s["client_id"] for s in offline_b] == ["dashboard"] and offline_b[0]["mqtt_username"] == user_b
        assert api_a.delete("/v2/sessions/dashboard").status_code == 204
        assert a_dash.disconnected.wait(5)
        assert eventually(lambda: [s["disconnect_reason"] for s in api_a.get("/v2/sessions/history").json()["data"]]
                          == ["kicked"])
    finally:
        a_dash.close()


def test_raw_client_ids_without_the_prefix_are_refused_and_logged(stack):
    org_a, api_a, user_a = tenant(stack, "A")
    org_b, _, _ = tenant(stack, "B")
    prefix_a, prefix_b = org_a["org_id"] + "/", org_b["org_id"] + "/"
    for client_id in ("sensor-17", prefix_b + "sensor-17", prefix_a, org_a["org_id"] + "x/sensor-17", ""):
        client = connect(stack, user_a, client_id, raw_client_id=True)
        try:
            assert not client.accepted, client_id
        finally:
            client.close()
    log = stack.broker.log()
    rule = f'client id must start with "{prefix_a}"'
    assert f"refusing {user_a} (client sensor-17): {rule}" in log
    assert f"refusing {user_a} (client {prefix_b}sensor-17): {rule}" in log
    assert "an empty client id is refused" in log
    # A broker-assigned id (MQTT 5, empty client id) lacks the prefix: refused, and the log says so.
    assert f"refusing {user_a} (client auto-" in log

    # With its prefix a raw client is accepted, and the API shows the id without it.
    raw = connect(stack, user_a, prefix_a + "sensor-17", raw_client_id=True)
    try:
        assert raw.accepted
        assert eventually(lambda: [s["client_id"] for s in sessions(api_a)] == ["sensor-17"])
        assert api_a.get("/v2/sessions/sensor-17").status_code == 200
        assert [s["client_id"] for s in sessions(api_a, client_id="sensor-17")] == ["sensor-17"]
    finally:
        raw.close()


def test_client_id_rules_render_the_id_as_its_user_knows_it(stack):
    org, api, _ = tenant(stack, "A")
    allow(api, "devices/{client_id}/#", action="publish")
    username = make_user(api, "device")
    prefix = org["org_id"] + "/"
    device = connect(stack, username, "dev-7")
    try:
        assert device.accepted
        assert not device.publish(prefix + "devices/dev-7/up", b"1").is_failure
        assert device.publish(prefix + f"devices/{org['org_id']}/dev-7/up", b"1").is_failure
        assert device.publish(prefix + "devices/dev-8/up", b"1").is_failure
    finally:
        device.close()
    # The simulator agrees: {client_id} is the id without the prefix, given either way.
    for client_id in ("dev-7", prefix + "dev-7"):
        check = api.post("/v2/acl/check", json={"username": "device", "topic": "devices/dev-7/up",
                                                "action": "publish", "client_id": client_id})
        assert check.status_code == 200 and check.json()["allowed"] is True, (client_id, check.text)


class Internal:
    """The service's internal user, to send $CONTROL commands and read the replies."""

    def __init__(self, stack):
        self.mqtt = MqttTestClient(stack.broker.port, INTERNAL, stack.broker.secret,
                                   client_id=f"test-internal-{uuid.uuid4().hex[:8]}")
        assert self.mqtt.accepted
        assert self.mqtt.subscribed("$CONTROL/cloudsignal/v1/response")

    def run(self, *commands):
        assert not self.mqtt.publish("$CONTROL/cloudsignal/v1", json.dumps({"commands": list(commands)})).is_failure
        while True:
            received = self.mqtt.receive()
            assert received is not None, "no reply from the plugin"
            responses = json.loads(received[1])["responses"]
            if [r["command"] for r in responses] == [c["command"] for c in commands]:
                return responses

    def close(self):
        self.mqtt.close()


def test_a_kick_cannot_reach_another_organizations_client(stack):
    org_a, api_a, user_a = tenant(stack, "A")
    org_b, api_b, user_b = tenant(stack, "B")
    # The race of the issue: A's "x" leaves, B's "x" connects, A's DELETE arrives before the
    # session events do. A's kick names A's id and A's organization: B's client stays.
    a_x = connect(stack, user_a, "x")
    assert a_x.accepted
    assert eventually(lambda: sessions(api_a))
    a_x.close()
    b_x = connect(stack, user_b, "x")
    try:
        assert b_x.accepted
        api_a.delete("/v2/sessions/x")  # 204 or 404, depending on whether the events arrived
        assert still_connected(b_x), "A's DELETE kicked B's client"

        # Defence in depth: a kick naming the wrong owner is refused by the plugin itself.
        internal = Internal(stack)
        try:
            wire_id = f"{org_b['org_id']}/x"
            refused = internal.run({"command": "kick", "clientid": wire_id, "org_id": org_a["org_id"]},
                                   {"command": "kick", "clientid": wire_id, "username": user_a},
                                   {"command": "kick", "clientid": wire_id})
            assert [r["ok"] for r in refused] == [False, False, False], refused
            assert "belongs to someone else" in refused[0]["error"]
            assert "missing 'username' or 'org_id'" in refused[2]["error"]
            assert still_connected(b_x, 0.5)
            log = stack.broker.log()
            assert f"refusing to kick client {wire_id}: it belongs to {user_b}, not to {org_a['org_id']}" in log
            assert f"refusing to kick client {wire_id}: it belongs to {user_b}, not to {user_a}" in log
            # Its own organization's kick goes through.
            assert internal.run({"command": "kick", "clientid": wire_id, "org_id": org_b["org_id"]})[0]["ok"]
            assert b_x.disconnected.wait(5)
        finally:
            internal.close()
    finally:
        b_x.close()


@pytest.fixture(scope="module")
def own_stack(postgres, tmp_path_factory):
    stack = start_stack(postgres, "multi", tmp_path_factory.mktemp("client-id-logs"), database="broker_client_ids")
    yield stack
    stack.service.stop()
    stack.broker.remove()


def test_ownership_of_a_persistent_id_survives_a_broker_restart(own_stack):
    stack = own_stack
    org_a, api_a, user_a = tenant(stack, "A")
    org_b, _, user_b = tenant(stack, "B")
    allow(api_a, "inbox/#")
    a_id = f"{org_a['org_id']}/dashboard"
    first = connect(stack, user_a, "dashboard", clean_start=False)
    assert first.accepted and first.subscribed(org_a["org_id"] + "/inbox/#")
    first.close()

    stack.broker.stop()
    stack.broker.start()

    # The plugin remembers no client of the old run; the id itself says whose it is.
    thief = connect(stack, user_b, a_id, clean_start=False, raw_client_id=True)
    try:
        assert not thief.accepted, "another organization took a persistent id after a restart"
    finally:
        thief.close()
    assert f'refusing {user_b} (client {a_id}): client id must start with "{org_b["org_id"]}/"' in stack.broker.log()
    back = connect(stack, user_a, "dashboard", clean_start=False)
    try:
        assert back.accepted
        assert eventually(lambda: [s["client_id"] for s in sessions(api_a)] == ["dashboard"], timeout=10)
    finally:
        back.close()
