"""Policy as code over HTTP: the whole policy read as one document and applied as one commit."""

import requests

from tests.conftest import Client


def rule(topic, action="both", permission="allow", **extra):
    return {"topic": topic, "action": action, "permission": permission, **extra}


def policy(api: Client) -> dict:
    reply = api.get("/v2/acl/policy")
    assert reply.status_code == 200, reply.text
    return reply.json()


def apply(api: Client, document: dict, dry_run: bool = False, **kwargs) -> requests.Response:
    return api.post("/v2/acl/policy", json={**document, "dry_run": dry_run}, **kwargs)


def arrange(api: Client) -> dict:
    kept = api.post("/v2/acl/rules", json=rule("agents/{username}/#")).json()
    api.post("/v2/acl/rules", json=rule("legacy/#"))
    api.post("/v2/acl/rule-sets", json={"name": "sensors", "rules": [rule("sensors/#", "publish")]})
    api.post("/v2/acl/rule-sets", json={"name": "old", "rules": []})
    return kept


def test_pull_edit_plan_and_push(api):
    kept = arrange(api)
    document = policy(api)
    assert [r["topic"] for r in document["rules"]] == ["agents/{username}/#", "legacy/#"]
    assert document["rules"][0] == {"id": kept["id"], "topic": "agents/{username}/#", "action": "both",
                                    "permission": "allow", "priority": 100, "user": None}
    assert [s["name"] for s in document["rule_sets"]] == ["old", "sensors"]
    assert document["rule_sets"][1]["rules"] == [{"topic": "sensors/#", "action": "publish", "permission": "allow",
                                                  "priority": 100, "user": None}]

    edited = {
        "rules": [{**document["rules"][0], "priority": 50}, rule("alerts/#", "subscribe")],
        "rule_sets": [{**document["rule_sets"][1], "description": "Field sensors"},
                      {"name": "backend", "rules": [rule("services/#")]}],
    }
    plan = apply(api, edited, dry_run=True).json()
    assert plan["dry_run"] is True and plan["applied"] is False
    assert plan["created"] == [
        {"kind": "rule", "id": None, "rule": {"topic": "alerts/#", "action": "subscribe", "permission": "allow",
                                              "priority": 100, "user": None}},
        {"kind": "rule_set", "name": "backend", "description": "",
         "rules": [{"topic": "services/#", "action": "both", "permission": "allow", "priority": 100, "user": None}]},
    ]
    assert plan["changed"] == [
        {"kind": "rule", "id": kept["id"], "changes": {"priority": {"from": 100, "to": 50}}},
        {"kind": "rule_set", "name": "sensors", "changes": {"description": {"from": "", "to": "Field sensors"}}},
    ]
    assert [(d["kind"], d.get("name") or d["rule"]["topic"]) for d in plan["deleted"]] == [
        ("rule", "legacy/#"), ("rule_set", "old")]
    assert policy(api) == document  # a dry run changes nothing

    applied = apply(api, edited, headers={"X-Request-Id": "push-0001"})
    assert applied.status_code == 200, applied.text
    assert applied.json()["applied"] is True and applied.json()["request_id"] == "push-0001"
    assert applied.json()["changed"] == plan["changed"] and len(applied.json()["created"]) == 2
    after = policy(api)
    assert [(r["topic"], r["priority"]) for r in after["rules"]] == [("agents/{username}/#", 50), ("alerts/#", 100)]
    assert [s["name"] for s in after["rule_sets"]] == ["backend", "sensors"]

    # one actor and one request for the whole push
    history = api.get("/v2/events", params={"limit": 500}).json()["data"]
    pushed = [e for e in history if e["request_id"] == "push-0001"]
    assert {e["type"] for e in pushed} >= {"AclRule.Created", "AclRule.Changed", "AclRule.Deleted",
                                          "AclRuleSet.Created", "AclRuleSet.Deleted", "AclRuleSet.DescriptionChanged"}
    assert len({e["actor"]["id"] for e in pushed}) == 1
    # pushing the same document again changes nothing
    again = apply(api, {"rules": after["rules"], "rule_sets": after["rule_sets"]}).json()
    assert again["applied"] is False and again["created"] == again["changed"] == again["deleted"] == []
    assert again["unchanged"] == 4


def test_a_push_that_would_fail_midway_changes_nothing(api):
    arrange(api)
    api.post("/v2/users", json={"username": "s-1", "password": "secure-password", "acl_set": "sensors"})
    before = policy(api)
    events_before = len(api.get("/v2/events", params={"limit": 500}).json()["data"])
    # new rules and a changed set first, then a rule set still assigned to a user is deleted
    failing = {"rules": [rule("new/#")], "rule_sets": [{"name": "old", "description": "changed", "rules": []}]}
    reply = apply(api, failing)
    assert reply.status_code == 409 and "assigned to 1 user" in reply.json()["message"]
    assert reply.json()["detail"]["users"] == ["s-1"]
    assert policy(api) == before
    assert len(api.get("/v2/events", params={"limit": 500}).json()["data"]) == events_before

    invalid = apply(api, {"rules": [rule("ok/#"), rule("bad/#/x")], "rule_sets": []})
    assert invalid.status_code == 400
    assert invalid.json()["detail"] == {"rules": {"1": {"topic": ["'#' must be a whole level and the last one"]}}}
    unknown = apply(api, {"rules": [{**rule("x/#"), "id": "rule_doesnotexist0000"}], "rule_sets": []})
    assert unknown.status_code == 404 and "remove its id" in unknown.json()["message"]
    assert policy(api) == before


def test_scopes(api, service):
    reader = api.post("/v2/api-keys", json={"name": "r", "type": "restricted", "scopes": ["acl:read"]}).json()
    client = Client(service.url, reader["key"])
    assert client.get("/v2/acl/policy").status_code == 200
    refused = client.post("/v2/acl/policy", json={"rules": [], "rule_sets": [], "dry_run": True})
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope"
    whoami = client.get("/v2/whoami").json()
    assert whoami["type"] == "restricted" and whoami["scopes"] == ["acl:read"] and whoami["key_id"] == reader["id"]
    assert api.get("/v2/whoami").json()["type"] == "secret"
