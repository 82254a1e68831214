"""Sessions as the broker reports them: list, history, takeover, kick, terminate."""

import time

import pytest

from tests.broker.conftest import make_user
from tests.conftest import Client, eventually
from tests.support.mqtt import MqttTestClient


def sessions(api, **params):
    reply = api.get("/v2/sessions", params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def history(api, **params):
    return api.get("/v2/sessions/history", params=params).json()["data"]


@pytest.fixture
def username(api):
    return make_user(api, "agent-01")


def connect(stack, username, **options):
    client = MqttTestClient(stack.broker.port, username, "secure-password", **options)
    assert client.accepted
    return client


def test_a_connection_is_listed_then_moves_to_history(stack, api, username):
    client = connect(stack, username, client_id="agent-01-laptop")
    active = eventually(lambda: sessions(api))
    assert len(active) == 1
    session = active[0]
    assert (session["client_id"], session["username"], session["mqtt_username"]) == (
        "agent-01-laptop", "agent-01", username)
    assert session["status"] == "active" and session["peer_address"] == "127.0.0.1"
    assert session["protocol_version"] == 5 and session["clean_start"] is True
    assert api.get("/v2/sessions/agent-01-laptop").json()["session_id"] == session["session_id"]

    client.close()
    assert eventually(lambda: not sessions(api))
    closed = eventually(lambda: [s for s in history(api) if s["disconnected_at"]])
    assert closed[0]["disconnect_reason"] == "client" and closed[0]["duration_seconds"] >= 0
    assert sessions(api, status="disconnected") == []  # clean start: nothing persists


def test_takeover_closes_the_older_session(stack, api, username):
    first = connect(stack, username, client_id="shared-id")
    assert eventually(lambda: sessions(api))
    second = connect(stack, username, client_id="shared-id")
    try:
        assert first.disconnected.wait(2)
        reasons = eventually(lambda: [s["disconnect_reason"] for s in history(api) if s["disconnect_reason"]])
        assert reasons == ["takeover"]
        assert eventually(lambda: len(sessions(api)) == 1 and len(history(api)) == 2)
    finally:
        second.close()


def test_force_disconnect_and_terminate_within_a_second(stack, api, username):
    laptop = connect(stack, username, client_id="laptop")
    phone = connect(stack, username, client_id="phone")
    other = connect(stack, make_user(api, "agent-02"), client_id="other")
    assert eventually(lambda: len(sessions(api)) == 3)

    started = time.monotonic()
    assert api.delete("/v2/sessions/laptop").status_code == 204
    assert laptop.disconnected.wait(1.0) and time.monotonic() - started < 1.0
    assert not phone.disconnected.is_set()
    assert eventually(lambda: len(sessions(api)) == 2)  # the broker reported the kick

    reply = api.post("/v2/users/agent-01/terminate")
    assert reply.json() == {"username": "agent-01", "sessions_terminated": 1}
    assert phone.disconnected.wait(1.0)
    assert not other.disconnected.is_set()
    assert eventually(lambda: [s["client_id"] for s in sessions(api)] == ["other"])
    assert eventually(lambda: sorted(s["disconnect_reason"] for s in history(api)
                                     if s["disconnect_reason"]) == ["kicked", "kicked"])
    # kicked users may come back: terminate is not a ban
    again = connect(stack, username, client_id="phone")
    again.close(), other.close()


def test_persistent_sessions_are_listed_as_disconnected(stack, api, username):
    client = connect(stack, username, client_id="durable", clean_start=False)
    assert eventually(lambda: sessions(api))
    client.close()
    offline = eventually(lambda: sessions(api, status="disconnected"))
    assert [s["client_id"] for s in offline] == ["durable"] and offline[0]["clean_start"] is False
    assert [s["client_id"] for s in sessions(api, status="all")] == ["durable"]
    assert api.get("/v2/sessions/durable").json()["status"] == "disconnected"
    assert api.delete("/v2/sessions/durable").status_code == 404  # nothing connected to kick


def test_filters_errors_and_isolation(stack, api, username):
    client = connect(stack, username, client_id="filtered")
    try:
        assert eventually(lambda: sessions(api))
        assert sessions(api, username="agent-01")[0]["client_id"] == "filtered"
        assert sessions(api, username="nobody") == [] and sessions(api, client_id="nope") == []
        assert api.get("/v2/sessions", params={"status": "sleeping"}).status_code == 400
        assert api.get("/v2/sessions/history", params={"since": "yesterday"}).status_code == 400
        assert api.get("/v2/sessions/nope").status_code == 404
        assert api.delete("/v2/sessions/nope").status_code == 404
        assert api.post("/v2/users/nobody/terminate").status_code == 404
        outsider = Client(stack.service.url, stack.new_org("Outsider")["key"])
        assert outsider.get("/v2/sessions").json()["data"] == []
        assert outsider.get("/v2/sessions/filtered").status_code == 404
        assert outsider.delete("/v2/sessions/filtered").status_code == 404
        assert not client.disconnected.is_set()
        future = history(api, since="2999-01-01T00:00:00+00:00")
        assert future == []
    finally:
        client.close()


def test_the_documented_sessions_curl_call(stack, api, org, username):
    import json
    import subprocess

    client = connect(stack, username, client_id="curl-listed")
    try:
        assert eventually(lambda: sessions(api))
        documented = 'curl http://127.0.0.1:8080/v2/sessions -H "Authorization: Bearer sk_..."'
        command = documented.replace("http://127.0.0.1:8080", stack.service.url).replace("sk_...", org["key"])
        reply = json.loads(subprocess.run(["bash", "-c", command.replace("curl ", "curl -s ", 1)],
                                          capture_output=True, text=True, check=True).stdout)
        assert [s["client_id"] for s in reply["data"]] == ["curl-listed"]
    finally:
        client.close()
