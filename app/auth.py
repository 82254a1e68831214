"""API key authentication: `Authorization: Bearer <key>` or `X-Secret-Key: <key>`."""

from datetime import datetime, timedelta, timezone
from typing import Optional

from flask import current_app, g, request

from app.current import current_domain
from app.errors import ApiError
from events.context import acting_as
from events.domainmodel import ApiKey
from events.secrets import hash_api_key

# How stale `last_used_at` may get: recording every use would make each request a write.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def presented_key() -> Optional[str]:
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("X-Secret-Key") or None


def authenticate(scope: Optional[str], public: bool = False) -> ApiKey:
    """The calling key, checked for validity and `scope`; also sets `g.key` and `g.org_id`."""
    secret = presented_key()
    if secret is None:
        raise ApiError(401, "missing API key: send 'Authorization: Bearer <key>'", "missing_api_key")
    domain = current_domain()
    key = domain.view.key_by_hash(hash_api_key(secret))  # memory only: no query on this path
    if key is None:
        raise ApiError(401, "invalid API key", "invalid_api_key")
    now = datetime.now(timezone.utc)
    if key.revoked:
        raise ApiError(401, f"API key {key.key_id} has been revoked", "api_key_revoked")
    if key.has_expired(now) and key.expires_at is not None:
        raise ApiError(401, f"API key {key.key_id} expired at {key.expires_at.isoformat()}", "api_key_expired")
    if key.key_type == "public" and not public:
        raise ApiError(
            403, "public keys may only exchange tokens and read public organization info", "forbidden"
        )
    if scope and not key.grants(scope, public):
        raise ApiError(403, f"this key lacks the {scope!r} scope", "insufficient_scope", {"required_scope": scope})
    g.key, g.org_id = key, key.org_id
    enforce_rate_limit(key.org_id)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        with acting_as(key.key_id, g.get("request_id")):
            domain.record_key_use(key.key_id, now)
    return key


def enforce_rate_limit(org_id: str) -> None:
    """Count the request against the organization's shared per-minute pool; 429 past it."""
    per_minute = current_domain().quotas(org_id)["rate_limit_per_minute"]
    window = current_app.extensions["cloudsignal.ratelimit"].hit("requests", org_id, per_minute)
    if window is None:
        return
    g.rate_limit = window
    if not window.allowed:
        raise ApiError(429, f"the organization's limit of {window.limit} requests per minute is used up; "
                            f"retry in {window.retry_after} s", "rate_limited",
                       {"limit": window.limit, "reset": window.reset},
                       headers={"Retry-After": str(window.retry_after)})
