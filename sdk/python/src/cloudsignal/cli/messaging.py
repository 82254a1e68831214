"""``cloudsignal publish`` (over HTTP), ``cloudsignal subscribe`` and ``cloudsignal request`` (over
MQTT, with temporary credentials)."""

from __future__ import annotations

import base64
import json
import queue
import signal
import threading
from types import FrameType
from typing import Any, Callable, Optional, Sequence

import click

from cloudsignal._credentials import CredentialRefresher
from cloudsignal.cli._context import Failure, state
from cloudsignal.cli._output import note, out, print_json
from cloudsignal.errors import ConnectionRefused, SubscribeError
from cloudsignal.mqtt import CloudSignalClient, Message, RequestError


def read_payload(message: Optional[str], file: Optional[str]) -> str:
    """The payload from --message, or from --file (a path, or '-' for standard input), as text."""
    if (message is None) == (file is None):
        raise click.UsageError("give the payload with exactly one of --message or --file (PATH, or - for stdin)")
    if message is not None:
        return message
    try:
        if file == "-":
            stream = state().env.stdin
            data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
        else:
            with open(str(file), "rb") as handle:
                data = handle.read()
    except OSError as error:
        raise click.BadParameter(f"cannot read {file}: {error.strerror}", param_hint="--file") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Failure("HTTP publish sends text: the payload is not UTF-8 (publish binary payloads over MQTT)",
                      code="binary_payload") from None


@click.command()
@click.option("--topic", required=True, help="Topic name (no wildcards).")
@click.option("--message", help="Payload, sent as text exactly as given.")
@click.option("--file", metavar="PATH|-", help="Read the payload from a file, or from standard input with '-'.")
@click.option("--qos", type=click.IntRange(0, 2), default=0, show_default=True,
              help="1 and 2 wait for the broker's acknowledgement.")
@click.option("--retain", is_flag=True, help="The broker keeps the message for later subscribers.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON on stdout.")
def publish(topic: str, message: Optional[str], file: Optional[str], qos: int, retain: bool, as_json: bool) -> None:
    """Publish one message over HTTP, without an MQTT connection (scope 'publish').

    The payload is --message, or the contents of --file (a path, or '-' for standard input),
    sent as text exactly as given.

    \b
    Examples:
      cloudsignal publish --topic "test/hello" --message "Hello from CLI"
      cloudsignal publish --topic agents/agent-01/inbox --message '{"task": "summarize"}' --qos 1
      cloudsignal publish --topic reports/daily --file report.json
      jq -c . state.json | cloudsignal publish --topic agents/agent-01/state --file -
    """
    payload = read_payload(message, file)
    result = state().api().publish(topic, payload, qos=qos, retain=retain)
    if as_json:
        print_json(result)
        return
    acknowledged = ", acknowledged by the broker" if result.get("acknowledged") else ""
    note(f"Published to {topic} (qos {result.get('qos', qos)}, message id {result.get('message_id')}{acknowledged}).")


def render(message: Message) -> str:
    payload = message.payload
    if isinstance(payload, bytes):
        return f"{message.topic} <{len(payload)} bytes> {payload.hex()}"
    if isinstance(payload, str):
        return f"{message.topic} {payload}"
    return f"{message.topic} {json.dumps(payload, ensure_ascii=False)}"


def as_json_line(message: Message) -> str:
    line: dict[str, Any] = {"topic": message.topic, "qos": message.qos, "retain": message.retain}
    if isinstance(message.payload, bytes):
        line["payload_base64"] = base64.b64encode(message.payload).decode()
    else:
        line["payload"] = message.payload
    return json.dumps(line, ensure_ascii=False)


