"""After a broker (re)start, make the service's list of retained messages match the broker's.

The list is kept from the plugin's reports (events/presence.py), and Mosquitto keeps retained
messages in its persistence file, written every `autosave_interval` and at a clean shutdown. A
crash loses what changed since the last write: the list would show messages the broker no longer
has, and the plugin, which loads the list at its first sync, would count them against the
organization's retained-message quota. So when a broker reports `broker_started`, the process that
received the report looks once: it subscribes to `#` as the internal user (the broker sends every
retained message at once), waits until the messages stop, and then
- clears the topics the broker no longer holds (unless a report set them since the scan began),
  and tells the plugin to forget them (`forget_retained`; it keeps any topic published meanwhile);
- records the topics the broker holds that the list lacks (a store restored from an older backup),
  unless a report cleared them since the scan began.
One short-lived connection per broker start; nothing per request.
"""

import logging
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

import paho.mqtt.client as mqtt
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion

from app.broker.commands import Command, forget_retained
from app.broker.connection import CONTROL_TOPIC, control_payloads
from events.broker_state import default_org
from events.brokers import parse_brokers
from events.context import acting_as
from events.presence import record_retained

log = logging.getLogger("cloudsignal.broker")

QUIET = 0.5  # seconds without a retained message after the SUBACK: the broker has sent them all
CONNECT_WITHIN = 15.0  # the broker reports its start before its listeners open
SCAN_LIMIT = 60.0

Held = Dict[str, Tuple[int, int]]  # broker topic -> (payload size, QoS)


def scan(host: str, port: int, username: str, secret: str,
         then: Callable[[Held], List[Command]]) -> Optional[List[Command]]:
    """Collect every retained message the broker holds (topics not starting with '$'), hand them
    to `then` and send the broker the commands it returns, on the same connection (the process
    answering the broker's reports has no other). None when the broker could not be reached or
    the scan did not finish."""
    held: Held = {}
    subscribed, last = threading.Event(), [time.monotonic()]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
                         client_id=f"{username}-scan-{uuid.uuid4().hex[:12]}")
    client.username_pw_set(username, secret)

    def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if not reason.is_failure:
            client.subscribe("#", qos=2)  # QoS 2: each message arrives with the QoS it was retained with

    def on_subscribe(client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        last[0] = time.monotonic()
        subscribed.set()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.retain:
            held[message.topic] = (len(message.payload), message.qos)
            last[0] = time.monotonic()

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    deadline = time.monotonic() + CONNECT_WITHIN
    while True:
        try:
            client.connect(host, port, keepalive=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)
    client.loop_start()
    try:
        finished = time.monotonic() + SCAN_LIMIT
        if not subscribed.wait(CONNECT_WITHIN):
            return None
        while time.monotonic() - last[0] < QUIET:
            if time.monotonic() > finished:
                return None
            time.sleep(0.05)
        commands = then(dict(held))
        for payload in control_payloads(commands):
            client.publish(CONTROL_TOPIC, payload, qos=1).wait_for_publish(5)
        return commands
    finally:
        client.disconnect()
        client.loop_stop()


def org_of_topic(topic: str, tenancy: str, default_org: Optional[str]) -> Optional[str]:
    """The organization a broker topic belongs to: its first level in multi tenancy."""
    if tenancy == "multi":
        first = topic.partition("/")[0]
        return first if first.startswith("org_") else None
    return default_org


def reconcile(domain: Any, held: Held, since: datetime, tenancy: str, broker: Optional[str]) -> List[Command]:
    """Record the difference between the broker's retained messages (`held`) and the list; returns
    the plugin's `forget_retained` commands for the topics cleared."""
    domain.view.catch_up()
    default = default_org(domain.view) if tenancy == "single" else None
    ours = (lambda org: domain.broker_of(org) == broker) if broker and domain.brokers else (lambda org: True)
    at = int(datetime.now(timezone.utc).timestamp() * 1000)
    reports: List[Dict[str, Any]] = []
    missing: Dict[str, List[str]] = {}
    for org_id, topics in domain.view.retained_everywhere().items():
        if not ours(org_id):
            continue
        for topic in topics:
            message = domain.view.retained_message(org_id, topic)
            if topic not in held and message is not None and message.updated_at < since:
                reports.append({"type": "retained", "org_id": org_id, "topic": topic, "size": 0, "at": at})
                missing.setdefault(org_id, []).append(topic)
    for topic, (size, qos) in held.items():
        org_id = org_of_topic(topic, tenancy, default)
        if org_id is None or not ours(org_id):
            continue
        message = domain.view.retained_message(org_id, topic)
        if message is None or (not message.present and message.updated_at < since):  # not cleared meanwhile
            reports.append({"type": "retained", "org_id": org_id, "topic": topic, "size": size, "qos": qos, "at": at})
    if reports:
        record_retained(domain, reports)
        cleared = sum(len(topics) for topics in missing.values())
        log.warning("retained messages after the broker's start: %d no longer held (cleared), %d not listed (added)",
                    cleared, len(reports) - cleared)
    return [forget_retained(org_id, topics) for org_id, topics in missing.items()]


def after_broker_start(app: Flask, broker: Optional[str]) -> None:
    """Scan and reconcile in the background (the report's request answers at once)."""
    threading.Thread(target=_run, args=(app, broker), name="retained-scan", daemon=True).start()


def _run(app: Flask, broker: Optional[str]) -> None:
    since = datetime.now(timezone.utc)
    with app.app_context():
        config, domain = app.config, app.extensions["cloudsignal"]
        host, port = config["BROKER_HOST"], config["BROKER_PORT"]
        for address in parse_brokers(domain.env) if broker else []:
            if address.name == broker:
                host, port = address.host, address.port
        tenancy = config["TENANCY"]

        def then(held: Held) -> List[Command]:
            with acting_as("broker", None):
                return reconcile(domain, held, since, tenancy, broker)

        try:
            if scan(host, port, config["INTERNAL_USERNAME"], config["BROKER_SECRET"], then) is None:
                log.warning("retained messages not checked after the broker's start: no answer from %s:%s", host, port)
        except Exception:  # a background check: log, never take the process down
            log.exception("checking retained messages after the broker's start failed")
