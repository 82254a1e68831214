"""Hostile input: schemathesis against the OpenAPI document, and malformed MQTT at the broker."""

import socket
import struct
import subprocess
import sys
from pathlib import Path

from tests.broker.conftest import allow, make_user, start_stack
from tests.conftest import Client
from tests.support.mqtt import MqttTestClient

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_schemathesis_finds_no_server_error_and_no_schema_violation(postgres, tmp_path):
    stack = start_stack(postgres, "multi", tmp_path, database="fuzz")
    try:
        org = stack.new_org("Fuzzed")
        stack.service.admin("orgs", "quotas", "--org", org["org_id"], "--set", "rate_limit_per_minute=1000000")
        result = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{stack.service.url}/v2/openapi.json", "-H", f"Authorization: Bearer {org['key']}",
             "--checks", "not_a_server_error,response_schema_conformance", "--max-examples", "10",
             # not the endpoints that would cut the run short: the live stream never ends, and
             # revoking or rotating the run's own key would leave the rest unauthorised
             "--exclude-path-regex", r"^/(internal/|v2/events/stream|v2/api-keys/\{key_id\})",
             "--phases", "examples,fuzzing", "--request-timeout", "15", "--seed", "1"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
        summary = result.stdout[-4000:]
        print(summary)
        assert result.returncode == 0, summary
        assert "Tested:" in summary
    finally:
        stack.service.stop()
        stack.broker.remove()


def mqtt_string(value: bytes) -> bytes:
    return struct.pack("!H", len(value)) + value


def remaining_length(length: int) -> bytes:
    encoded = b""
    while True:
        digit, length = length % 128, length // 128
        encoded += bytes([digit | (0x80 if length else 0)])
        if not length:
            return encoded


def connect_packet(username: bytes, password: bytes = b"x", protocol: bytes = b"MQTT") -> bytes:
    body = mqtt_string(protocol) + bytes([4, 0xC2, 0, 30]) + mqtt_string(b"hostile") + mqtt_string(username) + \
        mqtt_string(password)
    return b"\x10" + remaining_length(len(body)) + body


def raw_exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        try:
            sock.sendall(data)
            return sock.recv(16)
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            return b""


def test_malformed_mqtt_leaves_the_broker_serving(postgres, tmp_path):
    stack = start_stack(postgres, "multi", tmp_path, database="hostile_mqtt")
    try:
        org = stack.new_org()
        api = Client(stack.service.url, org["key"])
        allow(api, "#")
        username = make_user(api, "steady")
        hostile = [
            connect_packet(b"\xc3\x28@" + org["org_id"].encode()),  # invalid UTF-8 username
            connect_packet(b"a\x00b@" + org["org_id"].encode()),  # NUL inside the username
            connect_packet(b"x" * 65000),  # 64 KB username
            connect_packet(username.encode(), b"p" * 65000),  # 64 KB password
            connect_packet(b"u", protocol=b"NOPE"),  # wrong protocol name
            b"\x10\x0a\x00\x04MQTT\x04",  # truncated CONNECT
            b"\x10\xff\xff\xff\xff\x7f",  # malformed remaining length
            b"\x30\x05\x00\x03abc",  # PUBLISH before CONNECT
        ]
        for packet in hostile:
            reply = raw_exchange(stack.broker.port, packet)
            assert reply == b"" or reply[:1] == b"\x20" and reply[3:4] != b"\x00", (packet[:40], reply)

        client = MqttTestClient(stack.broker.port, username, "secure-password")
        prefix = org["org_id"] + "/"
        assert client.accepted
        deep = prefix + "/".join(["deep"] * 2000)
        try:
            refused = client.publish(deep, b"x").is_failure
        except TimeoutError:  # the broker dropped the connection instead of answering
            refused = client.disconnected.wait(1)
        assert refused
        survivor = MqttTestClient(stack.broker.port, username, "secure-password")
        assert survivor.accepted and survivor.subscribed(prefix + "ok")
        assert not survivor.publish(prefix + "ok", b"still serving").is_failure
        assert survivor.receive() == (prefix + "ok", b"still serving")
        survivor.close(), client.close()
    finally:
        stack.service.stop()
        stack.broker.remove()
