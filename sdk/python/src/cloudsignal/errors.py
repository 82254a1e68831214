"""The SDK's exceptions: one tree for the REST API, a few for MQTT.

Every REST failure is an :class:`APIError` carrying what the service said::

    from cloudsignal import CloudSignal, NotFoundError

    api = CloudSignal(api_key="sk_...")
    try:
        api.users.get("nobody")
    except NotFoundError as error:
        print(error.status, error.code, error.message, error.request_id)
"""

from __future__ import annotations

import email.utils
import time
from datetime import datetime, timezone
from typing import Any, Mapping, Optional


class CloudSignalError(Exception):
    """Base of every exception this package raises on purpose."""


class APIError(CloudSignalError):
    """The REST API answered with an error, or could not be reached (:class:`APIConnectionError`).

    Attributes mirror the API's error body ``{"error", "message", "detail", "request_id"}``:
    ``status`` (HTTP status, None when no reply came), ``code`` (``error``), ``message``,
    ``detail`` (field errors for validation, or None) and ``request_id`` (quote it when asking
    for help).
    """

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        code: Optional[str] = None,
        detail: Any = None,
        request_id: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail
        self.request_id = request_id
        self.headers: Mapping[str, str] = dict(headers or {})

    def __str__(self) -> str:
        facts = [part for part in (self.code, str(self.status) if self.status else None) if part]
        if self.request_id:
            facts.append(f"request {self.request_id}")
        return f"{self.message} ({', '.join(facts)})" if facts else self.message

    def to_dict(self) -> dict[str, Any]:
        """The API's error body (``error``, ``message``, ``detail``, ``request_id``)."""
        return {"error": self.code, "message": self.message, "detail": self.detail, "request_id": self.request_id}


class ValidationError(APIError):
    """400: the request was invalid; ``detail`` names the fields, e.g. ``{"topic": ["..."]}``."""


class AuthenticationError(APIError):
    """401: the API key (or the temporary credentials, or the identity token) was refused."""


class PermissionDeniedError(APIError):
    """403: the key lacks a scope, or a quota is reached (``code == "quota_exceeded"``)."""


class NotFoundError(APIError):
    """404: no such user, rule, rule set, key, session or provider."""


class ConflictError(APIError):
    """409: the name is taken, or the thing is still in use."""


class RateLimitError(APIError):
    """429: the organization's request (or message) quota for this minute is used up.

    ``retry_after`` is the number of seconds the API asked to wait (or None) and ``reset`` the
    moment the window resets (from ``X-RateLimit-Reset``, or None).
    """

    @property
    def retry_after(self) -> Optional[float]:
        return parse_retry_after(self.headers.get("Retry-After"))

    @property
    def reset(self) -> Optional[datetime]:
        value = self.headers.get("X-RateLimit-Reset")
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc) if value else None
        except ValueError:
            return None


class InternalServerError(APIError):
    """5xx: the service failed, or the broker behind HTTP publish was unavailable (503/504)."""


class APIConnectionError(APIError):
    """No reply: the service could not be reached, or did not answer in time."""


class APITimeoutError(APIConnectionError):
    """The service did not answer within the client's timeout."""


class MQTTError(CloudSignalError):
    """Base of the MQTT client's errors."""


class ConnectionRefused(MQTTError):
    """The broker refused the CONNECT (bad username or password, not authorized, quota).

    ``reason`` is the broker's MQTT reason string, e.g. ``"Not authorized"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"the broker refused the connection: {reason}")
        self.reason = reason


class PublishError(MQTTError):
    """The broker refused a QoS 1/2 publish (e.g. ``"Not authorized"`` by an ACL rule)."""

    def __init__(self, topic: str, reason: str) -> None:
        super().__init__(f"publish to {topic!r} refused: {reason}")
        self.topic, self.reason = topic, reason


class SubscribeError(MQTTError):
    """The broker refused a subscription (e.g. ``"Not authorized"`` by an ACL rule)."""

    def __init__(self, topic_filter: str, reason: str) -> None:
        super().__init__(f"subscription to {topic_filter!r} refused: {reason}")
        self.topic_filter, self.reason = topic_filter, reason


class QueueFullError(MQTTError):
    """The queue of publishes waiting for the connection is full (see ``queue_size``)."""


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_for_status(status: int) -> type[APIError]:
    """The exception class for an HTTP error status."""
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return InternalServerError if status >= 500 else APIError


def parse_retry_after(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` in seconds, from a number or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
