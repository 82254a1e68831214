from __future__ import annotations

from typing import Any, Dict, Optional

from cloudsignal.pagination import Page
from cloudsignal.resources._base import Resource


class Retained(Resource):
    """Retained messages (``/v2/utilities/retained``); scope ``publish``.

    Example::

        for message in api.retained.list(topic="status/#"):
            print(message["topic"], message["size"], message["updated_at"])
        api.retained.delete("status/device-1")
        api.retained.delete_matching("status/#", dry_run=True)["count"]
    """

    def list(self, *, topic: Optional[str] = None, include_payload: bool = False, limit: Optional[int] = None,
             cursor: Optional[str] = None) -> Page[Dict[str, Any]]:
        """Topic, payload size, QoS and when set; ``include_payload`` fetches the payloads too."""
        return self._page("/v2/utilities/retained",
                          {"topic": topic, "include_payload": "true" if include_payload else None}, limit, cursor)

    def delete(self, topic: str) -> Dict[str, Any]:
        """Delete one topic's retained message: ``{deleted: true, topic}`` (404 if there is none)."""
        # The topic may contain '/': it is the rest of the path (each level escaped).
        from urllib.parse import quote

        return self._http.request("DELETE", "/v2/utilities/retained/" + quote(topic, safe="/"))  # type: ignore[no-any-return]

    def delete_matching(self, topic: str, *, dry_run: bool = False) -> Dict[str, Any]:
        """Delete every retained message a filter matches: ``{topic, dry_run, count, topics}``."""
        return self._http.request("DELETE", "/v2/utilities/retained",  # type: ignore[no-any-return]
                                  params={"topic": topic, "dry_run": "true" if dry_run else "false"})
