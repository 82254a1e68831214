"""The service's own MQTT connection: sends commands to the broker plugin over $CONTROL.

One per service process (MQTT 5, QoS 1). paho reconnects by itself with backoff and keeps QoS 1
messages published while disconnected until it is back.
"""

import json
import logging
import os
import socket
from typing import Any, Dict, List

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

CONTROL_TOPIC = "$CONTROL/cloudsignal/v1"
COMMANDS_PER_MESSAGE = 500
log = logging.getLogger("cloudsignal.broker")


class ControlPublisher:
    def __init__(self, host: str, port: int, username: str, secret: str):
        client_id = f"{username}-{socket.gethostname()}-{os.getpid()}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.username_pw_set(username, secret)
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=5)
        self.client.on_connect = self._on_connect
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()

    @staticmethod
    def _on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.error("broker refused the service's connection: %s", reason)

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def send(self, commands: List[Dict[str, Any]]) -> None:
        for start in range(0, len(commands), COMMANDS_PER_MESSAGE):
            chunk = commands[start:start + COMMANDS_PER_MESSAGE]
            self.client.publish(CONTROL_TOPIC, json.dumps({"commands": chunk}), qos=1)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
