from __future__ import annotations

from typing import Optional, Sequence, Union, cast

from cloudsignal.pagination import Page
from cloudsignal.resources._base import NOT_GIVEN, NotGiven, Resource, fields, segment
from cloudsignal.types import ApiKey, KeyType, NewApiKey


class ApiKeys(Resource):
    """API keys (``/v2/api-keys``): secret ``sk_``, public ``pk_``, restricted ``rk_``.

    The full key is in the reply of ``create`` and ``rotate`` only. Example::

        key = api.api_keys.create("ci", type="restricted", scopes=["users:write"])
        print(key["key"])   # rk_..., shown once
    """

    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[ApiKey]:
        return self._page("/v2/api-keys", {}, limit, cursor)

    def get(self, key_id: str) -> ApiKey:
        return cast(ApiKey, self._http.request("GET", f"/v2/api-keys/{segment(key_id)}"))

    def create(
        self,
        name: str,
        *,
        type: KeyType = "secret",
        scopes: Optional[Sequence[str]] = None,
        expires_at: Optional[str] = None,
    ) -> NewApiKey:
        """Create a key; ``scopes`` for restricted keys, ``expires_at`` ISO 8601 with a zone."""
        body = fields(name=name, type=type,
                      scopes=list(scopes) if scopes is not None else NOT_GIVEN,
                      expires_at=expires_at if expires_at is not None else NOT_GIVEN)
        return cast(NewApiKey, self._http.request("POST", "/v2/api-keys", json=body))

    def update(
        self,
        key_id: str,
        *,
        name: Union[str, NotGiven] = NOT_GIVEN,
        scopes: Union[Sequence[str], NotGiven] = NOT_GIVEN,
    ) -> ApiKey:
        body = fields(name=name, scopes=NOT_GIVEN if isinstance(scopes, NotGiven) else [*scopes])
        return cast(ApiKey, self._http.request("PATCH", f"/v2/api-keys/{segment(key_id)}", json=body))

    def rotate(self, key_id: str) -> NewApiKey:
        """Replace a key by a new one with the same name, type and scopes; the old one is revoked."""
        return cast(NewApiKey, self._http.request("POST", f"/v2/api-keys/{segment(key_id)}/rotate"))

    def revoke(self, key_id: str) -> None:
        """Revoke a key; it stops working at once."""
        self._http.request("DELETE", f"/v2/api-keys/{segment(key_id)}")

    delete = revoke
