from __future__ import annotations

from typing import Any, Optional, Union, cast

from cloudsignal.pagination import Page
from cloudsignal.resources._base import NOT_GIVEN, NotGiven, Resource, fields, segment
from cloudsignal.types import TerminateResult, User


class Users(Resource):
    """MQTT users (``/v2/users``); scopes ``users:read`` / ``users:write``.

    Example::

        user = api.users.create("agent-01", "secure-password", acl_set="backend-services")
        print(user["mqtt_username"])   # agent-01@org_k7xm4pqr2n5t
    """

    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[User]:
        """One page of users, oldest first; iterate it to walk every user."""
        return self._page("/v2/users", {}, limit, cursor)

    def get(self, username: str) -> User:
        """A user by the name part of its MQTT username (``agent-01``)."""
        return cast(User, self._http.request("GET", f"/v2/users/{segment(username)}"))

    def create(
        self,
        username: str,
        password: str,
        *,
        acl_set: Optional[str] = None,
        metadata: Optional[dict[str, Any]] = None,
    ) -> User:
        """Create a user; it may connect at once as ``<username>@<org_id>``.

        ``acl_set`` names the rule set (name or id) whose rules it gets besides the organization's.
        """
        body = fields(username=username, password=password,
                      acl_set=acl_set if acl_set is not None else NOT_GIVEN,
                      metadata=metadata if metadata is not None else NOT_GIVEN)
        return cast(User, self._http.request("POST", "/v2/users", json=body))

    def update(
        self,
        username: str,
        *,
        password: Union[str, NotGiven] = NOT_GIVEN,
        acl_set: Union[str, None, NotGiven] = NOT_GIVEN,
        disabled: Union[bool, NotGiven] = NOT_GIVEN,
        metadata: Union[dict[str, Any], NotGiven] = NOT_GIVEN,
    ) -> User:
        """Change some fields; ``acl_set=None`` removes the rule set. Connected clients are
        kicked on a password change or when disabled, and get new rules otherwise."""
        body = fields(password=password, acl_set=acl_set, disabled=disabled, metadata=metadata)
        return cast(User, self._http.request("PATCH", f"/v2/users/{segment(username)}", json=body))

    def delete(self, username: str) -> None:
        """Delete a user (its clients are disconnected); the name becomes free again."""
        self._http.request("DELETE", f"/v2/users/{segment(username)}")

    def terminate(self, username: str) -> TerminateResult:
        """Disconnect every session of the user (it may connect again). Scope ``sessions:write``."""
        return cast(TerminateResult, self._http.request("POST", f"/v2/users/{segment(username)}/terminate"))
