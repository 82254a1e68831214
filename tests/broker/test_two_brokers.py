"""Several brokers (issue 19, item 3): two Mosquittos, two service processes (each with its own
internal instance, one per broker) on one PostgreSQL store, CLOUDSIGNAL_BROKERS naming both.

Two organizations placed on different brokers by the placement rule: each broker admits only its
organization's devices, HTTP publish and revocation reach the right broker from either service
process, presence is reported, moving an organization (drain, switch, kick) works, and stopping
one broker leaves the other untouched."""

import time
from typing import Dict, Iterator

import pytest

from tests.broker.conftest import allow, make_user
from tests.conftest import Client, create_org
from tests.support.mqtt import MqttTestClient
from tests.support.processes import Broker, PostgresCluster, Service


class Pair:
    def __init__(self, services, brokers):
        self.services, self.brokers = services, brokers  # brokers: {"a": Broker, "b": Broker}


@pytest.fixture(scope="module")
def pair(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    database = postgres.create_database("two_brokers")
    log_dir = tmp_path_factory.mktemp("two-brokers")
    services = [Service({"DATABASE_URL": database, "CLOUDSIGNAL_TENANCY": "multi"}, workers=1, log_dir=log_dir)
                for _ in range(2)]
    brokers = {"a": Broker(services[0].internal_url), "b": Broker(services[1].internal_url)}
    brokers["a"].settings.broker_name, brokers["b"].settings.broker_name = "a", "b"
    secret = brokers["a"].secret
    brokers["b"].secret_path.write_text(secret + "\n")  # one broker secret for the deployment
    names = f"a=127.0.0.1:{brokers['a'].port},b=127.0.0.1:{brokers['b'].port}"
    for service in services:
        service.env.update({"CLOUDSIGNAL_BROKER_SECRET": secret, "CLOUDSIGNAL_BROKERS": names,
                            "CLOUDSIGNAL_BROKER_PORT": str(brokers["a"].port)})
    started = []
    try:
        for process in [*brokers.values(), *services]:
            process.start()
            started.append(process)
        yield Pair(services, brokers)
    finally:
        for process in reversed(started):
            process.stop()
        for broker in brokers.values():
            broker.remove()


@pytest.fixture(scope="module")
def orgs(pair: Pair) -> Dict[str, Dict[str, str]]:
    """Two organizations, placed by the rule (fewest organizations first): one on each broker."""
    first = create_org(pair.services[0], "First")
    second = create_org(pair.services[1], "Second")
    return {"a": first, "b": second}


def api(pair: Pair, org: Dict[str, str], service: int = 0) -> Client:
    return Client(pair.services[service].url, org["key"])


def connect(pair: Pair, broker: str, username: str) -> MqttTestClient:
    return MqttTestClient(pair.brokers[broker].port, username, "secure-password")


def test_organizations_are_placed_on_different_brokers_and_told_their_endpoint(pair, orgs):
    for name, org in orgs.items():
        info = api(pair, org).get("/v2/organization").json()
        assert info["broker"] == {"name": name, "mqtt_url": f"mqtt://127.0.0.1:{pair.brokers[name].port}"}
    listed = pair.services[0].admin("orgs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {row["org_id"]: row["broker"] for row in __import__("json").loads(listed.stdout)["data"]} == {
        orgs["a"]["org_id"]: "a", orgs["b"]["org_id"]: "b"}


def test_each_broker_admits_only_its_organizations_devices_and_gets_only_their_publishes(pair, orgs):
    users = {}
    for name, org in orgs.items():
        client = api(pair, org)
        allow(client, "t/#")
        users[name] = make_user(client, f"dev-{name}")
    other = {"a": "b", "b": "a"}
    for name, username in users.items():
        home = connect(pair, name, username)
        away = connect(pair, other[name], username)
        try:
            assert home.accepted, f"{username} refused by its broker {name}"
            assert not away.accepted, f"{username} admitted by broker {other[name]}"
            assert home.subscribed(f"{orgs[name]['org_id']}/t/#")
            for service in (0, 1):  # either service process publishes through the right broker
                reply = api(pair, orgs[name], service).post("/v2/publish", json={"topic": "t/x", "payload": f"{service}",
                                                                                  "qos": 1})
                assert reply.status_code == 200, reply.text
                assert home.receive() == (f"{orgs[name]['org_id']}/t/x", f"{service}".encode())
        finally:
            home.close()
            away.close()


def test_revocation_through_either_service_reaches_the_right_broker(pair, orgs):
    for name, service in (("a", 1), ("b", 0)):  # the other broker's service process
        client = api(pair, orgs[name], service)
        username = make_user(client, f"revoked-{name}")
        device = connect(pair, name, username)
        try:
            assert device.accepted
            started = time.monotonic()
            assert client.delete(f"/v2/users/revoked-{name}").status_code == 204
            assert device.disconnected.wait(1.0), "still connected a second after the user was deleted"
            assert time.monotonic() - started < 1.0
        finally:
            device.close()


def test_presence_is_reported_from_both_brokers(pair, orgs):
    devices = []
    try:
        for name, org in orgs.items():
            client = api(pair, org)
            device = connect(pair, name, make_user(client, f"present-{name}"))
            assert device.accepted and device.subscribed(f"{org['org_id']}/t/presence")
            devices.append(device)
        for name, org in orgs.items():
            deadline = time.monotonic() + 10
            while True:
                rows = api(pair, org).get(f"/v2/utilities/presence/present-{name}").json()
                if rows["online"] and any("t/presence" in f for s in rows["sessions"] for f in s["filters"]):
                    break
                assert time.monotonic() < deadline, rows
                time.sleep(0.2)
    finally:
        for device in devices:
            device.close()


def test_moving_an_organization_drains_switches_and_kicks(pair, orgs):
    org = create_org(pair.services[0], "Moving")  # a third: placed on a (a and b serve one each)
    client = api(pair, org)
    assert client.get("/v2/organization").json()["broker"]["name"] == "a"
    allow(client, "t/#")
    username = make_user(client, "mover")
    device = connect(pair, "a", username)
    try:
        assert device.accepted
        moved = pair.services[1].admin("orgs", "assign", "--org", org["org_id"], "--broker", "b", "--json")
        assert moved.returncode == 0, moved.stderr
        assert __import__("json").loads(moved.stdout)["previous_broker"] == "a"
        assert device.disconnected.wait(3.0), "the client was not kicked from the old broker"
        assert client.get("/v2/organization").json()["broker"]["name"] == "b"
        deadline = time.monotonic() + 5
        while True:  # the old broker's plugin drops the principal at its next sync (1 s)
            old, new = connect(pair, "a", username), connect(pair, "b", username)
            refused_old, accepted_new = not old.accepted, new.accepted
            old.close()
            new.close()
            if refused_old and accepted_new:
                break
            assert time.monotonic() < deadline, (refused_old, accepted_new)
            time.sleep(0.3)
    finally:
        device.close()


def test_one_broker_failing_leaves_the_other_untouched(pair, orgs):
    """Runs last: broker a stays down."""
    client_b = api(pair, orgs["b"])
    username = make_user(client_b, "survivor")
    survivor = connect(pair, "b", username)
    try:
        assert survivor.accepted and survivor.subscribed(f"{orgs['b']['org_id']}/t/#")
        pair.brokers["a"].stop()
        time.sleep(0.5)
        assert not survivor.disconnected.is_set()
        reply = client_b.post("/v2/publish", json={"topic": "t/after", "payload": "still here", "qos": 1})
        assert reply.status_code == 200, reply.text
        assert survivor.receive() == (f"{orgs['b']['org_id']}/t/after", b"still here")
        down = api(pair, orgs["a"]).post("/v2/publish", json={"topic": "t/x", "payload": "x", "qos": 1})
        assert down.status_code == 503, down.text
        late = connect(pair, "b", make_user(client_b, "late"))  # new devices of b still connect
        assert late.accepted
        late.close()
    finally:
        survivor.close()
