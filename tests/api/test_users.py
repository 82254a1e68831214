"""MQTT users over real HTTP against the service on PostgreSQL."""

import pytest


def test_create_list_get_patch_delete(api, org):
    created = api.post("/v2/users", json={"username": "agent-01", "password": "secure-password",
                                          "metadata": {"team": "ops"}})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["mqtt_username"] == f"agent-01@{org['org_id']}"
    assert "password" not in body and "password_hash" not in body
    assert body["metadata"] == {"team": "ops"} and body["disabled"] is False

    listed = api.get("/v2/users").json()
    assert [u["username"] for u in listed["data"]] == ["agent-01"] and listed["next_cursor"] is None
    assert api.get("/v2/users/agent-01").json()["id"] == body["id"]

    patched = api.patch("/v2/users/agent-01", json={"disabled": True, "metadata": {}, "password": "new-password"})
    assert patched.status_code == 200
    assert patched.json()["disabled"] is True and patched.json()["metadata"] == {}

    assert api.delete("/v2/users/agent-01").status_code == 204
    assert api.get("/v2/users/agent-01").status_code == 404
    assert api.delete("/v2/users/agent-01").json()["error"] == "not_found"


def test_duplicate_is_409_and_changes_nothing(api):
    first = api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"})
    second = api.post("/v2/users", json={"username": "agent-01", "password": "other-password"})
    assert second.status_code == 409
    assert second.json()["error"] == "conflict" and "agent-01" in second.json()["message"]
    assert api.get("/v2/users/agent-01").json()["updated_at"] == first.json()["updated_at"]


def test_rule_set_assignment(api):
    api.post("/v2/acl/rule-sets", json={"name": "backend-services"})
    user = api.post("/v2/users", json={"username": "svc", "password": "secure-password", "acl_set": "backend-services"})
    assert user.status_code == 201 and user.json()["acl_set"] == "backend-services"
    missing = api.post("/v2/users", json={"username": "svc2", "password": "secure-password", "acl_set": "nope"})
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
    assert api.get("/v2/users/svc2").status_code == 404
    assert api.patch("/v2/users/svc", json={"acl_set": None}).json()["acl_set"] is None


def test_pagination_walks_every_user_once(api):
    for number in range(7):
        assert api.post("/v2/users", json={"username": f"u{number}", "password": "secure-password"}).status_code == 201
    seen, cursor = [], None
    while True:
        page = api.get("/v2/users", params={"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        assert len(page["data"]) <= 3
        seen += [user["username"] for user in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"u{n}" for n in range(7)]
    assert api.get("/v2/users", params={"cursor": "not-a-cursor"}).json()["error"] == "invalid_cursor"
    assert api.get("/v2/users", params={"limit": 501}).status_code == 400


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": "secure-password"}, "username"),
        ({"username": "agent-01"}, "password"),
        ({"username": 7, "password": "secure-password"}, "username"),
        ({"username": "agent-01", "password": ["x"]}, "password"),
        ({"username": "a" * 65, "password": "secure-password"}, "username"),
        ({"username": "bad name", "password": "secure-password"}, "username"),
        ({"username": "tok_abc", "password": "secure-password"}, "username"),
        ({"username": "agent-01", "password": "short"}, "password"),
        ({"username": "agent-01", "password": "x" * 257}, "password"),
        ({"username": "agent-01", "password": "secure-password", "metadata": "x"}, "metadata"),
        ({"username": "agent-01", "password": "secure-password", "metadata": {str(i): i for i in range(33)}}, "metadata"),
        ({"username": "agent-01", "password": "secure-password", "admin": True}, "admin"),
    ],
)
def test_invalid_users_are_400_with_field_detail(api, body, field):
    reply = api.post("/v2/users", json=body)
    assert reply.status_code == 400
    assert reply.json()["error"] == "validation_error"
    assert field in reply.json()["detail"]
    assert api.get("/v2/users").json()["data"] == []


def test_patch_validation(api):
    api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"})
    reply = api.patch("/v2/users/agent-01", json={"disabled": "maybe"})
    assert reply.status_code == 400 and "disabled" in reply.json()["detail"]
    assert api.patch("/v2/users/agent-01", json={"username": "renamed"}).status_code == 400
    assert api.patch("/v2/users/nobody", json={"disabled": True}).status_code == 404
