"""The broker-facing endpoints answer the request shapes EMQX and mosquitto-go-auth send."""

import requests

from tests.broker.conftest import allow, make_user


def post(stack, path, body, secret=True, query=False):
    headers = {"Authorization": f"Bearer {stack.broker.secret}"} if secret and not query else {}
    params = {"broker_secret": stack.broker.secret} if query else None
    return requests.post(f"{stack.service.internal_url}{path}", json=body, headers=headers, params=params, timeout=10)


def test_emqx_authentication_and_authorization(stack, api, org):
    username = make_user(api, "agent-01")
    allow(api, "agents/{username}/#")
    allow(api, "devices/{client_id}/#", action="publish")
    # EMQX sends what its body template says; this is the documented default plus extras
    body = {"username": username, "password": "secure-password", "clientid": "c1", "peerhost": "127.0.0.1",
            "cert_common_name": None}
    reply = post(stack, "/internal/broker/authenticate", body).json()
    assert reply["result"] == "allow" and reply["is_superuser"] is False
    prefix = org["org_id"] + "/"
    assert {"permission": "allow", "action": "all", "topic": prefix + "agents/agent-01/#"} in reply["acl"]
    assert {"permission": "allow", "action": "publish", "topic": prefix + "devices/${clientid}/#"} in reply["acl"]
    assert post(stack, "/internal/broker/authenticate", {**body, "password": "nope"}).json()["result"] == "deny"

    def authorize(topic, action, clientid="c1"):
        return post(stack, "/internal/broker/authorize", {"username": username, "clientid": clientid,
                                                          "topic": topic, "action": action}).json()["result"]

    assert authorize(prefix + "agents/agent-01/x", "publish") == "allow"
    assert authorize(prefix + "agents/agent-02/x", "publish") == "deny"
    assert authorize("agents/agent-01/x", "publish") == "deny"  # outside the namespace
    assert authorize(prefix + "devices/c1/up", "publish") == "allow"
    assert authorize(prefix + "devices/c1/up", "publish", clientid="c2") == "deny"
    assert authorize("$SYS/#", "subscribe") == "deny"


def test_go_auth_http_backend(stack, api, org):
    username = make_user(api, "agent-01")
    allow(api, "agents/{username}/#", action="publish")
    prefix = org["org_id"] + "/"
    user = {"username": username, "password": "secure-password", "clientid": "c1"}
    assert post(stack, "/internal/go-auth/user", user, query=True).status_code == 200
    assert post(stack, "/internal/go-auth/user", {**user, "password": "x"}, query=True).json() == {
        "ok": False, "error": "wrong password"}
    assert post(stack, "/internal/go-auth/superuser", {"username": username}, query=True).status_code == 403
    acl = {"username": username, "clientid": "c1", "topic": prefix + "agents/agent-01/x"}
    assert post(stack, "/internal/go-auth/acl", {**acl, "acc": 2}, query=True).status_code == 200
    assert post(stack, "/internal/go-auth/acl", {**acl, "acc": 4}, query=True).status_code == 403
    assert post(stack, "/internal/go-auth/acl", {**acl, "acc": 3}, query=True).status_code == 403
    assert post(stack, "/internal/go-auth/acl", {**acl, "acc": 9}, query=True).status_code == 400


def test_internal_endpoints_need_the_broker_secret(stack, api):
    username = make_user(api, "agent-01")
    body = {"username": username, "password": "secure-password"}
    assert post(stack, "/internal/broker/authenticate", body, secret=False).status_code == 401
    wrong = requests.post(f"{stack.service.internal_url}/internal/broker/authenticate", json=body,
                          headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    # an API key is not the broker secret
    assert requests.post(f"{stack.service.internal_url}/internal/go-auth/user", json=body,
                         headers={"Authorization": f"Bearer {api.key}"}, timeout=10).status_code == 401


def test_a_current_verifier_that_did_not_match_refuses_without_hashing(stack, api, org):
    """The plugin names the credential version of a verifier the password did not match: while
    that version is current the service refuses at once (no Argon2, the same answer an unknown user
    gets); a stale version means the password changed since, and the password is checked."""
    username = make_user(api, "verified-elsewhere")
    body = {"username": username, "password": "secure-password", "clientid": f"{org['org_id']}/c1",
            "peerhost": "127.0.0.1"}
    first = post(stack, "/internal/broker/authenticate", body).json()
    assert first["result"] == "allow" and len(first["credential_version"]) == 16
    # Even the right password is refused when the broker says its current verifier did not match:
    # proof that the service decided from the version, not from the password.
    said_wrong = post(stack, "/internal/broker/authenticate", {**body, "verifier_version": first["credential_version"]})
    assert said_wrong.json() == {"result": "deny", "is_superuser": False, "acl": [], "reason": "wrong password"}
    stale = post(stack, "/internal/broker/authenticate", {**body, "verifier_version": "0000000000000000"})
    assert stale.json()["result"] == "allow"
