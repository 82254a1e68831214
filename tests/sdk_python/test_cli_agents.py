"""The CLI for scripts and agents: --json at every level, errors as one JSON object with the exit
statuses kept, --if-not-exists on every create, publish payloads from a file or stdin, and
policy as code (acl pull, validate, push)."""

import json
import subprocess

import pytest

from tests.broker.conftest import make_user
from tests.sdk_python.conftest import CLOUDSIGNAL
from tests.support.mqtt import MqttTestClient
from tests.support.processes import free_port


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def json_error(result: subprocess.CompletedProcess, status: int) -> dict:
    assert result.returncode == status, f"exit {result.returncode}: {result.stderr}"
    assert result.stdout == ""
    error = json.loads(result.stderr)
    assert set(error) >= {"error", "message", "detail", "request_id"}
    return error


def test_json_is_accepted_at_every_level(cli):
    ok(cli("users", "create", "--username", "agent-01", "--password", "secure-pw"))
    for args in (["--json", "users", "list"], ["users", "--json", "list"], ["users", "list", "--json"],
                 ["--json", "users", "--json", "list", "--json"]):
        page = json.loads(ok(cli(*args)).stdout)
        assert [user["username"] for user in page["data"]] == ["agent-01"], args
    assert json.loads(ok(cli("acl", "--json", "sets", "list")).stdout) == {"data": [], "next_cursor": None}
    assert json.loads(ok(cli("--json", "auth", "status")).stdout)["source"] == "environment"


def test_errors_are_one_json_object_and_keep_their_exit_status(cli):
    invalid = json_error(cli("users", "create", "--username", "no spaces", "--password", "pw", "--json"), 1)
    assert invalid["error"] == "validation_error" and "username" in invalid["detail"]
    assert invalid["request_id"].startswith("req_") and invalid["status"] == 400

    refused = json_error(cli("--json", "users", "list", env={"CLOUDSIGNAL_API_KEY": "sk_" + "x" * 40}), 4)
    assert refused["error"] == "invalid_api_key" and refused["status"] == 401

    missing = json_error(cli("users", "--json", "get", "ghost"), 1)
    assert missing["error"] == "not_found" and "ghost" in missing["message"]

    ok(cli("users", "create", "--username", "taken", "--password", "secure-pw"))
    taken = json_error(cli("users", "create", "--username", "taken", "--password", "secure-pw", "--json"), 1)
    assert taken["error"] == "conflict" and taken["status"] == 409

    unreachable = json_error(cli("org", "show", "--json",
                                 env={"CLOUDSIGNAL_API_URL": f"http://127.0.0.1:{free_port()}"}), 1)
    assert unreachable["error"] == "api_connection_error" and unreachable["status"] is None

    usage = json_error(cli("users", "create", "--username", "x", "--json"), 2)
    assert usage["error"] == "usage_error" and "--password" in usage["message"]
    logged_out = json_error(cli("--json", "users", "list", env={"CLOUDSIGNAL_API_KEY": ""}), 4)
    assert logged_out["error"] == "not_authenticated"
    # without --json, errors stay readable text
    assert cli("users", "get", "ghost").stderr.startswith("Error: user 'ghost' not found")


CI_EXAMPLE = ('cloudsignal users create --username "service-${DEPLOY_ENV}" --password "${MQTT_PASSWORD}" '
              '--acl-set "backend-services" --if-not-exists')


def test_the_ci_example_runs_twice(cli):
    env = {"DEPLOY_ENV": "staging", "MQTT_PASSWORD": "s3cret-password"}
    setup = "cloudsignal acl sets create --name backend-services --rule allow:both:services/# --if-not-exists"
    for _ in range(2):
        ok(cli.shell(setup, env=env))
        ok(cli.shell(CI_EXAMPLE, env=env))
    assert "already exists with the same settings" in cli.shell(CI_EXAMPLE, env=env).stderr
    assert cli.json("users", "get", "service-staging")["acl_set"] == "backend-services"

    ok(cli("acl", "sets", "create", "--name", "other", "--if-not-exists"))
    different = cli("users", "create", "--username", "service-staging", "--password", "pw-pw-pw-pw",
                    "--acl-set", "other", "--if-not-exists", "--json")
    error = json_error(different, 1)
    assert error["error"] == "exists_with_different_settings"
    assert error["detail"] == {"acl_set": {"existing": "backend-services", "wanted": "other"}}
    changed_set = cli("acl", "sets", "create", "--name", "backend-services", "--rule", "allow:both:other/#",
                      "--if-not-exists")
    assert changed_set.returncode == 1 and "different settings: rules" in changed_set.stderr


def test_if_not_exists_on_rules_keys_and_providers(cli):
    rule = ["acl", "create", "--topic", "agents/{username}/#", "--action", "both", "--permission", "allow",
            "--if-not-exists", "--json"]
    first, second = json.loads(ok(cli(*rule)).stdout), json.loads(ok(cli(*rule)).stdout)
    assert first["id"] == second["id"] and len(cli.json("acl", "list")["data"]) == 1
    denied = cli("acl", "create", "--topic", "agents/{username}/#", "--action", "both", "--permission", "deny",
                 "--if-not-exists")
    assert denied.returncode == 1 and "permission" in denied.stderr

    key = ["keys", "create", "--name", "ci", "--type", "restricted", "--scope", "users:write", "--if-not-exists"]
    created = cli.json(*key)
    again = cli.json(*key)
    assert again["id"] == created["id"] and "key" not in again and created["key"].startswith("rk_")
    assert cli("keys", "create", "--name", "ci", "--type", "restricted", "--scope", "acl:read",
               "--if-not-exists").returncode == 1

    provider = ["providers", "create", "--name", "auth", "--type", "jwt", "--secret", "x" * 32, "--issuer",
                "https://id.example.com", "--if-not-exists"]
    ok(cli(*provider))
    ok(cli(*provider))
    assert cli(*provider[:-2], "https://other.example.com", "--if-not-exists").returncode == 1


