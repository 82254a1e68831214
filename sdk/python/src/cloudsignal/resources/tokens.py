from __future__ import annotations

from typing import Optional, cast

from cloudsignal.resources._base import Resource
from cloudsignal.types import Credentials


class Tokens(Resource):
    """Temporary MQTT credentials (``tok_...@org_...``) that the broker disconnects at expiry.

    Example::

        creds = api.tokens.create("device-9", ttl=600)       # a secret key, scope tokens:create
        creds = public_api.tokens.exchange(id_token)         # a public key is enough
        creds = public_api.tokens.refresh(creds["mqtt_username"], creds["mqtt_password"])
    """

    def create(self, user_id: str, *, ttl: Optional[int] = None, acl_set: Optional[str] = None) -> Credentials:
        """Mint credentials for ``user_id`` (no identity provider); ``ttl`` seconds (default 3600)."""
        body: dict[str, object] = {"user_id": user_id}
        if ttl is not None:
            body["ttl"] = ttl
        if acl_set is not None:
            body["acl_set"] = acl_set
        return cast(Credentials, self._http.request("POST", "/v2/tokens", json=body))

    def exchange(self, token: str, *, provider: Optional[str] = None, ttl: Optional[int] = None) -> Credentials:
        """Turn an identity provider's token (a JWT) into credentials; ``provider`` may be
        omitted when the organization has one."""
        body = {"token": token, "provider": provider, "ttl": ttl}
        return cast(Credentials, self._http.request("POST", "/v2/tokens/exchange", json=body))

    def refresh(self, mqtt_username: str, mqtt_password: str) -> Credentials:
        """Extend credentials that have not expired by their original lifetime."""
        body = {"mqtt_username": mqtt_username, "mqtt_password": mqtt_password}
        return cast(Credentials, self._http.request("POST", "/v2/tokens/refresh", json=body))
