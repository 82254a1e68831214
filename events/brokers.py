"""Several brokers: which broker serves which organization.

`CLOUDSIGNAL_BROKERS=name=host:port,name2=host:port` names the deployment's brokers (the
service's internal MQTT connection goes to host:port; each broker's plugin says its name with
`plugin_opt_broker_name`). Without it there is one broker and nothing here applies.

An organization is served by the broker its latest `Organization.BrokerAssigned` event names
(`cloudsignal-server orgs assign --org ORG --broker NAME`). The placement rule for a new
organization: the configured broker serving the fewest organizations, the first in
CLOUDSIGNAL_BROKERS at a tie; recorded with the organization's creation. An organization never
assigned, or assigned to a broker no longer configured, is served by the first one.

`CLOUDSIGNAL_BROKER_ENDPOINTS=name=mqtts://mqtt-a.example.com:8883,...` (optional) is what
`GET /v2/organization` tells devices to connect to; by default `mqtt://host:port` of
CLOUDSIGNAL_BROKERS.
"""

import re
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BrokerAddress(NamedTuple):
    name: str
    host: str
    port: int
    endpoint: str


def broker_env(environ: Mapping[str, str]) -> Dict[str, str]:
    names = ("CLOUDSIGNAL_BROKERS", "CLOUDSIGNAL_BROKER_ENDPOINTS")
    return {name: environ[name] for name in names if environ.get(name)}


def _pairs(text: str, what: str) -> List[Tuple[str, str]]:
    pairs = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        name, equals, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not NAME.match(name) or not value:
            raise ValueError(f"{what}: expected name=value items separated by commas, not {item!r}")
        pairs.append((name, value))
    return pairs


def parse_brokers(environ: Mapping[str, Any]) -> List[BrokerAddress]:
    """The configured brokers, in order; [] without CLOUDSIGNAL_BROKERS (one broker, as always)."""
    endpoints = dict(_pairs(environ.get("CLOUDSIGNAL_BROKER_ENDPOINTS") or "", "CLOUDSIGNAL_BROKER_ENDPOINTS"))
    brokers: List[BrokerAddress] = []
    for name, address in _pairs(environ.get("CLOUDSIGNAL_BROKERS") or "", "CLOUDSIGNAL_BROKERS"):
        host, colon, port = address.rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"CLOUDSIGNAL_BROKERS: {name}={address} is not host:port")
        if any(b.name == name for b in brokers):
            raise ValueError(f"CLOUDSIGNAL_BROKERS names {name!r} twice")
        brokers.append(BrokerAddress(name, host, int(port), endpoints.get(name, f"mqtt://{host}:{port}")))
    unknown = set(endpoints) - {b.name for b in brokers}
    if unknown:
        raise ValueError(f"CLOUDSIGNAL_BROKER_ENDPOINTS names brokers not in CLOUDSIGNAL_BROKERS: {sorted(unknown)}")
    return brokers


def place(brokers: List[str], assigned: List[Optional[str]]) -> str:
    """The placement rule: the broker serving the fewest organizations (first at a tie)."""
    load = {name: 0 for name in brokers}
    for name in assigned:
        load[name if name in load else brokers[0]] += 1
    return min(brokers, key=lambda name: (load[name], brokers.index(name)))
