"""Who is connected (as the broker reports it), session history, and forcing clients off.

Client ids are shown and taken as their user knows them. In multi tenancy every client id on the
broker starts with the organization's `{org_id}/` (the broker refuses others); the SDKs add it in
both tenancy modes, as they add the topic prefix. The broker reports the id it knows, which the
service stores; the prefix of the session's own organization is stripped when an id is shown and
ids are matched without it (paths, `?client_id=`). Ids without it (raw clients of single tenancy)
are shown as they are.
"""

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Union

from flask import g
from flask.views import MethodView

from app.current import current_broker, current_domain
from app.extensions.smorest import Blueprint
from app.pagination import _decode, _encode, _invalid_cursor, paginate
from app.resources.sessions.schemas import (
    SessionHistoryQueryArgsSchema,
    SessionPageSchema,
    SessionQueryArgsSchema,
    SessionSchema,
    TerminateReplySchema,
)
from events.domainmodel import Session
from events.errors import NotFound
from events.history import SessionRow, micros

blp = Blueprint("sessions", __name__, url_prefix="/v2", description="MQTT sessions")
AnySession = Union[Session, SessionRow]  # live (the read model) or ended (the history table)


def shown_client_id(session: AnySession) -> str:
    """The session's client id as its user knows it (without its organization's prefix)."""
    prefix = f"{session.org_id}/"
    return session.client_id[len(prefix):] if session.client_id.startswith(prefix) else session.client_id


def present(session: AnySession) -> Dict[str, Any]:
    ended = session.disconnected_at
    return {
        "session_id": session.session_id,
        "client_id": shown_client_id(session),
        "username": session.username,
        "mqtt_username": session.mqtt_username,
        "status": "active" if ended is None else "disconnected",
        "connected_at": session.connected_at,
        "disconnected_at": session.disconnected_at,
        "disconnect_reason": session.disconnect_reason,
        "duration_seconds": None if ended is None else (ended - session.connected_at).total_seconds(),
        "peer_address": session.peer_address,
        "protocol_version": session.protocol_version,
        "clean_start": session.clean_start,
    }


def order(item: Dict[str, Any]) -> List[str]:
    return [item["connected_at"].isoformat(), item["session_id"]]


def current_sessions(org_id: str) -> List[AnySession]:
    """The latest session of each client id: active ones (in memory), and offline persistent ones
    (ended sessions with clean_start false, from the history table)."""
    view = current_domain().view
    view.index_history()
    latest: Dict[str, AnySession] = {}
    candidates: List[AnySession] = [*view.history.offline_persistent(org_id), *view.open_sessions_of(org_id)]
    for session in candidates:
        held = latest.get(session.client_id)
        if held is None or (held.connected_at, held.session_id) < (session.connected_at, session.session_id):
            latest[session.client_id] = session
    return [s for s in latest.values() if s.disconnected_at is None or not s.clean_start]


def client_id_forms(org_id: str, client_id: Optional[str]) -> List[str]:
    """The ids a client id given without its organization's prefix may be stored as."""
    return [] if client_id is None else [client_id, f"{org_id}/{client_id}"]


def matching(sessions: Sequence[AnySession], username: Optional[str], client_id: Optional[str]) -> List[AnySession]:
    return [s for s in sessions
            if (username is None or s.username == username) and (client_id is None or shown_client_id(s) == client_id)]


@blp.route("/sessions")
class SessionViews(MethodView):
    @blp.auth("sessions:read")
    @blp.arguments(SessionQueryArgsSchema, location="query")
    @blp.response(200, SessionPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List sessions: connected clients, and persistent sessions whose client is offline"""
        sessions = matching(current_sessions(g.org_id), args["username"], args["client_id"])
        wanted = {"active": (False,), "disconnected": (True,), "all": (False, True)}[args["status"]]
        items = [present(s) for s in sessions if (s.disconnected_at is not None) in wanted]
        return paginate(items, order, args["limit"], args["cursor"])


@blp.route("/sessions/history")
class SessionHistoryViews(MethodView):
    @blp.auth("sessions:read")
    @blp.arguments(SessionHistoryQueryArgsSchema, location="query")
    @blp.response(200, SessionPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """Every session opened and closed, with durations, oldest first"""
        view = current_domain().view
        view.index_history()
        after = None
        if args["cursor"] is not None:  # the same cursors as paginate(): [connected_at, session_id]
            key = _decode(args["cursor"])
            if len(key) != 2:
                raise _invalid_cursor()
            try:
                after = (micros(datetime.fromisoformat(key[0])), key[1])
            except ValueError:
                raise _invalid_cursor() from None
        rows = view.history.sessions(g.org_id, args["username"], client_id_forms(g.org_id, args["client_id"]),
                                     args["since"], args["until"], after, args["limit"] + 1)
        # `matching`: an id stored with another organization's prefix is not this client id
        items = [present(s) for s in matching(rows[:args["limit"]], None, args["client_id"])]
        more = len(rows) > args["limit"]
        return {"data": items, "next_cursor": _encode(order(present(rows[args["limit"] - 1]))) if more else None}


@blp.route("/sessions/<string:client_id>")
class SessionByClientIdViews(MethodView):
    @blp.auth("sessions:read")
    @blp.response(200, SessionSchema)
    @blp.errors(404)
    def get(self, client_id: str) -> Dict[str, Any]:
        """The current session of a client id"""
        return present(_current(client_id))

    @blp.auth("sessions:write")
    @blp.response(204)
    @blp.errors(404, 503)
    def delete(self, client_id: str) -> None:
        """Force a connected client off the broker"""
        session = _current(client_id)
        if session.disconnected_at is not None:
            raise NotFound(f"client {client_id!r} is not connected")
        # The id as the broker knows it, and whose client it must be: session events arrive in
        # batches, so the broker checks that the client holding the id now is this organization's.
        current_broker().kick(session.client_id, org_id=g.org_id)


def _current(client_id: str) -> AnySession:
    sessions = matching(current_sessions(g.org_id), None, client_id)
    if not sessions:  # the broker's report may have reached another process: catch up once, as lookups do
        current_domain().view.catch_up()
        sessions = matching(current_sessions(g.org_id), None, client_id)
    if not sessions:
        raise NotFound(f"no session for client id {client_id!r}")
    return sessions[0]


@blp.route("/users/<string:username>/terminate")
class UserTerminateViews(MethodView):
    @blp.auth("sessions:write")
    @blp.response(200, TerminateReplySchema)
    @blp.errors(404, 503)
    def post(self, username: str) -> Dict[str, Any]:
        """Disconnect every session of an MQTT user (it may connect again)"""
        user = current_domain().view.find_user(g.org_id, username)
        active = [s for s in current_sessions(g.org_id) if s.username == username and s.disconnected_at is None]
        current_broker().kick_user(user.mqtt_username)
        return {"username": username, "sessions_terminated": len(active)}
