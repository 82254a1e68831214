from __future__ import annotations

from typing import Any, Dict, Optional

from cloudsignal.resources._base import Resource, segment


class Presence(Resource):
    """Who is online (``/v2/utilities/presence``); scope ``sessions:read``. One row per connected
    session with its current subscription filters.

    Example::

        online = api.presence(topic="rooms/+/chat")
        print(online["online_count"], [row["username"] for row in online["users"]])
        api.presence.get("alice")["online"]
    """

    def __call__(self, topic: Optional[str] = None, *, limit: Optional[int] = None,
                 cursor: Optional[str] = None) -> Dict[str, Any]:
        """``{online_count, users: [...], next_cursor}``; ``topic`` (``+``/``#`` allowed) keeps the
        sessions subscribed to an overlapping filter."""
        return self._http.request("GET", "/v2/utilities/presence",  # type: ignore[no-any-return]
                                  params={"topic": topic, "limit": limit, "cursor": cursor})

    def list(self, topic: Optional[str] = None, *, limit: Optional[int] = None,
             cursor: Optional[str] = None) -> Dict[str, Any]:
        return self(topic, limit=limit, cursor=cursor)

    def get(self, username: str) -> Dict[str, Any]:
        """``{username, online, sessions: [...]}`` (the name without ``@org_...``)."""
        return self._http.request("GET", f"/v2/utilities/presence/{segment(username)}")  # type: ignore[no-any-return]
