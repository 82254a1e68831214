"""The aggregates guard their invariants: a refused command raises a domain error and records no
event; an allowed one records events that rebuild the same state."""

from datetime import datetime, timedelta, timezone

import pytest

from events.domainmodel import (
    TOKEN_MAX_TTL,
    ApiKey,
    KeyEscalation,
    MqttUser,
    ProviderInactive,
    Session,
    TemporaryCredential,
    mqtt_username,
    split_mqtt_username,
)
from events.errors import Conflict, InvalidInput
from events.secrets import hash_api_key

ORG = "org_aaaaaaaaaaaa"
NOW = datetime.now(timezone.utc)  # at import: for offsets of a day; tests near the present take their own


def key(key_type="secret", scopes=None, expires_at=None):
    created, _ = ApiKey.issue(ORG, f"{key_type} key", key_type, scopes, expires_at)
    created.collect_events()
    return created


def restricted(*scopes):
    return key("restricted", list(scopes))


def credential(ttl=60, provider_id=None):
    created, _ = TemporaryCredential.issue(ORG, "user-1", ttl, provider_id=provider_id)
    created.collect_events()
    return created


def refused(aggregate, error, command, *args, **kwargs):
    """`command` raises `error` and leaves `aggregate` without a new event."""
    with pytest.raises(error) as raised:
        command(*args, **kwargs)
    assert aggregate.collect_events() == []
    return raised.value


def replayed(aggregate, events):
    rebuilt = None
    for domain_event in events:
        rebuilt = domain_event.mutate(rebuilt)
    return rebuilt


# -- API keys: what a key takes --------------------------------------------------------------

@pytest.mark.parametrize("key_type, scopes, message", [
    ("admin", None, "unknown key type 'admin'"),
    ("restricted", ["users:read", "root"], "unknown scopes: root"),
    ("restricted", [], "a restricted key needs at least one scope"),
    ("secret", ["users:read"], "a secret key takes no scopes"),
    ("public", ["users:read"], "a public key takes no scopes"),
])
def test_a_key_takes_only_the_scopes_of_its_type(key_type, scopes, message):
    with pytest.raises(InvalidInput, match=message):
        ApiKey.issue(ORG, "k", key_type, scopes)


def test_scopes_are_kept_sorted_and_once():
    assert key("restricted", ["users:write", "acl:read", "users:write"]).scopes == ["acl:read", "users:write"]


def test_a_key_is_issued_with_its_plain_text_once_and_keeps_its_hash():
    issued, secret = ApiKey.issue(ORG, "k", "restricted", ["publish"], NOW + timedelta(days=1))
    assert issued.key_hash == hash_api_key(secret) and secret not in issued.hint and issued.hint.endswith(secret[-4:])
    assert replayed(issued, issued.collect_events()).scopes == ["publish"]


def test_a_key_expiring_in_the_past_is_not_issued():
    with pytest.raises(InvalidInput, match="expires_at must be in the future"):
        ApiKey.issue(ORG, "k", "secret", None, NOW - timedelta(seconds=1))


# -- API keys: no escalation -----------------------------------------------------------------

@pytest.mark.parametrize("by, key_type, scopes", [
    (("restricted", ["users:read"]), "secret", None),
    (("restricted", ["users:read"]), "public", None),
    (("restricted", ["users:read"]), "restricted", ["users:read", "users:write"]),
    (("public", None), "restricted", ["users:read"]),
])
def test_a_key_may_not_issue_a_more_powerful_key(by, key_type, scopes):
    with pytest.raises(KeyEscalation) as raised:
        ApiKey.issue(ORG, "k", key_type, scopes, None, key(*by))
    error = raised.value
    assert error.code == "insufficient_scope" and error.detail == {"allowed_scopes": key(*by).scopes}


def test_a_key_may_issue_keys_within_its_power():
    assert ApiKey.issue(ORG, "k", "restricted", ["users:read"], None, restricted("users:read", "acl:read"))
    assert ApiKey.issue(ORG, "k", "public", None, None, key("secret"))


def test_a_restricted_key_cannot_rotate_revoke_or_change_a_secret_key():
    secret, weak = key("secret"), restricted("keys:write")
    refused(secret, KeyEscalation, secret.rotate, weak)
    refused(secret, KeyEscalation, secret.revoke, weak)
    refused(secret, KeyEscalation, secret.rename, "other", weak)
    refused(secret, KeyEscalation, secret.change_scopes, [], weak)
    assert not secret.revoked


def test_scopes_are_not_changed_beyond_the_power_of_the_key_asking():
    target, asking = restricted("users:read"), restricted("users:read", "keys:write")
    refused(target, KeyEscalation, target.change_scopes, ["users:read", "users:write"], asking)
    target.change_scopes(["keys:write"], asking)
    assert target.scopes == ["keys:write"]


