"""Acceptance of the production edge (issue 14) against the real stack: Debian's nginx with
deploy/edge's configuration, real TLS handshakes with a local CA, the service's three gunicorn
instances, Mosquitto with the plugin."""

import socket
import ssl
import statistics
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
import pytest
import requests

from tests.broker.conftest import allow, make_user
from tests.conftest import Client
from tests.support.mqtt import MqttTestClient


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def ws_connect(port: int, username: str, ca_file=None) -> MqttTestClient:
    return MqttTestClient(port, username, "secure-password", transport="websockets", ca_file=ca_file)


def test_slow_clients_hold_no_application_thread_and_are_closed_by_the_edge(edge_stack, edge_org, edge_api):
    edge = edge_stack.edge
    allow(edge_api, "slow/#")
    username = make_user(edge_api, "device")
    slow = []
    for _ in range(64):  # the request line and one header, then nothing more
        sock = socket.create_connection(("127.0.0.1", edge.http_port))
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    for _ in range(8):  # and half-sent bodies on the secure port
        raw = socket.create_connection(("127.0.0.1", edge.https_port))
        sock = ssl.create_default_context(cafile=str(edge_stack.broker.settings.tls_dir / "ca.crt")).wrap_socket(
            raw, server_hostname="127.0.0.1")
        sock.sendall(b"POST /v2/users HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
        slow.append(sock)
    started = time.monotonic()
    health, health_time = timed(lambda: requests.get(f"{edge.url}/healthz", timeout=5))
    users, users_time = timed(lambda: edge_api.get("/v2/users"))
    client, connect_time = timed(lambda: ws_connect(edge.ws_port, username))
    print(f"\nwith 72 slow sockets open: /healthz {health_time * 1000:.0f} ms, GET /v2/users "
          f"{users_time * 1000:.0f} ms, MQTT CONNECT over ws through the edge {connect_time * 1000:.0f} ms")
    assert health.status_code == 200 and health_time < 1
    assert users.status_code == 200 and users_time < 1
    assert client.accepted and connect_time < 1
    client.close()
    # the edge's header (5 s) and body (10 s) timeouts close every one of them
    for sock in slow:
        sock.settimeout(max(0.1, started + 15 - time.monotonic()))
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass
        except (socket.timeout, TimeoutError):
            pytest.fail("a slow socket was still open 15 s later")
        finally:
            sock.close()
    print(f"all slow sockets closed by the edge within {time.monotonic() - started:.1f} s")


def test_tls_for_https_wss_and_mqtts(edge_stack, edge_org, edge_api):
    edge, broker = edge_stack.edge, edge_stack.broker
    ca = str(broker.settings.tls_dir / "ca.crt")
    curl = subprocess.run(["curl", "-fsS", "--cacert", ca, f"{edge.https_url}/healthz"],
                          capture_output=True, text=True, timeout=10)
    assert curl.returncode == 0 and '"ok"' in curl.stdout, curl.stderr
    untrusted = subprocess.run(["curl", "-fsS", f"{edge.https_url}/healthz"], capture_output=True, text=True,
                               timeout=10)
    assert untrusted.returncode == 60  # the certificate is verified, and fails without the CA
    assert requests.get(f"{edge.https_url}/v2/users", verify=ca,
                        headers={"Authorization": f"Bearer {edge_org['key']}"}).status_code == 200

    allow(edge_api, "tls/#")
    username = make_user(edge_api, "tls-device")
    prefix = edge_org["org_id"] + "/"
    secure = ws_connect(edge.wss_port, username, ca_file=ca)  # paho over wss, certificate verified
    assert secure.accepted
    assert secure.subscribed(prefix + "tls/#")
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.settings.tls_port), "--cafile", ca,
                            "-u", username, "-P", "secure-password", "-i", f"{prefix}mosquitto-sub",
                            "-t", prefix + "tls/#", "-C", "1", "-W", "10"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    reply = edge_api.post("/v2/publish", json={"topic": "tls/1", "payload": "over-tls", "qos": 1})
    assert reply.status_code == 200, reply.text
    out, err = sub.communicate(timeout=15)
    assert sub.returncode == 0 and out.strip() == "over-tls", err
    assert secure.receive() == (prefix + "tls/1", b"over-tls")
    secure.close()

    # plain connections to TLS ports fail cleanly: a 400 from the edge, a closed socket from Mosquitto
    plain = requests.get(f"http://127.0.0.1:{edge.https_port}/healthz", timeout=5)
    assert plain.status_code == 400
    with socket.create_connection(("127.0.0.1", broker.settings.tls_port), timeout=5) as sock:
        sock.sendall(b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04abcd")
        try:
            assert sock.recv(16) == b""
        except ConnectionResetError:
            pass
    with pytest.raises(mqtt.WebsocketConnectionError):  # the edge answers 400 to the plain upgrade
        MqttTestClient(edge.wss_port, username, "secure-password", transport="websockets")


def test_the_internal_listener_is_never_reachable_through_the_edge(edge_stack):
    edge, service = edge_stack.edge, edge_stack.service
    secret = service.env["CLOUDSIGNAL_BROKER_SECRET"]
    body = {"username": "x@org_aaaaaaaaaaaa", "password": "y", "clientid": "c"}
    for base, verify in ((edge.url, True), (edge.https_url, str(edge_stack.broker.settings.tls_dir / "ca.crt"))):
        for path in ("/internal/broker/authenticate", "/internal/go-auth/user", "/internal/", "//internal/broker/sync",
                     "/v2/../internal/broker/authenticate", "/%69nternal/broker/authenticate"):
            reply = requests.post(base + path, json=body, verify=verify, timeout=5,
                                  headers={"Authorization": f"Bearer {secret}"})
            assert reply.status_code == 404, (base, path, reply.status_code)
    assert requests.get(f"http://127.0.0.1:{edge.ws_port}/internal/broker/sync", timeout=5).status_code == 404
    assert str(service.internal_port) not in edge.config.read_text()  # no route to it at all


def test_the_edge_forwards_the_request_id(edge_stack, edge_api):
    given = edge_api.get("/v2/users", headers={"X-Request-Id": "req-from-the-client"})
    assert given.headers["X-Request-Id"] == "req-from-the-client"
    assigned = edge_api.get("/v2/users").headers["X-Request-Id"]
    assert len(assigned) == 32 and int(assigned, 16) >= 0  # nginx's $request_id


def test_two_hundred_streams_in_two_organizations(edge_stack):
    edge = edge_stack.edge
    orgs = [edge_stack.new_org(f"Streams {n}") for n in range(3)]
    api = Client(edge.url, orgs[0]["key"])

    def latency_sample(count: int = 100) -> list:
        samples = []
        for _ in range(count):
            _, seconds = timed(lambda: api.get("/v2/users"))
            samples.append(seconds * 1000)
        return samples

    def p99(samples: list) -> float:
        return statistics.quantiles(samples, n=100)[98]

    before = latency_sample()

    def open_stream(org) -> tuple:
        sock = socket.create_connection(("127.0.0.1", edge.http_port), timeout=10)
        sock.sendall(f"GET /v2/events/stream?timeout=120 HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {org['key']}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        return sock, int(head.split(b" ", 2)[1]) if head else 0, head

    streams = []
    lock = threading.Lock()

    def opener(org, count):
        for _ in range(count):
            opened = open_stream(org)
            with lock:
                streams.append(opened)

    threads = [threading.Thread(target=opener, args=(org, 25)) for org in orgs[:2] for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        statuses = [status for _, status, _ in streams]
        assert statuses.count(200) == 200, statuses
        during = latency_sample()
        # each organization's share is used up: its next stream is refused, the others' are not
        sock, status, head = open_stream(orgs[0])
        sock.close()
        assert status == 503 and b"Retry-After" in head, head
        third, status, _ = open_stream(orgs[2])
        assert status == 200
        third.close()
        print(f"\nGET /v2/users through the edge: p50 {statistics.median(before):.1f} ms, p99 {p99(before):.1f} ms "
              f"with no stream; p50 {statistics.median(during):.1f} ms, p99 {p99(during):.1f} ms with 200 streams open "
              f"(100 per organization)")
    finally:
        for sock, _, _ in streams:
            sock.close()


def test_the_python_sdk_verifies_the_edge_with_a_ca_file(edge_stack, edge_org, edge_api):
    import queue

    from cloudsignal import CloudSignal, CloudSignalClient

    edge = edge_stack.edge
    ca = str(edge_stack.broker.settings.tls_dir / "ca.crt")
    with CloudSignal(edge_org["key"], base_url=edge.https_url, ca_file=ca) as api:
        api.users.create(username="sdk-tls", password="secure-password")
    allow(edge_api, "sdk/#")
    got: "queue.Queue" = queue.Queue()
    client = CloudSignalClient("127.0.0.1", f"sdk-tls@{edge_org['org_id']}", "secure-password",
                               port=edge.wss_port, tls=ca, transport="websockets", tenancy="multi")
    client.subscribe("sdk/#", lambda _topic, payload: got.put(payload))
    client.start()
    try:
        deadline = time.monotonic() + 10
        while not client.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.connected
        time.sleep(0.3)  # the SUBACK
        assert edge_api.post("/v2/publish", json={"topic": "sdk/1", "payload": "via-wss"}).status_code == 200
        assert got.get(timeout=10) in (b"via-wss", "via-wss")
    finally:
        client.stop()
