"""Issue 13, item 8: provider secrets are encrypted at rest with a deployment key kept outside the
event store (CLOUDSIGNAL_SECRETS_KEY_FILE), exports never carry them in clear, the key rotates,
and files holding state or secrets are readable by their owner only whatever the umask."""

import base64
import grp
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from cryptography.fernet import Fernet, InvalidToken

from events.application import CloudSignal
from events.store import persistence_env
from tests.conftest import Client
from tests.support.processes import ROOT, Service


def new_secret() -> str:
    return "hs256-" + secrets.token_hex(16)


def token(secret: str) -> str:
    return jwt.encode({"sub": "device-7", "exp": int(time.time()) + 300}, secret, algorithm="HS256")


def exchange(client: Client, provider: str, secret: str):
    return client.post("/v2/tokens/exchange", json={"provider": provider, "token": token(secret)})


def stored_states(env) -> list:
    """Every event's stored state, read straight from the recorder (no read model, no API)."""
    app = CloudSignal(env=persistence_env(env), build_view=False)
    states, start = [], 1
    while True:
        batch = app.recorder.select_notifications(start, 1000)
        if not batch:
            return states
        states += [n.state for n in batch]
        start = batch[-1].id + 1


def provider_events(env, provider_id: str) -> list:
    app = CloudSignal(env=persistence_env(env), build_view=False)
    from events.ids import aggregate_id

    return [json.loads(e.state) for e in app.recorder.select_events(aggregate_id(provider_id))]


def stored_secret_values(env, provider_id: str) -> list:
    return [state["settings"]["secret"] for state in provider_events(env, provider_id)
            if "settings" in state and state["settings"].get("secret")]


