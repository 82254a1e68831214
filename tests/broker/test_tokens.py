"""Token exchange against a real JWKS over loopback, temporary credentials on the real broker."""

import base64
import json
import time
from datetime import datetime

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Client
from tests.support.identity import IdentityProvider
from tests.support.mqtt import MqttTestClient


@pytest.fixture(scope="module")
def idp():
    provider = IdentityProvider()
    yield provider
    provider.stop()


@pytest.fixture
def provider(api, idp):
    api.post("/v2/acl/rule-sets", json={"name": "browsers", "rules": [
        {"topic": "users/{claims.sub}/#", "action": "both", "permission": "allow"},
        {"topic": "teams/{claims.team}/#", "action": "subscribe", "permission": "allow"}]})
    reply = api.post("/v2/auth-providers", json={
        "name": "idp", "type": "oidc", "issuer": idp.issuer, "audience": idp.audience, "jwks_url": idp.jwks_url,
        "acl_set": "browsers", "required_claims": ["email"], "default_ttl": 600})
    assert reply.status_code == 201, reply.text
    return reply.json()


@pytest.fixture
def public(stack, api):
    key = api.post("/v2/api-keys", json={"name": "browser", "type": "public"}).json()["key"]
    return Client(stack.service.url, key)


def exchange(client, token, **extra):
    return client.post("/v2/tokens/exchange", json={"token": token, **extra})


def test_a_valid_token_becomes_credentials_that_obey_the_rule_set(stack, org, public, provider, idp):
    reply = exchange(public, idp.token(email="a@example.test", team="blue"))
    assert reply.status_code == 200, reply.text
    creds = reply.json()
    assert creds["mqtt_username"].startswith("tok_") and creds["mqtt_username"].endswith("@" + org["org_id"])
    assert creds["user_id"] == "user-123" and creds["provider"] == "idp"
    assert 590 <= creds["expires_in"] <= 600
    prefix = org["org_id"] + "/"
    client = MqttTestClient(stack.broker.port, creds["mqtt_username"], creds["mqtt_password"])
    try:
        assert client.accepted
        assert client.subscribed(prefix + "users/user-123/inbox")
        assert not client.publish(prefix + "users/user-123/inbox", b"hi").is_failure
        assert client.receive() == (prefix + "users/user-123/inbox", b"hi")
        assert client.publish(prefix + "users/user-456/inbox", b"no").is_failure
        assert client.subscribed(prefix + "teams/blue/news")
        assert not client.subscribed(prefix + "teams/red/news")
    finally:
        client.close()
    wrong = MqttTestClient(stack.broker.port, creds["mqtt_username"], "not-the-password")
    assert not wrong.accepted
    wrong.close()


def test_bad_tokens_get_the_right_error_and_no_credentials(stack, api, public, provider, idp):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    unsigned = (base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=") + b"." +
                base64.urlsafe_b64encode(json.dumps({"iss": idp.issuer, "aud": idp.audience, "sub": "x",
                                                     "email": "e", "exp": int(time.time()) + 60}).encode())
                .rstrip(b"=") + b".").decode()
    cases = {
        "expired": (idp.token(lifetime=-120, email="e"), 401, "token_expired"),
        "wrong issuer": (idp.token(iss="https://evil.test", email="e"), 401, "invalid_token"),
        "wrong audience": (idp.token(aud="someone-else", email="e"), 401, "invalid_token"),
        "bad signature": (idp.token(key=other_key, email="e"), 401, "invalid_token"),
        "alg none": (unsigned, 401, "invalid_token"),
        "missing claim": (idp.token(), 400, "missing_claim"),
        "not a jwt": ("hello", 401, "invalid_token"),
    }
    for case, (token, status, code) in cases.items():
        reply = exchange(public, token)
        assert (reply.status_code, reply.json()["error"]) == (status, code), case
        assert "mqtt_password" not in reply.text
    unknown = exchange(public, idp.token(email="e"), provider="nope")
    assert unknown.status_code == 404 and unknown.json()["error"] == "provider_not_found"
    assert exchange(public, "").status_code == 400


def test_signing_key_rotation(public, provider, idp):
    assert exchange(public, idp.token(email="e")).status_code == 200
    before = idp.jwks_requests
    idp.rotate()
    time.sleep(1.1)  # the service refetches an unknown key id at most once per second here
    assert exchange(public, idp.token(email="e")).status_code == 200  # unknown kid: refetched once
    assert idp.jwks_requests - before in (1, 2)  # once per service process that served it


