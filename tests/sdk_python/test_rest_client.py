"""The REST client `CloudSignal` against the real service: resources, typed errors, pagination,
retries."""

import json
import threading
import time
from datetime import datetime, timezone

import pytest

from cloudsignal import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    CloudSignal,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)
from tests.broker.conftest import allow
from tests.conftest import eventually
from tests.support.mqtt import MqttTestClient
from tests.support.processes import free_port


@pytest.fixture
def sdk(sdk_stack, org):
    with CloudSignal(api_key=org["key"], base_url=sdk_stack.service.url) as client:
        yield client


def test_errors_carry_what_the_api_said(sdk_stack, sdk, org):
    with pytest.raises(NotFoundError) as missing:
        sdk.users.get("ghost")
    error = missing.value
    assert (error.status, error.code, error.message) == (404, "not_found", "user 'ghost' not found")
    assert error.request_id.startswith("req_") and "req_" in str(error)

    with pytest.raises(ValidationError) as invalid:
        sdk.users.create("not valid!", "pw")
    assert invalid.value.status == 400 and "username" in invalid.value.detail

    sdk.users.create("twice", "pw-123456")
    with pytest.raises(ConflictError):
        sdk.users.create("twice", "pw-123456")

    with pytest.raises(AuthenticationError) as refused:
        CloudSignal(api_key="sk_" + "x" * 40, base_url=sdk_stack.service.url).users.list()
    assert refused.value.code == "invalid_api_key"

    reader = sdk.api_keys.create("reader", type="restricted", scopes=["users:read"])
    with pytest.raises(PermissionDeniedError) as denied:
        CloudSignal(api_key=reader["key"], base_url=sdk_stack.service.url).users.create("x", "pw-123456")
    assert denied.value.code == "insufficient_scope" and denied.value.detail == {"required_scope": "users:write"}

    for error_class in (NotFoundError, ValidationError, ConflictError, AuthenticationError, PermissionDeniedError,
                        RateLimitError, APIConnectionError):
        assert issubclass(error_class, APIError)


def test_lists_are_pages_and_iterating_walks_every_page(sdk):
    for n in range(7):
        sdk.users.create(f"user-{n}", "pw-123456")
    assert eventually(lambda: len(list(sdk.users.list())) == 7)
    first = sdk.users.list(limit=3)
    assert [user["username"] for user in first.data] == ["user-0", "user-1", "user-2"]
    assert first.has_more and first.next_cursor
    assert [len(page.data) for page in first.iter_pages()] == [3, 3, 1]
    assert [user["username"] for user in sdk.users.list(limit=3)] == [f"user-{n}" for n in range(7)]
    assert [user["username"] for user in sdk.users.list(limit=3, cursor=first.next_cursor).data] == \
        ["user-3", "user-4", "user-5"]


