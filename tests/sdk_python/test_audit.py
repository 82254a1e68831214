"""The audit history through the SDK (`api.events`, `api.audit`) and the CLI (`cloudsignal events
list|tail`, `cloudsignal audit access|state`), against the real stack: a history is built through
the API, then listed, followed live, and questioned at moments before and after each change."""

import json
import queue
import subprocess
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from cloudsignal import APIError, CloudSignal, PermissionDeniedError
from tests.conftest import eventually
from tests.sdk_python.conftest import CLOUDSIGNAL
from tests.sdk_python.test_cli import ok, record, table

TOPIC = "agents/agent-01/state"


@pytest.fixture
def sdk(sdk_stack, org):
    with CloudSignal(api_key=org["key"], base_url=sdk_stack.service.url) as client:
        yield client


def now() -> str:
    """The present as ISO 8601, a little after every event recorded so far (same host clock)."""
    time.sleep(0.02)
    moment = datetime.now(timezone.utc).isoformat()
    time.sleep(0.02)
    return moment


def user_events(client, **filters):
    return [e for e in client.events.list(type="MqttUser", limit=500, **filters)]


@pytest.fixture
def history(sdk_stack, sdk, org):
    """Users created by the admin key and by a restricted 'ci' key, one disabled, one deleted."""
    ci_key = sdk.api_keys.create("ci", type="restricted", scopes=["users:read", "users:write", "events:read"])
    ci = CloudSignal(api_key=ci_key["key"], base_url=sdk_stack.service.url)
    sdk.users.create("alpha", "secure-password")
    ci.users.create("beta", "secure-password")
    sdk.users.update("alpha", disabled=True)
    sdk.users.delete("beta")
    ci.close()
    assert eventually(lambda: len(user_events(sdk)) == 4, 3)
    return ci_key


def test_the_sdk_lists_events_with_types_actors_and_filters(sdk, org, history):
    events = user_events(sdk)
    assert [(e["type"], e["aggregate"]["name"]) for e in events] == [
        ("MqttUser.Created", "alpha"), ("MqttUser.Created", "beta"),
        ("MqttUser.Disabled", "alpha"), ("MqttUser.Deleted", "beta")]
    assert [e["actor"] for e in events] == [
        {"id": org["key_id"], "name": "admin"}, {"id": history["id"], "name": "ci"},
        {"id": org["key_id"], "name": "admin"}, {"id": org["key_id"], "name": "admin"}]
    assert all(e["aggregate"]["type"] == "user" and e["request_id"].startswith("req_") for e in events)
    assert "password" not in json.dumps(events).replace("PasswordChanged", "")

    alpha = events[0]["aggregate"]["id"]
    assert [e["type"] for e in sdk.events.list(aggregate=alpha)] == ["MqttUser.Created", "MqttUser.Disabled"]
    assert [e["aggregate"]["name"] for e in user_events(sdk, actor=history["id"])] == ["beta"]
    assert [e["type"] for e in sdk.events.list(type="MqttUser.Deleted")] == ["MqttUser.Deleted"]
    assert user_events(sdk, since=datetime.now(timezone.utc) + timedelta(days=1)) == []
    assert user_events(sdk, until="2000-01-01T00:00:00Z") == []
    assert [e["type"] for e in user_events(sdk, since=events[2]["time"])] == ["MqttUser.Disabled", "MqttUser.Deleted"]

    # pages: the cursor is the position to continue after
    first = sdk.events.list(type="MqttUser", limit=3)
    assert [e["position"] for e in first.data] == [e["position"] for e in events[:3]]
    assert first.next_cursor == str(events[2]["position"])
    assert [e["position"] for e in sdk.events.list(type="MqttUser", after=int(first.next_cursor)).data] == \
        [events[3]["position"]]
    assert [e["position"] for e in sdk.events.list(type="MqttUser", limit=1)] == [e["position"] for e in events]
    everything = list(sdk.events.list(limit=500))
    assert everything[0]["type"] == "Organization.Created" and everything[0]["actor"]["id"] == "system"
    assert sdk.events.last_position() == everything[-1]["position"]


