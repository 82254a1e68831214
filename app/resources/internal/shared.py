"""What the broker's two dialects share: the internal blueprint, the gate before every endpoint
(loopback peers holding the broker secret), the service's own broker user, and the decision on a
publish or subscribe. routes.py serves EMQX's HTTP shapes (our plugin), go_auth.py
mosquitto-go-auth's; both register on `blp`.

The broker secret arrives as `Authorization: Bearer <secret>` (our plugin), HTTP Basic with the
secret as password (go-auth, from the URL's userinfo), or the deprecated `?broker_secret=` (go-auth
would log it).
"""

import functools
import hmac
import ipaddress
import logging
import time
from typing import Any, Callable, Optional, Tuple

from flask import current_app, request

from app.current import current_domain
from app.errors import ApiError
from app.extensions.smorest import Blueprint
from events.access.broker import find_principal
from events.access.question import Now, ask

log = logging.getLogger("cloudsignal.broker")
blp = Blueprint("internal", __name__, url_prefix="/internal",
                description="Broker integration: loopback only, broker secret required")
_query_warned_at = [float("-inf")]


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return address.startswith("/") or address == ""  # a unix socket has no IP peer


def presented_secret() -> str:
    """The broker secret as go-auth sends it (`broker_only` reads Bearer itself, for our plugin).

    go-auth cannot set headers, but Go's net/http turns a URL's userinfo (`http://go-auth:<secret>@
    127.0.0.1:8081/...`, from `auth_opt_http_host go-auth:<secret>@127.0.0.1`) into
    `Authorization: Basic` and prints it as `go-auth:***@` in its errors. The query string form
    `?broker_secret=` still works for existing configurations but is deprecated: go-auth logs the
    full URL, query included, on every failed request (a service outage fills the broker's log).
    """
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        return credentials.password or ""
    presented = request.args.get("broker_secret", "")
    if presented:
        now = time.monotonic()
        if now - _query_warned_at[0] >= 600:  # once per 10 minutes per process: go-auth asks a lot
            _query_warned_at[0] = now
            log.warning("deprecated: the broker secret arrived as ?broker_secret=, which go-auth writes to the "
                        "broker's log on every HTTP error; put it in the URL's userinfo instead "
                        "(auth_opt_http_host go-auth:<secret>@127.0.0.1, see broker-config/go-auth.conf)")
    return presented


def broker_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse anyone but the broker: a loopback peer holding the broker secret."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        secret = current_app.config["BROKER_SECRET"]
        if not secret:
            raise ApiError(503, "broker integration is not configured: set CLOUDSIGNAL_BROKER_SECRET",
                           "broker_not_configured")
        if not _is_loopback(request.remote_addr or ""):
            raise ApiError(403, "internal endpoints answer loopback peers only", "forbidden")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else presented_secret()
        if not hmac.compare_digest(presented.encode(), secret.encode()):
            raise ApiError(401, "missing or wrong broker secret", "unauthorized")
        return view(*args, **kwargs)

    documented = blp.doc(security=[{"brokerSecret": []}])(wrapper)
    return blp.alt_response(401, response="UNAUTHORIZED")(documented)  # type: ignore[no-any-return]  # flask-smorest is untyped (Any)


def internal_login(username: str, password: str) -> bool:
    """The service's own broker user: a superuser whose password is the broker secret."""
    return username == current_app.config["INTERNAL_USERNAME"] and hmac.compare_digest(
        password.encode(), current_app.config["BROKER_SECRET"].encode())


def decide(username: str, client_id: Optional[str], topic: str, actions: Tuple[str, ...]) -> Tuple[bool, str]:
    """Whether the broker lets `username` do every one of `actions` on `topic` (as the broker
    names it), and why not."""
    if username == current_app.config["INTERNAL_USERNAME"]:
        return True, "internal user"
    view = current_domain().view
    principal = find_principal(view, username)
    for action in actions:
        answer = ask(Now(view), principal, username=username, topic=topic, action=action, client_id=client_id,
                     tenancy=current_app.config["TENANCY"])
        if not answer.allowed:
            return False, answer.reason
    return True, "allowed"
