"""The domain application against each event store: POPO (memory), SQLite and PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest

from events.application import CloudSignal
from events.context import acting_as
from events.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from events.secrets import hash_api_key, verify_password
from events.store import persistence_env


def store_env(request, tmp_path):
    if request.param == "popo":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if request.param == "sqlite":
        return persistence_env({"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "events.sqlite")})
    return persistence_env({"DATABASE_URL": request.getfixturevalue("database_url")})


@pytest.fixture(params=["popo", "sqlite", "postgres"])
def env(request, tmp_path):
    return store_env(request, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
def durable_env(request, tmp_path):
    """Stores that outlive an application instance."""
    return store_env(request, tmp_path)


@pytest.fixture
def app(env):
    return CloudSignal(env=env)


@pytest.fixture
def org_id(app):
    return app.create_organization("Acme").org_id


def test_users_are_created_with_a_slow_hash_and_unique_names(app, org_id):
    user = app.create_user(org_id, "agent-01", "secure-password", metadata={"team": "a"})
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "secure-password")
    assert not verify_password(user.password_hash, "wrong-password")
    with pytest.raises(Conflict):
        app.create_user(org_id, "agent-01", "another-password")
    other_org = app.create_organization("Other").org_id
    assert app.create_user(other_org, "agent-01", "secure-password").org_id == other_org


def test_deleting_a_user_frees_the_name(app, org_id):
    app.create_user(org_id, "agent-01", "secure-password")
    app.delete_user(org_id, "agent-01")
    with pytest.raises(NotFound):
        app.view.find_user(org_id, "agent-01")
    again = app.create_user(org_id, "agent-01", "other-password")
    assert app.view.find_user(org_id, "agent-01").user_id == again.user_id


def test_changes_are_events_with_actor_and_request_id(app, org_id):
    with acting_as("key_abc", "req_123"):
        app.create_user(org_id, "agent-01", "secure-password")
        app.change_user(org_id, "agent-01", disabled=True)
    user = app.view.find_user(org_id, "agent-01")
    events = list(app.events.get(user.id))
    assert [type(e).__name__ for e in events] == ["Created", "Disabled"]
    assert {(e.actor, e.request_id) for e in events} == {("key_abc", "req_123")}
    assert user.disabled is True


def test_rule_sets_are_named_uniquely_and_protected_while_assigned(app, org_id):
    rule = {"topic": "agents/{username}/#", "action": "both", "permission": "allow", "priority": 10, "user": None}
    app.create_rule_set(org_id, "backend", "", [rule])
    with pytest.raises(Conflict):
        app.create_rule_set(org_id, "backend", "", [])
    app.create_user(org_id, "svc", "secure-password", rule_set="backend")
    with pytest.raises(Conflict):
        app.delete_rule_set(org_id, "backend")
    app.change_rule_set(org_id, "backend", name="backend-services")
    assert app.view.find_rule_set(org_id, "backend-services").rules[0]["topic"] == rule["topic"]
    app.create_rule_set(org_id, "backend", "the old name is free again", [])
    with pytest.raises(NotFound):
        app.create_user(org_id, "svc2", "secure-password", rule_set="missing")


def test_invalid_rules_are_refused(app, org_id):
    with pytest.raises(InvalidInput):
        app.create_rule(org_id, {"topic": "a/#/b", "action": "publish", "permission": "allow"})
    assert app.view.rules_of(org_id) == []


def test_keys_are_stored_as_hashes_and_rotate(app, org_id):
    key, secret = app.create_key(org_id, "ci", "restricted", ["users:read"])
    assert secret.startswith("rk_") and len(secret) >= 35
    assert key.key_hash == hash_api_key(secret) and secret not in repr(vars(key))
    assert app.view.key_by_hash(hash_api_key(secret)).key_id == key.key_id
    new, new_secret = app.rotate_key(org_id, key.key_id)
    assert app.view.find_key(org_id, key.key_id).revoked is True
    assert app.view.key_by_hash(hash_api_key(new_secret)).key_id == new.key_id
    with pytest.raises(InvalidInput):
        app.create_key(org_id, "bad", "restricted", ["users:fly"])
    with pytest.raises(InvalidInput):
        app.create_key(org_id, "bad", "secret", expires_at=datetime.now(timezone.utc) - timedelta(1))


def test_quotas(env):
    app = CloudSignal(env={**env, "CLOUDSIGNAL_MAX_USERS": "1"})
    org_id = app.create_organization("Small").org_id
    app.create_user(org_id, "one", "secure-password")
    with pytest.raises(QuotaExceeded):
        app.create_user(org_id, "two", "secure-password")


def test_a_second_application_rebuilds_the_same_state_from_events(durable_env):
    env = durable_env
    app = CloudSignal(env=env)
    org_id = app.create_organization("Acme").org_id
    app.create_user(org_id, "agent-01", "secure-password")
    app.create_rule(org_id, {"topic": "a/#", "action": "both", "permission": "allow"})
    key, _ = app.create_key(org_id, "k", "public")
    replica = CloudSignal(env=env)
    assert replica.view.find_user(org_id, "agent-01").password_hash == app.view.find_user(org_id, "agent-01").password_hash
    assert [r.rule for r in replica.view.rules_of(org_id)] == [r.rule for r in app.view.rules_of(org_id)]
    app.change_user(org_id, "agent-01", disabled=True)
    # a miss or a stale read catches up with the log
    app.create_user(org_id, "agent-02", "secure-password")
    assert replica.view.find_user(org_id, "agent-02").name == "agent-02"
    assert replica.view.find_user(org_id, "agent-01").disabled is True
    assert replica.view.find_key(org_id, key.key_id).key_type == "public"
