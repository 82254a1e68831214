"""``CloudSignalClient``: paho-mqtt 2.x with the platform's defaults built in.

MQTT 5, handlers per topic filter with decoded payloads, publishes queued until the connection is
up, reconnection with backoff and resubscription, the organization prefix of multi tenancy, and
temporary credentials that refresh themselves.
"""

from __future__ import annotations

import collections
import itertools
import logging
import ssl
import threading
import time
import uuid
from typing import Any, Callable, Deque, Literal, Optional, Union
from urllib.parse import urlparse

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from cloudsignal._handles import AckTable, PublishHandle, SubscribeHandle
from cloudsignal._messages import (
    H,
    Handler,
    Message,
    Queued,
    Subscription,
    as_message_handler,
    new_properties,
    publish_properties,
)
from cloudsignal._payload import decode, encode
from cloudsignal._presets import Backoff, Preset, preset_named
from cloudsignal._rpc import REPLY_TOPIC, RequestError, Requester, RequestTimeout, responder
from cloudsignal._topics import Namespace, matching_filter, org_of, resolve_tenancy, wire_client_id
from cloudsignal.errors import ConnectionRefused, MQTTError, QueueFullError
from cloudsignal.types import MessageProperties

__all__ = ["CloudSignalClient", "Message", "PublishHandle", "RequestError", "RequestTimeout", "SubscribeHandle"]

log = logging.getLogger("cloudsignal.mqtt")

DEFAULT_PORTS = {("tcp", False): 1883, ("tcp", True): 8883, ("websockets", False): 9001, ("websockets", True): 9001}


