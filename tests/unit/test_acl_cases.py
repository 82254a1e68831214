"""The shared table of access decisions (broker-config/acl-cases.json), run against the Python
evaluator; the C plugin's tests run the same rows (broker-config/plugin/test_topic.c)."""

import json
from pathlib import Path

import pytest

from events.access.rules import Rule, evaluate

CASES = json.loads((Path(__file__).resolve().parents[2] / "broker-config" / "acl-cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_shared_case(case):
    # The table lists rules in the order they are tried: give them increasing priorities.
    rules = [Rule(f"r{number}", topic, action, permission, priority=number)
             for number, (permission, action, topic) in enumerate(case["rules"])]
    action = "subscribe" if case["action"] == "deliver" else case["action"]  # a delivery is a read
    decision = evaluate(rules, username="agent-01", client_id=case.get("client_id", "client"), org_id="org_x",
                        topic=case["topic"], action=action)
    assert decision.allowed is case["allowed"]
