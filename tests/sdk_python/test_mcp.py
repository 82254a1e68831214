"""`cloudsignal mcp` driven by the `mcp` SDK's own client over stdio, against the real service and
broker: tools from the OpenAPI document, a user, a rule, the simulator, a publish that a paho
subscriber receives, typed errors, resources, and a restricted key that sees fewer tools."""

import json
from typing import Any, Dict

import anyio
from mcp import Client, StdioServerParameters

from tests.broker.conftest import make_user
from tests.sdk_python.conftest import CLOUDSIGNAL
from tests.support.mqtt import MqttTestClient


def server(cli, key: str) -> StdioServerParameters:
    return StdioServerParameters(command=str(CLOUDSIGNAL), args=["mcp"],
                                 env={**cli.env, "CLOUDSIGNAL_API_KEY": key})


def structured(result: Any) -> Dict[str, Any]:
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


def test_an_agent_manages_users_rules_and_messages(cli, api, sdk_stack, org):
    api.post("/v2/acl/rules", json={"topic": "agents/#", "action": "subscribe", "permission": "allow",
                                    "user": "listener"})
    subscriber = MqttTestClient(sdk_stack.broker.port, make_user(api, "listener"), "secure-password")

    async def session() -> None:
        async with Client(server(cli, org["key"]), read_timeout_seconds=30) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert {"users_create", "acl_rules_create", "acl_check", "publish_message", "sessions_list",
                    "api_keys_create", "audit_access", "acl_policy_apply"} <= set(tools)
            create = tools["users_create"]
            assert sorted(create.input_schema["required"]) == ["password", "username"]
            assert "mqtt_username" not in create.input_schema["properties"]  # read-only fields are not inputs
            assert create.annotations.read_only_hint is False and create.annotations.destructive_hint is False
            assert tools["users_delete"].annotations.destructive_hint is True
            assert tools["users_delete"].description.startswith("DESTRUCTIVE:")
            assert tools["acl_check"].annotations.read_only_hint is True
            assert tools["users_list"].annotations.read_only_hint is True

            user = structured(await client.call_tool("users_create", {"username": "agent-01",
                                                                      "password": "secure-password"}))
            assert user["mqtt_username"] == f"agent-01@{org['org_id']}"
            rule = structured(await client.call_tool("acl_rules_create", {
                "topic": "agents/{username}/#", "action": "both", "permission": "allow"}))
            assert rule["id"].startswith("rule_")
            decision = structured(await client.call_tool("acl_check", {
                "username": "agent-01", "topic": "agents/agent-01/state", "action": "publish"}))
            assert decision["allowed"] is True and decision["matched_rule"]["id"] == rule["id"]
            denied = structured(await client.call_tool("acl_check", {
                "username": "agent-01", "topic": "elsewhere", "action": "publish"}))
            assert denied["allowed"] is False

            assert subscriber.subscribed(org["org_id"] + "/agents/#")
            sent = structured(await client.call_tool("publish_message", {
                "topic": "agents/agent-01/inbox", "payload": {"task": "summarize"}, "qos": 1}))
            assert sent["acknowledged"] is True

            # typed errors: a schema violation never reaches the API; the API's own codes come back
            bad = await client.call_tool("users_create", {"username": "agent-02"})
            assert bad.is_error and bad.structured_content["error"] == "invalid_arguments"
            assert "password" in json.dumps(bad.structured_content["detail"])
            wrong_type = await client.call_tool("acl_rules_create", {"topic": "a", "action": "fly",
                                                                     "permission": "allow"})
            assert wrong_type.is_error and "action" in wrong_type.structured_content["detail"]
            pattern = await client.call_tool("users_create", {"username": "no spaces", "password": "secure-pw"})
            assert pattern.is_error and "username" in pattern.structured_content["detail"]
            invalid = await client.call_tool("acl_rules_create", {"topic": "bad/#/x", "action": "both",
                                                                  "permission": "allow"})
            assert invalid.is_error and invalid.structured_content["error"] == "validation_error"
            assert invalid.structured_content["detail"] == {"topic": ["'#' must be a whole level and the last one"]}
            assert invalid.structured_content["request_id"].startswith("req_")
            taken = await client.call_tool("users_create", {"username": "agent-01", "password": "secure-password"})
            assert taken.is_error and taken.structured_content["error"] == "conflict"
            missing = await client.call_tool("users_get", {"username": "ghost"})
            assert missing.is_error and missing.structured_content["status"] == 404

            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            assert resources == {"cloudsignal://organization", "cloudsignal://usage", "cloudsignal://policy"}
            usage = json.loads((await client.read_resource("cloudsignal://usage")).contents[0].text)
            assert usage["usage"]["users"] == 2 and "max_users" in usage["quotas"]

    try:
        anyio.run(session)
        assert subscriber.receive() == (org["org_id"] + "/agents/agent-01/inbox", b'{"task":"summarize"}')
    finally:
        subscriber.close()


def test_a_restricted_key_sees_only_what_its_scopes_allow(cli, api):
    key = api.post("/v2/api-keys", json={"name": "agent", "type": "restricted",
                                         "scopes": ["users:read", "acl:read"]}).json()["key"]

    async def session() -> None:
        async with Client(server(cli, key), read_timeout_seconds=30) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert names == {"users_list", "users_get", "acl_rules_list", "acl_rules_get", "acl_rule_sets_list",
                             "acl_rule_sets_get", "acl_check", "acl_policy_get"}
            refused = await client.call_tool("users_create", {"username": "x", "password": "secure-password"})
            assert refused.is_error and refused.structured_content["error"] == "unknown_tool"
            resources = {str(r.uri) for r in (await client.list_resources()).resources}
            assert resources == {"cloudsignal://policy"}

    anyio.run(session)
