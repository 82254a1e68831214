"""CloudSignalClient against the real broker (multi tenancy), with a raw paho client on the other
side that sees the broker's topics, organization prefix included."""

import contextlib
import io
import json
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from cloudsignal import (
    CloudSignalClient,
    ConnectionRefused,
    PublishError,
    QueueFullError,
    SubscribeError,
)
from tests.broker.conftest import allow, make_user
from tests.support.mqtt import MqttTestClient
from tests.support.processes import ROOT

WAIT = 5.0

# ../shared/EXAMPLES.md, "Python (`cloudsignal`)", as documented.
DOCUMENTED_EXAMPLE = '''\
from cloudsignal import CloudSignalClient
client = CloudSignalClient(host="127.0.0.1", username="agent-01@org_k7xm4pqr2n5t",
                           password="your-password")

@client.on_message("agents/+/state")
def handle_state(topic, payload):
    print(f"{topic}: {payload}")

client.publish("agents/agent-01/state", {"status": "idle", "load": 0.12}, qos=1)
client.connect()   # blocks and runs the loop; the publish above is queued until connected
'''


def documented_example(org_id: str, port: int) -> str:
    """The example for this deployment: its organization, and the broker's test port."""
    return (DOCUMENTED_EXAMPLE.replace("org_k7xm4pqr2n5t", org_id)
            .replace('password="your-password")', f'password="your-password", port={port})'))


def run_example(source: str):
    """Run the example up to `client.connect()`, then that call in a thread; returns the client,
    the thread and the example's printed output."""
    setup, _, rest = source.partition("client.connect()")
    assert rest.lstrip().startswith("#"), "the example ends with client.connect()"
    printed = io.StringIO()
    namespace = {"print": lambda *args, **kw: print(*args, **kw, file=printed, flush=True)}
    exec(compile(setup, "EXAMPLES.md", "exec"), namespace)
    client = namespace["client"]
    thread = threading.Thread(target=client.connect, daemon=True)
    thread.start()
    return client, thread, printed