def test_publish_reads_the_payload_from_a_file_or_stdin(cli, api, sdk_stack, org, tmp_path):
    ok(cli("acl", "create", "--topic", "files/#", "--action", "both", "--permission", "allow"))
    subscriber = MqttTestClient(sdk_stack.broker.port, make_user(api, "listener"), "secure-password")
    try:
        assert subscriber.subscribed(org["org_id"] + "/files/#")
        report = tmp_path / "report.json"
        report.write_text('{"rows": 3}\n')
        ok(cli("publish", "--topic", "files/report", "--file", str(report), "--qos", "1"))
        assert subscriber.receive() == (org["org_id"] + "/files/report", b'{"rows": 3}\n')
        piped = subprocess.run([str(CLOUDSIGNAL), "publish", "--topic", "files/piped", "--file", "-", "--json"],
                               input="from stdin", env=cli.env, capture_output=True, text=True, timeout=30)
        assert ok(piped) and json.loads(piped.stdout)["topic"] == "files/piped"
        assert subscriber.receive() == (org["org_id"] + "/files/piped", b"from stdin")
    finally:
        subscriber.close()
    both = cli("publish", "--topic", "files/x", "--message", "a", "--file", str(report))
    assert both.returncode == 2 and "exactly one of --message or --file" in both.stderr
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\xff\xfe\x00")
    assert cli("publish", "--topic", "files/x", "--file", str(binary)).returncode == 1


def test_policy_pull_edit_plan_push(cli, api, tmp_path):
    kept = cli.json("acl", "create", "--topic", "agents/{username}/#", "--action", "both", "--permission", "allow")
    cli.json("acl", "create", "--topic", "legacy/#", "--action", "both", "--permission", "allow")
    ok(cli("acl", "sets", "create", "--name", "sensors", "--rule", "allow:publish:sensors/#"))
    pulled = ok(cli("acl", "pull")).stdout
    path = tmp_path / "access.yaml"
    path.write_text(pulled)
    assert "# CloudSignal access policy" in pulled and f"id: {kept['id']}" in pulled
    ok(cli("acl", "validate", str(path)))

    # the edit: one priority changed, the legacy rule removed, a rule added to the set
    edited = pulled.replace("priority: 100\n", "priority: 50\n", 1)
    legacy_start = edited.index("- id:", edited.index("priority: 50"))
    legacy_end = edited.index("rule_sets:")
    edited = edited[:legacy_start] + edited[legacy_end:]
    edited = edited.rstrip("\n") + "\n  - topic: sensors/+/config\n    action: subscribe\n    permission: allow\n"
    path.write_text(edited)
    ok(cli("acl", "validate", str(path)))

    plan = ok(cli("acl", "push", str(path), "--dry-run"))
    lines = plan.stdout.splitlines()
    assert lines == [
        f"~ rule {kept['id']}: priority 100 -> 50",
        "~ rule set sensors: rules +allow subscribe sensors/+/config (priority 100)",
        f"- rule {cli.json('acl', 'list')['data'][1]['id']} allow both legacy/# (priority 100)",
    ]
    assert "0 to create, 2 to change, 1 to delete" in plan.stderr and "Dry run" in plan.stderr
    assert len(cli.json("acl", "list")["data"]) == 2  # nothing changed yet

    pushed = json.loads(ok(cli("acl", "push", str(path), "--json")).stdout)
    assert pushed["applied"] is True
    assert [(r["topic"], r["priority"]) for r in cli.json("acl", "list")["data"]] == [("agents/{username}/#", 50)]
    assert len(cli.json("acl", "sets", "get", "sensors")["rules"]) == 2
    history = cli.json("events", "list", "--all")["data"]
    push_events = [e for e in history if e["request_id"] == pushed["request_id"]]
    assert len(push_events) == 3 and len({e["actor"]["id"] for e in push_events}) == 1
    assert "Nothing to change" in ok(cli("acl", "push", str(path))).stderr


def test_validate_names_the_lines_of_every_problem(cli, tmp_path):
    path = tmp_path / "access.yaml"
    path.write_text(
        "version: 1\n"
        "rules:\n"
        "  - topic: ok/#\n"
        "    action: both\n"
        "    permission: allow\n"
        "  - topic: bad/#/x\n"
        "    action: publsh\n"
        "    permission: allow\n"
        "    priority: high\n"
        "rule_sets:\n"
        "  - name: two words\n"
        "    rules:\n"
        "      - topic: a/b\n"
        "        colour: red\n"
    )
    result = cli("acl", "validate", str(path))
    assert result.returncode == 2
    assert f"{path}:6: rules[1].topic: '#' must be a whole level and the last one" in result.stderr
    assert f"{path}:7: rules[1].action: must be one of publish, subscribe, both, not 'publsh'" in result.stderr
    assert f"{path}:9: rules[1].priority: must be a whole number" in result.stderr
    assert f"{path}:11: rule_sets[0].name: must be 1-64 letters" in result.stderr
    assert f"{path}:13: rule_sets[0].rules[0].action: is required" in result.stderr
    assert f"{path}:14: rule_sets[0].rules[0]: unknown field 'colour'" in result.stderr
    as_json = json_error(cli("acl", "validate", str(path), "--json"), 2)
    assert as_json["error"] == "invalid_policy" and len(as_json["detail"]["problems"]) == 7
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [\n")
    assert cli("acl", "push", str(broken)).returncode == 2
