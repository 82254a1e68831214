from __future__ import annotations

from typing import Optional, cast

from cloudsignal.pagination import Page
from cloudsignal.resources._base import Resource, segment
from cloudsignal.types import Session, SessionStatus


class Sessions(Resource):
    """MQTT sessions reported by the broker (``/v2/sessions``); scopes ``sessions:read|write``.

    Example::

        for session in api.sessions.list(status="active"):
            print(session["client_id"], session["mqtt_username"])
        api.sessions.disconnect("sensor-17")
    """

    def list(
        self,
        *,
        status: Optional[SessionStatus] = None,
        username: Optional[str] = None,
        client_id: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Session]:
        """Connected clients, and persistent sessions whose client is offline."""
        return self._page("/v2/sessions", {"status": status, "username": username, "client_id": client_id},
                          limit, cursor)

    def history(
        self,
        *,
        username: Optional[str] = None,
        client_id: Optional[str] = None,
        since: Optional[str] = None,
        until: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Page[Session]:
        """Every session opened and closed, with durations, oldest first."""
        params = {"username": username, "client_id": client_id, "since": since, "until": until}
        return self._page("/v2/sessions/history", params, limit, cursor)

    def get(self, client_id: str) -> Session:
        """The current session of a client id."""
        return cast(Session, self._http.request("GET", f"/v2/sessions/{segment(client_id)}"))

    def disconnect(self, client_id: str) -> None:
        """Force a connected client off the broker (it may connect again)."""
        self._http.request("DELETE", f"/v2/sessions/{segment(client_id)}")
