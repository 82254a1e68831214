"""The simulator (`POST /v2/acl/check`) and the audit history (`GET /v2/audit/access`) ask the same
question (events/access/question.py): about the present moment they give the same answer."""

from datetime import datetime, timezone

import pytest


def both(api, topic, action):
    """(the simulator's answer, the audit history's answer for this moment), both 200."""
    simulated = api.post("/v2/acl/check", json={"username": "agent-01", "topic": topic, "action": action})
    audited = api.get("/v2/audit/access", params={"username": "agent-01", "topic": topic, "action": action,
                                                   "at": datetime.now(timezone.utc).isoformat()})
    assert simulated.status_code == 200, simulated.text
    assert audited.status_code == 200, audited.text
    fields = ("allowed", "reason", "matched_rule", "source", "withheld")
    return {f: simulated.json()[f] for f in fields}, {f: audited.json()[f] for f in fields}


@pytest.fixture
def agent(api):
    assert api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"}).status_code == 201
    assert api.post("/v2/acl/rules", json={"topic": "#", "action": "both", "permission": "allow"}).status_code == 201


@pytest.mark.parametrize("action", ["publish", "subscribe"])
def test_dollar_topics_are_refused_alike(api, agent, action):
    simulated, audited = both(api, "$SYS/broker/uptime", action)
    assert simulated == audited
    assert simulated["allowed"] is False and simulated["matched_rule"] is None
    assert "'$'" in simulated["reason"]


@pytest.mark.parametrize("topic,action", [("$share/workers/jobs/#", "subscribe"), ("jobs/1", "publish")])
def test_other_topics_are_answered_alike(api, agent, topic, action):
    simulated, audited = both(api, topic, action)
    assert simulated == audited and simulated["allowed"] is True
