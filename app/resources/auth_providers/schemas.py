from typing import Any, Dict

import marshmallow as ma

from app.pagination import page_schema
from app.resources.common import TimestampedSchema, name_field
from app.token_verification import PROVIDER_TYPES
from events.domainmodel import TOKEN_MAX_TTL

URL = ma.validate.URL(schemes={"http", "https"}, require_tld=False)
TTL = ma.validate.Range(min=1, max=TOKEN_MAX_TTL)
CLAIM = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$", error="not a claim name"))
REQUIRED_BY_TYPE = {
    "supabase": ("project_url", "secret"),
    "firebase": ("project_id",),
    "auth0": ("domain", "audience"),
    "clerk": ("issuers",),
    "oidc": ("issuer", "jwks_url"),
    "jwt": (),
}


class ProviderFieldsSchema(ma.Schema):
    """Type-specific settings and what temporary credentials get."""

    issuer = ma.fields.String(validate=ma.validate.Length(min=1, max=500), metadata={"description": "oidc, jwt"})
    issuers = ma.fields.List(ma.fields.String(validate=URL), validate=ma.validate.Length(min=1, max=10),
                             metadata={"description": "clerk: accepted issuers (their JWKS at /.well-known/jwks.json)"})
    audience = ma.fields.String(validate=ma.validate.Length(min=1, max=500),
                                metadata={"description": "auth0 (required), oidc, jwt, clerk, supabase"})
    jwks_url = ma.fields.String(validate=URL, metadata={"description": "oidc"})
    project_id = ma.fields.String(validate=ma.validate.Length(min=1, max=200), metadata={"description": "firebase"})
    project_url = ma.fields.String(validate=URL, metadata={"description": "supabase"})
    domain = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9.-]+(:\d+)?$"),
                              metadata={"description": "auth0, e.g. tenant.eu.auth0.com"})
    secret = ma.fields.String(load_only=True, validate=ma.validate.Length(min=16, max=1024),
                              metadata={"description": "supabase JWT secret, or jwt shared secret (HS256); never shown"})
    public_key = ma.fields.String(validate=ma.validate.Length(min=1, max=10000),
                                  metadata={"description": "jwt: PEM public key (RS/ES/PS)"})
    user_claim = ma.fields.String(load_default="sub", validate=ma.validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$"),
                                  metadata={"description": "The claim naming the user"})
    required_claims = ma.fields.List(CLAIM, load_default=list, validate=ma.validate.Length(max=20))
    acl_set = ma.fields.String(allow_none=True, load_default=None,
                               metadata={"description": "Rule set temporary users get (name or id)"})
    default_ttl = ma.fields.Integer(load_default=3600, validate=TTL)
    max_ttl = ma.fields.Integer(load_default=TOKEN_MAX_TTL, validate=TTL)
    enabled = ma.fields.Boolean(load_default=True, metadata={
        "description": "false: tokens are not exchanged and credentials it issued are not refreshed"})


class AuthProviderSchema(ProviderFieldsSchema, TimestampedSchema):
    id = ma.fields.String(dump_only=True)
    name = name_field(required=True)
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(PROVIDER_TYPES))
    has_secret = ma.fields.Boolean(dump_only=True)

    @ma.validates_schema
    def check_type_fields(self, data: Dict[str, Any], **_: object) -> None:
        check_provider(data)


def check_provider(data: Dict[str, Any]) -> None:
    missing = [name for name in REQUIRED_BY_TYPE[data["type"]] if not data.get(name)]
    if data["type"] == "jwt" and bool(data.get("secret")) == bool(data.get("public_key")):
        missing.append("secret or public_key (one of them)")
    if missing:
        raise ma.ValidationError(f"a {data['type']} provider needs: {', '.join(missing)}")
    if data.get("default_ttl", 0) > data.get("max_ttl", TOKEN_MAX_TTL):
        raise ma.ValidationError("default_ttl must not exceed max_ttl", "default_ttl")


class AuthProviderPatchSchema(ProviderFieldsSchema):
    """Any field; what is given replaces the stored value."""

    name = name_field()
    user_claim = ma.fields.String(validate=ma.validate.Regexp(r"^[A-Za-z0-9_.:-]{1,64}$"))
    required_claims = ma.fields.List(CLAIM, validate=ma.validate.Length(max=20))
    acl_set = ma.fields.String(allow_none=True)
    default_ttl = ma.fields.Integer(validate=TTL)
    max_ttl = ma.fields.Integer(validate=TTL)
    enabled = ma.fields.Boolean()


AuthProviderPageSchema = page_schema(AuthProviderSchema, "AuthProviderPage")
