"""CloudSignal for Python: an MQTT client, a REST client, and the ``cloudsignal`` CLI.

Real-time code::

    from cloudsignal import CloudSignalClient
    client = CloudSignalClient(host="127.0.0.1", username="agent-01@org_k7xm4pqr2n5t",
                               password="your-password")

    @client.on_message("agents/+/state")
    def handle_state(topic, payload):
        print(f"{topic}: {payload}")

    client.publish("agents/agent-01/state", {"status": "idle", "load": 0.12}, qos=1)
    client.connect()

Infrastructure::

    from cloudsignal import CloudSignal
    api = CloudSignal(api_key="sk_...")
    api.users.create("agent-01", "secure-password")
"""

from cloudsignal._version import __version__
from cloudsignal.api import CloudSignal
from cloudsignal.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CloudSignalError,
    ConflictError,
    ConnectionRefused,
    InternalServerError,
    MQTTError,
    NotFoundError,
    PermissionDeniedError,
    PublishError,
    QueueFullError,
    RateLimitError,
    SubscribeError,
    ValidationError,
)
from cloudsignal._presets import PRESETS, Preset
from cloudsignal.mqtt import CloudSignalClient, Message, PublishHandle, RequestError, RequestTimeout, SubscribeHandle
from cloudsignal.pagination import Page
from cloudsignal.resources import NOT_GIVEN

__all__ = [
    "__version__",
    "CloudSignal",
    "CloudSignalClient",
    "Message",
    "PublishHandle",
    "SubscribeHandle",
    "Preset",
    "PRESETS",
    "Page",
    "NOT_GIVEN",
    "CloudSignalError",
    "APIError",
    "APIConnectionError",
    "APITimeoutError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "ValidationError",
    "RateLimitError",
    "InternalServerError",
    "MQTTError",
    "ConnectionRefused",
    "PublishError",
    "SubscribeError",
    "QueueFullError",
    "RequestError",
    "RequestTimeout",
]
