"""Issue 13, item 9: names with a trailing newline, passwords with a NUL, and an unencoded '+' in
a time zone offset."""

import pytest


@pytest.mark.parametrize("path, body", [
    ("/v2/users", {"username": "agent-01\n", "password": "secure-password"}),
    ("/v2/acl/rule-sets", {"name": "set\n", "rules": []}),
    ("/v2/auth-providers", {"name": "idp\n", "type": "jwt", "secret": "s" * 32}),
])
def test_a_name_with_a_trailing_newline_is_refused(api, path, body):
    reply = api.post(path, json=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"] == "validation_error"
    listed = api.get(path).json()["data"]
    assert listed == []


def test_a_password_with_a_nul_is_refused_at_creation_and_change(api):
    reply = api.post("/v2/users", json={"username": "agent-01", "password": "secure\x00anything"})
    assert reply.status_code == 400 and "NUL" in reply.text
    assert api.get("/v2/users").json()["data"] == []
    assert api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"}).status_code == 201
    changed = api.patch("/v2/users/agent-01", json={"password": "secure\x00x"})
    assert changed.status_code == 400 and "NUL" in changed.text


def test_an_unencoded_plus_in_the_offset_is_read_as_plus(api):
    assert api.post("/v2/users", json={"username": "agent-01", "password": "secure-password"}).status_code == 201
    for path in ("/v2/audit/state?at=2099-12-01T10:00:00+00:00",
                 "/v2/audit/access?username=agent-01&topic=a&action=publish&at=2099-12-01T10:00:00+00:00",
                 "/v2/events?since=2000-01-01T00:00:00+02:00",
                 "/v2/audit/state?at=2099-12-01 10:00:00+05:30"):
        reply = api.get(path)  # requests sends '+' as it is: the server sees a space
        assert reply.status_code == 200, (path, reply.text)
    state = api.get("/v2/audit/state?at=2099-12-01T10:00:00+00:00").json()
    assert [user["username"] for user in state["users"]] == ["agent-01"]
    assert api.get("/v2/audit/state?at=2099-12-01T10:00:00 garbage").status_code == 400
