"""Issue 13, items 6 and 10: temporary credentials stay bounded by a live provider and by what the
minting key may grant; `provider` may name a provider type when the organization has one of it."""

import time

import jwt

from tests.conftest import Client

SECRET = "a-shared-secret-of-32-characters!"


def token(secret=SECRET, **claims):
    return jwt.encode({"sub": "user-1", "exp": int(time.time()) + 300, **claims}, secret, algorithm="HS256")


def add_provider(api, name, provider_type="jwt", **settings):
    body = {"name": name, "type": provider_type, **({"secret": SECRET} if "secret" not in settings else {}),
            **settings}
    reply = api.post("/v2/auth-providers", json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()


def refresh(client, creds):
    return client.post("/v2/tokens/refresh", json={"mqtt_username": creds["mqtt_username"],
                                                   "mqtt_password": creds["mqtt_password"]})


def test_refresh_needs_a_live_provider(api):
    add_provider(api, "idp")
    creds = api.post("/v2/tokens/exchange", json={"token": token()}).json()
    assert refresh(api, creds).status_code == 200
    assert api.delete("/v2/auth-providers/idp").status_code == 204
    refused = refresh(api, creds)
    assert refused.status_code == 403 and refused.json()["error"] == "provider_inactive", refused.text


def test_a_disabled_provider_neither_exchanges_nor_refreshes(api):
    add_provider(api, "idp")
    creds = api.post("/v2/tokens/exchange", json={"token": token()}).json()
    disabled = api.patch("/v2/auth-providers/idp", json={"enabled": False})
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    refused = refresh(api, creds)
    assert refused.status_code == 403 and refused.json()["error"] == "provider_inactive"
    exchange = api.post("/v2/tokens/exchange", json={"token": token()})
    assert exchange.status_code == 403 and exchange.json()["error"] == "provider_disabled"
    assert api.patch("/v2/auth-providers/idp", json={"enabled": True}).status_code == 200
    assert refresh(api, creds).status_code == 200


def test_a_tokens_create_key_cannot_pick_a_rule_set(service, api):
    everything = api.post("/v2/acl/rule-sets", json={"name": "everything", "rules": [
        {"topic": "#", "action": "both", "permission": "allow"}]})
    assert everything.status_code == 201
    minter = Client(service.url, api.post("/v2/api-keys", json={
        "name": "m", "type": "restricted", "scopes": ["tokens:create"]}).json()["key"])
    before = len(api.get("/v2/events?type=TemporaryCredential&limit=500").json()["data"])
    refused = minter.post("/v2/tokens", json={"user_id": "d1", "acl_set": "everything"})
    assert refused.status_code == 403 and refused.json()["error"] == "insufficient_scope", refused.text
    assert len(api.get("/v2/events?type=TemporaryCredential&limit=500").json()["data"]) == before
    assert minter.post("/v2/tokens", json={"user_id": "d1"}).status_code == 201
    granter = Client(service.url, api.post("/v2/api-keys", json={
        "name": "g", "type": "restricted", "scopes": ["tokens:create", "acl:write"]}).json()["key"])
    assert granter.post("/v2/tokens", json={"user_id": "d1", "acl_set": "everything"}).status_code == 201
    assert api.post("/v2/tokens", json={"user_id": "d1", "acl_set": "everything"}).status_code == 201


def test_the_provider_may_be_named_by_its_type(api):
    add_provider(api, "my-supabase", "supabase", project_url="https://abcdefgh.supabase.co", secret=SECRET)
    add_provider(api, "first-jwt")
    add_provider(api, "second-jwt")
    supabase_token = token(iss="https://abcdefgh.supabase.co/auth/v1", aud="authenticated")
    reply = api.post("/v2/tokens/exchange", json={"provider": "supabase", "token": supabase_token})
    assert reply.status_code == 200, reply.text
    assert reply.json()["provider"] == "my-supabase"
    ambiguous = api.post("/v2/tokens/exchange", json={"provider": "jwt", "token": token()})
    assert ambiguous.status_code == 400 and ambiguous.json()["error"] == "provider_ambiguous"
    assert sorted(ambiguous.json()["detail"]["providers"]) == ["first-jwt", "second-jwt"]
    assert api.post("/v2/tokens/exchange", json={"provider": "first-jwt", "token": token()}).status_code == 200
    missing = api.post("/v2/tokens/exchange", json={"provider": "auth0", "token": token()})
    assert missing.status_code == 404 and missing.json()["error"] == "provider_not_found"
