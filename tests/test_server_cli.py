"""`cloudsignal-server`: bootstrap and recovery from the server's shell."""

import json

import pytest

from tests.conftest import Client
from tests.support.processes import Service


@pytest.fixture
def single(tmp_path):
    return Service({"CLOUDSIGNAL_SQLITE_PATH": str(tmp_path / "events.sqlite"), "CLOUDSIGNAL_TENANCY": "single"},
                   log_dir=tmp_path)


def test_init_once_then_recovery_keys(single):
    first = single.admin("init")
    assert first.returncode == 0
    assert "Organization: org_" in first.stdout and "sk_" in first.stdout
    again = single.admin("init", "--json")
    assert again.returncode == 0 and "Already initialised" in again.stderr
    org_id = json.loads(again.stdout)["org_id"]
    assert json.loads(again.stdout)["created"] is False and "sk_" not in again.stdout

    recovery = single.admin("keys", "create", "--org", org_id, "--json")
    assert recovery.returncode == 0
    key = json.loads(recovery.stdout)["key"]
    single.start()
    try:
        assert Client(single.url, key).get("/v2/organization").json()["id"] == org_id
    finally:
        single.stop()


def test_single_tenancy_refuses_more_organizations(single):
    single.admin("init")
    refused = single.admin("orgs", "create", "--name", "Second")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "Error: organizations can be added only with CLOUDSIGNAL_TENANCY=multi"
    assert len(json.loads(single.admin("orgs", "list", "--json").stdout)["data"]) == 1


def test_bad_input_is_one_line_and_non_zero(single):
    unknown = single.admin("keys", "create", "--org", "org_doesnotexist")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "Error: organization 'org_doesnotexist' not found"
    usage = single.admin("keys", "create")
    assert usage.returncode == 2 and "--org" in usage.stderr
    single.env["CLOUDSIGNAL_TENANCY"] = "many"
    bad = single.admin("init")
    assert bad.returncode == 2 and "CLOUDSIGNAL_TENANCY must be one of single, multi" in bad.stderr


@pytest.mark.parametrize("command", [[], ["init"], ["orgs"], ["orgs", "create"], ["orgs", "list"],
                                     ["keys"], ["keys", "create"]])
def test_every_command_answers_help(single, command):
    result = single.admin(*command, "--help")
    assert result.returncode == 0 and "Usage:" in result.stdout
