"""/metrics under gunicorn counts what every worker did (prometheus_client's multiprocess mode)."""

import json
import re

from tests.conftest import Client, create_org, eventually
from tests.support.metrics import sample


def test_a_request_moves_its_counter(service, api):
    """The session's service runs two gunicorn workers; /metrics adds up both, whichever answers."""
    labels = {"method": "GET", "endpoint": "/v2/organization", "status": "200"}
    before = sample(service.url, "cloudsignal_http_requests_total", **labels)
    for _ in range(4):
        assert api.get("/v2/organization").status_code == 200
    assert sample(service.url, "cloudsignal_http_requests_total", **labels) == before + 4
    assert sample(service.url, "cloudsignal_http_request_seconds_count", endpoint="/v2/organization") >= 4


def test_quota_refusals_are_counted_and_logged_per_organization(service):
    org = create_org(service, "Refused")
    changed = service.admin("orgs", "quotas", "--org", org["org_id"], "--set", "rate_limit_per_minute=2",
                            "--set", "max_acl_rules=0")
    assert changed.returncode == 0, changed.stderr
    api = Client(service.url, org["key"])
    rule = api.post("/v2/acl/rules", json={"topic": "a/#", "action": "both", "permission": "allow"})
    assert rule.status_code == 403 and rule.json()["error"] == "quota_exceeded"
    statuses = [api.get("/v2/users").status_code for _ in range(4)]
    assert statuses.count(429) >= 2  # 3, unless a minute boundary fell in between

    def refused(quota: str) -> float:
        return sample(service.url, "cloudsignal_quota_refusals_total", org_id=org["org_id"], quota=quota)

    assert refused("max_acl_rules") == 1
    assert refused("rate_limit_per_minute") == statuses.count(429)
    # one line per organization and minute (per process), with the counts
    assert eventually(lambda: re.search(rf"quota refusals for {org['org_id']}: .*refused \d+",
                                        service.log_path.read_text()), timeout=5)
    lines = [json.loads(line) for line in service.log_path.read_text().splitlines()
             if line.startswith("{") and f"quota refusals for {org['org_id']}" in line]
    assert len(lines) in (1, 2)  # two workers: each logs its own first refusal of the minute, no more