def test_every_resource(sdk_stack, sdk, org, api):
    # users
    user = sdk.users.create("agent-01", "secure-password", metadata={"site": "lab"})
    assert user["mqtt_username"] == f"agent-01@{org['org_id']}" and user["metadata"] == {"site": "lab"}
    assert sdk.users.update("agent-01", disabled=True)["disabled"] is True
    assert sdk.users.get("agent-01")["disabled"] is True
    sdk.users.update("agent-01", disabled=False)

    # acl: rules, rule sets, the simulator
    rule = sdk.acl.rules.create("agents/{username}/#", action="both", permission="allow")
    assert sdk.acl.rules.update(rule["id"], priority=5)["priority"] == 5
    assert sdk.acl.rules.get(rule["id"])["topic"] == "agents/{username}/#"
    rule_set = sdk.acl.rule_sets.create("backend-services", description="services",
                                        rules=[{"topic": "services/#", "action": "both", "permission": "allow"}])
    assert [r["topic"] for r in rule_set["rules"]] == ["services/#"]
    sdk.users.update("agent-01", acl_set="backend-services")
    decision = sdk.acl.check("agent-01", "services/billing", "publish")
    assert decision["allowed"] is True and decision["source"] == "backend-services"
    assert sdk.acl.check("agent-01", "elsewhere", "publish")["allowed"] is False
    with pytest.raises(ConflictError):
        sdk.acl.rule_sets.delete("backend-services")  # agent-01 uses it
    sdk.users.update("agent-01", acl_set=None)
    assert sdk.users.get("agent-01")["acl_set"] is None
    assert sdk.acl.rule_sets.update("backend-services", name="services")["name"] == "services"
    sdk.acl.rule_sets.delete("services")
    sdk.acl.rules.delete(rule["id"])
    with pytest.raises(NotFoundError):
        sdk.acl.rules.get(rule["id"])

    # organization
    assert sdk.organization.get()["id"] == org["org_id"]
    assert sdk.organization.update(name="Renamed")["name"] == "Renamed"

    # api keys
    created = sdk.api_keys.create("ci", type="restricted", scopes=["users:read"])
    assert created["key"].startswith("rk_") and created["scopes"] == ["users:read"]
    assert sdk.api_keys.update(created["id"], name="ci-2")["name"] == "ci-2"
    rotated = sdk.api_keys.rotate(created["id"])
    assert rotated["key"] != created["key"]
    assert len(list(CloudSignal(api_key=rotated["key"], base_url=sdk.base_url).users.list())) == 1
    sdk.api_keys.revoke(rotated["id"])
    assert eventually(lambda: refused(CloudSignal(api_key=rotated["key"], base_url=sdk.base_url)))

    # sessions, HTTP publish, terminate
    allow(api, "devices/#")  # arranged over plain HTTP
    device = MqttTestClient(sdk_stack.broker.port, user["mqtt_username"], "secure-password", client_id="device-7")
    try:
        assert device.accepted and device.subscribed(org["org_id"] + "/devices/7/inbox")
        result = sdk.publish("devices/7/inbox", {"task": "summarize-thread"}, qos=1)
        assert result["acknowledged"] is True
        topic, payload = device.receive()
        assert topic == org["org_id"] + "/devices/7/inbox" and json.loads(payload) == {"task": "summarize-thread"}
        batch = sdk.publish.batch([{"topic": "devices/7/inbox", "payload": "one"},
                                   {"topic": "devices/7/inbox", "payload": [2], "qos": 1}])
        assert batch["published"] == 2 and batch["failed"] == 0
        assert [device.receive()[1] for _ in range(2)] == [b"one", b"[2]"]
        assert eventually(lambda: [s["client_id"] for s in sdk.sessions.list(status="active")] == ["device-7"], 5)
        assert sdk.sessions.get("device-7")["mqtt_username"] == user["mqtt_username"]
        sdk.sessions.disconnect("device-7")
        assert device.disconnected.wait(5)
        assert eventually(lambda: [(s["client_id"], s["disconnect_reason"])
                                   for s in sdk.sessions.history(username="agent-01")] == [("device-7", "kicked")], 5)
    finally:
        device.close()
    again = MqttTestClient(sdk_stack.broker.port, user["mqtt_username"], "secure-password", client_id="device-8")
    try:
        assert eventually(lambda: [s["client_id"] for s in sdk.sessions.list()] == ["device-8"], 5)
        assert sdk.users.terminate("agent-01") == {"username": "agent-01", "sessions_terminated": 1}
        assert again.disconnected.wait(5)
    finally:
        again.close()
    sdk.users.delete("agent-01")
    with pytest.raises(NotFoundError):
        sdk.users.get("agent-01")

    # tokens and auth providers
    minted = sdk.tokens.create("device-9", ttl=120)
    assert minted["mqtt_username"].startswith("tok_") and minted["tenancy"] == "multi"
    refreshed = sdk.tokens.refresh(minted["mqtt_username"], minted["mqtt_password"])
    assert refreshed["mqtt_username"] == minted["mqtt_username"] and "mqtt_password" not in refreshed
    provider = sdk.auth_providers.create("supa", type="supabase", project_url="https://abc.supabase.co",
                                         secret="a-very-long-shared-secret-0123456789")
    assert provider["has_secret"] is True and "secret" not in provider
    assert sdk.auth_providers.update("supa", default_ttl=60)["default_ttl"] == 60
    assert [p["name"] for p in sdk.auth_providers.list()] == ["supa"]
    with pytest.raises(AuthenticationError) as bad_token:
        sdk.tokens.exchange("not-a-jwt", provider="supa")
    assert bad_token.value.code == "invalid_token"
    sdk.auth_providers.delete("supa")


def refused(client):
    """True when the API refuses the client's key (each service process learns of a revocation
    within about 50 ms)."""
    try:
        client.users.list()
    except AuthenticationError:
        return True
    return False


def test_a_429_raises_with_the_wait_it_asked_for(sdk_stack, sdk, org):
    changed = sdk_stack.service.admin("orgs", "quotas", "--org", org["org_id"], "--set", "rate_limit_per_minute=2")
    assert changed.returncode == 0, changed.stderr
    limited = CloudSignal(api_key=org["key"], base_url=sdk.base_url, max_retries=3, max_retry_wait=0.5)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as limit:
        for _ in range(5):
            limited.organization.get()
    error = limit.value
    assert error.status == 429 and error.code == "rate_limited"
    assert 0 < error.retry_after <= 60
    assert error.reset > datetime.now(timezone.utc)
    assert time.monotonic() - started < 5, "a Retry-After beyond max_retry_wait is raised, not slept through"


def test_5xx_replies_are_retried_until_the_broker_is_back(sdk_stack, org):
    url = sdk_stack.service.url
    sdk_stack.broker.stop()
    restart = threading.Timer(1.0, sdk_stack.broker.start)
    try:
        with pytest.raises(InternalServerError) as unavailable:
            CloudSignal(api_key=org["key"], base_url=url, max_retries=0).publish("t/x", "x", qos=1)
        assert unavailable.value.status == 503
        patient = CloudSignal(api_key=org["key"], base_url=url, max_retries=6)
        restart.start()
        assert patient.publish("t/x", "after the restart", qos=1)["acknowledged"] is True
    finally:
        restart.cancel()
        if restart.is_alive():
            restart.join()
        if sdk_stack.broker.process.poll() is not None:
            sdk_stack.broker.start()


def test_an_unreachable_service_is_a_connection_error(sdk):
    nowhere = CloudSignal(api_key="sk_x", base_url=f"http://127.0.0.1:{free_port()}", max_retries=1)
    with pytest.raises(APIConnectionError) as unreachable:
        nowhere.users.list()
    assert unreachable.value.status is None and "cannot reach" in str(unreachable.value)
