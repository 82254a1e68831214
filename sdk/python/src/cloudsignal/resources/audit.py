from __future__ import annotations

from typing import Literal, Optional, cast

from cloudsignal.resources._base import Resource
from cloudsignal.resources.events import Moment, moment
from cloudsignal.types import AccessAnswer, AuditState


class Audit(Resource):
    """Point-in-time questions answered by replaying the organization's history
    (``/v2/audit``); scope ``events:read``. ``at`` is an ISO 8601 time with a zone, or an aware
    datetime. Example::

        answer = api.audit.access("agent-01", "agents/agent-01/state", "publish",
                                  at="2025-01-31T12:00:00+00:00")
        print(answer["allowed"], answer["reason"], [e["type"] for e in answer["events"]])
        state = api.audit.state("2025-01-31T12:00:00+00:00")
        print([user["username"] for user in state["users"]])
    """

    def access(
        self,
        username: str,
        topic: str,
        action: Literal["publish", "subscribe"],
        at: Moment,
        client_id: Optional[str] = None,
    ) -> AccessAnswer:
        """Could ``username`` publish or subscribe to ``topic`` at that moment? The answer has
        ``allowed``, ``reason``, the ``matched_rule`` and its ``source``, and the ``events`` that
        made it so (the user's, and those of the deciding rule).

        Example::

            answer = api.audit.access("agent-01", "agents/agent-01/state", "publish",
                                      at=datetime(2025, 1, 31, 12, tzinfo=timezone.utc))
            if not answer["allowed"]:
                print("denied then:", answer["reason"])
        """
        params = {"username": username, "topic": topic, "action": action, "at": moment(at), "client_id": client_id}
        return cast(AccessAnswer, self._http.request("GET", "/v2/audit/access", params=params))

    def state(self, at: Moment) -> AuditState:
        """The organization's users, rules, rule sets and API keys (never their secrets) as they
        were at that moment.

        Example::

            then = api.audit.state("2025-01-31T12:00:00+00:00")
            print(len(then["users"]), "users,", len(then["rules"]), "rules")
        """
        return cast(AuditState, self._http.request("GET", "/v2/audit/state", params={"at": moment(at)}))
