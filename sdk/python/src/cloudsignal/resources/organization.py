from __future__ import annotations

from typing import Union, cast

from cloudsignal.resources._base import NOT_GIVEN, NotGiven, Resource, fields
from cloudsignal.types import Organization, OrganizationSettings


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
