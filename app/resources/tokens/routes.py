"""Temporary MQTT credentials: from an identity provider's token, or minted by a secret key."""

from datetime import datetime, timezone
from typing import Any, Dict, Optional

from flask import current_app, g
from flask.views import MethodView

from app.current import current_domain
from app.errors import ApiError
from app.extensions.smorest import Blueprint
from app.resources.tokens.schemas import CredentialSchema, ExchangeSchema, MintSchema, RefreshSchema
from app.token_verification import PROVIDER_TYPES, TokenRejected, verify
from events.domainmodel import AuthProvider, TemporaryCredential
from events.access.broker import login
from events.errors import NotFound

blp = Blueprint("tokens", __name__, url_prefix="/v2/tokens", description="Token exchange and temporary credentials")
MAX_CLAIMS, MAX_CLAIM_LENGTH = 50, 256


def present(credential: TemporaryCredential, password: Optional[str] = None) -> Dict[str, Any]:
    provider = None
    if credential.provider_id:
        try:
            provider = current_domain().view.find_provider(credential.org_id, credential.provider_id).name
        except NotFound:  # deleted since
            provider = credential.provider_id
    remaining = (credential.expires_at - datetime.now(timezone.utc)).total_seconds()
    return {
        "mqtt_username": credential.mqtt_username,
        **({"mqtt_password": password} if password else {}),
        "expires_at": credential.expires_at,
        "expires_in": max(0, int(remaining)),
        "provider": provider,
        "user_id": credential.user_id,
        "tenancy": current_app.config["TENANCY"],
    }


def string_claims(claims: Dict[str, Any]) -> Dict[str, str]:
    """The token's string claims, for {claims.<name>} in rules."""
    kept = {k: v for k, v in claims.items() if isinstance(v, str) and len(v) <= MAX_CLAIM_LENGTH}
    return dict(list(kept.items())[:MAX_CLAIMS])


def chosen_provider(named: Optional[str]) -> AuthProvider:
    """The provider a token exchange names: its id or name; or a provider type (`supabase`, ...)
    when the organization has exactly one provider of that type; or, when none is named, the
    organization's only provider."""
    view = current_domain().view
    providers = view.providers_of(g.org_id)
    if named is None:
        if len(providers) != 1:
            raise ApiError(400, "name the provider: the organization has "
                           f"{len(providers)} auth providers", "provider_required")
        return providers[0]
    try:
        return view.find_provider(g.org_id, named)
    except NotFound as error:
        if named not in PROVIDER_TYPES:
            raise ApiError(404, error.message, "provider_not_found") from None
    of_type = [provider for provider in providers if provider.provider_type == named]
    if len(of_type) > 1:
        raise ApiError(400, f"the organization has {len(of_type)} {named} providers; name one of them: "
                       + ", ".join(sorted(p.name for p in of_type)), "provider_ambiguous",
                       {"providers": sorted(p.name for p in of_type)})
    if not of_type:
        raise ApiError(404, f"the organization has no {named} auth provider", "provider_not_found")
    return of_type[0]


@blp.route("/exchange")
class TokenExchangeViews(MethodView):
    @blp.auth("tokens:create", public=True)
    @blp.arguments(ExchangeSchema)
    @blp.response(200, CredentialSchema)
    @blp.errors(400, 404, 503)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Exchange an identity provider's token for temporary MQTT credentials

        `provider` is the provider's name or id, or its type (`supabase`, ...) when the organization
        has exactly one provider of that type. Errors: `invalid_token` / `token_expired` (401),
        `missing_claim`, `provider_required`, `provider_ambiguous` (400), `provider_disabled` (403),
        `provider_not_found` (404), `provider_unavailable` (503, keys could not be fetched).
        A claim whose value holds '/', '+', '#', '$', '{', '}' or a control character is never
        put in a topic: a rule naming it (`{claims.<name>}`) gives nothing (a deny covers more).
        """
        provider = chosen_provider(body["provider"])
        if provider.settings.get("enabled") is False:
            raise ApiError(403, f"auth provider {provider.name!r} is disabled", "provider_disabled")
        try:
            claims = verify(provider.provider_type, provider.settings, body["token"])
        except TokenRejected as error:
            raise ApiError(error.status, error.message, error.code) from None
        settings = provider.settings
        ttl = min(body["ttl"] or settings.get("default_ttl", 3600), settings.get("max_ttl", 86400))
        credential, password = current_domain().issue_credential(
            g.org_id, str(claims[settings.get("user_claim") or "sub"]), ttl, settings.get("acl_set"),
            string_claims(claims), provider.provider_id,
        )
        return present(credential, password)


@blp.route("")
class TokenViews(MethodView):
    @blp.auth("tokens:create")
    @blp.arguments(MintSchema)
    @blp.response(201, CredentialSchema)
    @blp.errors(404)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Mint temporary MQTT credentials for one of your users (no identity provider)

        The credentials get the organization's rules, plus the rules of `acl_set` when given.
        Choosing `acl_set` needs the `acl:write` scope as well (a key that may not write rules may
        not grant them either): without it, `tokens:create` mints credentials with the
        organization's rules only.
        """
        if body["rule_set"] is not None and not g.key.grants("acl:write"):
            raise ApiError(403, "choosing acl_set needs the 'acl:write' scope as well as 'tokens:create'",
                           "insufficient_scope", {"required_scope": "acl:write"})
        credential, password = current_domain().issue_credential(
            g.org_id, body["user_id"], body["ttl"], body["rule_set"], {"sub": body["user_id"]})
        return present(credential, password)


@blp.route("/refresh")
class TokenRefreshViews(MethodView):
    @blp.auth("tokens:create", public=True)
    @blp.arguments(RefreshSchema)
    @blp.response(200, CredentialSchema)
    def post(self, body: Dict[str, Any]) -> Dict[str, Any]:
        """Extend temporary credentials that have not expired by their original lifetime

        Credentials exchanged from a provider's token are extended only while that provider
        exists and is enabled (403 `provider_inactive` otherwise).
        """
        decision = login(current_domain().view, body["mqtt_username"], body["mqtt_password"])
        if decision.reason == "credentials expired":
            raise ApiError(401, "these credentials have expired; exchange a token again", "token_expired")
        credential = decision.principal
        if not isinstance(credential, TemporaryCredential) or credential.org_id != g.org_id:
            raise ApiError(401, "unknown temporary credentials or wrong password", "invalid_credentials")
        return present(current_domain().refresh_credential(credential))