def test_the_cli_lists_events(cli, sdk, org, history):
    listed = cli.json("events", "list", "--type", "MqttUser")
    assert [(e["type"], e["aggregate"]["name"], e["actor"]["name"]) for e in listed["data"]] == [
        ("MqttUser.Created", "alpha", "admin"), ("MqttUser.Created", "beta", "ci"),
        ("MqttUser.Disabled", "alpha", "admin"), ("MqttUser.Deleted", "beta", "admin")]
    positions = [e["position"] for e in listed["data"]]

    rows = table(ok(cli("events", "list", "--type", "MqttUser.Created", "--actor", history["id"])).stdout)
    assert rows[0] == ["POSITION", "TIME", "TYPE", "AGGREGATE", "ID", "ACTOR", "REQUEST ID"]
    assert [row[0] for row in rows[1:]] == [str(positions[1])]
    assert rows[1][2:4] == ["MqttUser.Created", "beta"] and rows[1][5] == "ci"

    alpha = listed["data"][0]["aggregate"]["id"]
    assert [e["type"] for e in cli.json("events", "list", "--aggregate", alpha)["data"]] == \
        ["MqttUser.Created", "MqttUser.Disabled"]
    since = cli.json("events", "list", "--type", "MqttUser", "--since", listed["data"][2]["time"])
    assert [e["position"] for e in since["data"]] == positions[2:]
    later = ok(cli("events", "list", "--since", "2999-01-01T00:00:00Z"))
    assert later.stdout == "" and "No events." in later.stderr

    paged = cli.json("events", "list", "--type", "MqttUser", "--limit", "1", "--all")
    assert [e["position"] for e in paged["data"]] == positions and paged["next_cursor"] == str(positions[-1])
    one = ok(cli("events", "list", "--type", "MqttUser", "--limit", "1", "--after", str(positions[0])))
    assert table(one.stdout)[1][0] == str(positions[1])
    assert f"add --after {positions[1]}" in one.stderr


def test_the_sdk_stream_follows_new_events_across_reconnections(sdk):
    stream = sdk.events.stream(type="MqttUser", timeout=1)  # the service ends each connection after 1 s
    try:
        sdk.users.create("first", "secure-password")
        first = next(stream)
        assert (first["type"], first["aggregate"]["name"]) == ("MqttUser.Created", "first")
        assert first["time"][10] == "T"  # ISO 8601, as the list gives it
        time.sleep(1.5)  # past the first connection's end: the iterator resumes with Last-Event-ID
        sdk.users.delete("first")
        second = next(stream)
        assert (second["type"], second["aggregate"]["name"]) == ("MqttUser.Deleted", "first")
        assert second["position"] > first["position"]
    finally:
        stream.close()
    replayed = sdk.events.stream(after=0, timeout=5)
    assert next(replayed)["type"] == "Organization.Created"
    replayed.close()


