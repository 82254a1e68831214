"""CloudSignalClient and client ids (multi tenancy): the id you give (or the SDK generates) goes to
the broker as `<org_id>/<client_id>`, which the broker requires, and comes back without it,
from the client and from the REST API."""

import threading

from cloudsignal import CloudSignalClient
from cloudsignal._topics import wire_client_id
from tests.broker.conftest import allow, make_user
from tests.conftest import eventually
from tests.support.mqtt import MqttTestClient

WAIT = 5.0


def test_the_wire_id_carries_the_organization_prefix():
    assert wire_client_id("agent-01@org_k7xm4pqr2n5t", "dash") == "org_k7xm4pqr2n5t/dash"
    assert wire_client_id("tok_abc@org_k7xm4pqr2n5t", "dash") == "org_k7xm4pqr2n5t/dash"
    assert wire_client_id("agent-01", "dash") == "dash"  # no organization: nothing to add
    assert wire_client_id(None, "dash") == "dash"


def test_a_given_client_id_is_prefixed_on_the_wire_and_plain_for_the_user(sdk_stack, api, org):
    make_user(api, "dashboard-user")
    allow(api, "devices/{client_id}/#")
    username = f"dashboard-user@{org['org_id']}"
    wire = f"{org['org_id']}/py-dash"
    client = CloudSignalClient("127.0.0.1", username, "secure-password", port=sdk_stack.broker.port,
                               tenancy="multi", client_id="py-dash", clean_start=False)
    assert client.client_id == "py-dash"
    lost = threading.Event()
    client.on_disconnect(lambda reason: lost.set())
    with client:
        assert client.wait_until_connected(WAIT)
        # On the wire: the broker knows the client by the prefixed id ...
        assert f" as {wire} " in sdk_stack.broker.log()
        # ... and {client_id} in a rule is the id as given.
        assert client.publish("devices/py-dash/state", "up", qos=1).wait(WAIT)
        # For the user: the REST API lists and finds it without the prefix.
        listed = eventually(lambda: [s for s in api.get("/v2/sessions").json()["data"]
                                     if s["mqtt_username"] == username], 5)
        assert [s["client_id"] for s in listed] == ["py-dash"]
        assert api.get("/v2/sessions/py-dash").status_code == 200
        # A raw client with the prefixed id takes the session over: it is the same id.
        raw = MqttTestClient(sdk_stack.broker.port, username, "secure-password", client_id=wire,
                             raw_client_id=True)
        try:
            assert raw.accepted
            assert lost.wait(WAIT)
        finally:
            raw.close()
            client._mqtt.disconnect()  # no reconnect tug-of-war
    reasons = eventually(lambda: [s["disconnect_reason"] for s in api.get("/v2/sessions/history").json()["data"]
                                  if s["client_id"] == "py-dash" and s["disconnected_at"]], 5)
    assert "takeover" in reasons


def test_a_generated_client_id_is_prefixed_too_whatever_the_tenancy_option(sdk_stack, api, org):
    make_user(api, "plain")
    username = f"plain@{org['org_id']}"
    # No tenancy option (single by default): topics are not prefixed, the client id still is, so
    # the client connects to a multi-tenancy broker.
    client = CloudSignalClient("127.0.0.1", username, "secure-password", port=sdk_stack.broker.port,
                               tenancy="single")
    assert client.client_id.startswith("cloudsignal-") and "/" not in client.client_id
    with client:
        assert client.wait_until_connected(WAIT)
        assert f" as {org['org_id']}/{client.client_id} " in sdk_stack.broker.log()
        assert eventually(lambda: [s["client_id"] for s in api.get("/v2/sessions").json()["data"]]
                          == [client.client_id], 5)
