"""The `cloudsignal` command, run as a process, authenticated by CLOUDSIGNAL_API_KEY: every
command's happy path, its main failures, and --json that parses."""

import json
import signal
import subprocess

import click
import pytest

from tests.broker.conftest import make_user
from tests.conftest import eventually
from tests.sdk_python.conftest import CLOUDSIGNAL
from tests.support.identity import IdentityProvider
from tests.support.mqtt import MqttTestClient


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def table(stdout: str) -> list:
    """Rows of a printed table, split on runs of two or more spaces."""
    import re

    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def record(stdout: str) -> dict:
    """A printed record's `name  value` lines."""
    return dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())


def test_users(cli, org):
    created = ok(cli("users", "create", "--username", "agent-01", "--password", "secure-pw",
                     "--metadata", '{"site": "lab"}'))
    assert f"agent-01@{org['org_id']}" in created.stdout
    assert "Created user" in created.stderr and "Created user" not in created.stdout

    assert eventually(lambda: ["agent-01", f"agent-01@{org['org_id']}", "-", "no"] ==
                      table(cli("users", "list").stdout)[-1][:4])
    listed = cli.json("users", "list")
    assert [user["username"] for user in listed["data"]] == ["agent-01"] and listed["next_cursor"] is None

    assert cli.json("users", "get", "agent-01")["metadata"] == {"site": "lab"}
    assert cli.json("users", "update", "agent-01", "--disable")["disabled"] is True
    assert "disabled       yes" in ok(cli("users", "get", "agent-01")).stdout
    assert cli.json("users", "update", "agent-01", "--enable", "--password", "new-password")["disabled"] is False
    assert cli.json("users", "terminate", "agent-01") == {"username": "agent-01", "sessions_terminated": 0}

    deleted = ok(cli("users", "delete", "agent-01"))
    assert deleted.stdout == "" and "Deleted user agent-01" in deleted.stderr
    gone = cli("users", "get", "agent-01")
    assert gone.returncode == 1 and "user 'agent-01' not found" in gone.stderr


