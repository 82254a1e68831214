import marshmallow as ma

from app.pagination import page_schema
from app.resources.common import TimestampedSchema
from events.domainmodel import KEY_TYPES, SCOPES

NAME = ma.validate.Length(min=1, max=100)
SCOPE_LIST = ma.fields.List(
    ma.fields.String(validate=ma.validate.OneOf(SCOPES)),
    validate=ma.validate.Length(max=len(SCOPES)),
    metadata={"description": "Restricted keys only: " + ", ".join(SCOPES)},
)


class ApiKeySchema(TimestampedSchema):
    id = ma.fields.String(dump_only=True, metadata={"description": "`key_...`; names the key in lists"})
    name = ma.fields.String(required=True, validate=NAME)
    type = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(KEY_TYPES),
        metadata={"description": "secret (`sk_`, every scope), public (`pk_`), restricted (`rk_`, its scopes)"},
    )
    scopes = SCOPE_LIST
    expires_at = ma.fields.AwareDateTime(
        allow_none=True, metadata={"description": "ISO 8601 with a time zone; null: never"}
    )
    masked_key = ma.fields.String(dump_only=True, metadata={"description": "Prefix and last four characters"})
    status = ma.fields.String(dump_only=True, metadata={"description": "active, revoked or expired"})
    last_used_at = ma.fields.DateTime(dump_only=True, allow_none=True)


class NewApiKeySchema(ApiKeySchema):
    key = ma.fields.String(dump_only=True, metadata={"description": "The full key, shown only this once"})


class ApiKeyPatchSchema(ma.Schema):
    name = ma.fields.String(validate=NAME)
    scopes = SCOPE_LIST


ApiKeyPageSchema = page_schema(ApiKeySchema, "ApiKeyPage")
