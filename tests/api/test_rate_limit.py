"""The per-organization request limit, shared by two service processes through Redis."""

import json
import time

import pytest

from tests.conftest import Client
from tests.support.processes import RedisServer, Service


@pytest.fixture
def two_processes(postgres, tmp_path):
    redis = RedisServer().start()
    env = {"DATABASE_URL": postgres.create_database(f"rate_{tmp_path.name[-8:].lower()}"),
           "CLOUDSIGNAL_TENANCY": "multi", "CLOUDSIGNAL_RATELIMIT_STORAGE": redis.url}
    first, second = Service(env, log_dir=tmp_path), Service(env, log_dir=tmp_path)
    first.start(), second.start()
    yield first, second
    first.stop(), second.stop(), redis.stop()


def test_the_limit_is_shared_across_processes_and_keys(two_processes):
    first, second = two_processes
    created = json.loads(first.admin("orgs", "create", "--name", "Limited", "--json").stdout)
    other = json.loads(first.admin("orgs", "create", "--name", "Unlimited", "--json").stdout)
    quota = first.admin("orgs", "quotas", "--org", created["org_id"], "--set", "rate_limit_per_minute=5")
    assert quota.returncode == 0, quota.stderr
    second.wait_caught_up()  # `admin` waited for the first process only
    on_first = Client(first.url, created["key"])
    on_second = Client(second.url, created["key"])
    while int(time.time()) % 60 > 55:  # keep the five requests inside one fixed minute window
        time.sleep(1)
    replies = [on_first.get("/v2/users"), on_second.get("/v2/users"), on_first.get("/v2/users")]
    second_key = on_first.post("/v2/api-keys", json={"name": "k2", "type": "secret"})
    replies.append(second_key)
    replies.append(Client(second.url, second_key.json()["key"]).get("/v2/users"))
    assert [r.status_code for r in replies] == [200, 200, 200, 201, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["4", "3", "2", "1", "0"]
    assert all(r.headers["X-RateLimit-Limit"] == "5" for r in replies)

    refused = on_second.get("/v2/users")
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    assert on_first.get("/v2/users").status_code == 429
    # another organization has its own pool
    assert Client(first.url, other["key"]).get("/v2/users").status_code == 200


def test_bad_quota_input_is_refused(two_processes):
    first, _ = two_processes
    created = json.loads(first.admin("orgs", "create", "--name", "X", "--json").stdout)
    unknown = first.admin("orgs", "quotas", "--org", created["org_id"], "--set", "max_everything=1")
    assert unknown.returncode == 1 and "unknown quotas: max_everything" in unknown.stderr
    malformed = first.admin("orgs", "quotas", "--org", created["org_id"], "--set", "max_users")
    assert malformed.returncode == 2 and "NAME=NUMBER" in malformed.stderr
