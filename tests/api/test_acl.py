"""ACL rules, rule sets and the access simulator over HTTP."""

import pytest


def rule(topic, action="both", permission="allow", **extra):
    return {"topic": topic, "action": action, "permission": permission, **extra}


def check(api, username, topic, action="publish", client_id=None):
    reply = api.post("/v2/acl/check", json={"username": username, "topic": topic, "action": action,
                                            "client_id": client_id})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_organization_rules_crud(api):
    created = api.post("/v2/acl/rules", json=rule("agents/{username}/#", priority=10))
    assert created.status_code == 201
    rule_id = created.json()["id"]
    assert rule_id.startswith("rule_") and created.json()["user"] is None
    assert [r["id"] for r in api.get("/v2/acl/rules").json()["data"]] == [rule_id]
    patched = api.patch(f"/v2/acl/rules/{rule_id}", json={"permission": "deny", "user": "sensor-*"})
    assert patched.json()["permission"] == "deny" and patched.json()["topic"] == "agents/{username}/#"
    assert api.get(f"/v2/acl/rules/{rule_id}").json()["user"] == "sensor-*"
    assert api.delete(f"/v2/acl/rules/{rule_id}").status_code == 204
    assert api.get(f"/v2/acl/rules/{rule_id}").status_code == 404


def test_rule_sets_crud(api):
    created = api.post("/v2/acl/rule-sets", json={"name": "backend-services", "description": "services",
                                                  "rules": [rule("svc/#")]})
    assert created.status_code == 201
    rule_set = created.json()
    assert rule_set["rules"][0]["id"].startswith("rule_") and rule_set["users"] == 0
    assert api.get("/v2/acl/rule-sets/backend-services").json()["id"] == rule_set["id"]
    assert api.get(f"/v2/acl/rule-sets/{rule_set['id']}").json()["name"] == "backend-services"
    assert api.post("/v2/acl/rule-sets", json={"name": "backend-services"}).status_code == 409

    renamed = api.patch("/v2/acl/rule-sets/backend-services", json={"name": "backend", "rules": []})
    assert renamed.json()["name"] == "backend" and renamed.json()["rules"] == []
    assert api.get("/v2/acl/rule-sets/backend-services").status_code == 404

    api.post("/v2/users", json={"username": "svc", "password": "secure-password", "acl_set": "backend"})
    in_use = api.delete("/v2/acl/rule-sets/backend")
    assert in_use.status_code == 409 and in_use.json()["detail"] == {"users": ["svc"]}
    api.delete("/v2/users/svc")
    assert api.delete("/v2/acl/rule-sets/backend").status_code == 204
    assert api.get("/v2/acl/rule-sets").json()["data"] == []


def test_check_uses_rule_set_then_organization_rules_by_priority(api):
    api.post("/v2/acl/rule-sets", json={"name": "agents", "rules": [
        rule("agents/{username}/#", priority=10),
        rule("agents/+/secrets", permission="deny", priority=5),
    ]})
    api.post("/v2/acl/rules", json=rule("broadcast/#", action="subscribe", priority=50))
    api.post("/v2/acl/rules", json=rule("sensors/#", action="publish", user="sensor-*"))
    for name, rule_set in (("agent-01", "agents"), ("sensor-7", None)):
        api.post("/v2/users", json={"username": name, "password": "secure-password", "acl_set": rule_set})

    own = check(api, "agent-01", "agents/agent-01/inbox")
    assert own["allowed"] is True and own["source"] == "agents"
    assert own["matched_rule"]["topic"] == "agents/{username}/#"
    assert check(api, "agent-01", "agents/agent-02/inbox")["allowed"] is False
    secret = check(api, "agent-01", "agents/agent-01/secrets")
    assert secret["allowed"] is False and secret["matched_rule"]["permission"] == "deny"
    # The deny only overlaps the filter: granted, with the denied topics withheld from it.
    mine = check(api, "agent-01", "agents/agent-01/#", action="subscribe")
    assert mine["allowed"] is True and [r["topic"] for r in mine["withheld"]] == ["agents/+/secrets"]
    assert check(api, "agent-01", "agents/agent-01/secrets", action="subscribe")["allowed"] is False

    assert check(api, "agent-01", "broadcast/+", action="subscribe")["source"] == "organization"
    assert check(api, "agent-01", "broadcast/x", action="publish")["allowed"] is False
    assert check(api, "sensor-7", "sensors/t1")["allowed"] is True
    assert check(api, "agent-01", "sensors/t1")["allowed"] is False
    nothing = check(api, "sensor-7", "elsewhere")
    assert nothing == {"allowed": False, "matched_rule": None, "source": None, "withheld": [],
                       "reason": "no rule matched; the default is deny"}
    assert check(api, "agent-01", "$SYS/broker/load", action="subscribe")["allowed"] is False


def test_check_client_id_placeholder_and_disabled_users(api):
    api.post("/v2/acl/rules", json=rule("devices/{client_id}/#"))
    api.post("/v2/users", json={"username": "dev", "password": "secure-password"})
    assert check(api, "dev", "devices/d-1/up", client_id="d-1")["allowed"] is True
    assert check(api, "dev", "devices/d-1/up", client_id="d-2")["allowed"] is False
    assert check(api, "dev", "devices/d-1/up")["allowed"] is False
    api.patch("/v2/users/dev", json={"disabled": True})
    assert check(api, "dev", "devices/d-1/up", client_id="d-1")["reason"] == "the user is disabled"


def test_check_errors(api):
    assert api.post("/v2/acl/check", json={"username": "ghost", "topic": "a", "action": "publish"}).status_code == 404
    api.post("/v2/users", json={"username": "u", "password": "secure-password"})
    wildcard = api.post("/v2/acl/check", json={"username": "u", "topic": "a/+", "action": "publish"})
    assert wildcard.status_code == 400 and "topic" in wildcard.json()["detail"]
    assert api.post("/v2/acl/check", json={"username": "u", "topic": "a", "action": "read"}).status_code == 400


@pytest.mark.parametrize(
    "body, field",
    [
        (rule("a/#/b"), "topic"),
        (rule("+x"), "topic"),
        (rule(""), "topic"),
        (rule("a\u0000b"), "topic"),
        (rule("a/{user}"), "topic"),
        (rule("$SYS/#"), "topic"),
        (rule("a" * 1025), "topic"),
        (rule("a", action="read"), "action"),
        (rule("a", permission="maybe"), "permission"),
        (rule("a", priority="high"), "priority"),
        (rule("a", priority=-1), "priority"),
        (rule("a", user="bad glob!"), "user"),
        ({"topic": "a"}, "action"),
    ],
)
def test_invalid_rules_are_400(api, body, field):
    reply = api.post("/v2/acl/rules", json=body)
    assert reply.status_code == 400 and field in reply.json()["detail"], reply.text
    assert api.get("/v2/acl/rules").json()["data"] == []
    in_set = api.post("/v2/acl/rule-sets", json={"name": "s", "rules": [body]})
    assert in_set.status_code == 400
    assert api.get("/v2/acl/rule-sets/s").status_code == 404