def test_an_unknown_user_fails_with_the_apis_message(cli):
    result = cli("users", "get", "ghost")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Error: user 'ghost' not found (not_found, 404, request req_" in result.stderr


def test_validation_errors_show_the_fields(cli):
    result = cli("users", "create", "--username", "no spaces allowed", "--password", "pw")
    assert result.returncode == 1
    assert "username:" in result.stderr


def test_a_bad_or_missing_key_exits_4(cli):
    bad = cli("users", "list", env={"CLOUDSIGNAL_API_KEY": "sk_" + "x" * 40})
    assert bad.returncode == 4
    assert "invalid API key" in bad.stderr and "cloudsignal auth login" in bad.stderr
    missing = cli("users", "list", env={"CLOUDSIGNAL_API_KEY": ""})
    assert missing.returncode == 4 and "not logged in" in missing.stderr
    assert cli("--api-key", "sk_" + "y" * 40, "org", "show").returncode == 4


@pytest.mark.parametrize("args, complaint", [
    (["users", "create", "--username", "x"], "Missing option '--password'"),
    (["acl", "create", "--topic", "a/#", "--action", "fly", "--permission", "allow"], "'fly' is not one of"),
    (["users", "frobnicate"], "No such command 'frobnicate'"),
    (["users", "update", "agent-01"], "nothing to change"),
    (["users", "create", "--username", "x", "--password", "y", "--metadata", "{not json"], "not JSON"),
    (["acl", "sets", "create", "--name", "s", "--rule", "allow-everything"], "PERMISSION:ACTION:TOPIC"),
    (["publish", "--topic", "t", "--message", "m", "--qos", "3"], "--qos"),
])
def test_usage_errors_exit_2(cli, args, complaint):
    result = cli(*args)
    assert result.returncode == 2, result.stderr
    assert complaint in result.stderr and result.stdout == ""


def test_acl_rules_and_the_simulator(cli, org):
    ok(cli("users", "create", "--username", "agent-01", "--password", "secure-pw"))
    created = ok(cli("acl", "create", "--topic", "agents/{username}/#", "--action", "publish", "--permission", "allow"))
    rule_id = created.stderr.split("Created rule ")[1].strip().rstrip(".")
    assert table(cli("acl", "list").stdout)[1] == [rule_id, "agents/{username}/#", "publish", "allow", "100", "-"]
    assert cli.json("acl", "get", rule_id)["topic"] == "agents/{username}/#"
    assert cli.json("acl", "update", rule_id, "--priority", "7", "--user", "agent-*")["priority"] == 7

    allowed = cli.json("acl", "check", "--username", "agent-01", "--topic", "agents/agent-01/state",
                       "--action", "publish")
    assert allowed["allowed"] is True and allowed["matched_rule"]["id"] == rule_id
    denied = ok(cli("acl", "check", "--username", "agent-01", "--topic", "agents/agent-02/state",
                    "--action", "publish"))
    assert "allowed  no" in denied.stdout

    assert cli.json("acl", "update", rule_id, "--all-users")["user"] is None
    ok(cli("acl", "delete", rule_id))
    assert cli.json("acl", "list")["data"] == []


def test_rule_sets(cli, org):
    created = cli.json("acl", "sets", "create", "--name", "backend-services", "--description", "services",
                       "--rule", "allow:both:services/#", "--rule", "deny:publish:services/secret")
    assert [(r["permission"], r["action"], r["topic"]) for r in created["rules"]] == [
        ("allow", "both", "services/#"), ("deny", "publish", "services/secret")]
    assert table(cli("acl", "sets", "list").stdout)[1][1:4] == ["backend-services", "2", "0"]
    shown = ok(cli("acl", "sets", "get", "backend-services")).stdout
    assert "services/secret" in shown and "description  services" in shown

    ok(cli("users", "create", "--username", "svc", "--password", "pw-123456", "--acl-set", "backend-services"))
    in_use = cli("acl", "sets", "delete", "backend-services")
    assert in_use.returncode == 1 and "(conflict, 409" in in_use.stderr

    replaced = cli.json("acl", "sets", "update", "backend-services",
                        "--rules", '[{"topic": "jobs/#", "action": "subscribe", "permission": "allow"}]')
    assert [r["topic"] for r in replaced["rules"]] == ["jobs/#"]
    ok(cli("users", "update", "svc", "--no-acl-set"))
    assert cli.json("acl", "sets", "delete", "backend-services") == {"deleted": True, "id": "backend-services"}


def test_keys(cli, sdk_stack):
    created = ok(cli("keys", "create", "--name", "ci", "--type", "restricted", "--scope", "users:read"))
    key = record(created.stdout)["key"]
    assert key.startswith("rk_") and "not shown again" in created.stderr
    rows = table(cli("keys", "list").stdout)
    assert rows[0][:4] == ["ID", "NAME", "TYPE", "KEY"]
    assert any(row[1:3] == ["ci", "restricted"] and row[3] == f"rk_...{key[-4:]}" for row in rows[1:])
    key_id = next(row[0] for row in rows[1:] if row[1] == "ci")
    assert cli.json("keys", "get", key_id)["scopes"] == ["users:read"]
    assert cli.json("keys", "update", key_id, "--name", "ci-2")["name"] == "ci-2"

    with_restricted = {"CLOUDSIGNAL_API_KEY": key}
    assert ok(cli("users", "list", env=with_restricted)).returncode == 0
    refused = cli("users", "create", "--username", "x", "--password", "y", env=with_restricted)
    assert refused.returncode == 1 and "lacks the 'users:write' scope" in refused.stderr

    rotated = cli.json("keys", "rotate", key_id)
    assert rotated["key"] != key and rotated["name"] == "ci-2"
    assert eventually(lambda: cli("users", "list", env=with_restricted).returncode == 4)
    ok(cli("keys", "revoke", rotated["id"]))
    assert eventually(lambda: cli("users", "list", env={"CLOUDSIGNAL_API_KEY": rotated["key"]}).returncode == 4)


def test_org(cli, org):
    assert cli.json("org", "show")["id"] == org["org_id"]
    assert "tenancy           multi" in ok(cli("org", "show")).stdout
    ok(cli("acl", "sets", "create", "--name", "defaults"))
    rule_set_id = cli.json("acl", "sets", "get", "defaults")["id"]
    updated = cli.json("org", "update", "--name", "Acme", "--default-rule-set", "defaults")
    assert updated["name"] == "Acme" and updated["settings"]["default_rule_set"] == rule_set_id
    ok(cli("users", "create", "--username", "new", "--password", "pw-123456"))
    assert cli.json("users", "get", "new")["acl_set"] == "defaults"
    usage = cli.json("org", "usage")
    assert usage["usage"]["users"] == 1 and usage["quotas"]["max_users"] > 0
    assert ["users", "1", str(usage["quotas"]["max_users"])] in table(cli("org", "usage").stdout)


def test_sessions(cli, api, sdk_stack, org):
    username = make_user(api, "device")
    client = MqttTestClient(sdk_stack.broker.port, username, "secure-password", client_id="sensor-17")
    try:
        assert client.accepted
        assert eventually(lambda: [s["client_id"] for s in cli.json("sessions", "list")["data"]] == ["sensor-17"], 5)
        assert table(cli("sessions", "list").stdout)[1][:3] == ["sensor-17", "device", "active"]
        assert cli.json("sessions", "get", "sensor-17")["mqtt_username"] == username
        disconnected = ok(cli("sessions", "disconnect", "sensor-17"))
        assert "Disconnected sensor-17" in disconnected.stderr
        assert client.disconnected.wait(5)
        assert eventually(lambda: [s["disconnect_reason"] for s in
                                   cli.json("sessions", "history", "--username", "device")["data"]] == ["kicked"], 5)
    finally:
        client.close()
    missing = cli("sessions", "get", "sensor-99")
    assert missing.returncode == 1 and "sensor-99" in missing.stderr


def test_providers_and_tokens(cli, api, sdk_stack, org):
    idp = IdentityProvider()
    try:
        created = cli.json("providers", "create", "--name", "idp", "--type", "oidc", "--issuer", idp.issuer,
                           "--audience", idp.audience, "--jwks-url", idp.jwks_url, "--required-claim", "email",
                           "--default-ttl", "600")
        assert created["required_claims"] == ["email"] and created["default_ttl"] == 600
        assert table(cli("providers", "list").stdout)[1][1:3] == ["idp", "oidc"]
        assert cli.json("providers", "get", "idp")["jwks_url"] == idp.jwks_url
        assert cli.json("providers", "update", "idp", "--max-ttl", "900")["max_ttl"] == 900

        public = cli.json("keys", "create", "--name", "browser", "--type", "public")["key"]
        exchanged = cli.json("--api-key", public, "tokens", "exchange", "--token", idp.token(email="a@b.c"),
                             "--ttl", "120")
        assert exchanged["mqtt_username"].startswith("tok_") and exchanged["provider"] == "idp"
        assert exchanged["tenancy"] == "multi" and exchanged["expires_in"] <= 120
        bad = cli("--api-key", public, "tokens", "exchange", "--token", idp.token())
        assert bad.returncode == 1 and "email" in bad.stderr  # the missing claim; the key was fine

        minted = ok(cli("tokens", "create", "--user-id", "device-9", "--ttl", "300"))
        assert "tok_" in minted.stdout and "shown only now" in minted.stderr
        fields = record(minted.stdout)
        refreshed = cli.json("tokens", "refresh", "--username", fields["mqtt_username"],
                             "--password", fields["mqtt_password"])
        assert refreshed["mqtt_username"] == fields["mqtt_username"]

        ok(cli("providers", "delete", "idp"))
        assert cli.json("providers", "list")["data"] == []
    finally:
        idp.stop()


def test_publish_reaches_a_subscriber(cli, api, sdk_stack, org):
    ok(cli("acl", "create", "--topic", "test/#", "--action", "both", "--permission", "allow"))
    subscriber = MqttTestClient(sdk_stack.broker.port, make_user(api, "listener"), "secure-password")
    try:
        assert subscriber.subscribed(org["org_id"] + "/test/#")
        sent = ok(cli.shell('cloudsignal publish --topic "test/hello" --message "Hello from CLI"'))
        assert "Published to test/hello" in sent.stderr
        assert subscriber.receive() == (org["org_id"] + "/test/hello", b"Hello from CLI")
        reply = cli.json("publish", "--topic", "test/json", "--message", '{"a": 1}', "--qos", "1", "--retain")
        assert reply["acknowledged"] is True and reply["retain"] is True
        assert subscriber.receive() == (org["org_id"] + "/test/json", b'{"a": 1}')
    finally:
        subscriber.publish(org["org_id"] + "/test/json", b"", retain=True)
        subscriber.close()


def start_subscriber(cli, *args):
    """`cloudsignal subscribe` in the background, returned once it says it is subscribed."""
    process = subprocess.Popen([str(CLOUDSIGNAL), "subscribe", *args], env=cli.env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    line = process.stderr.readline()
    assert line.startswith("Subscribed to"), line + process.stderr.read()
    return process


def test_subscribe_streams_json_lines_with_temporary_credentials(cli, api, sdk_stack, org):
    ok(cli("acl", "create", "--topic", "test/#", "--action", "both", "--permission", "allow"))
    process = start_subscriber(cli, "--topic", "test/#", "--count", "3", "--json")
    try:
        publisher = MqttTestClient(sdk_stack.broker.port, make_user(api, "publisher"), "secure-password")
        prefix = org["org_id"] + "/"
        for topic, payload in [("test/a", b'{"n": 1}'), ("test/b", b"plain"), ("test/c", b"\xff")]:
            assert not publisher.publish(prefix + topic, payload).is_failure
        publisher.close()
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert [json.loads(line) for line in out.splitlines()] == [
        {"topic": "test/a", "qos": 1, "retain": False, "payload": {"n": 1}},
        {"topic": "test/b", "qos": 1, "retain": False, "payload": "plain"},
        {"topic": "test/c", "qos": 1, "retain": False, "payload_base64": "/w=="},
    ]


def test_subscribe_runs_until_ctrl_c(cli, api, sdk_stack, org):
    ok(cli("acl", "create", "--topic", "test/#", "--action", "both", "--permission", "allow"))
    process = start_subscriber(cli, "--topic", "test/+/state")
    try:
        ok(cli("publish", "--topic", "test/agent-01/state", "--message", '{"status": "idle"}'))
        assert process.stdout.readline() == 'test/agent-01/state {"status": "idle"}\n'
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0 and "Traceback" not in err


def test_subscribe_failures(cli, sdk_stack):
    refused = cli("subscribe", "--topic", "anything/#")  # no rule allows it
    assert refused.returncode == 1 and "refused: Not authorized" in refused.stderr
    unreachable = cli("subscribe", "--topic", "t", "--mqtt-port", "1", "--connect-timeout", "1")
    assert unreachable.returncode == 1 and "could not reach the broker at 127.0.0.1:1" in unreachable.stderr


def command_paths(group: click.Group, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


def test_every_command_answers_help_with_an_example_and_takes_json(cli):
    from click.testing import CliRunner

    from cloudsignal.cli import cli as root

    assert "Examples:" in ok(cli("--help")).stdout and "Example:" in ok(cli("acl", "check", "--help")).stdout
    # the rest in this process: some fifty more interpreter starts would only repeat the above
    runner = CliRunner()
    paths = list(command_paths(root))
    assert len(paths) > 40
    for path, command in paths:
        result = runner.invoke(root, [*path, "--help"], prog_name="cloudsignal")
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"cloudsignal {' '.join(path)} --help has no example"
        if not isinstance(command, click.Group):
            assert "--json" in result.output, f"cloudsignal {' '.join(path)} lacks --json"


def test_output_is_plain_when_piped(cli):
    ok(cli("users", "create", "--username", "plain", "--password", "pw-123456"))
    listed = ok(cli("users", "list"))
    assert "\x1b[" not in listed.stdout and listed.stdout.startswith("USERNAME")
