"""The commands the service sends the broker plugin over $CONTROL (docs/broker-protocol.md).

Each function builds one command; `CommandSender` (mixed into the broker links) sends one at
once. Callers that change several principals build the commands here and send them together in
one publish (the notifier, which also stamps each with the log position it brings the broker to).
"""

from typing import Any, Dict, List, Optional

from events.domainmodel import split_mqtt_username

Command = Dict[str, Any]


def kick(client_id: str, org_id: Optional[str] = None, username: Optional[str] = None) -> Command:
    """Disconnect the client holding `client_id` (as the broker knows it), provided it is of
    `org_id` and `username` when they are given: the plugin checks the owner it names."""
    command: Command = {"command": "kick", "clientid": client_id}
    if org_id is not None:
        command["org_id"] = org_id
    if username is not None:
        command["username"] = username
    return command


def kick_user(username: str) -> Command:
    """Disconnect every client of an MQTT username; the plugin drops the principal."""
    return {"command": "kick_user", "username": username}


def invalidate(username: str) -> Command:
    """Drop what the plugin holds of a principal (its verifier included)."""
    return {"command": "invalidate", "username": username}


def revoke(username: str) -> List[Command]:
    """A principal that may no longer connect as it did (password changed, disabled, deleted, its
    organization moved to another broker): its clients off, its cached credentials dropped."""
    return [kick_user(username), invalidate(username)]


def set_rules(username: str, acl: List[Dict[str, Any]]) -> Command:
    """New rules (EMQX's `acl` shape, `${clientid}` unrendered) for a principal's sessions."""
    return {"command": "set_rules", "username": username, "acl": acl}


def set_expiry(username: str, expire_at: int) -> Command:
    """A new expiry (epoch seconds) for temporary credentials and their sessions."""
    return {"command": "set_expiry", "username": username, "expire_at": expire_at}


def set_limits(limits: Dict[str, Any]) -> Command:
    """An organization's limits (`org_id` and the quotas, as `events.access` builds them)."""
    return {"command": "set_limits", **limits}


def set_principal(record: Dict[str, Any], verifier: Optional[str] = None) -> Command:
    """Store or replace a principal (`record` as `events.broker_state.principal_record` builds
    it), with the verifier of its new password when the service has one."""
    return {"command": "set_principal", **record, **({"verifier": verifier} if verifier is not None else {})}


def forget_retained(org_id: str, topics: List[str]) -> Command:
    """Topics the broker lost (a crash) leave the organization's retained count, unless published
    since the broker started."""
    return {"command": "forget_retained", "org_id": org_id, "topics": topics}


def org_of(command: Command) -> Optional[str]:
    """The organization a command is about: its `org_id`, else its username's; None for a command
    that names neither (every broker's business)."""
    if command.get("org_id"):
        return str(command["org_id"])
    parts = split_mqtt_username(command.get("username") or "")
    return parts[1] if parts else None


class CommandSender:
    """One method per command, each sent at once, for whatever `send_commands` the link has (one
    broker's connection, or the router that sends each command to its organization's broker)."""

    def send_commands(self, commands: List[Command]) -> List[Any]:
        raise NotImplementedError

    def kick(self, client_id: str, org_id: Optional[str] = None, username: Optional[str] = None) -> List[Any]:
        return self.send_commands([kick(client_id, org_id, username)])

    def kick_user(self, username: str) -> List[Any]:
        return self.send_commands([kick_user(username)])

    def invalidate(self, username: str) -> List[Any]:
        return self.send_commands([invalidate(username)])

    def set_rules(self, username: str, acl: List[Dict[str, Any]]) -> List[Any]:
        return self.send_commands([set_rules(username, acl)])

    def set_expiry(self, username: str, expire_at: int) -> List[Any]:
        return self.send_commands([set_expiry(username, expire_at)])

    def set_limits(self, limits: Dict[str, Any]) -> List[Any]:
        return self.send_commands([set_limits(limits)])

    def set_principal(self, record: Dict[str, Any], verifier: Optional[str] = None) -> List[Any]:
        return self.send_commands([set_principal(record, verifier)])