def broker_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the commands that connect to the broker with temporary credentials."""
    for option in reversed([
        click.option("--mqtt-host", envvar="CLOUDSIGNAL_MQTT_HOST", default="127.0.0.1", show_default=True,
                     help="Broker host [env CLOUDSIGNAL_MQTT_HOST]."),
        click.option("--mqtt-port", envvar="CLOUDSIGNAL_MQTT_PORT", type=int,
                     help="Broker port [env CLOUDSIGNAL_MQTT_PORT; default 1883, 9001 over websockets, 8883 with TLS]."),
        click.option("--transport", type=click.Choice(["tcp", "websockets"]), default="tcp", show_default=True),
        click.option("--ca-file", type=click.Path(exists=True, dir_okay=False), help="Connect over TLS, trusting this CA."),
        click.option("--user-id", default="cloudsignal-cli", show_default=True,
                     help="Who the temporary credentials are for."),
        click.option("--acl-set", help="Rule set for the temporary credentials (default: organization rules only)."),
        click.option("--ttl", type=click.IntRange(10, 86400), default=3600, show_default=True,
                     help="Lifetime of the credentials; refreshed before expiry while running."),
        click.option("--connect-timeout", type=float, default=10.0, show_default=True,
                     help="Seconds to reach the broker."),
    ]):
        command = option(command)
    return command


def temporary_client(mqtt_host: str, mqtt_port: Optional[int], transport: str, ca_file: Optional[str],
                     user_id: str, acl_set: Optional[str], ttl: int) -> tuple[CloudSignalClient, CredentialRefresher]:
    """A client on credentials minted with POST /v2/tokens, and what keeps them fresh."""
    api = state().api()
    credentials = api.tokens.create(user_id, ttl=ttl, acl_set=acl_set)
    client = CloudSignalClient(
        mqtt_host, credentials["mqtt_username"], credentials["mqtt_password"], port=mqtt_port,
        tls=ca_file, transport="websockets" if transport == "websockets" else "tcp",
        tenancy=credentials.get("tenancy", "single"), reconnect_delay=1, max_reconnect_delay=10)
    return client, CredentialRefresher(api.tokens, credentials, lambda u, p: None)


def connected(client: CloudSignalClient, connect_timeout: float) -> None:
    try:
        if not client.wait_until_connected(connect_timeout):
            raise Failure(f"could not reach the broker at {client.host}:{client.port} within {connect_timeout:g}s")
    except ConnectionRefused as error:
        raise Failure(str(error)) from None


@click.command()
@click.option("--topic", "topics", required=True, multiple=True, help="Topic filter, + and # allowed (repeatable).")
@click.option("--qos", type=click.IntRange(0, 2), default=1, show_default=True)
@click.option("--count", type=click.IntRange(1), help="Exit after this many messages.")
@broker_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message: topic, payload, qos, retain.")
def subscribe(topics: Sequence[str], qos: int, count: Optional[int], mqtt_host: str, mqtt_port: Optional[int],
              transport: str, ca_file: Optional[str], user_id: str, acl_set: Optional[str], ttl: int,
              connect_timeout: float, as_json: bool) -> None:
    """Print messages as they arrive, until Ctrl-C (or --count messages).

    Mints temporary MQTT credentials with POST /v2/tokens (the key needs the tokens:create
    scope; a secret key has it), connects to the broker given by --mqtt-host and
    --mqtt-port, and subscribes. The credentials get the organization's rules, plus --acl-set's; they are
    refreshed while running and expire on their own. Lines are 'TOPIC PAYLOAD' on stdout
    (JSON payloads as JSON), or JSON objects with --json.

    \b
    Examples:
      cloudsignal subscribe --topic "test/#"
      cloudsignal subscribe --topic "agents/+/state" --count 1 --json
      CLOUDSIGNAL_MQTT_HOST=broker.internal cloudsignal subscribe --topic "alerts/#"
    """
    client, refresher = temporary_client(mqtt_host, mqtt_port, transport, ca_file, user_id, acl_set, ttl)
    received: "queue.Queue[Message]" = queue.Queue()
    handles = [client.subscribe(topic, lambda t, p, m: received.put(m), qos=qos) for topic in topics]

    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_term)
    client.start()
    refresher.start()
    try:
        try:
            if not client.wait_until_connected(connect_timeout):
                raise Failure(f"could not reach the broker at {client.host}:{client.port} within {connect_timeout:g}s")
            for handle in handles:
                if not handle.wait(connect_timeout):
                    raise Failure(f"no answer to the subscription to {handle.topic_filter!r}")
        except (ConnectionRefused, SubscribeError) as error:
            raise Failure(str(error)) from None
        note(f"Subscribed to {', '.join(topics)} as {client.username} at {client.host}:{client.port}"
             " (Ctrl-C to stop).")
        seen = 0
        while not stop.is_set() and (count is None or seen < count):
            try:
                message = received.get(timeout=0.2)
            except queue.Empty:
                continue
            out(as_json_line(message) if as_json else render(message))
            state().env.stdout.flush()
            seen += 1
    except KeyboardInterrupt:
        pass
    finally:
        refresher.cancel()
        client.stop()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)


@click.command()
@click.option("--topic", required=True, help="Topic the responder listens on (no wildcards).")
@click.option("--message", help="Request payload, sent as text exactly as given.")
@click.option("--file", metavar="PATH|-", help="Read the payload from a file, or from standard input with '-'.")
@click.option("--timeout", type=click.FloatRange(0.1), default=10.0, show_default=True,
              help="Seconds to wait for the reply.")
@click.option("--qos", type=click.IntRange(0, 2), default=1, show_default=True)
@broker_options
@click.option("--json", "as_json", is_flag=True, help='Print {"topic", "reply"} as JSON.')
def request(topic: str, message: Optional[str], file: Optional[str], timeout: float, qos: int, mqtt_host: str,
            mqtt_port: Optional[int], transport: str, ca_file: Optional[str], user_id: str, acl_set: Optional[str],
            ttl: int, connect_timeout: float, as_json: bool) -> None:
    """Send one request over MQTT 5 and print the reply (request/response).

    Mints temporary MQTT credentials as 'subscribe' does, sets a response topic under
    replies/<client id>/ and correlation data, and waits --timeout seconds for the reply. The
    rules must let it subscribe to replies/{client_id}/# (see the README). A JSON reply prints
    as JSON, a text reply as text. An error reply (the responder's handler raised) exits 1 with
    its code; so does a timeout (request_timeout).

    \b
    Examples:
      cloudsignal request --topic svc/items/get --message '{"id": 7}'
      cloudsignal request --topic svc/clock/now --message now --timeout 2 --json
    """
    payload = read_payload(message, file)
    client, refresher = temporary_client(mqtt_host, mqtt_port, transport, ca_file, user_id, acl_set, ttl)
    client.start()
    refresher.start()
    try:
        connected(client, connect_timeout)
        try:
            reply = client.request(topic, payload, timeout=timeout, qos=qos)
        except RequestError as error:
            raise Failure(error.message, code=error.code, detail={"topic": topic}) from None
    finally:
        refresher.cancel()
        client.stop()
    if as_json:
        print_json({"topic": topic, "reply": reply.hex() if isinstance(reply, bytes) else reply})
    elif isinstance(reply, (dict, list)):
        out(json.dumps(reply, ensure_ascii=False))
    else:
        out(reply.hex() if isinstance(reply, bytes) else str(reply))
