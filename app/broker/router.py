"""The service's MQTT connections when there are several brokers: one per broker, and each
message or command goes to the broker serving its organization.

`BrokerRouter` answers like a `BrokerConnection` (publish, start_publish, wait, connected,
send_commands and the command methods, stop), so the routes that publish and kick need not know how many brokers there
are: inside a request, the organization is the caller's (`flask.g.org_id`); commands name theirs
(`org_id`, or the `@org_...` of a username). A command naming no organization goes to every
broker. Without CLOUDSIGNAL_BROKERS the service keeps its one connection, as before.
"""

from typing import Any, Dict, List, Mapping, Optional

from flask import g, has_request_context

from app.broker.commands import Command, CommandSender, org_of
from app.broker.connection import BrokerConnection, BrokerUnavailable
from events.brokers import BrokerAddress, parse_brokers


class BrokerRouter(CommandSender):
    def __init__(self, domain: Any, connections: Dict[str, BrokerConnection]):
        self.domain = domain
        self.connections = connections
        self.names = list(connections)

    def for_org(self, org_id: Optional[str]) -> BrokerConnection:
        name = self.domain.broker_of(org_id) if org_id else None
        return self.connections[name or self.names[0]]

    def _current(self) -> BrokerConnection:
        org_id = getattr(g, "org_id", None) if has_request_context() else None
        return self.for_org(org_id)

    @property
    def connected(self) -> bool:
        return self._current().connected

    def publish(self, *args: Any, **kwargs: Any) -> int:
        return self._current().publish(*args, **kwargs)

    def start_publish(self, *args: Any, **kwargs: Any) -> Any:
        return self._current().start_publish(*args, **kwargs)

    def wait(self, info: Any, timeout: float) -> int:
        return self._current().wait(info, timeout)  # the connection that published it (same organization)

    def __getattr__(self, name: str) -> Any:  # anything else a BrokerConnection offers: the caller's broker's
        if name.startswith("_") or name in ("domain", "connections", "names"):
            raise AttributeError(name)
        return getattr(self._current(), name)

    def send_commands(self, commands: List[Command]) -> List[Any]:
        """Each command to its organization's broker (one without an organization to all)."""
        by_broker: Dict[str, List[Command]] = {}
        for command in commands:
            org_id = org_of(command)
            targets = [self.domain.broker_of(org_id) or self.names[0]] if org_id else self.names
            for name in targets:
                by_broker.setdefault(name, []).append(command)
        sent: List[Any] = []
        for name, batch in by_broker.items():
            sent += self.connections[name].send_commands(batch)
        return sent

    def send_to(self, broker: str, commands: List[Command]) -> List[Any]:
        """Commands to one broker, whichever organizations they name (moving an organization)."""
        return self.connections[broker].send_commands(commands)

    def stop(self) -> None:
        for connection in self.connections.values():
            connection.stop()


def connect(domain: Any, environ: Mapping[str, str], username: str, secret: str, host: str, port: int) -> Any:
    """The service's broker link: a BrokerConnection to host:port when one broker (the default),
    else a BrokerRouter over one connection per broker of CLOUDSIGNAL_BROKERS."""
    brokers: List[BrokerAddress] = parse_brokers(environ)
    if not brokers:
        return BrokerConnection(host, port, username, secret)
    return BrokerRouter(domain, {b.name: BrokerConnection(b.host, b.port, username, secret) for b in brokers})


__all__ = ["BrokerRouter", "BrokerUnavailable", "connect"]
