import marshmallow as ma

from events.domainmodel import TOKEN_MAX_TTL

TTL = ma.validate.Range(min=1, max=TOKEN_MAX_TTL)


class ExchangeSchema(ma.Schema):
    provider = ma.fields.String(load_default=None, metadata={"description": "Name or id; optional with one provider"})
    token = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=16384))
    ttl = ma.fields.Integer(load_default=None, validate=TTL,
                            metadata={"description": "Seconds; capped by the provider's max_ttl"})


class MintSchema(ma.Schema):
    user_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=256))
    ttl = ma.fields.Integer(load_default=3600, validate=TTL)
    rule_set = ma.fields.String(data_key="acl_set", load_default=None, allow_none=True,
                                metadata={"description": "Rule set name or id"})


class RefreshSchema(ma.Schema):
    mqtt_username = ma.fields.String(required=True, validate=ma.validate.Length(max=256))
    mqtt_password = ma.fields.String(required=True, validate=ma.validate.Length(max=256))


class CredentialSchema(ma.Schema):
    mqtt_username = ma.fields.String(required=True, metadata={"description": "tok_...@org_..."})
    mqtt_password = ma.fields.String(metadata={"description": "Shown once, when minted"})
    expires_at = ma.fields.DateTime(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds from now"})
    provider = ma.fields.String(allow_none=True, metadata={"description": "Provider name; null when minted"})
    user_id = ma.fields.String(required=True)
    tenancy = ma.fields.String(required=True, metadata={
        "description": "single, or multi: topics live under `<org_id>/` on the broker (the SDKs add and strip it)"})
