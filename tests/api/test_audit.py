"""The audit history: events, point-in-time answers, replay verification, export and import."""

import json
import time
from datetime import datetime, timezone

import pytest
import requests

from app.maintenance import differences, replayed_digest
from events.application import CloudSignal
from events.readmodel import digest
from events.store import persistence_env
from tests.conftest import Client, create_org
from tests.support.processes import Service, free_port


def now() -> str:
    moment = datetime.now(timezone.utc).isoformat()
    time.sleep(0.02)
    return moment


def events(api, **params):
    reply = api.get("/v2/events", params={"limit": 500, **params})
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def test_history_with_actors_request_ids_and_no_secrets(api, org, service):
    api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"},
             headers={"X-Request-Id": "create-agent"})
    api.patch("/v2/users/agent-01", json={"password": "another-password"})
    key = api.post("/v2/api-keys", json={"name": "ci", "type": "restricted", "scopes": ["events:read"]}).json()
    api.post("/v2/auth-providers", json={"name": "plain", "type": "jwt", "secret": "x" * 32})
    api.delete("/v2/users/agent-01")
    history = events(api)
    types = [e["type"] for e in history if not e["type"].endswith(".Used")]
    assert types == ["Organization.Created", "ApiKey.Created", "MqttUser.Created", "MqttUser.PasswordChanged",
                     "ApiKey.Created", "AuthProvider.Created", "MqttUser.Deleted"]
    created = next(e for e in history if e["type"] == "MqttUser.Created")
    assert created["actor"] == {"id": org["key_id"], "name": "admin"} and created["request_id"] == "create-agent"
    assert created["aggregate"]["type"] == "user" and created["aggregate"]["name"] == "agent-01"
    assert history[0]["actor"]["id"] == "system"
    positions = [e["position"] for e in history]
    assert positions == sorted(positions)
    text = json.dumps(history)
    assert "argon2" not in text and "key_hash" not in text and "password_hash" not in text
    assert "x" * 32 not in text and key["key"] not in text
    key_created = next(e for e in history if e["type"] == "ApiKey.Created" and e["aggregate"]["id"] == key["id"])
    assert "expires_at" in key_created["change"]  # times inside a change are plain JSON too
    # a restricted key with events:read reads the history too
    assert Client(service.url, key["key"]).get("/v2/events").status_code == 200


def test_filters_pagination_and_isolation(api, org, service):
    for name in ("a", "b", "c"):
        api.post("/v2/users", json={"username": name, "password": "secure-password"})
    users = events(api, type="MqttUser")
    assert [e["aggregate"]["name"] for e in users] == ["a", "b", "c"]
    assert [e["type"] for e in events(api, type="MqttUser.Created")] == ["MqttUser.Created"] * 3
    one = users[1]["aggregate"]["id"]
    assert [e["aggregate"]["id"] for e in events(api, aggregate=one)] == [one]
    assert {e["actor"]["id"] for e in events(api, actor=org["key_id"])} == {org["key_id"]}
    assert events(api, since="2999-01-01T00:00:00+00:00") == []
    page = api.get("/v2/events", params={"limit": 2, "type": "MqttUser"}).json()
    assert len(page["data"]) == 2
    rest = api.get("/v2/events", params={"limit": 2, "type": "MqttUser", "after": page["next_cursor"]}).json()
    assert [e["aggregate"]["name"] for e in rest["data"]] == ["c"]
    assert api.get("/v2/events", params={"after": "x"}).status_code == 400
    outsider = Client(service.url, create_org(service, "Outsider")["key"])
    assert not any(e["aggregate"]["name"] in ("a", "b", "c") for e in events(outsider))
    reader = api.post("/v2/api-keys", json={"name": "r", "type": "restricted", "scopes": ["users:read"]}).json()
    assert Client(service.url, reader["key"]).get("/v2/events").status_code == 403


