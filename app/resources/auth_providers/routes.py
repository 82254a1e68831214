"""Identity providers whose tokens the organization exchanges for temporary MQTT credentials."""

from typing import Any, Dict

import marshmallow as ma
from flask import g
from flask.views import MethodView

from app import outbound
from app.current import current_domain
from app.extensions.smorest import Blueprint
from app.pagination import ListArgsSchema, paginate
from app.resources.auth_providers.schemas import (
    AuthProviderPageSchema,
    AuthProviderPatchSchema,
    AuthProviderSchema,
    check_provider,
)
from app.resources.common import creation_order, timestamps
from app.token_verification import fetched_urls
from events.domainmodel import AuthProvider
from events.errors import InvalidInput

blp = Blueprint("auth_providers", __name__, url_prefix="/v2/auth-providers", description="Auth providers")
SECRET_FIELDS = ("secret",)


def present(provider: AuthProvider) -> Dict[str, Any]:
    settings = {k: v for k, v in provider.settings.items() if k not in SECRET_FIELDS}
    rule_set = settings.get("acl_set")
    if rule_set:
        settings["acl_set"] = current_domain().view.find_rule_set(provider.org_id, rule_set).name
    return {"id": provider.provider_id, "name": provider.name, "type": provider.provider_type,
            "has_secret": bool(provider.settings.get("secret")), "enabled": True, **settings, **timestamps(provider)}


def check_urls(provider_type: str, settings: Dict[str, Any]) -> None:
    """The URLs the service will fetch must be https and public (also checked at each fetch)."""
    urls = {"project_url": [settings["project_url"]] if settings.get("project_url") else [],
            "url": fetched_urls(provider_type, settings)}
    for field, values in urls.items():
        for url in values:
            try:
                if field == "project_url":
                    outbound._split(url)  # named, not fetched: https is enough
                else:
                    outbound.check_url(url)
            except outbound.UnsafeUrl as error:
                name = {"oidc": "jwks_url", "clerk": "issuers", "auth0": "domain"}.get(provider_type, field)
                raise InvalidInput(f"invalid provider: {name} {error}", {name: [str(error)]}) from None


@blp.route("")
class AuthProviderViews(MethodView):
    @blp.auth("organization:read")
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, AuthProviderPageSchema)
    def get(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """List auth providers (secrets are never shown)"""
        items = [present(p) for p in current_domain().view.providers_of(g.org_id)]
        return paginate(items, creation_order, args["limit"], args["cursor"])

    @blp.auth("organization:write")
    @blp.arguments(AuthProviderSchema)
    @blp.response(201, AuthProviderSchema)
    @blp.errors(404, 409)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Trust an identity provider's tokens for token exchange"""
        name, provider_type = body.pop("name"), body.pop("type")
        check_urls(provider_type, body)
        return present(current_domain().create_auth_provider(g.org_id, name, provider_type, body))


@blp.route("/<string:id_or_name>")
class AuthProviderByIdViews(MethodView):
    @blp.auth("organization:read")
    @blp.response(200, AuthProviderSchema)
    @blp.errors(404)
    def get(self, id_or_name: str) -> Dict[str, Any]:
        """Get an auth provider by id or name"""
        return present(current_domain().view.find_provider(g.org_id, id_or_name))

    @blp.auth("organization:write")
    @blp.arguments(AuthProviderPatchSchema)
    @blp.response(200, AuthProviderSchema)
    @blp.errors(404, 409)
    def patch(self, body: Dict[str, Any], id_or_name: str) -> Dict[str, Any]:
        """Change an auth provider's settings"""
        provider = current_domain().view.find_provider(g.org_id, id_or_name)
        name = body.pop("name", provider.name)
        settings = {**provider.settings, **body}
        try:
            check_provider({**settings, "type": provider.provider_type})
        except ma.ValidationError as error:
            raise InvalidInput(f"invalid provider: {error.messages}", error.messages) from None
        check_urls(provider.provider_type, settings)
        return present(current_domain().change_auth_provider(g.org_id, provider.provider_id, name, settings))

    @blp.auth("organization:write")
    @blp.response(204)
    @blp.errors(404)
    def delete(self, id_or_name: str) -> None:
        """Stop trusting a provider; credentials already issued run until they expire"""
        current_domain().delete_auth_provider(g.org_id, id_or_name)
