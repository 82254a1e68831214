"""The read model is rebuilt from events: across restarts, across processes, on both stores."""

import pytest

from tests.conftest import Client
from tests.support.processes import Service


@pytest.fixture
def store_env(request, tmp_path, postgres):
    if request.param == "postgres":
        return {"DATABASE_URL": postgres.create_database(f"restart_{tmp_path.name[-8:].lower()}")}
    return {"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "events.sqlite")}


@pytest.mark.parametrize("store_env", ["postgres", "sqlite"], indirect=True)
def test_everything_survives_a_restart(store_env, tmp_path):
    service = Service({**store_env, "CLOUDSIGNAL_TENANCY": "single"}, log_dir=tmp_path)
    init = service.admin("init", "--json")
    assert init.returncode == 0, init.stderr
    key = __import__("json").loads(init.stdout)["key"]
    service.start()
    try:
        api = Client(service.url, key)
        api.post("/v2/acl/rule-sets", json={"name": "agents", "rules": [
            {"topic": "agents/{username}/#", "action": "both", "permission": "allow"}]})
        assert api.post("/v2/users", json={"username": "agent-01", "password": "secure-password",
                                           "acl_set": "agents"}).status_code == 201
        api.post("/v2/users", json={"username": "gone", "password": "secure-password"})
        api.delete("/v2/users/gone")
        revoked = api.post("/v2/api-keys", json={"name": "old", "type": "secret"}).json()
        api.delete(f"/v2/api-keys/{revoked['id']}")
        before = {path: api.get(path).json() for path in ("/v2/users", "/v2/acl/rule-sets", "/v2/api-keys")}
    finally:
        service.stop()

    service.start()
    try:
        api = Client(service.url, key)
        after = {path: api.get(path).json() for path in before}
        assert [u["username"] for u in after["/v2/users"]["data"]] == ["agent-01"]
        for path in before:
            for item in before[path]["data"]:
                item.pop("last_used_at", None)
            for item in after[path]["data"]:
                item.pop("last_used_at", None)
            assert after[path] == before[path]
        assert Client(service.url, revoked["key"]).get("/v2/users").status_code == 401
        check = api.post("/v2/acl/check", json={"username": "agent-01", "topic": "agents/agent-01/x",
                                                "action": "publish"})
        assert check.json()["allowed"] is True
    finally:
        service.stop()


def test_two_processes_on_one_database_agree(postgres, tmp_path):
    env = {"DATABASE_URL": postgres.create_database("two_processes"), "CLOUDSIGNAL_TENANCY": "single"}
    first, second = Service(env, log_dir=tmp_path), Service(env, log_dir=tmp_path)
    init = first.admin("init", "--json")
    key = __import__("json").loads(init.stdout)["key"]
    first.start(), second.start()
    try:
        on_first, on_second = Client(first.url, key), Client(second.url, key)
        assert on_first.post("/v2/users", json={"username": "agent-01", "password": "secure-password"}).status_code == 201
        # a miss on the other process catches up with the log before answering 404
        assert on_second.get("/v2/users/agent-01").status_code == 200
        assert on_second.post("/v2/users", json={"username": "agent-01", "password": "x-password"}).status_code == 409
        created = on_second.post("/v2/api-keys", json={"name": "made-on-second", "type": "secret"}).json()
        assert Client(first.url, created["key"]).get("/v2/users").status_code == 200
    finally:
        first.stop(), second.stop()