def test_point_in_time_access_and_state(api):
    before_anything = now()
    api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"})
    rule_id = api.post("/v2/acl/rules", json={"topic": "agents/{username}/#", "action": "both",
                                              "permission": "allow"}).json()["id"]
    allowed_then = now()
    api.patch("/v2/users/agent-01", json={"disabled": True})
    disabled_then = now()
    api.patch("/v2/users/agent-01", json={"disabled": False})
    api.delete(f"/v2/acl/rules/{rule_id}")
    rule_gone = now()

    def access(at):
        reply = api.get("/v2/audit/access", params={"username": "agent-01", "topic": "agents/agent-01/x",
                                                     "action": "publish", "at": at})
        assert reply.status_code == 200, reply.text
        return reply.json()

    assert access(before_anything)["reason"] == "no user 'agent-01' existed then"
    then = access(allowed_then)
    assert then["allowed"] is True and then["matched_rule"]["id"] == rule_id and then["source"] == "organization"
    assert {"MqttUser.Created", "AclRule.Created"} <= {e["type"] for e in then["events"]}
    assert access(disabled_then) == {**access(disabled_then), "allowed": False, "reason": "the user was disabled"}
    later = access(rule_gone)
    assert later["allowed"] is False and later["matched_rule"] is None

    state_then = api.get("/v2/audit/state", params={"at": disabled_then}).json()
    assert [(u["username"], u["disabled"]) for u in state_then["users"]] == [("agent-01", True)]
    assert [r["id"] for r in state_then["rules"]] == [rule_id]
    assert api.get("/v2/audit/state", params={"at": rule_gone}).json()["rules"] == []
    assert api.get("/v2/audit/state", params={"at": before_anything}).json()["users"] == []
    assert api.get("/v2/audit/access", params={"username": "x", "topic": "a/+", "action": "publish",
                                                "at": rule_gone}).status_code == 400
    assert api.get("/v2/audit/state").status_code == 400


def test_the_stream_follows_new_events(api, service, org):
    stream = requests.get(f"{service.url}/v2/events/stream", params={"type": "MqttUser", "timeout": 10},
                          headers={"Authorization": f"Bearer {org['key']}"}, stream=True, timeout=15)
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    lines = stream.iter_lines(decode_unicode=True)
    assert next(lines) == ": connected"
    api.post("/v2/users", json={"username": "streamed", "password": "secure-password"})
    received = []
    for line in lines:
        if line.startswith("data: "):
            received.append(json.loads(line[6:]))
            break
    stream.close()
    assert received[0]["type"] == "MqttUser.Created" and received[0]["aggregate"]["name"] == "streamed"


@pytest.fixture
def verifiable(postgres, tmp_path):
    """A service whose read model the admin CLI can inspect (it needs the broker secret)."""
    database_url = postgres.create_database(f"verify_{tmp_path.name[-8:].lower()}")
    service = Service({"DATABASE_URL": database_url, "CLOUDSIGNAL_BROKER_SECRET": "s" * 32,
                       "CLOUDSIGNAL_BROKER_PORT": str(free_port())}, log_dir=tmp_path)
    key = json.loads(service.admin("init", "--json").stdout)["key"]
    service.start()
    api = Client(service.url, key)
    api.post("/v2/acl/rule-sets", json={"name": "s", "rules": [{"topic": "a/#", "action": "both",
                                                                "permission": "allow"}]})
    for name in ("u1", "u2"):
        api.post("/v2/users", json={"username": name, "password": "secure-password", "acl_set": "s"})
    api.delete("/v2/users/u2")
    yield service, database_url
    service.stop()


def test_replay_verify_passes_on_a_populated_store(verifiable):
    service, _ = verifiable
    result = service.admin("replay", "--verify", "--service-url", service.internal_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "user" in result.stdout and "differ" not in result.stdout


def test_replay_verify_reports_a_corrupted_projection(verifiable):
    _, database_url = verifiable
    live = CloudSignal(env=persistence_env({"DATABASE_URL": database_url}))
    org_id = live.view.organizations()[0].org_id
    live.view.find_user(org_id, "u1").disabled = True  # corrupt the projection, not the log
    rows = differences(digest(live.view), replayed_digest(live, live.view.position))
    assert [(kind, ids) for kind, _, _, ids in rows if ids] == [("user", [live.view.find_user(org_id, "u1").user_id])]


def test_export_then_import_reproduces_the_state(verifiable, postgres, tmp_path):
    service, database_url = verifiable
    exported = service.admin("export", "--out", str(tmp_path / "log.jsonl"))
    assert exported.returncode == 0 and "Exported" in exported.stderr
    target = {**service.env, "DATABASE_URL": postgres.create_database(f"import_{tmp_path.name[-8:].lower()}")}
    importer = Service(target, log_dir=tmp_path)
    imported = importer.admin("import", str(tmp_path / "log.jsonl"))
    assert imported.returncode == 0, imported.stderr
    original = CloudSignal(env=persistence_env({"DATABASE_URL": database_url}))
    copy = CloudSignal(env=persistence_env({"DATABASE_URL": target["DATABASE_URL"]}))
    assert copy.view.position == original.view.position
    assert digest(copy.view) == digest(original.view)
    again = importer.admin("import", str(tmp_path / "log.jsonl"))
    assert again.returncode == 1 and "not empty" in again.stderr
    (tmp_path / "bad.jsonl").write_text('{"nope": 1}\n')
    fresh = Service({**service.env, "DATABASE_URL": postgres.create_database(f"bad_{tmp_path.name[-8:].lower()}")})
    bad = fresh.admin("import", str(tmp_path / "bad.jsonl"))
    assert bad.returncode == 1 and "line 1" in bad.stderr