class CloudSignalClient:
    """An MQTT client for CloudSignal, wrapping paho-mqtt 2.x (MQTT 5 by default).

    Example (publishes made before the connection is up are queued)::

        from cloudsignal import CloudSignalClient
        client = CloudSignalClient(host="127.0.0.1", username="agent-01@org_k7xm4pqr2n5t",
                                   password="your-password")

        @client.on_message("agents/+/state")
        def handle_state(topic, payload):
            print(f"{topic}: {payload}")

        client.publish("agents/agent-01/state", {"status": "idle", "load": 0.12}, qos=1)
        client.connect()   # blocks and runs the loop; Ctrl-C disconnects cleanly

    Or in the background: ``client.start()`` ... ``client.stop()`` (also ``with client: ...``).

    Arguments: ``port`` defaults to 1883 (8883 with ``tls``, 9001 over ``transport="websockets"``,
    path ``ws_path``). ``tls`` is True (system CAs), a CA file path, or an ``ssl.SSLContext``.
    ``tenancy`` is ``"single"`` or ``"multi"`` (default ``$CLOUDSIGNAL_TENANCY``, else single);
    in multi tenancy the ``<org_id>/`` prefix is added to every topic sent and stripped from
    every topic received. The client id goes to the broker as ``<org_id>/<client_id>`` (multi
    tenancy refuses client ids without it; the REST API shows them without it); ``client_id``
    stays as you gave it. ``clean_start=False`` keeps the session ``session_expiry`` seconds
    (3600). Up to ``queue_size`` publishes wait for the connection (:class:`QueueFullError`
    beyond). Lost connections are retried after about ``reconnect_delay`` seconds, doubling with
    each failed attempt up to ``max_reconnect_delay``, with jitter (each wait is drawn between
    half and all of its step); the first CONNECT refused by the broker (bad password) is not
    retried: ``connect()`` raises :class:`ConnectionRefused`. ``preset`` (``"agent"``,
    ``"server"``, ``"browser"``) sets keepalive, reconnection delays, ``queue_size`` and the
    default QoS of ``publish`` and ``subscribe``; arguments given explicitly win. Replies to
    :meth:`request` arrive under ``reply_topic`` (default ``replies/<client_id>``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        username: Optional[str] = None,
        password: Optional[str] = None,
        port: Optional[int] = None,
        tls: Union[None, bool, str, ssl.SSLContext] = None,
        transport: Literal["tcp", "websockets"] = "tcp",
        client_id: Optional[str] = None,
        clean_start: bool = True,
        keepalive: Optional[int] = None,
        *,
        tenancy: Optional[str] = None,
        protocol: int = paho.MQTTv5,
        ws_path: str = "/mqtt",
        session_expiry: Optional[int] = None,
        queue_size: Optional[int] = None,
        reconnect_delay: Optional[float] = None,
        max_reconnect_delay: Optional[float] = None,
        preset: Optional[str] = None,
        reply_topic: Optional[str] = None,
    ) -> None:
        if transport not in ("tcp", "websockets"):
            raise ValueError("transport must be 'tcp' or 'websockets'")
        self.host = host
        self.port = port or DEFAULT_PORTS[(transport, bool(tls))]
        self.username = username
        self.client_id = client_id or f"cloudsignal-{uuid.uuid4().hex[:12]}"
        self.tenancy = resolve_tenancy(tenancy)
        self.protocol = protocol
        self.clean_start = clean_start
        self.preset: Preset = preset_named(preset)
        self.keepalive = keepalive if keepalive is not None else self.preset.keepalive
        self.session_expiry = session_expiry if session_expiry is not None else (0 if clean_start else 3600)
        self.queue_size = queue_size if queue_size is not None else self.preset.queue_size
        first = reconnect_delay if reconnect_delay is not None else self.preset.reconnect_delay
        most = max_reconnect_delay if max_reconnect_delay is not None else self.preset.max_reconnect_delay
        self._backoff = Backoff(first, max(first, most))
        self._namespace = Namespace.for_user(username, self.tenancy)

        # The broker knows the client as `<org_id>/<client_id>`; self.client_id stays the id as
        # given (or generated), as topics stay as the code writes them.
        self._mqtt = paho.Client(CallbackAPIVersion.VERSION2, client_id=wire_client_id(username, self.client_id),
                                 protocol=MQTTProtocolVersion(protocol),
                                 transport=transport, reconnect_on_failure=False,  # _run reconnects
                                 clean_session=None if protocol == paho.MQTTv5 else clean_start)
        self._mqtt.enable_logger(logging.getLogger("cloudsignal.paho"))
        self._mqtt.max_queued_messages_set(self.queue_size)
        if username is not None:
            self._mqtt.username_pw_set(username, password)
        if transport == "websockets":
            self._mqtt.ws_set_options(path=ws_path)
        if isinstance(tls, ssl.SSLContext):
            self._mqtt.tls_set_context(tls)
        elif isinstance(tls, str):
            self._mqtt.tls_set(ca_certs=tls)
        elif tls:
            self._mqtt.tls_set()
        self._mqtt.on_connect = self._on_connect
        self._mqtt.on_disconnect = self._on_disconnect
        self._mqtt.on_message = self._on_message
        self._mqtt.on_publish = self._on_publish
        self._mqtt.on_subscribe = self._on_subscribe

        self._state_lock = threading.RLock()  # connected flag, queue, subscriptions
        self._connected = threading.Event()
        self._ever_connected = False
        self._queue: Deque[Queued] = collections.deque()
        self._subscriptions: dict[str, Subscription] = {}
        self._identifiers = itertools.count(1)
        self._publish_acks = AckTable()
        self._subscribe_acks = AckTable()
        self._refusal: Optional[ConnectionRefused] = None
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._refresher: Any = None  # a CredentialRefresher when built by from_token_exchange
        self._connect_listeners: list[Callable[[], Any]] = []
        self._disconnect_listeners: list[Callable[[str], Any]] = []
        self._network_thread: Optional[int] = None  # the thread running the loop, where handlers run
        self._requester = Requester(self, reply_topic or REPLY_TOPIC.format(client_id=self.client_id))

    # -- credentials from a token exchange ------------------------------------------------

    @classmethod
    def from_token_exchange(
        cls,
        api_url: str,
        public_key: str,
        token: Union[str, Callable[[], str]],
        *,
        provider: Optional[str] = None,
        ttl: Optional[int] = None,
        host: Optional[str] = None,
        refresh: bool = True,
        **options: Any,
    ) -> "CloudSignalClient":
        """A client on temporary credentials exchanged for an identity provider's token.

        ``POST /v2/tokens/exchange`` with ``public_key`` (a ``pk_`` key is enough) turns the
        token (a JWT from Supabase, Firebase, Auth0, Clerk or any OIDC provider) into
        ``tok_...@org_...`` credentials; the reply also says the deployment's tenancy. The
        credentials are refreshed at 80% of their lifetime (``refresh=False`` to opt out). When
        ``token`` is a callable returning a fresh identity token, credentials that can no longer
        be refreshed are exchanged again. ``host`` defaults to the API URL's host; other keyword
        arguments go to the constructor.

        Example::

            client = CloudSignalClient.from_token_exchange(
                "http://127.0.0.1:8080", "pk_...", id_token, provider="auth0")
            client.subscribe("users/me/inbox", lambda topic, payload: print(payload))
            client.connect()
        """
        from cloudsignal._credentials import CredentialRefresher
        from cloudsignal.api import CloudSignal

        api = CloudSignal(api_key=public_key, base_url=api_url)
        identity_token = token() if callable(token) else token
        credentials = api.tokens.exchange(identity_token, provider=provider, ttl=ttl)
        options.setdefault("tenancy", credentials.get("tenancy", "single"))
        client = cls(host or urlparse(api_url).hostname or "127.0.0.1", credentials["mqtt_username"],
                     credentials["mqtt_password"], **options)
        if refresh:
            client._refresher = CredentialRefresher(
                api.tokens, credentials, client._use_credentials,
                token_source=token if callable(token) else None, provider=provider, ttl=ttl)
        return client

    def set_will(self, topic: str, payload: Any = None, qos: int = 0, retain: bool = False) -> None:
        """The message the broker publishes for this client if it disconnects without saying so
        (network loss, crash; not :meth:`stop` or Ctrl-C). Call before connecting. Example::

            client.set_will("agents/agent-01/status", {"online": False}, qos=1, retain=True)
        """
        data, content_type = encode(payload)
        properties = None
        if self.protocol == paho.MQTTv5 and content_type:
            properties = new_properties(PacketTypes.WILLMESSAGE)
            properties.ContentType = content_type
        self._mqtt.will_set(self._namespace.topic(topic), data, qos, retain, properties)

    def _use_credentials(self, username: str, password: str) -> None:
        """New credentials, used from the next CONNECT on (the organization does not change)."""
        if org_of(username) != org_of(self.username):
            log.error("new credentials belong to another organization; keeping the old ones")
            return
        self.username = username
        self._mqtt.username_pw_set(username, password)

    # -- handlers and subscriptions -----------------------------------------------------------

    def on_connect(self, listener: Callable[[], Any]) -> Callable[[], Any]:
        """Call ``listener()`` after every successful (re)connection; usable as a decorator."""
        self._connect_listeners.append(listener)
        return listener

    def on_disconnect(self, listener: Callable[[str], Any]) -> Callable[[str], Any]:
        """Call ``listener(reason)`` whenever the connection ends; usable as a decorator::

            @client.on_disconnect
            def lost(reason):
                print("disconnected:", reason)
        """
        self._disconnect_listeners.append(listener)
        return listener

    def _notify(self, listeners: list[Callable[..., Any]], *args: Any) -> None:
        for listener in list(listeners):
            try:
                listener(*args)
            except Exception:
                log.exception("connection listener %r failed", listener)

    def on_message(self, topic_filter: str, qos: Optional[int] = None) -> Callable[[H], H]:
        """Decorator: call the function for every message matching ``topic_filter``.

        The function gets ``(topic, payload)``, payload decoded (JSON value, else text, else
        bytes), or ``(topic, payload, message)`` if it takes three arguments. Example::

            @client.on_message("agents/+/state")
            def handle_state(topic, payload):
                print(topic, payload["status"])
        """

        def register(handler: H) -> H:
            self.subscribe(topic_filter, handler, qos=qos)
            return handler

        return register

    def subscribe(self, topic_filter: str, handler: Handler, qos: Optional[int] = None) -> SubscribeHandle:
        """Subscribe ``handler`` to ``topic_filter`` (``+``/``#`` wildcards, ``$share/group/...``).

        Works before and after connecting; subscriptions are renewed after every reconnect.
        Example::

            client.subscribe("agents/+/state", lambda topic, payload: print(topic, payload)).wait(5)
        """
        if not topic_filter:
            raise ValueError("empty topic filter")
        qos = self.preset.subscribe_qos if qos is None else qos
        handle = SubscribeHandle(topic_filter)
        with self._state_lock:
            record = self._subscriptions.get(topic_filter)
            send = record is None or record.qos != qos
            if record is None:
                record = Subscription(topic_filter, qos, next(self._identifiers))
                self._subscriptions[topic_filter] = record
            record.qos = qos
            record.handlers.append(as_message_handler(handler))
            if not send and record.granted is not None:
                handle._resolve(record.granted)
                return handle
            record.waiting.append(handle)
            send = send and self._connected.is_set()  # else the next CONNECT subscribes it
        if send:
            self._send_subscribe(record)
        return handle

    def unsubscribe(self, topic_filter: str) -> None:
        """Drop every handler of ``topic_filter`` and unsubscribe from it."""
        with self._state_lock:
            known = self._subscriptions.pop(topic_filter, None) is not None
        if known and self._connected.is_set():
            self._mqtt.unsubscribe(self._namespace.topic(topic_filter))

    def _send_subscribe(self, record: Subscription) -> None:
        properties = None
        if self.protocol == paho.MQTTv5:
            properties = new_properties(PacketTypes.SUBSCRIBE)
            properties.SubscriptionIdentifier = record.identifier
        result, mid = self._mqtt.subscribe(self._namespace.topic(record.topic_filter), record.qos,
                                           properties=properties)
        if result == MQTTErrorCode.MQTT_ERR_SUCCESS and mid is not None:
            self._subscribe_acks.expect(mid, lambda reasons: self._subscribed(record, reasons))

    def _subscribed(self, record: Subscription, reasons: list[ReasonCode]) -> None:
        reason = reasons[0]
        with self._state_lock:
            record.granted = reason
            waiting, record.waiting = record.waiting, []
        if reason.is_failure:
            log.warning("subscription to %r refused: %s", record.topic_filter, reason)
        for handle in waiting:
            handle._resolve(reason)

    # -- publishing ------------------------------------------------------------------------------

    def publish(
        self,
        topic: str,
        payload: Any = None,
        qos: Optional[int] = None,
        retain: bool = False,
        *,
        properties: Optional[MessageProperties] = None,
    ) -> PublishHandle:
        """Publish; dict and list are sent as JSON, str as UTF-8, bytes as they are.

        Before the connection is up the message waits in a bounded queue and is sent, in order,
        once connected. ``properties`` takes MQTT 5's ``content_type``,
        ``message_expiry_interval``, ``response_topic``, ``correlation_data`` and
        ``user_properties``. Example::

            client.publish("agents/agent-01/state", {"status": "idle", "load": 0.12}, qos=1).wait(5)
        """
        if not topic or "+" in topic or "#" in topic:
            raise ValueError(f"cannot publish to {topic!r}: a topic name has no wildcards")
        qos = self.preset.publish_qos if qos is None else qos
        if qos not in (0, 1, 2):
            raise ValueError("qos must be 0, 1 or 2")
        data, content_type = encode(payload)
        packet_properties = (publish_properties(self._namespace, content_type, properties)
                             if self.protocol == paho.MQTTv5 else None)
        handle = PublishHandle(topic, qos)
        queued = Queued(topic, data, qos, retain, packet_properties, handle)
        # Never call paho holding the state lock from here: paho may call back into this client
        # (a failed write reports the disconnection) while the network thread waits for it.
        with self._state_lock:
            if not self._connected.is_set():
                if len(self._queue) >= self.queue_size:
                    raise QueueFullError(f"{self.queue_size} publishes already wait for the connection")
                self._queue.append(queued)
                return handle
        self._send(queued)  # after the queue was drained: on_connect drains before setting connected
        return handle

    def _send(self, queued: Queued) -> bool:
        """Hand a message to paho; False when the connection had just dropped and the message
        went back to the front of the queue."""
        info = self._mqtt.publish(self._namespace.topic(queued.topic), queued.payload, queued.qos,
                                  queued.retain, queued.properties)
        if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and queued.qos == 0:
            with self._state_lock:  # paho keeps QoS 1 and 2 messages itself, not QoS 0
                self._connected.clear()
                self._queue.appendleft(queued)
            return False
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            queued.handle._fail(MQTTError(f"publish to {queued.topic!r} failed: {paho.error_string(info.rc)}"))
            return True
        queued.handle.mid = info.mid
        self._publish_acks.expect(info.mid, queued.handle._resolve)
        return True

    # -- request/response ----------------------------------------------------------------------

    def request(
        self,
        topic: str,
        payload: Any = None,
        timeout: float = 10.0,
        qos: int = 1,
        *,
        properties: Optional[MessageProperties] = None,
    ) -> Any:
        """Send a request and return the reply's payload (decoded as handlers get it).

        The client sets the response topic (``replies/<client_id>/...``; it subscribes to
        ``replies/<client_id>/#`` once) and the correlation data, and matches the reply. Raises
        :class:`RequestTimeout` when no reply comes within ``timeout`` seconds, and
        :class:`RequestError` (``code``, ``message``) when the responder's handler raised. Many
        requests may be in flight at once, from any threads but the client's own (a handler
        waiting for a reply would hold up the messages it waits for). The client needs the rule
        ``{"topic": "replies/{client_id}/#", "action": "subscribe", "permission": "allow"}``.
        Example::

            client.start()
            item = client.request("svc/items/get", {"id": 7}, timeout=5)
        """
        if self._network_thread == threading.get_ident():
            raise RuntimeError("request() from a handler would wait for messages its own thread must "
                               "deliver; call it from another thread")
        return self._requester.request(topic, payload, timeout, qos, properties)

    def on_request(self, topic_filter: str, qos: Optional[int] = None) -> Callable[[H], H]:
        """Decorator: answer requests on ``topic_filter``; the function's return value is the reply.

        The function gets ``(topic, payload)`` or ``(topic, payload, message)`` as with
        :meth:`on_message`, on the network thread. What it raises is sent as an error reply (user
        property ``cs-error``) that the requester raises as :class:`RequestError`. Responders need
        the rule ``{"topic": "replies/#", "action": "publish", "permission": "allow"}``. Example::

            @client.on_request("svc/+/get")
            def get(topic, payload):
                return {"id": payload["id"], "name": "lamp"}
        """

        def register(handler: H) -> H:
            self.subscribe(topic_filter, responder(self, handler), qos=qos)
            return handler

        return register

    # -- running ---------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_until_connected(self, timeout: Optional[float] = None) -> bool:
        """Block until connected (True) or ``timeout`` passed (False); raises
        :class:`ConnectionRefused` if the broker refused the first CONNECT."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._connected.wait(0.05):
            if self._refusal is not None:
                raise self._refusal
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def connect(self) -> None:
        """Connect and run the network loop in this thread until :meth:`stop` (from a handler or
        another thread) or Ctrl-C, which disconnect cleanly. Lost connections are retried with
        backoff; raises :class:`ConnectionRefused` if the broker refuses the first CONNECT."""
        try:
            self._run()
        except KeyboardInterrupt:
            log.info("interrupted; disconnecting")
            self._stopping.set()
            self._mqtt.disconnect()
        if self._refusal is not None and not self._ever_connected:
            raise self._refusal

    def start(self) -> None:
        """Connect and run the network loop in a background thread; see :meth:`connect`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name=f"cloudsignal-{self.client_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Disconnect cleanly and end the loop (of :meth:`start` or :meth:`connect`)."""
        self._stopping.set()
        if self._refresher is not None:
            self._refresher.cancel()
        self._mqtt.disconnect()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    disconnect = stop

    def __enter__(self) -> "CloudSignalClient":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        self._stopping.clear()
        self._refusal = None
        properties = None
        if self.protocol == paho.MQTTv5 and self.session_expiry:
            properties = new_properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.session_expiry
        if self.protocol == paho.MQTTv5:
            self._mqtt.connect_async(self.host, self.port, self.keepalive, clean_start=self.clean_start,
                                     properties=properties)
        else:
            self._mqtt.connect_async(self.host, self.port, self.keepalive)
        if self._refresher is not None:
            self._refresher.start()
        self._network_thread = threading.get_ident()
        self._backoff.reset()
        try:
            while not self._stopping.is_set():
                self._connect_once()
                if self._stopping.is_set() or (self._refusal is not None and not self._ever_connected):
                    break
                delay = self._backoff.next_delay()
                log.info("connecting again to %s:%s in %.2fs", self.host, self.port, delay)
                self._stopping.wait(delay)
        finally:
            self._network_thread = None
            self._connected.clear()
            if self._refresher is not None:
                self._refresher.cancel()

    def _connect_once(self) -> None:
        """One connection, from CONNECT until it ends (paho's own retries are off: the loop in
        :meth:`_run` paces them by the reconnection policy)."""
        try:
            self._mqtt.reconnect()
        except OSError as error:  # refused, unreachable, TLS or WebSocket handshake
            log.info("cannot reach %s:%s: %s", self.host, self.port, error)
            return
        if self._stopping.is_set():  # stop() came while connecting: say goodbye, then end
            self._mqtt.disconnect()
        self._mqtt.loop_forever()

    # -- paho callbacks (network thread) -------------------------------------------------------

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode,
                    properties: Optional[Properties]) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            if not self._ever_connected:
                self._refusal = ConnectionRefused(str(reason))
                client.disconnect()
            return
        session_present = bool(getattr(flags, "session_present", False))
        log.info("connected to %s:%s as %s", self.host, self.port, self.username)
        self._backoff.reset()
        with self._state_lock:
            self._ever_connected = True
            if not session_present:
                for record in self._subscriptions.values():
                    self._send_subscribe(record)
            else:
                for record in self._subscriptions.values():  # the broker kept them
                    if record.waiting:
                        self._send_subscribe(record)
            while self._queue:
                if not self._send(self._queue.popleft()):
                    return
            self._connected.set()
        self._notify(self._connect_listeners)

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: ReasonCode,
                       properties: Optional[Properties]) -> None:
        self._connected.clear()
        if not self._stopping.is_set() and self._refusal is None:
            log.warning("connection lost (%s); reconnecting", reason)
        self._notify(self._disconnect_listeners, str(reason))

    def _on_message(self, client: paho.Client, userdata: Any, raw: paho.MQTTMessage) -> None:
        topic = self._namespace.strip(raw.topic)
        properties = getattr(raw, "properties", None)
        data = bytes(raw.payload)
        message = Message(topic, decode(data, getattr(properties, "ContentType", None)), data,
                          raw.qos, bool(raw.retain), properties)
        identifiers = getattr(properties, "SubscriptionIdentifier", None) or []
        if isinstance(identifiers, int):
            identifiers = [identifiers]
        with self._state_lock:
            records = list(self._subscriptions.values())
        if identifiers:
            chosen = [record for record in records if record.identifier in identifiers]
        else:
            chosen = [record for record in records
                      if paho.topic_matches_sub(matching_filter(record.topic_filter), topic)]
        for record in chosen:
            for handler in list(record.handlers):
                try:
                    handler(message)
                except Exception:
                    log.exception("handler for %r failed on a message to %r", record.topic_filter, topic)

    def _on_publish(self, client: paho.Client, userdata: Any, mid: int, reason: ReasonCode,
                    properties: Optional[Properties]) -> None:
        self._publish_acks.arrived(mid, reason)

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int, reasons: list[ReasonCode],
                      properties: Optional[Properties]) -> None:
        self._subscribe_acks.arrived(mid, reasons)

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"CloudSignalClient({self.host}:{self.port}, {self.username!r}, {self.tenancy}, {state})"
