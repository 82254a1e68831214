"""The EMQX cluster path (issue 19, item 4): the requests broker-config/emqx/emqx.conf makes EMQX
send, rendered as EMQX renders its placeholders, to the real service; the replies must be what
EMQX 5.8+ reads (HTTP authentication: `result` allow|deny|ignore, `is_superuser`, `acl` in its
new format, `expire_at`; HTTP authorization: `result` allow|deny). No EMQX binary here: this is
the contract, from EMQX's documented shapes."""

import re
from pathlib import Path
from typing import Dict

import requests

from tests.broker.conftest import allow, make_user
from tests.support.processes import ROOT

CONF = (ROOT / "broker-config" / "emqx" / "emqx.conf").read_text()
# EMQX 5's placeholders for HTTP authentication and authorization bodies
EMQX_PLACEHOLDERS = {"username", "password", "clientid", "peerhost", "cert_subject", "cert_common_name",
                     "client_attrs", "action", "topic", "qos", "retain", "proto_name", "mountpoint"}


def body_template(section: str) -> Dict[str, str]:
    """The `body { key = "value" }` block of the authentication (0) or authorization (1) source."""
    blocks = re.findall(r"body \{\n(.*?)\n\s*\}", CONF, re.S)
    assert len(blocks) == 2, blocks
    text = blocks[0 if section == "authenticate" else 1]
    return dict(re.findall(r'(\w+) = "([^"]*)"', text))


def render(template: Dict[str, str], values: Dict[str, str]) -> Dict[str, str]:
    """As EMQX renders a JSON body template: every ${name} replaced by the client's value, as text."""
    return {key: re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], value) for key, value in template.items()}


def post(stack, path: str, body: Dict[str, str], secret: str = None) -> requests.Response:
    headers = {"content-type": "application/json", "authorization": f"Bearer {secret or stack.broker.secret}"}
    return requests.post(f"{stack.service.internal_url}/internal/broker/{path}", json=body, headers=headers, timeout=10)


def connect_request(username: str, password: str, clientid: str) -> Dict[str, str]:
    return render(body_template("authenticate"),
                  {"username": username, "password": password, "clientid": clientid, "peerhost": "10.0.0.7"})


def test_the_configuration_uses_only_emqx_placeholders_and_our_endpoints():
    for name in re.findall(r"\$\{(\w+)\}", CONF):
        assert name in EMQX_PLACEHOLDERS, name
    assert "/internal/broker/authenticate" in CONF and "/internal/broker/authorize" in CONF
    assert set(body_template("authenticate")) == {"username", "password", "clientid", "peerhost"}
    assert set(body_template("authorize")) >= {"username", "clientid", "action", "topic"}


def test_connect_allowed_with_rules_in_emqx_acl_format(stack, api, org):
    allow(api, "devices/{username}/#")
    allow(api, "inbox/{client_id}", action="subscribe")
    username = make_user(api, "emqx-dev")
    reply = post(stack, "authenticate", connect_request(username, "secure-password", f"{org['org_id']}/c1"))
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert body["result"] == "allow" and body["is_superuser"] is False
    assert "expire_at" not in body  # an MQTT user does not expire
    for rule in body["acl"]:
        assert set(rule) <= {"permission", "action", "topic", "qos", "retain"}
        assert rule["permission"] in ("allow", "deny") and rule["action"] in ("publish", "subscribe", "all")
        assert rule["topic"].startswith(org["org_id"] + "/")  # absolute: the namespace is in the rule
    topics = {rule["topic"]: rule["action"] for rule in body["acl"]}
    assert topics[f"{org['org_id']}/devices/emqx-dev/#"] == "all"
    assert topics[f"{org['org_id']}/inbox/${{clientid}}"] == "subscribe"  # EMQX renders ${clientid} itself
    assert all(isinstance(v, str) for v in body.get("client_attrs", {}).values())


def test_wrong_password_and_unknown_user_are_denied(stack, api, org):
    username = make_user(api, "emqx-deny")
    for request in (connect_request(username, "wrong-password", f"{org['org_id']}/c1"),
                    connect_request(f"nobody@{org['org_id']}", "secure-password", f"{org['org_id']}/c1")):
        reply = post(stack, "authenticate", request)
        assert reply.status_code == 200
        assert reply.json()["result"] == "deny", (request, reply.json())


def test_temporary_credentials_carry_expire_at(stack, api, org):
    allow(api, "t/#")
    issued = api.post("/v2/tokens", json={"user_id": "emqx-temp", "ttl": 600})
    assert issued.status_code in (200, 201), issued.text
    token = issued.json()
    reply = post(stack, "authenticate", connect_request(token["mqtt_username"], token["mqtt_password"],
                                                        f"{org['org_id']}/tok"))
    body = reply.json()
    assert body["result"] == "allow" and isinstance(body["expire_at"], int)


def test_the_internal_user_is_a_superuser(stack):
    reply = post(stack, "authenticate", connect_request("cloudsignal-internal", stack.broker.secret, "svc"))
    assert reply.json()["result"] == "allow" and reply.json()["is_superuser"] is True


def test_authorization_requests_as_emqx_renders_them(stack, api, org):
    allow(api, "sensors/#", action="publish")
    username = make_user(api, "emqx-authz")
    template = body_template("authorize")

    def ask(action: str, topic: str) -> str:
        body = render(template, {"username": username, "clientid": f"{org['org_id']}/c1", "peerhost": "10.0.0.7",
                                 "action": action, "topic": topic, "qos": "1", "retain": "false"})
        reply = post(stack, "authorize", body)
        assert reply.status_code == 200, reply.text
        return reply.json()["result"]

    assert ask("publish", f"{org['org_id']}/sensors/1") == "allow"
    assert ask("subscribe", f"{org['org_id']}/sensors/1") == "deny"
    assert ask("publish", "org_aaaaaaaaaaaa/sensors/1") == "deny"  # another organization's namespace
    assert ask("subscribe", "$SYS/#") == "deny"


def test_without_the_broker_secret_emqx_gets_no_decision(stack):
    reply = post(stack, "authenticate", connect_request("x@org_aaaaaaaaaaaa", "p", "c"), secret="wrong")
    assert reply.status_code == 401  # EMQX treats 4xx as `ignore`; with no other authenticator: refused
