"""mosquitto-go-auth's HTTP backend: `/internal/go-auth/{user,superuser,acl}`.

Stock go-auth (github.com/iegomez/mosquitto-go-auth) with `auth_opt_backends http` asks these on
every CONNECT, superuser check and ACL check (see broker-config/go-auth.conf and the README's
go-auth section). Registered on the internal blueprint.

A returning client's password is checked against `events.verified` (a keyed digest of the last
password that verified, per principal) before Argon2: go-auth without its own cache asks on every
CONNECT, and Argon2id would cost each one about 22 ms.
"""

from typing import Any, Dict, Tuple

from flask import current_app
from flask.views import MethodView

from app.current import current_domain
from app.resources.internal.shared import blp, broker_only, decide, internal_login
from app.resources.internal.schemas import (
    GoAuthAclSchema,
    GoAuthReplySchema,
    GoAuthSuperuserSchema,
    GoAuthUserSchema,
)
from events import verified
from events.access.broker import find_principal, login

GO_AUTH_ACTIONS = {1: ("subscribe",), 2: ("publish",), 3: ("subscribe", "publish"), 4: ("subscribe",)}


def _go_auth_reply(allowed: bool, error: str = "") -> Tuple[Dict[str, Any], int]:
    """go-auth reads the status (`status` mode) or `{ok, error}` (`json` mode)."""
    return ({"ok": True}, 200) if allowed else ({"ok": False, "error": error}, 403)


@blp.route("/go-auth/user")
class GoAuthUserViews(MethodView):
    @broker_only
    @blp.arguments(GoAuthUserSchema)
    @blp.response(200, GoAuthReplySchema)
    @blp.alt_response(403, schema=GoAuthReplySchema, description="Refused")
    def post(self, body: Dict[str, Any]) -> Any:
        """mosquitto-go-auth: check a CONNECT's username and password"""
        username, password = body["username"], body["password"]
        if internal_login(username, password):
            return _go_auth_reply(True)
        view = current_domain().view
        principal = find_principal(view, username)
        if principal is not None and verified.cached(principal, password):
            return _go_auth_reply(True)  # verified before, same hash, not disabled or expired now
        seen_hash = getattr(principal, "password_hash", None)  # read before login() verifies
        decision = login(view, username, password)
        if decision.allowed and decision.principal is principal and seen_hash is not None:
            verified.remember(principal, password, seen_hash)
        return _go_auth_reply(decision.allowed, decision.reason)


@blp.route("/go-auth/superuser")
class GoAuthSuperuserViews(MethodView):
    @broker_only
    @blp.arguments(GoAuthSuperuserSchema)
    @blp.response(200, GoAuthReplySchema)
    @blp.alt_response(403, schema=GoAuthReplySchema, description="Not a superuser")
    def post(self, body: Dict[str, Any]) -> Any:
        """mosquitto-go-auth: only the service's internal user is a superuser"""
        internal = body["username"] == current_app.config["INTERNAL_USERNAME"]
        return _go_auth_reply(internal, "" if internal else "not a superuser")


@blp.route("/go-auth/acl")
class GoAuthAclViews(MethodView):
    @broker_only
    @blp.arguments(GoAuthAclSchema)
    @blp.response(200, GoAuthReplySchema)
    @blp.alt_response(403, schema=GoAuthReplySchema, description="Denied")
    def post(self, body: Dict[str, Any]) -> Any:
        """mosquitto-go-auth: check a read, write or subscribe"""
        allowed, reason = decide(body["username"], body["clientid"], body["topic"], GO_AUTH_ACTIONS[body["acc"]])
        return _go_auth_reply(allowed, reason)
