"""Bounded memory and snapshots (issue 19): what leaves memory, what the history tables answer,
and a process started from a snapshot equals a replay of the whole log."""

from datetime import datetime, timedelta, timezone

from app.maintenance import replayed_digest
from events.application import CloudSignal
from events.readmodel import digest
from events.store import persistence_env


def make(tmp_path, **extra):
    env = persistence_env({"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "store.sqlite"),
                           "CLOUDSIGNAL_SECRETS_KEY_FILE": str(tmp_path / "secrets.key")})
    return CloudSignal(env={**env, "CLOUDSIGNAL_SECRETS_KEY_FILE": str(tmp_path / "secrets.key"), **extra})


def report(app, org_id, session_id, kind, at):
    body = {"type": kind, "session_id": session_id, "at": int(at.timestamp() * 1000)}
    if kind == "connected":
        body.update(username=f"dev@{org_id}", clientid=f"{org_id}/dev", peerhost="127.0.0.1", proto_ver=5,
                    clean_start=False)
    app.record_broker_events("b1", [body])


def test_ended_sessions_leave_memory_and_are_answered_from_the_history_table(tmp_path):
    app = make(tmp_path)
    org = app.create_organization("o").org_id
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for hour in range(3):
        report(app, org, f"s{hour}", "connected", start + timedelta(hours=hour))
        report(app, org, f"s{hour}", "disconnected", start + timedelta(hours=hour, minutes=30))
    report(app, org, "s3", "connected", start + timedelta(hours=3))
    assert [s.session_id for s in app.view.open_sessions_of(org)] == ["s3"]
    assert sum(1 for a in app.view._aggregates.values() if type(a).__name__ == "Session") == 1
    rows = app.view.history.sessions(org, limit=10)
    assert [r.session_id for r in rows] == ["s0", "s1", "s2", "s3"]
    assert rows[0].disconnect_reason == "client" and rows[3].disconnected_at is None
    assert [r.session_id for r in app.view.history.sessions(org, client_ids=[f"{org}/dev", "dev"], limit=10)] == \
        ["s0", "s1", "s2", "s3"]
    assert app.view.history.offline_persistent(org) == []  # the client's latest session is live
    report(app, org, "s3", "disconnected", start + timedelta(hours=3, minutes=1))
    assert [r.session_id for r in app.view.history.offline_persistent(org)] == ["s3"]
    report(app, org, "s0", "connected", start)  # a resent report of an ended session changes nothing
    assert app.view.session("s0").disconnected_at is not None
    labels = app.view.labels([app.view.session("s0").id])
    assert list(labels.values())[0][:3] == ("Session", "session", "s0")


def test_a_process_started_from_a_snapshot_equals_a_replay_and_an_altered_one_is_ignored(tmp_path):
    app = make(tmp_path)
    org = app.create_organization("o").org_id
    app.create_rule_set(org, "devices", "", [{"topic": "d/{username}/#", "action": "both", "permission": "allow"}])
    for number in range(5):
        app.create_user(org, f"dev-{number}", "secure-password", rule_set="devices", metadata={"n": number})
    app.change_user(org, "dev-1", disabled=True)
    app.delete_user(org, "dev-2")
    assert app.view.snapshots.write(background=False) == app.view.position
    app.create_user(org, "after", "secure-password")  # replayed after the snapshot

    second = make(tmp_path)
    assert second.view.started_from is not None and second.view.started_from < second.view.position
    assert digest(second.view) == replayed_digest(second, second.view.position) == digest(app.view)
    assert second.view.find_user(org, "dev-3").metadata == {"n": 3}
    assert second.view.find_user(org, "dev-1").disabled
    assert second.view.find_user(org, "dev-0").password_hash.startswith("$argon2")  # read from the store

    path = second.view.snapshots.path
    data = bytearray(open(path, "rb").read())
    data[-5] ^= 1
    open(path, "wb").write(bytes(data))
    third = make(tmp_path)
    assert third.view.started_from is None  # bad signature: replayed from the first event
    assert digest(third.view) == digest(app.view)
    off = make(tmp_path, CLOUDSIGNAL_SNAPSHOT_PATH="off")
    assert off.view.started_from is None and not off.view.snapshots.enabled