def test_credentials_expire_and_refresh(stack, api, org, public, provider, idp):
    creds = exchange(public, idp.token(email="e"), ttl=3).json()
    client = MqttTestClient(stack.broker.port, creds["mqtt_username"], creds["mqtt_password"])
    assert client.accepted
    refreshed = public.post("/v2/tokens/refresh", json={"mqtt_username": creds["mqtt_username"],
                                                        "mqtt_password": creds["mqtt_password"]})
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] >= 2
    time.sleep(1.5)
    refreshed = public.post("/v2/tokens/refresh", json={"mqtt_username": creds["mqtt_username"],
                                                        "mqtt_password": creds["mqtt_password"]})
    assert refreshed.status_code == 200
    expire_at = datetime.fromisoformat(refreshed.json()["expires_at"]).timestamp()
    time.sleep(max(0.0, expire_at - time.time() - 1.0))
    assert not client.disconnected.is_set()  # the refresh moved the expiry
    assert client.disconnected.wait(3.5)
    assert time.time() - expire_at < 2.0  # kicked within two seconds of expiry
    time.sleep(max(0.0, expire_at - time.time() + 0.1))
    late = public.post("/v2/tokens/refresh", json={"mqtt_username": creds["mqtt_username"],
                                                   "mqtt_password": creds["mqtt_password"]})
    assert late.status_code == 401 and late.json()["error"] == "token_expired"
    again = MqttTestClient(stack.broker.port, creds["mqtt_username"], creds["mqtt_password"])
    assert not again.accepted
    again.close()


def test_key_types_and_scopes(stack, api, public, provider, idp):
    assert public.get("/v2/users").status_code == 403
    assert public.post("/v2/tokens", json={"user_id": "u1"}).status_code == 403
    minter = Client(stack.service.url, api.post("/v2/api-keys", json={
        "name": "m", "type": "restricted", "scopes": ["tokens:create"]}).json()["key"])
    other = Client(stack.service.url, api.post("/v2/api-keys", json={
        "name": "o", "type": "restricted", "scopes": ["users:read"]}).json()["key"])
    minted = minter.post("/v2/tokens", json={"user_id": "device-9", "ttl": 120})
    assert minted.status_code == 201 and minted.json()["provider"] is None
    assert other.post("/v2/tokens", json={"user_id": "device-9"}).status_code == 403
    assert other.post("/v2/tokens/exchange", json={"token": idp.token(email="e")}).status_code == 403
    assert api.post("/v2/tokens", json={"user_id": "device-9", "ttl": 86401}).status_code == 400
    client = MqttTestClient(stack.broker.port, minted.json()["mqtt_username"], minted.json()["mqtt_password"])
    assert client.accepted
    client.close()


def test_shared_secret_providers(stack, api, org):
    secret = "a-very-long-shared-secret-0123456789"
    created = api.post("/v2/auth-providers", json={"name": "supa", "type": "supabase",
                                                   "project_url": "https://abc.supabase.co", "secret": secret})
    assert created.status_code == 201 and created.json()["has_secret"] is True
    assert "secret" not in api.get("/v2/auth-providers/supa").json()
    now = int(time.time())
    claims = {"iss": "https://abc.supabase.co/auth/v1", "aud": "authenticated", "sub": "s-1", "exp": now + 60}
    token = jwt.encode(claims, secret, algorithm="HS256")
    reply = api.post("/v2/tokens/exchange", json={"provider": "supa", "token": token})
    assert reply.status_code == 200 and reply.json()["user_id"] == "s-1"
    forged = jwt.encode(claims, "another-secret-of-enough-length-000", algorithm="HS256")
    assert api.post("/v2/tokens/exchange", json={"provider": "supa", "token": forged}).status_code == 401
    # two providers: the request must say which
    api.post("/v2/auth-providers", json={"name": "plain", "type": "jwt", "secret": secret})
    ambiguous = api.post("/v2/tokens/exchange", json={"token": token})
    assert ambiguous.status_code == 400 and ambiguous.json()["error"] == "provider_required"


@pytest.mark.parametrize("body, fragment", [
    ({"name": "x", "type": "oidc", "issuer": "https://i"}, "jwks_url"),
    ({"name": "x", "type": "auth0"}, "domain"),
    ({"name": "x", "type": "jwt"}, "secret or public_key"),
    ({"name": "x", "type": "jwt", "secret": "short"}, "secret"),
    ({"name": "x", "type": "magic"}, "type"),
    ({"name": "x", "type": "firebase", "project_id": "p", "default_ttl": 100, "max_ttl": 10}, "default_ttl"),
])
def test_invalid_providers_are_400(api, body, fragment):
    reply = api.post("/v2/auth-providers", json=body)
    assert reply.status_code == 400 and fragment in json.dumps(reply.json()["detail"]), reply.text
    assert api.get("/v2/auth-providers").json()["data"] == []
