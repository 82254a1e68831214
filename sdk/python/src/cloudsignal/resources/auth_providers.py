from __future__ import annotations

from typing import Any, Optional, cast

from cloudsignal.pagination import Page
from cloudsignal.resources._base import Resource, segment
from cloudsignal.types import AuthProvider, ProviderType


class AuthProviders(Resource):
    """Identity providers whose tokens ``api.tokens.exchange`` accepts (``/v2/auth-providers``).

    Settings are keyword arguments named as in the API (``issuer``, ``audience``, ``jwks_url``,
    ``project_id``, ``project_url``, ``domain``, ``secret``, ``public_key``, ``user_claim``,
    ``required_claims``, ``acl_set``, ``default_ttl``, ``max_ttl``). Example::

        api.auth_providers.create("auth", type="oidc", issuer="https://id.example.com",
                                  audience="cloudsignal",
                                  jwks_url="https://id.example.com/.well-known/jwks.json",
                                  acl_set="browsers")
    """

    def list(self, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[AuthProvider]:
        return self._page("/v2/auth-providers", {}, limit, cursor)

    def get(self, id_or_name: str) -> AuthProvider:
        return cast(AuthProvider, self._http.request("GET", f"/v2/auth-providers/{segment(id_or_name)}"))

    def create(self, name: str, *, type: ProviderType, **settings: Any) -> AuthProvider:
        body = {"name": name, "type": type, **settings}
        return cast(AuthProvider, self._http.request("POST", "/v2/auth-providers", json=body))

    def update(self, id_or_name: str, **settings: Any) -> AuthProvider:
        return cast(AuthProvider, self._http.request("PATCH", f"/v2/auth-providers/{segment(id_or_name)}",
                                                     json=settings))

    def delete(self, id_or_name: str) -> None:
        """Stop trusting a provider; credentials already issued run until they expire."""
        self._http.request("DELETE", f"/v2/auth-providers/{segment(id_or_name)}")
