"""Bounded broker resources (issue 14, item 3): max_packet_size, the payload quota."""

import socket
import struct
import time
from pathlib import Path

from tests.broker.conftest import allow, make_user
from tests.support.mqtt import MqttTestClient


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def test_a_connect_claiming_200_mib_is_refused_before_it_is_buffered(edge_stack):
    broker = edge_stack.broker
    before = rss_kb(broker.process.pid)
    sockets = []
    for _ in range(2):
        sock = socket.create_connection(("127.0.0.1", broker.port), timeout=5)
        # CONNECT, remaining length 200 MiB, then the start of a variable header and 1 MiB of it
        sock.sendall(b"\x10" + remaining_length(200 * 1024 * 1024) + b"\x00\x04MQTT\x05\x02\x00\x3c")
        try:
            for _ in range(16):
                sock.sendall(b"\0" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sockets.append(sock)
    time.sleep(0.5)
    for sock in sockets:
        sock.settimeout(5)
        try:
            assert sock.recv(16) == b""  # disconnected, no CONNACK
        except ConnectionResetError:
            pass
        sock.close()
    grown = rss_kb(broker.process.pid) - before
    print(f"\nbroker RSS grew {grown} KB for two CONNECTs claiming 200 MiB")
    assert grown < 10 * 1024


def test_a_publish_over_max_packet_size_gets_disconnect_packet_too_large(edge_stack, edge_org, edge_api):
    broker = edge_stack.broker
    allow(edge_api, "big/#")
    username = make_user(edge_api, "big")
    prefix = edge_org["org_id"] + "/"
    sock = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
    payload = (b"\x00\x04MQTT\x05\xc2\x00\x3c\x00" + utf8(prefix + "big-1") + utf8(username)
               + utf8("secure-password"))
    sock.sendall(b"\x10" + remaining_length(len(payload)) + payload)
    connack = sock.recv(1024)
    assert connack[0] == 0x20 and connack[3] == 0x00, connack
    # CONNACK property 0x27 Maximum Packet Size: the broker's limit, 2 MiB by default
    assert b"\x27" + struct.pack("!I", broker.settings.max_packet_size) in connack
    body = utf8(prefix + "big/x") + b"\x00" + b"x" * (broker.settings.max_packet_size + 10)
    try:
        sock.sendall(b"\x30" + remaining_length(len(body)) + body)
    except (BrokenPipeError, ConnectionResetError):
        pass
    received = b""
    try:
        while True:
            chunk = sock.recv(1024)
            if not chunk:
                break
            received += chunk
    except ConnectionResetError:
        pass
    sock.close()
    assert received[:1] == b"\xe0" and received[2] == 0x95, received  # DISCONNECT, Packet too large


def test_the_payload_quota_refuses_mqtt_and_http_publishes(edge_stack, edge_org, edge_api):
    result = edge_stack.service.admin("orgs", "quotas", "--org", edge_org["org_id"], "--set", "max_payload_bytes=100")
    assert result.returncode == 0, result.stderr
    allow(edge_api, "q/#")
    prefix = edge_org["org_id"] + "/"
    device = MqttTestClient(edge_stack.broker.port, make_user(edge_api, "q"), "secure-password")
    assert device.accepted  # its CONNECT carried the new limits
    assert not device.publish(prefix + "q/small", b"x" * 100).is_failure
    refused = device.publish(prefix + "q/large", b"x" * 101)
    assert refused.is_failure  # PUBACK Not authorized (0x87)
    device.close()
    reply = edge_api.post("/v2/publish", json={"topic": "q/1", "payload": "y" * 101})
    assert reply.status_code == 403 and reply.json()["error"] == "quota_exceeded"
    assert reply.json()["detail"]["quota"] == "max_payload_bytes"
    assert edge_api.post("/v2/publish", json={"topic": "q/1", "payload": "y" * 100}).status_code == 200
    assert "over its payload size quota (100 bytes)" in edge_stack.broker.log()
