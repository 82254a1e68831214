"""The broker commands (docs/broker-protocol.md) are built in one place, and with several brokers
each goes to the broker serving the organization it names."""

from types import SimpleNamespace

from app.broker import commands
from app.broker.router import BrokerRouter

ORG_A, ORG_B = "org_aaaaaaaaaaaa", "org_bbbbbbbbbbbb"


def test_each_command_has_the_fields_of_the_protocol():
    assert commands.kick("org_a/c1") == {"command": "kick", "clientid": "org_a/c1"}
    assert commands.kick("c1", org_id=ORG_A, username="u") == {
        "command": "kick", "clientid": "c1", "org_id": ORG_A, "username": "u"}
    assert commands.revoke(f"u@{ORG_A}") == [{"command": "kick_user", "username": f"u@{ORG_A}"},
                                             {"command": "invalidate", "username": f"u@{ORG_A}"}]
    assert commands.set_rules("u", [{"permission": "allow"}]) == {
        "command": "set_rules", "username": "u", "acl": [{"permission": "allow"}]}
    assert commands.set_expiry("u", 1700000000) == {"command": "set_expiry", "username": "u", "expire_at": 1700000000}
    assert commands.set_limits({"org_id": ORG_A, "max_connections": 5}) == {
        "command": "set_limits", "org_id": ORG_A, "max_connections": 5}
    record = {"username": "u", "credential_version": "0" * 16}
    assert commands.set_principal(record) == {"command": "set_principal", **record}
    assert commands.set_principal(record, "ab" * 32)["verifier"] == "ab" * 32


def test_the_organization_a_command_names():
    assert commands.org_of(commands.kick("c1", org_id=ORG_A)) == ORG_A
    assert commands.org_of(commands.kick_user(f"u@{ORG_B}")) == ORG_B
    assert commands.org_of(commands.kick("c1")) is None
    assert commands.org_of(commands.invalidate("internal")) is None


class Link:
    def __init__(self):
        self.sent = []

    def send_commands(self, batch):
        self.sent.append(batch)
        return [len(batch)]


def test_with_several_brokers_each_command_goes_to_its_organizations_broker():
    links = {"a": Link(), "b": Link()}
    domain = SimpleNamespace(broker_of=lambda org_id: {ORG_A: "a", ORG_B: "b"}.get(org_id))
    router = BrokerRouter(domain, links)
    router.kick_user(f"u@{ORG_B}")
    router.kick("c1", org_id=ORG_A)
    router.send_commands([*commands.revoke(f"u@{ORG_A}"), commands.set_limits({"org_id": ORG_B})])
    router.invalidate("no-organization")
    assert links["a"].sent == [[commands.kick("c1", org_id=ORG_A)], commands.revoke(f"u@{ORG_A}"),
                               [commands.invalidate("no-organization")]]
    assert links["b"].sent == [[commands.kick_user(f"u@{ORG_B}")], [commands.set_limits({"org_id": ORG_B})],
                               [commands.invalidate("no-organization")]]
