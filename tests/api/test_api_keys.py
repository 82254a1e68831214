"""API keys: types, scopes, masking, revocation, rotation, expiry."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import Client, eventually


def new_key(api, **body):
    reply = api.post("/v2/api-keys", json={"name": "k", "type": "restricted", **body})
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_created_key_is_shown_once_then_masked(api, service):
    created = new_key(api, scopes=["users:read"])
    assert created["key"].startswith("rk_") and len(created["key"]) >= 35
    assert created["masked_key"] == f"rk_...{created['key'][-4:]}"
    listed = {k["id"]: k for k in api.get("/v2/api-keys").json()["data"]}
    assert "key" not in listed[created["id"]] and listed[created["id"]]["status"] == "active"
    assert created["key"] not in api.get(f"/v2/api-keys/{created['id']}").text


def test_last_used_at_is_recorded(api, service):
    created = new_key(api, scopes=["users:read"])
    assert created["last_used_at"] is None
    Client(service.url, created["key"]).get("/v2/users")
    assert eventually(lambda: api.get(f"/v2/api-keys/{created['id']}").json()["last_used_at"])


def test_restricted_keys_are_limited_to_their_scopes(api, service):
    reader = Client(service.url, new_key(api, scopes=["users:read"])["key"])
    assert reader.get("/v2/users").status_code == 200
    denied = reader.post("/v2/users", json={"username": "x", "password": "secure-password"})
    assert denied.status_code == 403
    assert denied.json()["error"] == "insufficient_scope" and denied.json()["detail"] == {"required_scope": "users:write"}
    assert reader.get("/v2/acl/rules").status_code == 403
    assert reader.get("/v2/api-keys").status_code == 403
    assert api.get("/v2/users").json()["data"] == []


def test_restricted_keys_cannot_escalate(api, service):
    manager = Client(service.url, new_key(api, scopes=["keys:write", "keys:read", "users:read"])["key"])
    assert manager.post("/v2/api-keys", json={"name": "x", "type": "secret"}).status_code == 403
    wider = manager.post("/v2/api-keys", json={"name": "x", "type": "restricted", "scopes": ["users:write"]})
    assert wider.status_code == 403
    narrower = manager.post("/v2/api-keys", json={"name": "x", "type": "restricted", "scopes": ["users:read"]})
    assert narrower.status_code == 201
    widen = manager.patch(f"/v2/api-keys/{narrower.json()['id']}", json={"scopes": ["acl:write"]})
    assert widen.status_code == 403


def test_public_keys_only_read_public_organization_info(api, service, org):
    public = Client(service.url, new_key(api, type="public")["key"])
    info = public.get("/v2/organization")
    assert info.status_code == 200 and info.json() == {"id": org["org_id"], "name": "Test org", "tenancy": "multi"}
    for method, path in (("GET", "/v2/users"), ("POST", "/v2/acl/check"), ("GET", "/v2/api-keys"),
                         ("PATCH", "/v2/organization")):
        reply = public.request(method, path, json={})
        assert reply.status_code == 403, (method, path)
        assert "public keys" in reply.json()["message"]


def test_revoked_keys_stop_working_at_once(api, service):
    created = new_key(api, scopes=["users:read"])
    client = Client(service.url, created["key"])
    assert client.get("/v2/users").status_code == 200
    assert api.delete(f"/v2/api-keys/{created['id']}").status_code == 204
    # other service processes follow the log within a second
    assert eventually(lambda: client.get("/v2/users").status_code == 401)
    assert client.get("/v2/users").json()["error"] == "api_key_revoked"
    assert api.get(f"/v2/api-keys/{created['id']}").json()["status"] == "revoked"
    assert api.patch(f"/v2/api-keys/{created['id']}", json={"name": "again"}).status_code == 409


def test_rotation_replaces_the_key(api, service):
    old = new_key(api, name="ci", scopes=["users:read", "acl:read"])
    rotated = api.post(f"/v2/api-keys/{old['id']}/rotate")
    assert rotated.status_code == 201
    new = rotated.json()
    assert new["id"] != old["id"] and new["key"] != old["key"]
    assert (new["name"], new["type"], new["scopes"]) == ("ci", "restricted", ["acl:read", "users:read"])
    assert eventually(lambda: Client(service.url, old["key"]).get("/v2/users").status_code == 401)
    assert Client(service.url, new["key"]).get("/v2/users").status_code == 200
    assert api.post(f"/v2/api-keys/{old['id']}/rotate").status_code == 409
    assert api.post("/v2/api-keys/key_missing/rotate").status_code == 404


def test_expired_keys_are_refused(api, service):
    soon = (datetime.now(timezone.utc) + timedelta(seconds=2)).isoformat()
    created = new_key(api, scopes=["users:read"], expires_at=soon)
    client = Client(service.url, created["key"])
    assert client.get("/v2/users").status_code == 200
    import time
    time.sleep(2.1)
    reply = client.get("/v2/users")
    assert reply.status_code == 401 and reply.json()["error"] == "api_key_expired"


def test_the_secret_key_header_is_accepted(service, org):
    import requests
    reply = requests.get(f"{service.url}/v2/users", headers={"X-Secret-Key": org["key"]}, timeout=10)
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "type": "restricted"}, "scopes"),
        ({"name": "x", "type": "restricted", "scopes": ["users:fly"]}, "scopes"),
        ({"name": "x", "type": "secret", "scopes": ["users:read"]}, "scopes"),
        ({"name": "x", "type": "admin"}, "type"),
        ({"name": "", "type": "secret"}, "name"),
        ({"type": "secret"}, "name"),
        ({"name": "x", "type": "secret", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "x", "type": "secret", "expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at"),
        ({"name": "x", "type": "secret", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
    ],
)
def test_invalid_keys_are_400(api, body, field):
    reply = api.post("/v2/api-keys", json=body)
    assert reply.status_code == 400 and field in reply.json()["detail"], reply.text
    assert len(api.get("/v2/api-keys").json()["data"]) == 1


def test_missing_and_invalid_keys_are_401(service):
    import requests
    for headers in ({}, {"Authorization": "Bearer sk_nope"}, {"Authorization": "Basic abc"}):
        reply = requests.get(f"{service.url}/v2/users", headers=headers, timeout=10)
        assert reply.status_code == 401 and reply.json()["error"] in ("missing_api_key", "invalid_api_key")