def test_a_provider_secret_is_not_in_the_store_nor_the_export_and_still_verifies(service, api, tmp_path):
    secret = new_secret()
    created = api.post("/v2/auth-providers", json={"name": "hs", "type": "jwt", "secret": secret})
    assert created.status_code == 201, created.text
    assert secret not in created.text and created.json()["has_secret"] is True
    assert exchange(api, "hs", secret).status_code == 200
    assert exchange(api, "hs", new_secret()).status_code == 401

    states = stored_states(service.env)
    assert any(b"HS256" in s or b'"hs"' in s for s in states)  # we read the right store
    assert not any(secret.encode() in state for state in states), "the secret is stored in clear"

    # a change of another setting keeps it encrypted, and the provider keeps working
    assert api.patch("/v2/auth-providers/hs", json={"audience": "devices"}).status_code == 200
    assert not any(secret.encode() in state for state in stored_states(service.env))
    assert api.patch("/v2/auth-providers/hs", json={"audience": None}).status_code in (200, 400)

    # the API and the audit history never show it
    assert secret not in api.get("/v2/auth-providers/hs").text
    assert secret not in api.get("/v2/events?type=AuthProvider&limit=500").text

    out = tmp_path / "log.jsonl"
    result = service.admin("export", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    decoded = [base64.b64decode(json.loads(line)["state"]) for line in text.splitlines() if line.strip()]
    assert decoded and not any(secret.encode() in state for state in decoded), "the export holds it in clear"
    assert secret not in text


@pytest.fixture
def own_deployment(tmp_path):
    """A SQLite deployment with its own key file, so rotating it touches no other test."""
    state = tmp_path / "state"
    env = {"CLOUDSIGNAL_SQLITE_PATH": str(state / "cloudsignal.sqlite"), "CLOUDSIGNAL_TENANCY": "single",
           "CLOUDSIGNAL_SECRETS_KEY_FILE": str(state / "secrets.key")}
    service = Service(env, log_dir=tmp_path)
    init = service.admin("init", "--json")
    assert init.returncode == 0, init.stderr
    service.start()
    yield service, Client(service.url, json.loads(init.stdout)["key"]), state
    service.stop()


def key_lines(path: Path) -> list:
    return [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_rotation_reencrypts_with_the_new_key_and_the_old_key_alone_cannot_read(own_deployment):
    service, api, state = own_deployment
    key_file = state / "secrets.key"
    assert key_file.exists(), "init creates the deployment key"
    assert _mode(key_file) == 0o600
    old_keys = key_file.read_text()
    [old_key] = key_lines(key_file)
    secret = new_secret()
    created = api.post("/v2/auth-providers", json={"name": "hs", "type": "jwt", "secret": secret}).json()
    assert exchange(api, "hs", secret).status_code == 200

    rotated = service.admin("secrets", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    keys = key_lines(key_file)
    assert len(keys) == 2 and keys[1] == old_key, "the new key goes first, the old one stays for reading"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    # the running service reads the new ciphertext with the new key
    deadline = time.monotonic() + 5
    while exchange(api, "hs", secret).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exchange(api, "hs", secret).status_code == 200

    latest = stored_secret_values(service.env, created["id"])[-1]
    assert secret not in latest
    token_bytes = latest.split(":")[-1].encode()
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(token_bytes)
    assert Fernet(keys[0].encode()).decrypt(token_bytes).decode() == secret

    # a deployment holding only the old key cannot read it (the exchange fails closed, 503)
    old_only = state / "old.key"
    old_only.write_text(old_keys)
    old_only.chmod(0o600)
    stale = Service({**{k: v for k, v in service.env.items() if k.startswith("CLOUDSIGNAL_S")},
                     "CLOUDSIGNAL_TENANCY": "single", "CLOUDSIGNAL_SECRETS_KEY_FILE": str(old_only)},
                    log_dir=state.parent).start()
    try:
        refused = exchange(Client(stale.url, api.key), "hs", secret)
        assert refused.status_code == 503 and refused.json()["error"] == "provider_unavailable", refused.text
        assert secret not in refused.text
    finally:
        stale.stop()

    check = subprocess.run([str(ROOT / ".venv/bin/cloudsignal-server"), "secrets", "check"], cwd=ROOT,
                           env={**service.env, "CLOUDSIGNAL_SECRETS_KEY_FILE": str(old_only)},
                           capture_output=True, text=True)
    assert check.returncode == 1 and created["id"] in check.stderr, check.stderr
    assert service.admin("secrets", "check").returncode == 0

    # once every process follows, the old key can be retired
    retired = service.admin("secrets", "retire")
    assert retired.returncode == 0, retired.stderr
    assert key_lines(key_file) == [keys[0]]
    assert exchange(api, "hs", secret).status_code == 200


def test_a_secret_stored_in_clear_before_keeps_working_and_rotate_encrypts_it(own_deployment):
    service, api, state = own_deployment
    secret = new_secret()
    org_id = api.get("/v2/organization").json()["id"]
    script = (  # as a deployment from before this change stored it: in clear
        "import os, sys\n"
        "from app import build_domain\n"
        "from events.domainmodel import AuthProvider, NameClaim\n"
        "d = build_domain(os.environ)\n"
        "p = AuthProvider(provider_id='ap_legacy0000001', org_id=sys.argv[1], name='legacy', provider_type='jwt',\n"
        "                 settings={'secret': sys.argv[2], 'user_claim': 'sub', 'required_claims': [],\n"
        "                           'acl_set': None, 'default_ttl': 3600, 'max_ttl': 86400, 'enabled': True})\n"
        "d.save(NameClaim(kind='auth provider', org_id=sys.argv[1], name='legacy', owner=p.provider_id), p)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, org_id, secret], cwd=ROOT, env=service.env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert stored_secret_values(service.env, "ap_legacy0000001") == [secret]
    deadline = time.monotonic() + 5
    while exchange(api, "legacy", secret).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert exchange(api, "legacy", secret).status_code == 200

    out = state / "before-rotate.jsonl"
    assert service.admin("export", "--out", str(out)).returncode == 0
    exported = [base64.b64decode(json.loads(line)["state"]) for line in out.read_text().splitlines()]
    assert not any(secret.encode() in s for s in exported), "an old event's clear secret leaks into the export"
    assert any(b"enc:fernet:" in s for s in exported)

    assert service.admin("secrets", "rotate").returncode == 0
    assert secret not in stored_secret_values(service.env, "ap_legacy0000001")[-1]
    time.sleep(0.5)
    assert exchange(api, "legacy", secret).status_code == 200


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_files_are_owner_only_whatever_the_umask(tmp_path):
    state = tmp_path / "var"  # does not exist yet: the service creates it
    env = {"CLOUDSIGNAL_SQLITE_PATH": str(state / "cloudsignal.sqlite"), "CLOUDSIGNAL_TENANCY": "single",
           "CLOUDSIGNAL_SECRETS_KEY_FILE": str(state / "secrets.key")}
    service = Service(env, log_dir=tmp_path)
    old = os.umask(0o022)
    try:
        init = service.admin("init", "--json")
        assert init.returncode == 0, init.stderr
        service.start()
        try:
            api = Client(service.url, json.loads(init.stdout)["key"])
            assert api.post("/v2/auth-providers", json={"name": "hs", "type": "jwt",
                                                        "secret": new_secret()}).status_code == 201
            assert api.post("/v2/users", json={"username": "u1", "password": "a-long-password-1"}).status_code == 201
            assert _mode(state) == 0o700
            written = sorted(state.iterdir())
            names = [p.name for p in written]
            assert "cloudsignal.sqlite" in names and "secrets.key" in names, names
            for path in written:
                assert _mode(path) == (0o700 if path.is_dir() else 0o600), (path.name, oct(_mode(path)))
        finally:
            service.stop()
    finally:
        os.umask(old)


def test_the_broker_secret_and_folders_are_closed_to_others(tmp_path):
    from app.broker.mosquitto_conf import BrokerSettings, render

    directory = tmp_path / "mosquitto"
    old = os.umask(0o022)
    try:
        render(BrokerSettings(directory=directory))
    finally:
        os.umask(old)
    try:
        mosquitto_gid = grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        mosquitto_gid = None
    shared = os.geteuid() == 0 and mosquitto_gid is not None
    secret = directory / "broker-secret"
    # Mosquitto drops from root to its own user and reads the secret again on a reload: as root the
    # files are group `mosquitto` (read only for the secret); nobody else reads anything.
    assert _mode(secret) == (0o640 if shared else 0o600)
    assert _mode(directory) == (0o750 if shared else 0o700)
    assert _mode(directory / "data") == (0o770 if shared else 0o700)
    assert _mode(directory / "mosquitto.conf") & 0o007 == 0
    if shared:
        assert secret.stat().st_gid == mosquitto_gid and secret.stat().st_uid == 0
    # an existing, world-readable secret is narrowed too
    secret.chmod(0o644)
    render(BrokerSettings(directory=directory))
    assert _mode(secret) & 0o077 == (0o040 if shared else 0)
    shutil.rmtree(directory)


def test_the_secret_box(tmp_path, monkeypatch):
    from events import secret_box

    key_file = tmp_path / "keys" / "secrets.key"
    monkeypatch.setenv("CLOUDSIGNAL_SECRETS_KEY_FILE", str(key_file))
    old = os.umask(0o022)
    try:
        sealed = secret_box.seal("a-shared-secret-of-32-characters!")
    finally:
        os.umask(old)
    assert _mode(key_file) == 0o600 and _mode(key_file.parent) == 0o700
    assert sealed.startswith(secret_box.PREFIX) and "a-shared-secret" not in sealed
    assert secret_box.unseal(sealed) == "a-shared-secret-of-32-characters!"
    assert secret_box.unseal("stored-in-clear-before") == "stored-in-clear-before"
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.unseal(sealed[:-4] + "AAAA")
    # a value given as text that looks encrypted is encrypted like any other, never trusted
    given = secret_box.seal_settings({"secret": sealed, "issuer": "x"}, stored={"secret": "other"})
    assert secret_box.unseal(given["secret"]) == sealed
    assert secret_box.seal_settings({"secret": sealed}, stored={"secret": sealed}) == {"secret": sealed}
    first = key_lines(key_file)
    secret_box.ensure_key()  # an existing key is never replaced
    assert key_lines(key_file) == first
    keys = secret_box.add_key()
    assert [k.decode() for k in keys[1:]] == first and secret_box.unseal(sealed).startswith("a-shared")
    assert Fernet(keys[0]).decrypt(secret_box.reseal(sealed)[len(secret_box.PREFIX):].encode())
    secret_box.retire_old_keys()
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.unseal(sealed)
