"""The broker's endpoints have their own listener and processes: a public API held by slow
clients leaves CONNECT decisions alone, and the public port does not serve /internal at all."""

import socket
import time

import requests

from tests.broker.conftest import make_user
from tests.support.metrics import sample
from tests.support.mqtt import MqttTestClient

HELD_SOCKETS = 16


def hold_public_api(url: str, count: int = HELD_SOCKETS) -> list:
    """Slow clients: each sends part of a request line and then nothing, holding a server thread."""
    host, port = url.removeprefix("http://").split(":")
    held = []
    for n in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(b"GET /v2/organization?held=%d HTTP/1.1\r\nHost: " % n)
        held.append(sock)
    return held


def test_the_public_port_does_not_serve_internal_endpoints(stack, api):
    username = make_user(api, "agent-01")
    body = {"username": username, "password": "secure-password", "clientid": "c1"}
    secret = {"Authorization": f"Bearer {stack.broker.secret}"}
    public = requests.post(f"{stack.service.url}/internal/broker/authenticate", json=body, headers=secret, timeout=10)
    assert public.status_code == 404 and public.json()["error"] == "not_found"
    internal = requests.post(f"{stack.service.internal_url}/internal/broker/authenticate", json=body,
                             headers=secret, timeout=10)
    assert internal.status_code == 200 and internal.json()["result"] == "allow"
    # and the other way round: the internal listener serves no public API
    assert requests.get(f"{stack.service.internal_url}/v2/organization", headers={
        "Authorization": f"Bearer {api.key}"}, timeout=10).status_code == 404
    document = requests.get(f"{stack.service.internal_url}/v2/openapi.json", timeout=10).json()
    assert document["paths"]["/internal/broker/authenticate"]["post"]["security"] == [{"brokerSecret": []}]
    assert not any(path.startswith("/v2/") for path in document["paths"])


def test_connects_are_decided_while_the_public_api_is_held(stack, api):
    username = make_user(api, "agent-02")
    held = hold_public_api(stack.service.url)
    try:
        started = time.monotonic()
        reply = requests.post(f"{stack.service.internal_url}/internal/broker/authenticate",
                              json={"username": username, "password": "secure-password", "clientid": "h1"},
                              headers={"Authorization": f"Bearer {stack.broker.secret}"}, timeout=10)
        assert reply.json()["result"] == "allow"
        client = MqttTestClient(stack.broker.port, username, "secure-password")
        elapsed = time.monotonic() - started
        try:
            assert client.accepted
        finally:
            client.close()
        # generous: the plugin's own timeout is 2 s; bench/storm.py reports the real p99
        assert elapsed < 2.0, elapsed
    finally:
        for sock in held:
            sock.close()


def test_public_metrics_include_the_internal_processes(stack, api):
    """CONNECT decisions are counted by the internal instance; /metrics on either port shows them."""
    username = make_user(api, "agent-03")
    before = sample(stack.service.url, "cloudsignal_auth_decisions_total", result="deny")
    for _ in range(3):
        reply = requests.post(f"{stack.service.internal_url}/internal/broker/authenticate",
                              json={"username": username, "password": "wrong-password", "clientid": "m1"},
                              headers={"Authorization": f"Bearer {stack.broker.secret}"}, timeout=10)
        assert reply.json()["result"] == "deny"
    assert sample(stack.service.url, "cloudsignal_auth_decisions_total", result="deny") >= before + 3
    assert sample(stack.service.internal_url, "cloudsignal_auth_decisions_total", result="deny") >= before + 3
