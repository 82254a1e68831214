"""Issue 13, item 1: values from outside (token claims) are data, never rule syntax.

A rule set `users/{claims.sub}/#` and a token whose `sub` is `${clientid}`: the plugin renders
`${clientid}` per session, so before the fix the holder chose any victim's topics by choosing its
client id. A claim holding '+', '#', '/', '$', '{', '}' or a control character now makes the rule
that names it void (an allow gives nothing; a deny is broadened), as an unusable client id does.
"""

import pytest
import requests

from tests.support.identity import IdentityProvider
from tests.support.mqtt import MqttTestClient


@pytest.fixture(scope="module")
def idp():
    provider = IdentityProvider()
    yield provider
    provider.stop()


@pytest.fixture
def exchange(api, idp):
    assert api.post("/v2/acl/rule-sets", json={"name": "per-user", "rules": [
        {"topic": "users/{claims.sub}/#", "action": "both", "permission": "allow"}]}).status_code == 201
    reply = api.post("/v2/auth-providers", json={
        "name": "idp", "type": "oidc", "issuer": idp.issuer, "audience": idp.audience, "jwks_url": idp.jwks_url,
        "acl_set": "per-user"})
    assert reply.status_code == 201, reply.text

    def run(sub):
        reply = api.post("/v2/tokens/exchange", json={"token": idp.token(sub=sub)})
        assert reply.status_code == 200, reply.text
        return reply.json()
    return run


def broker_rules(stack, creds, client_id):
    """The rules the service hands the broker at CONNECT (the plugin renders ${clientid} in them)."""
    reply = requests.post(stack.service.internal_url + "/internal/broker/authenticate", timeout=10,
                          headers={"Authorization": "Bearer " + stack.broker.secret},
                          json={"username": creds["mqtt_username"], "password": creds["mqtt_password"],
                                "clientid": client_id, "peerhost": "127.0.0.1"})
    assert reply.status_code == 200 and reply.json()["result"] == "allow", reply.text
    return [rule["topic"] for rule in reply.json()["acl"]]


@pytest.mark.parametrize("sub", ["${clientid}", "a/b", "+", "#", "{username}", "x\ny", "$SYS"])
def test_a_hostile_claim_gets_no_access_to_anyone_s_topics(stack, api, org, exchange, sub):
    prefix = org["org_id"] + "/"
    creds = exchange(sub)
    # The rule that names the hostile claim is void: nothing reaches the broker for it, above all
    # no '${clientid}' that the plugin would render as the attacker's chosen client id.
    assert broker_rules(stack, creds, org["org_id"] + "/alice") == []
    attacker = MqttTestClient(stack.broker.port, creds["mqtt_username"], creds["mqtt_password"], client_id=org["org_id"] + "/alice")
    try:
        assert attacker.accepted
        assert not attacker.subscribed(prefix + "users/alice/inbox")
        assert not attacker.subscribed(prefix + "users/+/inbox")
        assert attacker.publish(prefix + "users/alice/inbox", b"forged").is_failure
    finally:
        attacker.close()


def test_a_plain_claim_still_works(stack, api, org, exchange):
    prefix = org["org_id"] + "/"
    creds = exchange("alice")
    assert broker_rules(stack, creds, org["org_id"] + "/bob") == [org["org_id"] + "/users/alice/#"]
    client = MqttTestClient(stack.broker.port, creds["mqtt_username"], creds["mqtt_password"], client_id=org["org_id"] + "/bob")
    try:
        assert client.accepted
        assert client.subscribed(prefix + "users/alice/inbox")
        assert not client.subscribed(prefix + "users/bob/inbox")
    finally:
        client.close()
