"""Domain errors. The service maps each to one HTTP status in one place (app/errors.py)."""

from typing import Any, Optional


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, detail: Optional[Any] = None):
        super().__init__(message)
        self.message = message
        self.detail = detail


class InvalidInput(DomainError):
    code = "validation_error"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class QuotaExceeded(DomainError):
    code = "quota_exceeded"


class Forbidden(DomainError):
    code = "forbidden"
