"""Issue 13, item 7: hostile input is refused on write, cursors are validated, and reads survive
whatever the event store already holds (never a 500 from a stored value)."""

import base64
import json
import os
import subprocess
import sys

import pytest

from tests.support.processes import ROOT


def deep(levels):
    value = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def cursor(key):
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def test_deep_metadata_is_refused_on_write(api):
    reply = api.post("/v2/users", json={"username": "agent-01", "password": "secure-password",
                                        "metadata": deep(900)})
    assert reply.status_code == 400, reply.text[:300]
    assert api.get("/v2/users").json()["data"] == []
    assert api.post("/v2/users", json={"username": "agent-01", "password": "secure-password",
                                       "metadata": {"a": {"b": [1, {"c": 2}]}}}).status_code == 201
    patched = api.patch("/v2/users/agent-01", json={"metadata": deep(50)})
    assert patched.status_code == 400


@pytest.mark.parametrize("body", [b"[" * 200_000, b"{\"a\":" * 50_000 + b"1" + b"}" * 50_000])
def test_deeply_nested_bodies_are_400(api, body):
    reply = api.post("/v2/users", data=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"] == "invalid_json"


@pytest.mark.parametrize("key", [[1], [None, None], [{}], [], [1, 2], "x", [[], []], [True, "a"]])
def test_malformed_cursors_are_400(api, key):
    api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"})
    for path in ("/v2/users", "/v2/api-keys", "/v2/acl/rule-sets", "/v2/auth-providers"):
        reply = api.get(path, params={"cursor": cursor(key)})
        assert reply.status_code == 400, (path, key, reply.text)
        assert reply.json()["error"] == "invalid_cursor"
    assert api.get("/v2/users", params={"cursor": cursor(["a"])}).status_code == 400  # not a key's shape
    nested = base64.urlsafe_b64encode(b"[" * 3000).decode()
    assert api.get("/v2/users", params={"cursor": nested}).status_code == 400


def test_reads_survive_a_deep_value_already_stored(service, api, org):
    """Metadata written before writes were bounded (straight into the store here) is shown cut."""
    assert api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"}).status_code == 201
    script = (
        "import os, sys\n"
        "from app import build_domain\n"
        "value = {}\n"
        "for _ in range(900): value = {'a': value}\n"
        "build_domain(os.environ).change_user(sys.argv[1], 'agent-01', metadata={'deep': value})\n"
    )
    done = subprocess.run([sys.executable, "-c", script, org["org_id"]], cwd=ROOT, env=service.env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    events = api.get("/v2/events", params={"limit": 500})
    assert events.status_code == 200, events.text[:300]
    assert "nested deeper than" in events.text
    access = api.get("/v2/audit/access", params={"username": "agent-01", "topic": "a", "action": "publish",
                                                  "at": "2099-01-01T00:00:00Z"})
    assert access.status_code == 200, access.text[:300]
    state = api.get("/v2/audit/state", params={"at": "2099-01-01T00:00:00Z"})
    assert state.status_code == 200, state.text[:300]
