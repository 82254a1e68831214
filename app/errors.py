"""Every error the API returns has one shape; domain and store errors map to HTTP here only."""

import http
import logging
from typing import Any, Dict, Optional, Tuple

import marshmallow as ma
from eventsourcing.persistence import InterfaceError, OperationalError
from flask import Flask, g

from app.broker.connection import BrokerRefused, BrokerTimeout, BrokerUnavailable
from events.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, QuotaExceeded

log = logging.getLogger(__name__)

STATUS_BY_DOMAIN_ERROR = {
    InvalidInput: 400,
    Forbidden: 403,
    QuotaExceeded: 403,
    NotFound: 404,
    Conflict: 409,
}

CODE_BY_STATUS = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
    504: "broker_timeout",
}


class ErrorSchema(ma.Schema):
    """The body of every error reply."""

    error = ma.fields.String(required=True, metadata={"description": "Machine-readable code"})
    message = ma.fields.String(required=True, metadata={"description": "Human-readable explanation"})
    detail = ma.fields.Raw(
        allow_none=True, metadata={"description": "Field errors or other structured detail, or null"}
    )
    request_id = ma.fields.String(allow_none=True, metadata={"description": "Quote it when asking for help"})


class ApiError(Exception):
    """An error raised by the service layer with its HTTP status and code."""

    def __init__(self, status: int, message: str, code: Optional[str] = None, detail: Any = None,
                 headers: Optional[Dict[str, str]] = None):
        super().__init__(message)
        self.status, self.message, self.detail, self.headers = status, message, detail, headers or {}
        self.code = code or CODE_BY_STATUS.get(status, "error")


def error_body(status: int, message: str, code: Optional[str] = None, detail: Any = None) -> Dict[str, Any]:
    return {
        "error": code or CODE_BY_STATUS.get(status, http.HTTPStatus(status).phrase.lower().replace(" ", "_")),
        "message": message,
        "detail": detail,
        "request_id": g.get("request_id"),
    }


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError) -> Tuple[Dict[str, Any], int, Dict[str, str]]:
        return error_body(error.status, error.message, error.code, error.detail), error.status, error.headers

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> Tuple[Dict[str, Any], int]:
        status = next((STATUS_BY_DOMAIN_ERROR[cls] for cls in type(error).__mro__ if cls in STATUS_BY_DOMAIN_ERROR), 400)
        return error_body(status, error.message, error.code, error.detail), status

    @app.errorhandler(BrokerUnavailable)
    def broker_unavailable(error: BrokerUnavailable) -> Tuple[Dict[str, Any], int]:
        return error_body(503, f"cannot publish: {error}", "broker_unavailable"), 503

    @app.errorhandler(BrokerTimeout)
    def broker_timeout(error: BrokerTimeout) -> Tuple[Dict[str, Any], int]:
        return error_body(504, str(error), "broker_timeout"), 504

    @app.errorhandler(BrokerRefused)
    def broker_refused(error: BrokerRefused) -> Tuple[Dict[str, Any], int, Dict[str, str]]:
        # The broker counts every publish of the organization, MQTT and HTTP alike, in one budget.
        message = ("the broker refused the message: the organization is over a quota the broker enforces "
                   "(messages_per_minute, max_retained_messages or max_payload_bytes)")
        return error_body(429, message, "message_quota_exceeded"), 429, {"Retry-After": "60"}

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def store_unavailable(error: Exception) -> Tuple[Dict[str, Any], int]:
        log.error("event store unavailable: %s", error)
        return error_body(503, "the event store is unavailable; retry shortly", "store_unavailable"), 503
