"""Issue 13, item 5: no key creates, changes, rotates or revokes a key with more power than its own."""

from tests.conftest import Client


def restricted(api, *scopes):
    reply = api.post("/v2/api-keys", json={"name": "r", "type": "restricted", "scopes": list(scopes)})
    assert reply.status_code == 201, reply.text
    return reply.json()


def test_a_restricted_key_cannot_touch_the_secret_key(service, api, org):
    manager = Client(service.url, restricted(api, "keys:read", "keys:write")["key"])
    secret_id = org["key_id"]
    attempts = [
        manager.patch(f"/v2/api-keys/{secret_id}", json={"name": "pwned"}),
        manager.post(f"/v2/api-keys/{secret_id}/rotate"),
        manager.delete(f"/v2/api-keys/{secret_id}"),
    ]
    for reply in attempts:
        assert reply.status_code == 403, reply.text
        assert reply.json()["error"] == "insufficient_scope"
    key = api.get(f"/v2/api-keys/{secret_id}").json()
    assert key["name"] == "admin" and key["status"] == "active"
    assert api.get("/v2/organization").status_code == 200  # the secret key still works


def test_a_restricted_key_cannot_touch_wider_or_public_keys(service, api):
    manager = Client(service.url, restricted(api, "keys:read", "keys:write", "users:read")["key"])
    wider = restricted(api, "users:write")
    public = api.post("/v2/api-keys", json={"name": "browser", "type": "public"}).json()
    for target in (wider, public):
        assert manager.patch(f"/v2/api-keys/{target['id']}", json={"name": "x"}).status_code == 403
        assert manager.post(f"/v2/api-keys/{target['id']}/rotate").status_code == 403
        assert manager.delete(f"/v2/api-keys/{target['id']}").status_code == 403
        assert api.get(f"/v2/api-keys/{target['id']}").json()["status"] == "active"
    assert manager.post("/v2/api-keys", json={"name": "p", "type": "public"}).status_code == 403
    # narrowing a wider key is still acting on a wider key
    assert manager.patch(f"/v2/api-keys/{wider['id']}", json={"scopes": ["users:read"]}).status_code == 403


def test_a_restricted_key_manages_keys_within_its_scopes(service, api):
    manager = Client(service.url, restricted(api, "keys:read", "keys:write", "users:read")["key"])
    mine = manager.post("/v2/api-keys", json={"name": "n", "type": "restricted", "scopes": ["users:read"]})
    assert mine.status_code == 201
    key_id = mine.json()["id"]
    assert manager.patch(f"/v2/api-keys/{key_id}", json={"name": "renamed"}).status_code == 200
    assert manager.patch(f"/v2/api-keys/{key_id}", json={"scopes": ["users:write"]}).status_code == 403
    rotated = manager.post(f"/v2/api-keys/{key_id}/rotate")
    assert rotated.status_code == 201
    assert manager.delete(f"/v2/api-keys/{rotated.json()['id']}").status_code == 204
    # the secret key may do anything
    assert api.post(f"/v2/api-keys/{restricted(api, 'users:write')['id']}/rotate").status_code == 201
