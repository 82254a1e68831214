"""The broker decides known principals' CONNECTs from its own memory (docs/broker-protocol.md).

A password set through the API reaches the broker as a keyed verifier before the API answers; the
broker keeps verifiers across its restarts (its state file) and the service's, and catches up by
log position, so a revocation made while it was down holds when it returns and a stale state file
never lets an old password in. Restarts of the broker and the service in every order, with
clients attached.
"""

import shutil
import time

import pytest

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient


@pytest.fixture(scope="module")
def own_stack(postgres, tmp_path_factory):
    stack = start_stack(postgres, "multi", tmp_path_factory.mktemp("memory-logs"), database="broker_memory")
    yield stack
    stack.service.stop()
    stack.broker.remove()


@pytest.fixture
def org(own_stack):
    return own_stack.new_org()


@pytest.fixture
def api(own_stack, org):
    return Client(own_stack.service.url, org["key"])


def connects(stack, org, username, password, name="dev") -> bool:
    client = MqttTestClient(stack.broker.port, username, password, client_id=f"{org['org_id']}/{name}-{time.time_ns()}")
    accepted = client.accepted
    client.close()
    return accepted


def restart_broker(stack) -> None:
    stack.broker.stop()
    stack.broker.start()


def wait_synced(stack, username, password, org) -> None:
    """After a broker start, its state is confirmed once its first sync succeeded."""
    assert eventually(lambda: connects(stack, org, username, password), timeout=5)


def test_a_new_user_connects_from_the_brokers_memory_while_the_service_is_down(own_stack, api, org):
    username = make_user(api, "pushed")  # the API answered after the broker had the verifier
    own_stack.service.stop()
    try:
        assert connects(own_stack, org, username, "secure-password")
        assert not connects(own_stack, org, username, "wrong-password")
        assert not connects(own_stack, org, f"nobody@{org['org_id']}", "secure-password")  # a miss: fails closed
    finally:
        own_stack.service.start()


def test_the_state_file_survives_a_broker_restart_0600(own_stack, api, org):
    username = make_user(api, "kept")
    restart_broker(own_stack)
    wait_synced(own_stack, username, "secure-password", org)
    state = own_stack.broker.settings.directory / "data" / "cloudsignal-state.json"
    assert state.exists() and (state.stat().st_mode & 0o777) == 0o600
    assert username in state.read_text() and "secure-password" not in state.read_text()
    own_stack.service.stop()  # with the service down the broker still knows the user
    try:
        assert connects(own_stack, org, username, "secure-password")
    finally:
        own_stack.service.start()


def test_a_password_change_and_a_deletion_made_while_the_broker_was_down_hold_when_it_returns(own_stack, api, org):
    changed = make_user(api, "changed")
    deleted = make_user(api, "deleted")
    own_stack.broker.stop()
    assert api.patch("/v2/users/changed", json={"password": "brand-new-password"}).status_code == 200
    assert api.delete("/v2/users/deleted").status_code == 204
    own_stack.broker.start()
    wait_synced(own_stack, changed, "brand-new-password", org)
    assert not connects(own_stack, org, changed, "secure-password")
    assert not connects(own_stack, org, deleted, "secure-password")


def test_a_stale_state_file_never_lets_a_revoked_password_in(own_stack, api, org):
    username = make_user(api, "stale")
    own_stack.broker.stop()  # written at shutdown: the verifier of "secure-password"
    state = own_stack.broker.settings.directory / "data" / "cloudsignal-state.json"
    stale = state.with_suffix(".stale")
    shutil.copy2(state, stale)
    own_stack.broker.start()
    assert api.patch("/v2/users/stale", json={"password": "rotated-password"}).status_code == 200
    assert connects(own_stack, org, username, "rotated-password")
    own_stack.broker.stop()
    shutil.copy2(stale, state)  # an old copy of the file comes back (a restored backup, a bad disk)
    own_stack.broker.start()
    wait_synced(own_stack, username, "rotated-password", org)
    assert not connects(own_stack, org, username, "secure-password")


def test_a_stale_state_file_with_the_service_down_admits_nobody_until_the_service_confirms(own_stack, api, org):
    username = make_user(api, "unconfirmed")
    own_stack.service.stop()
    try:
        restart_broker(own_stack)
        assert not connects(own_stack, org, username, "secure-password")  # unconfirmed: fails closed
    finally:
        own_stack.service.start()
    wait_synced(own_stack, username, "secure-password", org)


@pytest.mark.parametrize("order", ["broker, then service", "service, then broker", "both down, broker first back"])
def test_restarts_in_every_order_with_clients_attached(own_stack, api, org, order):
    allow(api, "news/#")
    topic = org["org_id"] + "/news/today"
    username = make_user(api, "reader")
    client = MqttTestClient(own_stack.broker.port, username, "secure-password", client_id=f"{org['org_id']}/reader",
                            reconnect=True)
    assert client.accepted
    broker, service = own_stack.broker, own_stack.service
    if order == "broker, then service":
        restart_broker(own_stack)
        service.stop()
        service.start()
    elif order == "service, then broker":
        service.stop()
        service.start()
        restart_broker(own_stack)
    else:
        service.stop()
        broker.stop()
        broker.start()
        service.start()
    try:
        assert eventually(lambda: client.client.is_connected(), timeout=15), order
        assert client.subscribed(topic)
        assert eventually(lambda: api.post("/v2/publish", json={"topic": "news/today", "payload": "back",
                                                                "qos": 1}).status_code == 200, timeout=10)
        assert client.receive() == (topic, b"back")
        # A revocation still reaches the live client within a second.
        client.disconnected.clear()
        started = time.monotonic()
        assert api.delete("/v2/users/reader").status_code == 204
        assert client.disconnected.wait(5) and time.monotonic() - started < 1.5
    finally:
        client.close()


def test_organization_limits_survive_a_broker_restart_in_the_state_file(own_stack, api, org):
    """The state file keeps each organization's last limits: after a restart the broker enforces them
    before any CONNECT reply or set_limits brings them again (a device admitted from the broker's
    memory brings none, and the sync only sends what changed)."""
    result = own_stack.service.admin("orgs", "quotas", "--org", org["org_id"], "--set", "max_payload_bytes=100")
    assert result.returncode == 0, result.stderr
    allow(api, "big/#")
    username = make_user(api, "sized")
    prefix = org["org_id"] + "/"
    device = MqttTestClient(own_stack.broker.port, username, "secure-password", client_id=f"{org['org_id']}/sized")
    assert device.accepted
    assert device.publish(prefix + "big/1", b"x" * 101).is_failure  # the limits reached the broker
    device.close()
    own_stack.service.stop()
    try:
        restart_broker(own_stack)  # the state file is loaded while the service is down
        state = own_stack.broker.settings.directory / "data" / "cloudsignal-state.json"
        assert '"max_payload_bytes":100' in state.read_text()
    finally:
        own_stack.service.start()
    # Once the first sync (every second) confirmed the principal, its CONNECT is decided from the
    # broker's memory, and no authenticate reply brings the limits.
    time.sleep(3)
    device = MqttTestClient(own_stack.broker.port, username, "secure-password", client_id=f"{org['org_id']}/sized")
    try:
        assert device.accepted
        assert device.publish(prefix + "big/1", b"x" * 101).is_failure  # PUBACK Not authorized (0x87)
        assert not device.publish(prefix + "big/1", b"x" * 100).is_failure
    finally:
        device.close()
    assert "over its payload size quota (100 bytes)" in own_stack.broker.log()
