"""Connection presets and the reconnection policy, the same in the Python and JavaScript SDKs.

Reconnection: after a lost connection (or a failed attempt) the client waits
``min(max_delay, first_delay * 2**n) * uniform(0.5, 1.0)`` seconds, ``n`` being the number of
attempts since the last successful CONNECT: exponential backoff with "equal jitter", so that a
fleet disconnected together does not come back in one wave, yet no client waits less than half
its step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, Optional

PresetName = Literal["agent", "server", "browser"]


@dataclass(frozen=True)
class Preset:
    """Defaults a named preset gives the client; an argument given explicitly wins.

    Example::

        client = CloudSignalClient(host, username, password, preset="server")
        PRESETS["server"].keepalive   # 30
    """

    keepalive: int
    reconnect_delay: float
    max_reconnect_delay: float
    queue_size: int
    publish_qos: int
    subscribe_qos: int


DEFAULTS = Preset(keepalive=60, reconnect_delay=1.0, max_reconnect_delay=30.0, queue_size=1000,
                  publish_qos=0, subscribe_qos=1)

PRESETS: dict[str, Preset] = {
    # long-lived workers, AI agents and devices on flaky networks: nothing sent is lost
    "agent": Preset(keepalive=60, reconnect_delay=1.0, max_reconnect_delay=60.0, queue_size=1000,
                    publish_qos=1, subscribe_qos=1),
    # backend services next to the broker: notice a drop fast, come back fast, buffer a burst
    "server": Preset(keepalive=30, reconnect_delay=0.5, max_reconnect_delay=10.0, queue_size=10000,
                     publish_qos=1, subscribe_qos=1),
    # pages over WebSockets: proxies close idle sockets, many tabs must not stampede a restarted
    # broker, and a tab holds little
    "browser": Preset(keepalive=30, reconnect_delay=2.0, max_reconnect_delay=60.0, queue_size=100,
                      publish_qos=0, subscribe_qos=0),
}


def preset_named(name: Optional[str]) -> Preset:
    if name is None:
        return DEFAULTS
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {name!r}")
    return PRESETS[name]


class Backoff:
    """The reconnection policy above; ``reset()`` after a successful CONNECT."""

    def __init__(self, first_delay: float, max_delay: float) -> None:
        if first_delay <= 0 or max_delay < first_delay:
            raise ValueError("reconnect delays must be positive, the maximum no less than the first")
        self.first_delay, self.max_delay = first_delay, max_delay
        self.attempts = 0

    def next_delay(self) -> float:
        step = min(self.max_delay, self.first_delay * float(2 ** min(self.attempts, 32)))
        self.attempts += 1
        return step * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempts = 0
