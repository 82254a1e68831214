"""Issue 13, item 1: claims and usernames are data in rules (placeholders are rendered once)."""

import pytest

from events.access.rules import Rule, evaluate, render

HOSTILE = ["${clientid}", "a/b", "+", "#", "{username}", "{org_id}", "x\ny", "$SYS", "\x00", "\x7f", "}"]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_claim_voids_the_rule(value):
    assert render("users/{claims.sub}/#", username="u", client_id="c", org_id="o", claims={"sub": value}) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_username_voids_the_rule_and_broadens_a_deny(value):
    assert render("users/{username}/#", username=value, client_id="c", org_id="o") is None
    rules = [Rule("d", "users/{username}/secret", "both", "deny", priority=1), Rule("a", "users/#", "both", "allow")]
    decision = evaluate(rules, username=value, client_id="c", org_id="o", topic="users/other", action="publish")
    assert not decision.allowed


def test_a_value_is_never_rendered_twice():
    rendered = render("{claims.a}/{claims.b}/{username}", username="u", client_id="c", org_id="o",
                      claims={"a": "x", "b": "y"})
    assert rendered == "x/y/u"
    # the broker's own spelling of the client id passes through for the plugin to render
    assert render("d/{client_id}", username="u", client_id="${clientid}", org_id="o") == "d/${clientid}"