def test_scopes_are_changed_only_to_valid_ones_and_only_when_they_differ():
    target = restricted("users:read")
    refused(target, InvalidInput, target.change_scopes, [])
    target.change_scopes(["users:read"])
    assert target.collect_events() == []
    target.change_scopes(["acl:read", "users:read"])
    events = target.collect_events()
    assert [type(e).__name__ for e in events] == ["ScopesChanged"] and events[0].scopes == ["acl:read", "users:read"]


# -- API keys: revoked keys ------------------------------------------------------------------

def test_a_revoked_key_is_not_changed_or_rotated():
    revoked = key("secret")
    revoked.revoke()
    revoked.collect_events()
    assert "is revoked" in refused(revoked, Conflict, revoked.rename, "other").message
    refused(revoked, Conflict, revoked.change_scopes, [])
    assert refused(revoked, Conflict, revoked.rotate).message.endswith("is revoked; create a new one instead")


def test_a_key_is_revoked_once():
    target = key("secret")
    target.revoke()
    target.revoke()
    assert [type(e).__name__ for e in target.collect_events()] == ["Revoked"]


def test_rotation_revokes_the_old_key_and_copies_it():
    old = restricted("users:read")
    old.expires_at = NOW + timedelta(days=1)
    new, secret = old.rotate(restricted("users:read"))
    assert old.revoked and [type(e).__name__ for e in old.collect_events()] == ["Revoked"]
    assert (new.name, new.key_type, new.scopes, new.expires_at) == (old.name, old.key_type, old.scopes, old.expires_at)
    assert new.key_id != old.key_id and new.key_hash == hash_api_key(secret) and not new.revoked


# -- API keys: what a key may call -----------------------------------------------------------

def test_what_a_key_grants():
    assert key("secret").grants("keys:write")
    assert restricted("users:read").grants("users:read") and not restricted("users:read").grants("users:write")
    assert not key("public").grants("tokens:create") and key("public").grants("tokens:create", True)


def test_a_key_expires_at_its_expiry():
    assert not key("secret").has_expired()
    now = datetime.now(timezone.utc)  # not NOW: minutes may pass between import and this test
    expiring = key("secret", expires_at=now + timedelta(seconds=30))
    assert not expiring.has_expired(now) and expiring.has_expired(now + timedelta(seconds=30))


# -- temporary credentials -------------------------------------------------------------------

@pytest.mark.parametrize("ttl", [0, -5, TOKEN_MAX_TTL + 1])
def test_credentials_live_1_to_token_max_ttl_seconds(ttl):
    with pytest.raises(InvalidInput, match=f"ttl must be 1 to {TOKEN_MAX_TTL} seconds"):
        TemporaryCredential.issue(ORG, "user-1", ttl)


def test_issued_credentials_expire_after_their_ttl():
    issued, password = TemporaryCredential.issue(ORG, "user-1", TOKEN_MAX_TTL)
    assert issued.name.startswith("tok_") and issued.password_hash == hash_api_key(password)
    lifetime = (issued.expires_at - datetime.now(timezone.utc)).total_seconds()
    assert TOKEN_MAX_TTL - 5 < lifetime <= TOKEN_MAX_TTL
    assert not issued.has_expired() and issued.has_expired(issued.expires_at)


def test_expired_credentials_are_not_extended():
    expired = credential(ttl=60)
    later = expired.expires_at + timedelta(seconds=1)
    assert "have expired" in refused(expired, InvalidInput, expired.extend, True, later).message


def test_credentials_of_an_inactive_provider_are_not_extended():
    exchanged = credential(provider_id="prv_1")
    assert refused(exchanged, ProviderInactive, exchanged.extend, False).code == "provider_inactive"


def test_credentials_are_extended_by_their_ttl():
    extended = credential(ttl=60)
    at = datetime.now(timezone.utc) + timedelta(seconds=30)
    extended.extend(True, at)
    events = extended.collect_events()
    assert extended.expires_at == at + timedelta(seconds=60) and [type(e).__name__ for e in events] == ["Refreshed"]


# -- the MQTT username -----------------------------------------------------------------------

def test_one_format_for_users_credentials_and_sessions():
    user = MqttUser(user_id="usr_1", org_id=ORG, name="agent-01", password_hash="x", rule_set_id=None, metadata={})
    session = Session(session_id="s1", broker_id="b1", org_id=ORG, client_id="c1", username="agent-01",
                      peer_address=None, protocol_version=5, clean_start=True, connected_at=NOW)
    assert user.mqtt_username == session.mqtt_username == mqtt_username("agent-01", ORG) == f"agent-01@{ORG}"
    issued = credential()
    assert issued.mqtt_username == f"{issued.name}@{ORG}"


@pytest.mark.parametrize("username, parts", [
    (f"agent-01@{ORG}", ("agent-01", ORG)),
    (f"a@b@{ORG}", ("a@b", ORG)),
    ("agent-01", None),
    (f"@{ORG}", None),
    ("agent-01@example.com", None),
])
def test_an_mqtt_username_is_read_back(username, parts):
    assert split_mqtt_username(username) == parts
