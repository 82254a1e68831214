"""The organization resource, and isolation between organizations."""

from tests.conftest import Client, create_org


def test_get_and_patch(api, org):
    info = api.get("/v2/organization").json()
    assert info["id"] == org["org_id"] and info["tenancy"] == "multi"
    usage = info["usage"]
    assert (usage["users"], usage["acl_rules"], usage["rule_sets"], usage["api_keys"], usage["connections"]) == (0, 0, 0, 1, 0)
    assert usage["requests_this_minute"] >= 1
    assert info["quotas"]["max_users"] > 0
    api.post("/v2/acl/rule-sets", json={"name": "defaults", "rules": []})
    patched = api.patch("/v2/organization", json={"name": "Renamed", "settings": {"default_rule_set": "defaults"}})
    assert patched.status_code == 200 and patched.json()["name"] == "Renamed"
    default_id = patched.json()["settings"]["default_rule_set"]
    assert default_id.startswith("rs_")
    user = api.post("/v2/users", json={"username": "n", "password": "secure-password"}).json()
    assert user["acl_set"] == "defaults"
    assert api.delete("/v2/acl/rule-sets/defaults").status_code == 409
    assert api.patch("/v2/organization", json={"settings": {"default_rule_set": "missing"}}).status_code == 404
    assert api.patch("/v2/organization", json={"name": ""}).status_code == 400
    assert api.patch("/v2/organization", json={"settings": {"colour": "red"}}).status_code == 400
    assert api.get("/v2/organization").json()["name"] == "Renamed"


def test_other_organizations_resources_are_404(api, service):
    other = Client(service.url, create_org(service, "Other")["key"])
    api.post("/v2/users", json={"username": "mine", "password": "secure-password"})
    rule_id = api.post("/v2/acl/rules", json={"topic": "a", "action": "both", "permission": "allow"}).json()["id"]
    set_id = api.post("/v2/acl/rule-sets", json={"name": "mine"}).json()["id"]
    key_id = api.post("/v2/api-keys", json={"name": "k", "type": "public"}).json()["id"]

    for path in ("/v2/users/mine", f"/v2/acl/rules/{rule_id}", f"/v2/acl/rule-sets/{set_id}",
                 "/v2/acl/rule-sets/mine", f"/v2/api-keys/{key_id}"):
        assert other.get(path).status_code == 404, path
        assert other.delete(path).status_code == 404, path
    assert other.post(f"/v2/api-keys/{key_id}/rotate").status_code == 404
    assert other.post("/v2/acl/check", json={"username": "mine", "topic": "a", "action": "publish"}).status_code == 404
    assert other.get("/v2/users").json()["data"] == []
    assert other.post("/v2/users", json={"username": "x", "password": "secure-password",
                                         "acl_set": set_id}).status_code == 404
    # the same username is free in the other organization
    assert other.post("/v2/users", json={"username": "mine", "password": "secure-password"}).status_code == 201
    assert api.get("/v2/users/mine").status_code == 200
    assert len(api.get("/v2/api-keys").json()["data"]) == 2
