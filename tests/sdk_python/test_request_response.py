"""Request/response (MQTT 5) between two CloudSignalClients of one organization, multi tenancy:
replies, 100 requests in flight, a timeout, a responder that raises, the reply-topic rule missing,
and the reconnection policy and presets."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudsignal import PRESETS, CloudSignalClient, RequestError, RequestTimeout
from cloudsignal._presets import Backoff
from tests.broker.conftest import allow, make_user


def client_of(sdk_stack, org, name, **options) -> CloudSignalClient:
    return CloudSignalClient("127.0.0.1", f"{name}@{org['org_id']}", "secure-password",
                             port=sdk_stack.broker.port, tenancy="multi", **options)


@pytest.fixture
def pair(sdk_stack, api, org):
    """A responder and a requester, with the documented rules: replies to one's own client id,
    answers to anyone's, and the service's topics."""
    allow(api, "replies/{client_id}/#", action="subscribe")
    allow(api, "replies/#", action="publish")
    allow(api, "svc/#")
    make_user(api, "responder")
    make_user(api, "requester")
    responder = client_of(sdk_stack, org, "responder")
    requester = client_of(sdk_stack, org, "requester")

    @responder.on_request("svc/+/get")
    def get(topic, payload):
        if payload.get("fail"):
            raise ValueError("no such item")
        if payload.get("code"):
            raise RequestError("gone for good", code=payload["code"])
        return {"topic": topic, "id": payload["id"]}

    @responder.on_request("svc/silent")
    def silent(topic, payload):
        return None

    responder.start()
    requester.start()
    assert responder.wait_until_connected(5) and requester.wait_until_connected(5)
    yield responder, requester
    requester.stop()
    responder.stop()


def test_requests_get_replies_concurrently_and_errors_are_typed(pair):
    responder, requester = pair
    assert requester.request("svc/items/get", {"id": 1}, timeout=5) == {"topic": "svc/items/get", "id": 1}

    with ThreadPoolExecutor(max_workers=100) as pool:
        replies = list(pool.map(lambda n: requester.request("svc/items/get", {"id": n}, timeout=10), range(100)))
    assert [reply["id"] for reply in replies] == list(range(100))

    with pytest.raises(RequestError) as raised:
        requester.request("svc/items/get", {"id": 2, "fail": True}, timeout=5)
    assert raised.value.code == "handler_error" and "ValueError: no such item" in raised.value.message
    assert not isinstance(raised.value, RequestTimeout)

    with pytest.raises(RequestError) as raised:
        requester.request("svc/items/get", {"id": 3, "code": "not_found"}, timeout=5)
    assert (raised.value.code, raised.value.message) == ("not_found", "gone for good")

    with pytest.raises(RequestTimeout) as timed_out:
        requester.request("svc/nobody/answers", {"id": 4}, timeout=0.5)
    assert timed_out.value.code == "request_timeout"
    assert requester.request("svc/silent", "ping", timeout=5) == ""


def test_a_missing_reply_rule_is_named(sdk_stack, api, org):
    allow(api, "svc/#")
    make_user(api, "lonely")
    client = client_of(sdk_stack, org, "lonely")
    client.start()
    try:
        with pytest.raises(RequestError) as raised:
            client.request("svc/items/get", {"id": 1}, timeout=5)
        assert raised.value.code == "reply_topic_refused"
        assert '"replies/{client_id}/#"' in str(raised.value)
    finally:
        client.stop()


def test_reconnection_policy_and_presets():
    backoff = Backoff(1.0, 30.0)
    waits = [backoff.next_delay() for _ in range(8)]
    for attempt, wait in enumerate(waits):
        step = min(30.0, 2.0 ** attempt)
        assert step / 2 <= wait <= step
    backoff.reset()
    assert backoff.next_delay() <= 1.0

    server = CloudSignalClient("127.0.0.1", "svc@org_x", "p", preset="server", keepalive=45)
    assert (server.keepalive, server.queue_size) == (45, PRESETS["server"].queue_size)
    browser = CloudSignalClient("127.0.0.1", "web@org_x", "p", preset="browser")
    assert browser.publish("a/b", "queued").qos == 0 and browser.queue_size == 100
    agent = CloudSignalClient("127.0.0.1", "bot@org_x", "p", preset="agent")
    assert agent.publish("a/b", "queued").qos == 1
    with pytest.raises(ValueError):
        CloudSignalClient("127.0.0.1", "x@org_x", "p", preset="fast")


def test_cli_request_prints_the_reply_and_exits_1_on_errors(pair, cli):
    assert cli.json("request", "--topic", "svc/items/get", "--message", '{"id": 9}') == {
        "topic": "svc/items/get", "reply": {"topic": "svc/items/get", "id": 9}}
    failed = cli("request", "--topic", "svc/items/get", "--message", '{"id": 9, "fail": true}', "--json")
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stderr.strip().splitlines()[-1])["error"] == "handler_error", failed.stderr
    timed_out = cli("request", "--topic", "svc/nobody", "--message", "hi", "--timeout", "0.5")
    assert timed_out.returncode == 1 and "no reply" in timed_out.stderr
