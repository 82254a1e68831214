"""The verified-credential cache: hits skip Argon2, and any credential change makes them miss."""

import os
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from events import verified as module
from events.secrets import hash_api_key, hash_password
from events.verified import VerifiedCredentials


def user(password="secure-password", name="agent-01"):
    return SimpleNamespace(name=name, org_id="org_aaaaaaaaaaaa", password_hash=hash_password(password),
                           disabled=False)


def test_a_verified_password_is_a_hit_and_a_wrong_one_is_not():
    cache, principal = VerifiedCredentials(), user()
    assert not cache.cached(principal, "secure-password")
    assert cache.check(principal, "secure-password")
    assert cache.cached(principal, "secure-password")
    assert not cache.cached(principal, "secure-passwor")
    assert not cache.check(principal, "wrong")
    assert cache.cached(principal, "secure-password")  # a wrong attempt does not evict the right one
    assert cache.hits == 4  # answered from the entry: right, wrong, wrong, right


def test_wrong_passwords_for_a_known_user_never_run_argon2(monkeypatch):
    cache, principal = VerifiedCredentials(), user()
    assert cache.check(principal, "secure-password")
    monkeypatch.setattr(module, "verify_password", lambda *_: (_ for _ in ()).throw(AssertionError("slow path")))
    for attempt in range(100):
        assert not cache.check(principal, f"guess-{attempt}")


def test_hits_never_run_argon2(monkeypatch):
    cache, principal = VerifiedCredentials(), user()
    assert cache.check(principal, "secure-password")
    monkeypatch.setattr(module, "verify_password", lambda *_: (_ for _ in ()).throw(AssertionError("slow path")))
    for _ in range(100):
        assert cache.check(principal, "secure-password")


def test_password_change_disable_and_delete_invalidate_without_a_callback():
    cache, principal = VerifiedCredentials(), user()
    assert cache.check(principal, "secure-password")
    principal.password_hash = hash_password("secure-password")  # changed, even to the same text
    assert not cache.cached(principal, "secure-password")
    assert cache.check(principal, "secure-password")
    principal.disabled = True
    assert not cache.cached(principal, "secure-password") and not cache.check(principal, "secure-password")
    principal.disabled = False
    assert cache.cached(principal, "secure-password")
    recreated = user()  # deleted, then created again with the same name and password: a new salt
    assert not cache.cached(recreated, "secure-password")


def test_temporary_credentials_stop_hitting_at_expiry():
    cache = VerifiedCredentials()
    credential = SimpleNamespace(name="tok_abc", org_id="org_aaaaaaaaaaaa", password_hash=hash_api_key("t" * 32),
                                 disabled=False, expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
    assert cache.check(credential, "t" * 32) and cache.cached(credential, "t" * 32)
    credential.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert not cache.cached(credential, "t" * 32) and not cache.check(credential, "t" * 32)


def test_a_hash_read_before_verifying_never_lets_a_changed_password_in():
    cache, principal = VerifiedCredentials(), user("old-password")
    old_hash = principal.password_hash
    principal.password_hash = hash_password("new-password")  # changed while "old" was being verified
    cache.remember(principal, "old-password", old_hash)
    assert not cache.cached(principal, "old-password")


def test_bounded_and_keyed_per_process():
    cache = VerifiedCredentials(max_entries=3)
    principals = [user(name=f"u{i}") for i in range(5)]
    for principal in principals:
        cache.remember(principal, "secure-password", principal.password_hash)
    assert len(cache) == 3
    assert not cache.cached(principals[0], "secure-password") and cache.cached(principals[4], "secure-password")
    other = VerifiedCredentials()
    assert other._key != cache._key
    assert all(b"secure-password" not in mac for _, mac in cache._entries.values())


def test_a_forked_child_starts_empty_with_a_new_key():
    principal = user()
    module.remember(principal, "secure-password", principal.password_hash)
    key = module.verified._key
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.write(write, b"1" if len(module.verified) == 0 and module.verified._key != key else b"0")
        os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert module.cached(principal, "secure-password")
