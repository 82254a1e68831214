from events.access.rules import Rule, evaluate, render


def decide(rules, topic, action="publish", username="agent-01", client_id="c1", org_id="org_x"):
    return evaluate(rules, username=username, client_id=client_id, org_id=org_id, topic=topic, action=action)


def test_no_rule_denies():
    decision = decide([], "a/b")
    assert decision.allowed is False and decision.rule is None


def test_placeholders_render_per_user():
    rule = Rule("r1", "agents/{username}/#", "both", "allow")
    assert decide([rule], "agents/agent-01/inbox").allowed
    assert not decide([rule], "agents/agent-02/inbox").allowed
    assert decide([Rule("r2", "{org_id}/c/{client_id}", "publish", "allow")], "org_x/c/c1").allowed


def test_client_id_with_wildcards_never_widens_a_rule():
    assert render("c/{client_id}", username="u", client_id="#", org_id="o") is None
    assert not decide([Rule("r", "c/{client_id}", "publish", "allow")], "c/x", client_id="a/b").allowed


def test_lower_priority_number_wins():
    allow = Rule("allow", "a/#", "both", "allow", priority=10)
    deny = Rule("deny", "a/secret", "both", "deny", priority=20)
    assert decide([deny, allow], "a/secret").rule.id == "allow"
    assert decide([Rule("deny", "a/secret", "both", "deny", priority=5), allow], "a/secret").allowed is False


def test_deny_before_allow_at_equal_priority():
    rules = [Rule("allow", "a/#", "both", "allow", 10), Rule("deny", "a/secret", "both", "deny", 10)]
    assert decide(rules, "a/secret").rule.id == "deny"
    assert decide(rules, "a/public").rule.id == "allow"


def test_a_deny_overlapping_a_filter_grants_it_and_withholds_its_topics():
    rules = [Rule("deny", "a/secret", "subscribe", "deny", 10), Rule("allow", "a/#", "subscribe", "allow", 20)]
    granted = decide(rules, "a/#", action="subscribe")
    assert granted.allowed is True and granted.rule.id == "allow"
    assert [rule.id for rule in granted.withheld] == ["deny"] and "withheld" in granted.reason
    assert decide(rules, "a/secret", action="subscribe").allowed is False  # a delivery, or that filter
    assert decide(rules, "a/public/#", action="subscribe").withheld == ()


def test_a_deny_covering_the_whole_filter_refuses_it():
    rules = [Rule("deny", "secret/#", "subscribe", "deny", 10), Rule("allow", "#", "both", "allow", 20)]
    assert decide(rules, "secret/+/x", action="subscribe").allowed is False
    assert decide(rules, "+/+", action="subscribe").allowed is True


def test_subscriptions_need_a_rule_covering_the_whole_filter():
    rules = [Rule("r", "a/b", "subscribe", "allow")]
    assert not decide(rules, "a/+", action="subscribe").allowed
    assert decide([Rule("r", "a/+", "subscribe", "allow")], "a/+", action="subscribe").allowed


def test_action_must_match():
    rule = Rule("r", "a/#", "publish", "allow")
    assert decide([rule], "a/b", action="publish").allowed
    assert not decide([rule], "a/b", action="subscribe").allowed


def test_user_globs():
    rule = Rule("r", "sensors/#", "publish", "allow", user="sensor-*")
    assert decide([rule], "sensors/t", username="sensor-7").allowed
    assert not decide([rule], "sensors/t", username="agent-01").allowed


def test_a_deny_with_an_unusable_client_id_denies_more_not_less():
    rules = [Rule("deny", "c/{client_id}/secret", "publish", "deny", 1), Rule("allow", "c/#", "publish", "allow", 2)]
    assert decide(rules, "c/x/secret", client_id="x").allowed is False
    assert decide(rules, "c/x/open", client_id="x").allowed is True
    assert decide(rules, "c/x/open", client_id="a/b").allowed is False  # the deny covers all of c/#