def read_lines(stream) -> "queue.Queue[str]":
    lines: "queue.Queue[str]" = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def wait_for(lines: "queue.Queue[str]", wanted, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if wanted(line):
            return line
        seen.append(line)
    raise AssertionError(f"no such line within {timeout}s; got {seen}")


def test_events_tail_prints_events_created_while_it_runs(cli, api):
    process = subprocess.Popen([str(CLOUDSIGNAL), "events", "tail", "--type", "MqttUser"], env=cli.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        started = process.stderr.readline()
        assert started.startswith("Following events after position"), started + process.stderr.read()
        stdout = read_lines(process.stdout)
        assert api.post("/v2/users", json={"username": "tailed", "password": "secure-password"}).status_code == 201
        line = wait_for(stdout, lambda text: "MqttUser.Created" in text)
        assert " user tailed (usr_" in line and "by admin (key_" in line
        process.terminate()  # SIGTERM ends it like Ctrl-C
        assert process.wait(10) == 0
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.wait()

    with subprocess.Popen([str(CLOUDSIGNAL), "events", "tail", "--json", "--count", "1"], env=cli.env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                          text=True) as process:
        assert process.stderr.readline().startswith("Following events")
        api.delete("/v2/users/tailed")
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    event = json.loads(out)
    assert (event["type"], event["aggregate"]["name"]) == ("MqttUser.Deleted", "tailed")


def test_audit_access_answers_differently_before_and_after_a_change(cli, sdk):
    before_anything = now()
    sdk.users.create("agent-01", "secure-password")
    rule = sdk.acl.rules.create("agents/{username}/#", action="both", permission="allow")
    allowed_then = now()
    sdk.acl.rules.update(rule["id"], permission="deny")
    denied_then = now()

    def access(at):
        return cli.json("audit", "access", "--username", "agent-01", "--topic", TOPIC, "--action", "publish",
                        "--at", at)

    assert eventually(lambda: access(denied_then)["allowed"] is False, 3)
    then = access(allowed_then)
    assert then["allowed"] is True and then["matched_rule"]["id"] == rule["id"] and then["source"] == "organization"
    assert {"MqttUser.Created", "AclRule.Created"} <= {e["type"] for e in then["events"]}
    later = access(denied_then)
    assert later["matched_rule"]["permission"] == "deny" and "AclRule.Changed" in {e["type"] for e in later["events"]}
    assert access(before_anything)["reason"] == "no user 'agent-01' existed then"

    shown = ok(cli("audit", "access", "--username", "agent-01", "--topic", TOPIC, "--action", "publish",
                   "--at", allowed_then))
    head = record(shown.stdout.split("\n\n")[0])
    assert head["allowed"] == "yes" and head["rule"].startswith("allow both agents/{username}/#")
    assert "Events behind the answer" in shown.stdout and "AclRule.Created" in shown.stdout
    assert "allowed  no" in ok(cli("audit", "access", "--username", "agent-01", "--topic", TOPIC,
                                   "--action", "publish", "--at", denied_then)).stdout

    # the SDK takes aware datetimes too
    answer = sdk.audit.access("agent-01", TOPIC, "publish", at=datetime.fromisoformat(allowed_then))
    assert answer["allowed"] is True
    assert sdk.audit.access("agent-01", TOPIC, "subscribe", denied_then)["allowed"] is False


def test_audit_state_shows_what_existed_then(cli, sdk):
    sdk.users.create("temporary", "secure-password")
    sdk.acl.rules.create("jobs/#", action="subscribe", permission="allow")
    existed_then = now()
    sdk.users.delete("temporary")
    gone = now()
    assert eventually(lambda: sdk.audit.state(gone)["users"] == [], 3)

    then = cli.json("audit", "state", "--at", existed_then)
    assert [u["username"] for u in then["users"]] == ["temporary"]
    assert [r["topic"] for r in then["rules"]] == ["jobs/#"]
    assert "admin" in [k["name"] for k in then["api_keys"]]
    assert "hash" not in json.dumps(then)
    shown = ok(cli("audit", "state", "--at", existed_then)).stdout
    assert "Users (1)" in shown and "temporary" in shown and "Rules (1)" in shown and "jobs/#" in shown
    assert "Users (0)" in ok(cli("audit", "state", "--at", gone)).stdout
    assert [u["username"] for u in sdk.audit.state(existed_then)["users"]] == ["temporary"]


@pytest.mark.parametrize("args, complaint", [
    (["audit", "state", "--at", "yesterday"], "not an ISO 8601 time"),
    (["audit", "state", "--at", "2025-01-31T12:00:00"], "no time zone"),
    (["audit", "state"], "Missing option '--at'"),
    (["audit", "access", "--username", "u", "--topic", "t", "--action", "fly", "--at", "2025-01-31T12:00:00Z"],
     "'fly' is not one of"),
    (["events", "list", "--since", "last tuesday"], "not an ISO 8601 time"),
    (["events", "list", "--limit", "0"], "--limit"),
])
def test_usage_errors_exit_2(cli, args, complaint):
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert complaint in result.stderr and result.stdout == ""


def test_api_failures_exit_1_with_the_message(cli, sdk, sdk_stack):
    invalid = cli("audit", "access", "--username", "u", "--topic", "a/+", "--action", "publish",
                  "--at", "2025-01-31T12:00:00Z")
    assert invalid.returncode == 1 and "invalid topic" in invalid.stderr and "(validation_error, 400" in invalid.stderr

    reader = sdk.api_keys.create("reader", type="restricted", scopes=["users:read"])
    without_scope = {"CLOUDSIGNAL_API_KEY": reader["key"]}
    for args in (["events", "list"], ["events", "tail"], ["audit", "state", "--at", "2025-01-31T12:00:00Z"],
                 ["audit", "access", "--username", "u", "--topic", "t", "--action", "publish",
                  "--at", "2025-01-31T12:00:00Z"]):
        refused = cli(*args, env=without_scope, timeout=10)
        assert refused.returncode == 1, (args, refused.stderr)
        assert "lacks the 'events:read' scope" in refused.stderr and "(insufficient_scope, 403" in refused.stderr
        assert refused.stdout == ""

    restricted = CloudSignal(api_key=reader["key"], base_url=sdk_stack.service.url)
    for call in (lambda: restricted.events.list(), lambda: restricted.events.stream(after=0),
                 lambda: restricted.audit.state("2025-01-31T12:00:00Z")):
        with pytest.raises(PermissionDeniedError) as denied:
            call()
        assert denied.value.detail == {"required_scope": "events:read"}
    restricted.close()
    with pytest.raises(APIError) as bad_time:
        sdk.audit.state("not a time")
    assert bad_time.value.status == 400
