from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional, TypedDict, Union, cast

from cloudsignal.resources._base import NOT_GIVEN, NotGiven, Resource, fields
from cloudsignal.types import Organization, OrganizationSettings


class UsageBucket(TypedDict):
    """One bucket of ``GET /v2/organization/usage``."""

    start: str
    connections: int
    peak_connections: int
    connects: int
    disconnects: Dict[str, int]


# ``from`` is a keyword in Python: the functional form keeps the API's field names.
OrganizationUsage = TypedDict("OrganizationUsage", {
    "from": str, "to": str, "interval": int, "buckets": List[UsageBucket], "totals": Dict[str, int],
})


def _moment(value: Union[str, datetime, None]) -> Optional[str]:
    return value.isoformat() if isinstance(value, datetime) else value


class OrganizationResource(Resource):
    """The key's organization (``/v2/organization``): name, tenancy, settings, quotas, usage.

    Example::

        org = api.organization.get()
        print(org["id"], org["usage"]["users"], "of", org["quotas"]["max_users"])
    """

    def get(self) -> Organization:
        """The organization; a public key sees only its id, name and tenancy."""
        return cast(Organization, self._http.request("GET", "/v2/organization"))

    def update(
        self,
        *,
        name: Union[str, NotGiven] = NOT_GIVEN,
        settings: Union[OrganizationSettings, NotGiven] = NOT_GIVEN,
    ) -> Organization:
        """Rename the organization or change settings (``{"default_rule_set": "..."}``)."""
        return cast(Organization, self._http.request("PATCH", "/v2/organization",
                                                     json=fields(name=name, settings=settings)))

    def usage(
        self,
        *,
        start: Union[str, datetime, None] = None,
        end: Union[str, datetime, None] = None,
        interval: Optional[int] = None,
    ) -> OrganizationUsage:
        """Connections, CONNECTs and disconnects by reason over time (``GET /v2/organization/usage``).

        ``start``/``end`` are ISO 8601 strings with a time zone or aware datetimes (default: the
        last hour); ``interval`` is the bucket width in seconds (default: the range over 60).

        Example::

            hour = api.organization.usage()
            print([bucket["connections"] for bucket in hour["buckets"]])
        """
        params = {"from": _moment(start), "to": _moment(end), "interval": interval}
        return cast(OrganizationUsage, self._http.request("GET", "/v2/organization/usage", params=params))