def until(probe, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def raw(sdk_stack, api):
    """A raw paho client of the same organization that may use `agents/#`, `test/#` and `users/#`."""
    allow(api, "agents/#")
    allow(api, "test/#")
    client = MqttTestClient(sdk_stack.broker.port, make_user(api, "raw-peer"), "secure-password")
    assert client.accepted
    yield client
    client.close()


def test_the_documented_example_exchanges_messages_with_a_raw_client(sdk_stack, api, org, raw, monkeypatch):
    monkeypatch.setenv("CLOUDSIGNAL_TENANCY", "multi")  # the deployment's setting, as the SDK reads it
    make_user(api, "agent-01", "your-password")
    prefix = org["org_id"] + "/"
    assert raw.subscribed(prefix + "agents/+/state")

    client, thread, printed = run_example(documented_example(org["org_id"], sdk_stack.broker.port))
    try:
        # the publish made before connect() was queued, then sent under the organization's prefix
        topic, payload = raw.receive()
        assert topic == prefix + "agents/agent-01/state"
        assert json.loads(payload) == {"status": "idle", "load": 0.12}
        # the handler sees topics without the prefix and JSON payloads decoded
        assert until(lambda: "agents/agent-01/state: {'status': 'idle', 'load': 0.12}" in printed.getvalue())
        assert not raw.publish(prefix + "agents/agent-02/state", b'{"status": "busy"}').is_failure
        assert until(lambda: "agents/agent-02/state: {'status': 'busy'}" in printed.getvalue())
    finally:
        client.stop()
        thread.join(WAIT)
    assert not thread.is_alive(), "connect() returns once stop() is called"
    assert not client.connected


def test_payloads_arrive_decoded_and_handlers_may_take_the_message(sdk_stack, api, org, raw):
    make_user(api, "decoder")
    seen: "queue.Queue" = queue.Queue()
    client = CloudSignalClient("127.0.0.1", f"decoder@{org['org_id']}", "secure-password",
                               port=sdk_stack.broker.port, tenancy="multi")
    subscriptions = [
        client.subscribe("test/two/#", lambda topic, payload: seen.put((topic, payload))),
        client.subscribe("test/three/#", lambda topic, payload, message: seen.put((topic, message.raw, message.qos))),
    ]
    with client:
        assert all(subscription.wait(WAIT) for subscription in subscriptions)
        prefix = org["org_id"] + "/"
        for suffix, data in [("json", b'{"a": [1, 2]}'), ("text", "héllo".encode()), ("bytes", b"\xff\x00\xfe"),
                             ("number", b"42")]:
            raw.publish(prefix + "test/two/" + suffix, data)
        assert [seen.get(timeout=WAIT) for _ in range(4)] == [
            ("test/two/json", {"a": [1, 2]}),
            ("test/two/text", "héllo"),
            ("test/two/bytes", b"\xff\x00\xfe"),
            ("test/two/number", 42),
        ]
        raw.publish(prefix + "test/three/x", b"raw", qos=1)
        assert seen.get(timeout=WAIT) == ("test/three/x", b"raw", 1)
        # what the SDK publishes: dict/list as JSON, str as text, bytes as they are
        assert raw.subscribed(prefix + "test/out/#")
        for payload in ({"k": "v"}, [1, "two"], "plain text", b"\x01\x02"):
            assert client.publish("test/out/x", payload, qos=1).wait(WAIT)
        assert [raw.receive()[1] for _ in range(4)] == [b'{"k":"v"}', b'[1,"two"]', b"plain text", b"\x01\x02"]


def test_publishes_queued_before_connecting_are_delivered_in_order(sdk_stack, api, org, raw):
    make_user(api, "queuer")
    prefix = org["org_id"] + "/"
    assert raw.subscribed(prefix + "test/queue/#")
    client = CloudSignalClient("127.0.0.1", f"queuer@{org['org_id']}", "secure-password",
                               port=sdk_stack.broker.port, tenancy="multi", queue_size=6)
    handles = [client.publish(f"test/queue/{n}", {"n": n}, qos=n % 2) for n in range(6)]
    with pytest.raises(QueueFullError):
        client.publish("test/queue/overflow", "no room")
    assert not any(handle.is_published() for handle in handles)
    assert raw.receive(timeout=0.3) is None  # nothing leaves before the connection is up
    with client:
        assert all(handle.wait(WAIT) for handle in handles)
        received = [raw.receive() for _ in range(6)]
    assert [topic for topic, _ in received] == [f"{prefix}test/queue/{n}" for n in range(6)]
    assert [json.loads(payload) for _, payload in received] == [{"n": n} for n in range(6)]
    assert raw.receive(timeout=0.3) is None  # the overflowing publish was refused, not sent


def test_reconnect_after_a_broker_restart_resumes_subscriptions(sdk_stack, api, org, raw):
    make_user(api, "survivor")
    prefix = org["org_id"] + "/"
    seen: "queue.Queue" = queue.Queue()
    client = CloudSignalClient("127.0.0.1", f"survivor@{org['org_id']}", "secure-password",
                               port=sdk_stack.broker.port, tenancy="multi", max_reconnect_delay=2)
    subscription = client.subscribe("test/restart/#", lambda topic, payload: seen.put((topic, payload)))
    assert not subscription.wait(0.1), "acknowledged only once connected"
    with client:
        assert subscription.wait(WAIT)
        raw.publish(prefix + "test/restart/before", b"1")
        assert seen.get(timeout=WAIT) == ("test/restart/before", 1)

        sdk_stack.broker.stop()
        assert until(lambda: not client.connected)
        while_down = client.publish("test/restart/while-down", "kept", qos=1, retain=True)
        sdk_stack.broker.start()

        assert client.wait_until_connected(10), "the client reconnects by itself"
        assert while_down.wait(WAIT)
        # its subscription was renewed before the queued publish went out: it hears itself
        assert seen.get(timeout=WAIT) == ("test/restart/while-down", "kept")
        peer = MqttTestClient(sdk_stack.broker.port, make_user(api, "peer-after"), "secure-password")
        try:
            assert peer.subscribed(prefix + "test/restart/while-down")
            assert peer.receive() == (prefix + "test/restart/while-down", b"kept")
            assert not peer.publish(prefix + "test/restart/after", b"2").is_failure
            assert seen.get(timeout=WAIT) == ("test/restart/after", 2)
        finally:
            peer.publish(prefix + "test/restart/while-down", b"", retain=True)
            peer.close()


def test_the_broker_refusals_reach_the_caller(sdk_stack, api, org):
    make_user(api, "limited")
    allow(api, "test/open/#", user="limited")
    wrong = CloudSignalClient("127.0.0.1", f"limited@{org['org_id']}", "not-the-password",
                              port=sdk_stack.broker.port, tenancy="multi")
    started = time.monotonic()
    with pytest.raises(ConnectionRefused) as refused:
        wrong.connect()
    assert "Not authorized" in str(refused.value) or "password" in str(refused.value)
    assert time.monotonic() - started < WAIT, "a refused first CONNECT is not retried"

    client = CloudSignalClient("127.0.0.1", f"limited@{org['org_id']}", "secure-password",
                               port=sdk_stack.broker.port, tenancy="multi")
    with client:
        assert client.subscribe("test/open/#", lambda t, p: None).wait(WAIT)
        with pytest.raises(SubscribeError, match="Not authorized"):
            client.subscribe("test/closed/#", lambda t, p: None).wait(WAIT)
        assert client.publish("test/open/x", "fine", qos=1).wait(WAIT)
        with pytest.raises(PublishError, match="Not authorized"):
            client.publish("test/closed/x", "refused", qos=1).wait(WAIT)


def test_websockets_transport(sdk_stack, api, org):
    allow(api, "test/#")
    make_user(api, "browser")
    seen: "queue.Queue" = queue.Queue()
    client = CloudSignalClient("127.0.0.1", f"browser@{org['org_id']}", "secure-password",
                               port=sdk_stack.broker.settings.ws_port, transport="websockets", tenancy="multi")
    subscription = client.subscribe("test/ws", lambda topic, payload: seen.put((topic, payload)))
    with client:
        assert subscription.wait(WAIT)
        assert client.publish("test/ws", {"over": "websockets"}, qos=1).wait(WAIT)
        assert seen.get(timeout=WAIT) == ("test/ws", {"over": "websockets"})


CTRL_C_SCRIPT = '''
import sys
from cloudsignal import CloudSignalClient
client = CloudSignalClient("127.0.0.1", sys.argv[1], "secure-password", port=int(sys.argv[2]), tenancy="multi")
client.set_will("test/will", "gone without a word", qos=1)
client.on_message("test/ready")(lambda topic, payload: print("ready", flush=True))
client.publish("test/ready", "x", qos=1)
client.connect()
print("connect() returned", flush=True)
'''


def test_ctrl_c_disconnects_cleanly(sdk_stack, api, org, raw):
    username = make_user(api, "interrupted")
    assert raw.subscribed(org["org_id"] + "/test/will")
    process = subprocess.Popen([sys.executable, "-c", CTRL_C_SCRIPT, username, str(sdk_stack.broker.port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout.readline() == "ready\n"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert process.returncode == 0, err
    assert out == "connect() returned\n"
    assert "Traceback" not in err
    assert raw.receive(timeout=1.0) is None, "a clean DISCONNECT: the broker drops the will"


def test_credentials_from_token_exchange_are_refreshed_before_they_expire(sdk_stack, api, org, raw, monkeypatch):
    from tests.support.identity import IdentityProvider

    monkeypatch.delenv("CLOUDSIGNAL_TENANCY", raising=False)  # the exchange reply tells the tenancy
    idp = IdentityProvider()
    try:
        api.post("/v2/acl/rule-sets", json={"name": "browsers", "rules": [
            {"topic": "users/{claims.sub}/#", "action": "both", "permission": "allow"}]})
        created = api.post("/v2/auth-providers", json={
            "name": "idp", "type": "oidc", "issuer": idp.issuer, "audience": idp.audience,
            "jwks_url": idp.jwks_url, "acl_set": "browsers"})
        assert created.status_code == 201, created.text
        public_key = api.post("/v2/api-keys", json={"name": "browser", "type": "public"}).json()["key"]

        seen: "queue.Queue" = queue.Queue()
        client = CloudSignalClient.from_token_exchange(sdk_stack.service.url, public_key, idp.token(), ttl=3,
                                                       port=sdk_stack.broker.port)
        assert client.tenancy == "multi" and client.username.startswith("tok_")
        subscription = client.subscribe("users/user-123/inbox", lambda topic, payload: seen.put(payload))
        disconnects = []
        client.on_disconnect(disconnects.append)
        with client:
            assert subscription.wait(WAIT)
            time.sleep(4.5)  # past the first expiry: refreshed at 80% of each lifetime
            assert client.connected and not disconnects, "the broker did not kick refreshed credentials"
            assert client.publish("users/user-123/inbox", {"still": "here"}, qos=1).wait(WAIT)
            assert seen.get(timeout=WAIT) == {"still": "here"}
    finally:
        idp.stop()
